"""交房即交证 stages, in order (DOMAIN.md)."""

from __future__ import annotations

PROJECT_STAGES: list[tuple[str, str]] = [
    ("land_first_registration", "国有建设用地使用权首次登记"),
    ("construction_mortgage", "在建建筑物抵押"),
    ("completion_survey", "竣工验收与测绘"),
    ("developer_first_registration", "房屋所有权首次登记"),
]

UNIT_STAGES: list[tuple[str, str]] = [
    ("contract_filing", "网签备案"),
    ("advance_notice", "预告登记"),
    ("deed_tax", "契税缴纳"),
    ("transfer_application", "转移登记受理"),
    ("registered", "登簿"),
    ("certificate_issued", "缮证发证"),
    ("handed_over", "交房即交证"),
]

PROJECT_STAGE_CODES = [code for code, _ in PROJECT_STAGES]
UNIT_STAGE_CODES = [code for code, _ in UNIT_STAGES]
STAGE_LABELS = dict(PROJECT_STAGES + UNIT_STAGES)

BLOCKER_KINDS: dict[str, str] = {
    "land_premium_unpaid": "土地出让金未缴清",
    "planning_acceptance_failed": "规划核实未通过",
    "construction_mortgage_unreleased": "在建工程抵押未解除",
    "court_seizure": "司法查封",
    "other": "其他",
}


def unit_stage_index(code: str) -> int:
    return UNIT_STAGE_CODES.index(code)


def next_unit_stage(code: str) -> str | None:
    index = unit_stage_index(code)
    return UNIT_STAGE_CODES[index + 1] if index + 1 < len(UNIT_STAGE_CODES) else None
