"""Status changes of an application: timeline event, audit record, WeChat messages and the
partner's webhook — all added to the current session, so they commit with the change."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..clock import CHINA_TZ, china_today, utcnow
from ..database import db
from ..domain import audit
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from ..models import (
    Application,
    ApplicationEvent,
    ApplicationParty,
    NotificationOutbox,
    Person,
    WebhookDelivery,
    WebhookEndpoint,
    WechatAccount,
)
from . import hooks, rollup

PAGE_PATH = "/app/applications.html"
OPEN_STATUSES = (
    "awaiting_confirmation",
    "submitted",
    "accepted",
    "reviewed",
    "registered",
    "certified",
    "correction_requested",
)
CLOSED_STATUSES = ("completed", "rejected", "declined", "withdrawn")


def now_utc() -> datetime:
    return utcnow()


def china_date(value: datetime) -> date:
    return china_today(value)


def change_status(
    app: Application,
    status: str,
    *,
    actor: str,
    note: str | None = None,
    when: datetime | None = None,
    audit_action: str | None = None,
    filed: bool = False,
) -> None:
    """Move ``app`` to ``status`` and write what goes with it (no commit). ``filed``: the
    application is new (its first status; there is no previous one)."""
    when = when or now_utc()
    before = None if filed else app.status
    app.status = status
    app.updated_at = when
    if status in CLOSED_STATUSES:
        app.open_key = None
        if status == "completed":
            app.completed_at = when
    if filed:
        rollup.on_filed(app)
    elif status == "completed":
        rollup.on_completed(app)
    db.session.add(
        ApplicationEvent(application=app, action=status, at=when, actor=actor, note=note)
    )
    db.session.flush()
    audit.record(
        audit_action or f"application.{status}",
        object_type="application",
        object_id=app.id,
        reason=note,
        detail={"before": before, "after": status, "kind": app.kind, "version": app.version},
    )
    enqueue_webhook(app, before, when)
    hooks.emit("filed" if filed else status, app, before)


def add_track_event(app: Application, track: str, actor: str, reference: str) -> None:
    when = now_utc()
    db.session.add(
        ApplicationEvent(
            application=app, action=f"track:{track}", at=when, actor=actor, note=reference
        )
    )
    audit.record(
        f"application.track.{track}",
        object_type="application",
        object_id=app.id,
        detail={"kind": app.kind},
    )


# --- WeChat messages ---------------------------------------------------------------------------
def _accounts_for(party: ApplicationParty) -> list[WechatAccount]:
    return list(
        db.session.execute(
            select(WechatAccount)
            .join(Person, Person.id == WechatAccount.person_id)
            .where(Person.id_number_hash == party.id_number_hash)
        ).scalars()
    )


def enqueue_confirmation_requests(app: Application) -> int:
    """A WeChat message to each party with a bound account: please confirm."""
    count = 0
    template = current_app.config.get("WECHAT_TEMPLATE_APPLICATION") or current_app.config.get(
        "WECHAT_TEMPLATE_HANDOVER", "application-progress"
    )
    for party in app.parties:
        for account in _accounts_for(party):
            db.session.add(
                NotificationOutbox(
                    dedupe_key=f"application:{app.id}:confirm:p{party.id}:a{account.id}"[:120],
                    openid=account.openid,
                    template_id=template,
                    url=f"{current_app.config['PUBLIC_BASE_URL']}{PAGE_PATH}?id={app.id}",
                    data={
                        "first": "您有一件不动产登记申请需要确认",
                        "keyword1": KIND_LABELS[app.kind],
                        "keyword2": app.number,
                        "keyword3": app.filed_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                        "remark": "请在“我的办件”中核对并确认；如非本人办理，请选择“不同意”。",
                    },
                    next_attempt_at=now_utc(),
                )
            )
            count += 1
    return count


# --- webhooks ------------------------------------------------------------------------------------
def webhook_payload(app: Application, previous: str | None, when: datetime) -> dict[str, Any]:
    return {
        "type": "application.status_changed",
        "timestamp": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "id": app.id,
            "number": app.number,
            "kind": app.kind,
            "status": app.status,
            "status_label": STATUS_LABELS[app.status],
            "previous_status": previous,
            "acceptance_number": app.acceptance_number,
            "promised_date": app.promised_date.isoformat() if app.promised_date else None,
            "reason": app.reason if app.status in ("correction_requested", "rejected") else None,
        },
    }


def enqueue_webhook(
    app: Application, previous: str | None, when: datetime
) -> WebhookDelivery | None:
    """One delivery row for the filing partner's active endpoint (if it has one)."""
    if app.partner_id is None:
        return None
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.partner_id == app.partner_id, WebhookEndpoint.active.is_(True)
        )
    ).scalar_one_or_none()
    if endpoint is None:
        return None
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id="msg_" + secrets.token_urlsafe(18),
        event_type="application.status_changed",
        payload=json.dumps(
            webhook_payload(app, previous, when), ensure_ascii=False, separators=(",", ":")
        ),
        created_at=when,
        next_attempt_at=when,
    )
    db.session.add(delivery)
    return delivery
