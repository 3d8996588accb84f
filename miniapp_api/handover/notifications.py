"""WeChat template messages for 交房即交证, written to the transactional outbox (outbox.py).

`enqueue_*` add rows to the current session, so a stage change and its messages commit (or
roll back) together: one message per (change, subscribed buyer account). The generic sender
(`flask send-notifications`) delivers them at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import and_, or_, select

from .. import outbox
from ..clock import minutes_cn
from ..database import db
from ..models import (
    HandoverBlocker,
    HandoverCase,
    HandoverSubscription,
    HousingProject,
    WechatAccount,
)
from . import rules

log = logging.getLogger(__name__)

PAGE_PATH = "/app/handover.html"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _unit_text(case: HandoverCase) -> str:
    unit = case.unit
    where = ""
    if unit.building:
        where += f"{unit.building}栋"
    if unit.room:
        where += f"{unit.room}室"
    return f"{case.project.name}{where}" if where else case.project.name


def _page_url(case_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}{PAGE_PATH}?case={case_id}"


def _recipients(case_ids: Iterable[int]) -> list[tuple[HandoverCase, WechatAccount]]:
    """Subscribed accounts that still belong to the case's buyer or co-buyer."""
    ids = list(case_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(HandoverCase, WechatAccount)
        .join(HandoverSubscription, HandoverSubscription.case_id == HandoverCase.id)
        .join(WechatAccount, WechatAccount.id == HandoverSubscription.account_id)
        .where(
            HandoverCase.id.in_(ids),
            or_(
                WechatAccount.person_id == HandoverCase.buyer_id,
                and_(
                    HandoverCase.co_buyer_id.is_not(None),
                    WechatAccount.person_id == HandoverCase.co_buyer_id,
                ),
            ),
        )
        .order_by(HandoverCase.id, WechatAccount.id)
    ).all()
    return [(case, account) for case, account in rows]


def _add(key: str, openid: str, case_id: int, data: dict[str, str]) -> None:
    template = current_app.config["WECHAT_TEMPLATE_HANDOVER"]
    outbox.add(key, openid, template, _page_url(case_id), data)


def enqueue_case_stage(case: HandoverCase, when: datetime, note: str | None = None) -> int:
    """Messages for a case that has just moved to `case.stage` (call after the flush)."""
    count = 0
    step = rules.guidance(case.stage, case.has_loan, rules.project_ready(case.project.stage))
    remark = step["guidance"] if step else rules.DONE_TEXT
    for rcase, account in _recipients([case.id]):
        data = {
            "first": "您购买的房屋“交房即交证”办理进度已更新",
            "keyword1": _unit_text(rcase),
            "keyword2": rules.label(case.stage) or case.stage,
            "keyword3": minutes_cn(when),
            "remark": str(remark) + (f"（备注：{note}）" if note else ""),
        }
        _add(f"case:{case.id}:v{case.version}:a{account.id}", account.openid, case.id, data)
        count += 1
    return count


def enqueue_project_stage(
    project: HousingProject, when: datetime, skipped: bool = False, note: str | None = None
) -> int:
    """Messages to every subscribed buyer of the project after a project-level stage change."""
    count = 0
    stage_label = rules.label(project.stage) or "未开始"
    ids = db.session.execute(
        select(HandoverCase.id).where(HandoverCase.project_id == project.id)
    ).scalars()
    for case, account in _recipients(ids):
        text = f"{stage_label}（无此环节，已跳过）" if skipped else stage_label
        data = {
            "first": f"您所购房屋所在的{project.name}项目办理进度已更新",
            "keyword1": _unit_text(case),
            "keyword2": f"项目进度：{text}",
            "keyword3": minutes_cn(when),
            "remark": (
                "开发企业已完成房屋所有权首次登记，可以办理转移登记。"
                if rules.project_ready(project.stage)
                else "项目完成房屋所有权首次登记后，才能为购房人办理转移登记。"
            )
            + (f"（备注：{note}）" if note else ""),
        }
        _add(
            f"project:{project.id}:v{project.version}:a{account.id}", account.openid, case.id, data
        )
        count += 1
    return count


def enqueue_blocker(blocker: HandoverBlocker, resolved: bool, when: datetime) -> int:
    """Messages about a blocker opened or resolved (project-wide or for one case)."""
    if blocker.case_id is not None:
        ids: Iterable[int] = [blocker.case_id]
    else:
        ids = db.session.execute(
            select(HandoverCase.id).where(HandoverCase.project_id == blocker.project_id)
        ).scalars()
    count = 0
    kind = rules.blocker_label(blocker.kind)
    for case, account in _recipients(ids):
        if resolved:
            data = {
                "first": "影响您所购房屋办理的事项已解除",
                "keyword1": _unit_text(case),
                "keyword2": f"已解除：{kind}",
                "keyword3": minutes_cn(when),
                "remark": f"处理结果：{blocker.resolution or '已解除'}。办理将继续推进。",
            }
        else:
            data = {
                "first": "您所购房屋的办理出现需要处理的事项",
                "keyword1": _unit_text(case),
                "keyword2": f"待处理：{kind}",
                "keyword3": minutes_cn(when),
                "remark": f"{blocker.authority}：{blocker.reason}。处理完成后将继续办理并通知您。",
            }
        state = "resolved" if resolved else "open"
        _add(f"blocker:{blocker.id}:{state}:a{account.id}", account.openid, case.id, data)
        count += 1
    return count
