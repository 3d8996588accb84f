"""Notifications needing a person: WeChat messages whose send failed or whose outcome is
unknown (resend or drop, admins), partner webhooks that gave up, and overdue utility tasks
(``utilities.overdue.list_for_staff``, behind ``GET /staff/utility-tasks?overdue=true``)."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from sqlalchemy import or_, select

from .. import outbox
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..labels import UTILITY_SERVICE_NAMES
from ..models import NotificationOutbox, Partner, WebhookDelivery, WebhookEndpoint, utcnow
from ..utilities import overdue
from . import bp
from .auth import admin_required
from .forms import act

DROPPED = "dropped_by_staff"
PER_PAGE = 50


def _notifications_screen() -> str:
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    rows = db.session.execute(
        select(NotificationOutbox)
        .where(
            NotificationOutbox.sent_at.is_(None),
            NotificationOutbox.failed_at.is_not(None),
            or_(
                NotificationOutbox.last_error.is_(None),
                ~NotificationOutbox.last_error.startswith(DROPPED),
            ),
        )
        .order_by(NotificationOutbox.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).scalars()
    messages = [{**outbox.outbox_view(r), "template_id": r.template_id} for r in rows]
    hooks = db.session.execute(
        select(WebhookDelivery, WebhookEndpoint.url, Partner.name)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Partner, Partner.id == WebhookEndpoint.partner_id)
        .where(WebhookDelivery.failed_at.is_not(None), WebhookDelivery.delivered_at.is_(None))
        .order_by(WebhookDelivery.id.desc())
        .limit(PER_PAGE)
    ).all()
    late = overdue.list_for_staff(
        status="pending", step=None, service=None, overdue=True, page=1, per_page=PER_PAGE
    )
    return render_template(
        "console/notifications.html",
        messages=messages,
        webhooks=[{"d": d, "url": url, "partner": name} for d, url, name in hooks],
        utility_tasks=late["items"],
        utility_total=late["total"],
        service_names=UTILITY_SERVICE_NAMES,
        page=page,
    )


@bp.get("/notifications")
def notifications() -> str:
    return _notifications_screen()


@bp.post("/notifications/<int:message_id>/resend")
@admin_required
def resend(message_id: int) -> Response:
    return act(
        lambda: outbox.requeue_by_staff(message_id),
        "已重新排队发送（结果未知的通知可能重复送达）",
        url_for("console.notifications"),
    )


def _drop_screen(message_id: int) -> Response:
    def work() -> None:
        row = db.session.get(NotificationOutbox, message_id)
        if row is None:
            raise Problem(404, "notification_not_found", "未找到该通知")
        if row.failed_at is None or row.sent_at is not None:
            raise Problem(409, "notification_not_failed", "只有发送失败或结果未知的通知可以放弃")
        before = {"last_error": row.last_error, "attempts": row.attempts}
        row.last_error = f"{DROPPED}: {(row.last_error or '')}"[:300]
        row.failed_at = row.failed_at or utcnow()
        audit.record(
            "handover.notification.drop",
            object_type="notification_outbox",
            object_id=row.id,
            detail={"before": before},
        )

    return act(work, "已放弃该通知（不再发送）", url_for("console.notifications"))


@bp.post("/notifications/<int:message_id>/drop")
@admin_required
def drop(message_id: int) -> Response:
    return _drop_screen(message_id)
