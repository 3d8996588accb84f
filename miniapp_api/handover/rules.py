"""交房即交证 rules: stage order, what blocks what, and the buyer's guidance per stage.

Pure functions and tables (no database, no Flask). The decisions are documented in
docs/handover.md ("Rules").
"""

from __future__ import annotations

from ..domain.stages import (
    BLOCKER_KINDS,
    PROJECT_STAGE_CODES,
    STAGE_LABELS,
    UNIT_STAGE_CODES,
    next_unit_stage,
    unit_stage_index,
)

# A unit may not enter 转移登记受理 (or any later stage) before its project's developer has made
# the 房屋所有权首次登记: a transfer needs the developer's registered ownership to transfer.
PROJECT_GATE_STAGE = "transfer_application"
PROJECT_READY_STAGE = "developer_first_registration"

# The first unit stage an open blocker of each kind prevents. A court seizure stops every
# registration act (预告登记 onwards); the other kinds stop the transfer (转移登记受理 onwards).
UNIT_BLOCKED_FROM: dict[str, str] = {
    "land_premium_unpaid": "transfer_application",
    "planning_acceptance_failed": "transfer_application",
    "construction_mortgage_unreleased": "transfer_application",
    "court_seizure": "advance_notice",
    "other": "transfer_application",
}

# The first project stage an open project-level blocker of each kind prevents. A failed
# planning acceptance stops 竣工验收与测绘; everything else stops the developer's first
# registration (the land premium must be paid and the construction mortgage released first).
PROJECT_BLOCKED_FROM: dict[str, str] = {
    "land_premium_unpaid": "developer_first_registration",
    "planning_acceptance_failed": "completion_survey",
    "construction_mortgage_unreleased": "developer_first_registration",
    "court_seizure": "developer_first_registration",
    "other": "developer_first_registration",
}

OPTIONAL_PROJECT_STAGES = frozenset({"construction_mortgage"})

# Once registered (登簿) a case cannot go back before 登簿; once the certificate exists it
# cannot go back before 缮证发证 (that needs a correction or cancellation, not a stage move).
REGISTERED = "registered"
CERTIFICATE_ISSUED = "certificate_issued"
HANDED_OVER = "handed_over"

assert set(UNIT_BLOCKED_FROM) == set(BLOCKER_KINDS) == set(PROJECT_BLOCKED_FROM)


def label(code: str | None) -> str | None:
    return STAGE_LABELS.get(code) if code else None


def blocker_label(kind: str) -> str:
    return BLOCKER_KINDS.get(kind, kind)


def project_stage_index(code: str | None) -> int:
    """-1 for a project that has reached no stage yet."""
    return PROJECT_STAGE_CODES.index(code) if code else -1


def next_project_stage(code: str | None) -> str | None:
    index = project_stage_index(code) + 1
    return PROJECT_STAGE_CODES[index] if index < len(PROJECT_STAGE_CODES) else None


def project_ready(project_stage: str | None) -> bool:
    return project_stage == PROJECT_READY_STAGE


def unit_needs_ready_project(target: str) -> bool:
    return unit_stage_index(target) >= unit_stage_index(PROJECT_GATE_STAGE)


def blocks_unit_stage(kind: str, target: str) -> bool:
    return unit_stage_index(target) >= unit_stage_index(UNIT_BLOCKED_FROM.get(kind, "other"))


def blocks_project_stage(kind: str, target: str) -> bool:
    first = PROJECT_BLOCKED_FROM.get(kind, PROJECT_READY_STAGE)
    return project_stage_index(target) >= project_stage_index(first)


def case_floor(current: str, has_certificate: bool) -> str:
    """The earliest stage an admin may move a case back to."""
    if has_certificate:
        return CERTIFICATE_ISSUED
    if unit_stage_index(current) >= unit_stage_index(REGISTERED):
        return REGISTERED
    return UNIT_STAGE_CODES[0]


# --- the buyer's guidance ------------------------------------------------------------------------
def guidance(current: str, has_loan: bool, project_is_ready: bool) -> dict[str, object] | None:
    """What comes after `current` and what the buyer must do for it (Chinese, for buyers)."""
    following = next_unit_stage(current)
    if following is None:
        return None
    action_required = following in {"advance_notice", "deed_tax", "handed_over"}
    if following == "advance_notice":
        if has_loan:
            text = (
                "下一步办理预告登记及抵押权预告登记。请按贷款银行通知签订借款合同和抵押合同，"
                "并配合开发企业和银行共同提交申请（通常由开发企业和银行代为提交），"
                "需提供本人身份证件、网签合同；已婚的请同时提供配偶身份证件和结婚证。"
            )
        else:
            text = (
                "下一步办理预告登记。请携带本人身份证件和网签合同，与开发企业共同申请"
                "（可委托开发企业代为提交），预告登记后未经您同意房屋不能另行处分。"
            )
    elif following == "deed_tax":
        text = (
            "下一步缴纳契税。请通过税务部门电子税务局或到政务服务中心税务窗口申报缴纳，"
            "需提供本人身份证件和网签合同；首套、二套住房可享受的税率优惠以税务部门认定为准，"
            "请保存好完税凭证。"
        )
    elif following == "transfer_application":
        text = (
            "契税已缴纳。下一步由开发企业统一代为申请转移登记，您无需另行到窗口办理；"
            "如需补充材料，登记中心会另行通知。"
        )
        if has_loan:
            text += "贷款购房的，贷款银行将同步申请抵押权首次登记。"
        if not project_is_ready:
            text += "目前开发企业尚未完成房屋所有权首次登记，完成后才能受理转移登记。"
    elif following == "registered":
        text = "转移登记已受理，登记中心正在审核登簿，您无需办理任何事项。"
    elif following == "certificate_issued":
        text = (
            "已登簿，正在缮制不动产权证书，证书制作完成后将同步生成电子证照，您无需办理任何事项。"
        )
    else:  # handed_over
        text = (
            "不动产权证书已制作完成，电子证照已可在线查看。请在交房当日携带本人身份证件到交房现场，"
            "收房的同时领取不动产权证书（交房即交证）。"
        )
        if has_loan:
            text += "贷款购房的，抵押登记证明将交贷款银行。"
    return {
        "stage": following,
        "label": label(following),
        "buyer_action_required": action_required,
        "guidance": text,
    }


DONE_TEXT = "已完成交房即交证。请妥善保管不动产权证书，需要时可随时查看或下载电子证照。"
