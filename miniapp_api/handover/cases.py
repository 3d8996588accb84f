"""交房即交证 case queries with their audit events: a buyer's own cases and subscriptions, the
staff's case lists and details.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..models import (
    HandoverCase,
    HandoverSubscription,
    Person,
    WechatAccount,
)
from .read_models import (
    buyer_case_view,
    open_blockers,
    own_cases_query,
    staff_case_view,
    staff_detail,
    subscribed_ids,
    utcnow,
)


def buyer_cases(person: Person, account: WechatAccount) -> list[dict[str, Any]]:
    cases = list(db.session.execute(own_cases_query(person)).unique().scalars())
    blockers = open_blockers(sorted({c.project_id for c in cases}))
    subscribed = subscribed_ids(account, [c.id for c in cases])
    views = [
        buyer_case_view(c, person, blockers.get(c.project_id, []), c.id in subscribed)
        for c in cases
    ]
    audit.record(
        "handover.view_own",
        object_type="person",
        object_id=person.id,
        detail={"cases": [c.id for c in cases]},
    )
    unit_of_work.done()
    return views


def own_case(person: Person, case_id: int) -> HandoverCase:
    """The case if `person` is its buyer or co-buyer; 404 otherwise (no existence oracle)."""
    case = (
        db.session.execute(own_cases_query(person).where(HandoverCase.id == case_id))
        .unique()
        .scalar_one_or_none()
    )
    if case is None:
        raise Problem(404, "case_not_found", "未找到您的购房办理记录")
    return case


def buyer_case(person: Person, account: WechatAccount, case_id: int) -> dict[str, Any]:
    case = own_case(person, case_id)
    blockers = open_blockers([case.project_id]).get(case.project_id, [])
    view = buyer_case_view(case, person, blockers, bool(subscribed_ids(account, [case.id])))
    audit.record("handover.view_own", object_type="handover_case", object_id=case.id)
    unit_of_work.done()
    return view


def subscribe(person: Person, account: WechatAccount, case_id: int) -> tuple[dict[str, Any], bool]:
    """Opt in to WeChat messages about an own case. Returns (view, created)."""
    case = own_case(person, case_id)
    existing = db.session.execute(
        select(HandoverSubscription).where(
            HandoverSubscription.case_id == case.id, HandoverSubscription.account_id == account.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return {"case_id": case.id, "subscribed": True, "since": existing.created_at}, False
    subscription = HandoverSubscription(case_id=case.id, account_id=account.id)
    db.session.add(subscription)
    audit.record("handover.subscribe", object_type="handover_case", object_id=case.id)
    try:
        unit_of_work.done()
    except IntegrityError:  # the same request twice at once: the other one won
        db.session.rollback()
        return {"case_id": case.id, "subscribed": True, "since": utcnow()}, False
    return {"case_id": case.id, "subscribed": True, "since": subscription.created_at}, True


def unsubscribe(person: Person, account: WechatAccount, case_id: int) -> None:
    case = own_case(person, case_id)
    existing = db.session.execute(
        select(HandoverSubscription).where(
            HandoverSubscription.case_id == case.id, HandoverSubscription.account_id == account.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        audit.record("handover.unsubscribe", object_type="handover_case", object_id=case.id)
        unit_of_work.done()


# ===============================================================================================
# Staff: lists and details
# ===============================================================================================
def list_cases(
    *,
    project_id: int | None,
    stage: str | None,
    contract_number: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    conditions = []
    if project_id is not None:
        conditions.append(HandoverCase.project_id == project_id)
    if stage:
        conditions.append(HandoverCase.stage == stage)
    if contract_number:
        conditions.append(HandoverCase.contract_number.startswith(contract_number, autoescape=True))
    total = db.session.execute(select(func.count(HandoverCase.id)).where(*conditions)).scalar_one()
    cases = list(
        db.session.execute(
            select(HandoverCase)
            .options(
                joinedload(HandoverCase.project),
                joinedload(HandoverCase.unit),
                joinedload(HandoverCase.buyer),
                joinedload(HandoverCase.co_buyer),
            )
            .where(*conditions)
            .order_by(HandoverCase.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
    )
    blockers = open_blockers(sorted({c.project_id for c in cases}))
    items = [staff_case_view(c, blockers.get(c.project_id, [])) for c in cases]
    audit.record(
        "handover.cases.list",
        object_type="handover_case",
        detail={
            "project_id": project_id,
            "stage": stage,
            "contract_filter": bool(contract_number),
            "page": page,
            "returned": len(items),
        },
    )
    unit_of_work.done()
    return {"page": page, "per_page": per_page, "total": total, "items": items}


def staff_case_detail(case_id: int) -> dict[str, Any]:
    view = staff_detail(case_id)
    audit.record("handover.case.view", object_type="handover_case", object_id=case_id)
    unit_of_work.done()
    return view
