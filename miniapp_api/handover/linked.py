"""Which handover stages a unit's transfer application moves (``follow.py``), and the check
that keeps staff from moving them by hand while that application is open."""

from __future__ import annotations

from sqlalchemy import select

from ..database import db
from ..domain.stages import unit_stage_index
from ..errors import Problem
from ..models import Application, HandoverCase
from . import rules

# Application status → the case stage it reaches.
STAGE_OF_STATUS = {
    "accepted": "transfer_application",
    "registered": rules.REGISTERED,
    "certified": rules.CERTIFICATE_ISSUED,
}
FOLLOWED_STAGES = tuple(STAGE_OF_STATUS.values())
OPEN_STATUSES = (
    "awaiting_confirmation",
    "submitted",
    "accepted",
    "reviewed",
    "registered",
    "certified",
    "correction_requested",
)


def check_manual_move(case: HandoverCase, target: str) -> None:
    """Staff may not move a case into (or skip over) the stages its open transfer application
    moves; going back is left to the existing floors."""
    current, wanted = unit_stage_index(case.stage), unit_stage_index(target)
    if not any(current < unit_stage_index(stage) <= wanted for stage in FOLLOWED_STAGES):
        return
    open_app = db.session.execute(
        select(Application.number).where(
            Application.handover_case_id == case.id,
            Application.kind == "transfer",
            Application.status.in_(OPEN_STATUSES),
        )
    ).first()
    if open_app is not None:
        raise Problem(
            409,
            "case_follows_application",
            f"该房屋的转移登记申请 {open_app[0]} 正在办理，受理、登簿和缮证环节随该申请推进",
            application_number=open_app[0],
        )
