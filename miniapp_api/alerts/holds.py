"""这不是我办的: a holder disputes an application from an alert; the application is held
(登簿 refused with 409 ``application_on_hold``) until an admin clears the hold with a reason.

The filer is told that the application is under review — never who disputed it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from ..database import db
from ..domain import audit
from ..domain.masking import mask_name
from ..errors import Problem
from ..models import (
    Alert,
    Application,
    ApplicationHold,
    Person,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from .raising import is_holder

DISPUTABLE_KINDS = ("application_filed", "application_accepted")
# Before 登簿: a hold can still stop the registration.
HOLDABLE_STATUSES = (
    "awaiting_confirmation",
    "submitted",
    "accepted",
    "reviewed",
    "correction_requested",
)
UNDER_REVIEW_NOTE = "权利人对该申请提出了异议，登记机构正在核查，核查完毕前暂停登簿。"


def open_hold_exists(app_id: int) -> bool:
    return (
        db.session.execute(
            select(ApplicationHold.id).where(
                ApplicationHold.application_id == app_id, ApplicationHold.cleared_at.is_(None)
            )
        ).first()
        is not None
    )


def hold_view(hold: ApplicationHold, *, for_staff: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": hold.id,
        "application_id": hold.application_id,
        "status": "cleared" if hold.cleared_at else "open",
        "created_at": hold.created_at,
        "cleared_at": hold.cleared_at,
        "clear_reason": hold.clear_reason,
    }
    if for_staff:
        person = db.session.get(Person, hold.person_id)
        view["disputed_by"] = {
            "person_id": hold.person_id,
            "name": mask_name(person.name) if person else None,
        }
        view["note"] = hold.note
    return view


# --- hook listeners ----------------------------------------------------------------------------
def refuse_if_held(app: Application, actor: str | None = None) -> None:
    """``application.before_register``: no 登簿 while a hold is open."""
    if open_hold_exists(app.id):
        raise Problem(
            409,
            "application_on_hold",
            "权利人对该申请提出了异议，须经管理员核查并解除后才能登簿",
        )


def add_review_flag(app: Application, view: dict[str, Any]) -> None:
    """``application.view``: the filer (and staff) see that it is under review."""
    held = open_hold_exists(app.id)
    view["under_review"] = held
    view["under_review_note"] = UNDER_REVIEW_NOTE if held else None


def disputed_first() -> Any:
    """``application.list_order``: applications with an open hold first."""
    held = (
        select(ApplicationHold.id)
        .where(
            ApplicationHold.application_id == Application.id,
            ApplicationHold.cleared_at.is_(None),
        )
        .exists()
    )
    return case((held, 0), else_=1)


# --- citizens ------------------------------------------------------------------------------------
def dispute(person: Person, alert_id: int, note: str | None) -> tuple[ApplicationHold, bool]:
    """Put a hold on the alert's application. Returns (hold, created)."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.person_id != person.id:
        raise Problem(404, "alert_not_found", "未找到该提醒")
    if alert.application_id is None or alert.kind not in DISPUTABLE_KINDS:
        raise Problem(409, "alert_not_disputable", "只能对登记申请的提交或受理提醒提出异议")
    app = db.session.get(Application, alert.application_id)
    if app is None:
        raise Problem(404, "alert_not_found", "未找到该提醒")
    if not is_holder(person.id, app.unit_id):
        raise audit.refuse(
            Problem(403, "not_a_holder", "您不是该不动产的登记权利人，不能提出异议"),
            "alert.dispute",
            result="not_a_holder",
            object_type="application",
            object_id=app.id,
        )
    existing = db.session.execute(
        select(ApplicationHold).where(
            ApplicationHold.application_id == app.id, ApplicationHold.person_id == person.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.cleared_at is not None:
            raise Problem(
                409,
                "dispute_already_reviewed",
                "您对该申请的异议已由登记机构核查处理，如有疑问请联系登记机构",
            )
        return existing, False
    if app.status not in HOLDABLE_STATUSES:
        raise Problem(
            409,
            "application_not_disputable",
            "该申请已登簿或已结束，不能再暂停，请尽快联系登记机构",
        )
    hold = ApplicationHold(
        application_id=app.id,
        person_id=person.id,
        alert_id=alert.id,
        note=(note or "").strip()[:500] or None,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(hold)
            db.session.flush()
    except IntegrityError:  # the same holder disputing twice at once: one hold
        again = my_hold(person.id, app.id)
        if again is None:  # pragma: no cover - the constraint names exactly this row
            raise
        return again, False
    audit.record(
        "alert.dispute",
        object_type="application",
        object_id=app.id,
        detail={"hold_id": hold.id, "alert_id": alert.id, "status": app.status},
    )
    _tell_filer(app, "application.under_review", True)
    return hold, True


def my_hold(person_id: int, application_id: int | None) -> ApplicationHold | None:
    if application_id is None:
        return None
    return db.session.execute(
        select(ApplicationHold).where(
            ApplicationHold.application_id == application_id,
            ApplicationHold.person_id == person_id,
        )
    ).scalar_one_or_none()


# --- staff ---------------------------------------------------------------------------------------
def holds_of(app_id: int) -> list[dict[str, Any]]:
    if db.session.get(Application, app_id) is None:
        raise Problem(404, "application_not_found", "未找到该申请")
    rows = db.session.execute(
        select(ApplicationHold)
        .where(ApplicationHold.application_id == app_id)
        .order_by(ApplicationHold.id)
    ).scalars()
    items = [hold_view(h, for_staff=True) for h in rows]
    audit.record("application.holds.view", object_type="application", object_id=app_id)
    return items


def clear(app_id: int, hold_id: int, reason: str, staff_id: int) -> ApplicationHold:
    hold = db.session.get(ApplicationHold, hold_id)
    if hold is None or hold.application_id != app_id:
        raise Problem(404, "hold_not_found", "未找到该申请的这项异议")
    if hold.cleared_at is not None:
        raise Problem(409, "hold_already_cleared", "该异议已经核查解除")
    hold.cleared_at = utcnow()
    hold.cleared_by_staff_id = staff_id
    hold.clear_reason = reason.strip()
    db.session.flush()
    audit.record(
        "application.hold.clear",
        object_type="application",
        object_id=app_id,
        reason=hold.clear_reason,
        detail={"hold_id": hold.id},
    )
    app = db.session.get(Application, app_id)
    if app is not None and not open_hold_exists(app_id):
        _tell_filer(app, "application.review_cleared", False)
    return hold


# --- the filer -----------------------------------------------------------------------------------
def _tell_filer(app: Application, event_type: str, under_review: bool) -> None:
    """A webhook to the filing partner (through the webhook outbox), naming nobody."""
    if app.partner_id is None:
        return  # filed at the window: staff see it first in their list
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.partner_id == app.partner_id, WebhookEndpoint.active.is_(True)
        )
    ).scalar_one_or_none()
    if endpoint is None:
        return
    when = utcnow()
    payload = {
        "type": event_type,
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": app.id,
            "number": app.number,
            "kind": app.kind,
            "status": app.status,
            "under_review": under_review,
            "note": UNDER_REVIEW_NOTE if under_review else "核查完毕，申请继续办理。",
        },
    }
    db.session.add(
        WebhookDelivery(
            endpoint_id=endpoint.id,
            message_id="msg_" + secrets.token_urlsafe(18),
            event_type=event_type,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            created_at=when,
            next_attempt_at=when,
        )
    )
