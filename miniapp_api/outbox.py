"""The transactional outbox and its sender (``flask send-notifications``), for every channel.

Features write rows to ``NotificationOutbox`` in the same unit of work as the change they
announce (:func:`add`; handover/notifications.py builds the 交房即交证 messages), so a change
and its messages commit or roll back together. One row per (change, recipient), keyed by a
unique ``dedupe_key``.

Delivery (:func:`deliver_pending`): at most once. Each row goes through

    pending ──claim (committed: claimed_until = lease, attempts + 1)──▶ in flight
    in flight ──WeChat ok──▶ sent (msgid)            ──retryable error──▶ pending (backoff)
              ──non-retryable / too many attempts──▶ failed
    in flight, lease expired, no outcome ──recovery──▶ failed "outcome unknown" (staff review)

The claim is the committed record that an attempt is starting; it happens right before the
call to WeChat. WeChat has no idempotency key, so a row whose attempt started but whose outcome
was never recorded (the sender crashed between sending and marking) may or may not have been
delivered: it is never sent again automatically. Staff see it in the review list and may
requeue it by hand. See docs/handover.md ("Notifications").

The sender is a worker, not a request: it commits each step itself.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from . import unit_of_work
from .database import db
from .domain import audit
from .errors import Problem
from .models import (
    NotificationOutbox,
)
from .wechat import WeChatError
from .wechat_service import wechat_client

log = logging.getLogger(__name__)

UNKNOWN_PREFIX = "outcome_unknown"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def add(key: str, openid: str, template_id: str, url: str | None, data: dict[str, str]) -> None:
    """Queue one message in the current unit of work."""
    db.session.add(
        NotificationOutbox(
            dedupe_key=key[:120],
            openid=openid,
            template_id=template_id,
            url=url,
            data=data,
            next_attempt_at=_utcnow(),
        )
    )


# --- delivery ----------------------------------------------------------------------------------
@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "unknown": self.unknown,
        }


@dataclass(frozen=True)
class DeliveryPolicy:
    lease_seconds: int = 60
    max_attempts: int = 5
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    batch: int = 100

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> DeliveryPolicy:
        """From app config, else the environment (NOTIFY_LEASE_SECONDS, NOTIFY_MAX_ATTEMPTS,
        NOTIFY_BACKOFF_BASE, NOTIFY_BACKOFF_CAP), else the defaults."""

        def setting(name: str, default: float) -> float:
            value = config.get(name) or os.environ.get(name)
            return float(value) if value not in (None, "") else default

        values: dict[str, Any] = {
            "lease_seconds": int(setting("NOTIFY_LEASE_SECONDS", 60)),
            "max_attempts": int(setting("NOTIFY_MAX_ATTEMPTS", 5)),
            "backoff_base": setting("NOTIFY_BACKOFF_BASE", 30.0),
            "backoff_cap": setting("NOTIFY_BACKOFF_CAP", 3600.0),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)))


def _open_condition() -> list[object]:
    return [NotificationOutbox.sent_at.is_(None), NotificationOutbox.failed_at.is_(None)]


def recover_abandoned(now: datetime) -> int:
    """Rows whose attempt started but whose lease ran out without an outcome → failed/unknown.

    Such a row may have reached WeChat (the sender stopped between sending and marking), so it is
    never resent automatically: staff review it.
    """
    result = db.session.execute(
        update(NotificationOutbox)
        .where(
            *_open_condition(),
            NotificationOutbox.claimed_until.is_not(None),
            NotificationOutbox.claimed_until < now,
        )
        .values(
            failed_at=now,
            claimed_until=None,
            last_error=f"{UNKNOWN_PREFIX}: 发送过程中断，无法确认是否已送达，需人工核实",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    count = result.rowcount or 0
    if count:
        log.warning("outbox: %s message(s) with unknown outcome set aside for review", count)
    return count


def claim(row_id: int, now: datetime, policy: DeliveryPolicy) -> datetime | None:
    """Atomically take one due row; commits the start of the attempt. Returns the lease or None.

    Only rows that were never claimed or whose previous attempt ended (claimed_until NULL) can
    be taken; an expired lease is *not* reclaimable (see recover_abandoned).
    """
    lease = now + timedelta(seconds=policy.lease_seconds)
    result = db.session.execute(
        update(NotificationOutbox)
        .where(
            NotificationOutbox.id == row_id,
            *_open_condition(),
            NotificationOutbox.claimed_until.is_(None),
            NotificationOutbox.next_attempt_at <= now,
        )
        .values(
            claimed_until=lease,
            attempts=NotificationOutbox.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return lease if result.rowcount == 1 else None


def mark_sent(row_id: int, msgid: int, now: datetime) -> None:
    # A delivery confirmation is always true: record it even if recovery already gave up.
    db.session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row_id, NotificationOutbox.sent_at.is_(None))
        .values(sent_at=now, msgid=str(msgid), claimed_until=None, failed_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _mark_outcome(row_id: int, lease: datetime, **values: object) -> bool:
    result = db.session.execute(
        update(NotificationOutbox)
        .where(
            NotificationOutbox.id == row_id,
            NotificationOutbox.claimed_until == lease,
            *_open_condition(),
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.execute(
            select(NotificationOutbox.id)
            .where(
                *_open_condition(),
                NotificationOutbox.claimed_until.is_(None),
                NotificationOutbox.next_attempt_at <= now,
            )
            .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
            .limit(limit)
        ).scalars()
    )


@dataclass(frozen=True)
class Message:
    """What one attempt sends, read from the outbox row once it is claimed."""

    id: int
    openid: str
    template_id: str
    url: str | None
    data: dict[str, str]
    attempts: int


def send_with_wechat(message: Message) -> int:
    return wechat_client().send_template_message(
        message.openid, message.template_id, message.data, url=message.url
    )


def _load(row_id: int) -> Message | None:
    row = db.session.get(NotificationOutbox, row_id, populate_existing=True)
    if row is None:  # pragma: no cover - rows are never deleted
        return None
    message = Message(
        id=row.id,
        openid=row.openid,
        template_id=row.template_id,
        url=row.url,
        data={key: str(value) for key, value in (row.data or {}).items()},
        attempts=row.attempts,
    )
    db.session.commit()  # end the read transaction before talking to WeChat
    return message


def deliver_pending(
    policy: DeliveryPolicy | None = None,
    clock: Clock = _utcnow,
    send: Callable[[Message], int] = send_with_wechat,
) -> DeliveryResult:
    """Deliver up to `policy.batch` due messages once each. Safe to run in several processes."""
    policy = policy or DeliveryPolicy.from_config(current_app.config)
    result = DeliveryResult()
    result.unknown = recover_abandoned(clock())
    for row_id in _due_ids(clock(), policy.batch):
        lease = claim(row_id, clock(), policy)
        if lease is None:
            continue  # another sender took it
        message = _load(row_id)
        if message is None:  # pragma: no cover
            continue
        try:
            msgid = send(message)
        except WeChatError as exc:
            now = clock()
            error = f"{exc.code} errcode={exc.errcode}"[:300]
            if exc.retryable and message.attempts < policy.max_attempts:
                _mark_outcome(
                    row_id,
                    lease,
                    next_attempt_at=now + policy.backoff(message.attempts),
                    last_error=error,
                )
                result.retried += 1
                log.info("outbox %s: retryable WeChat error, attempt %s", row_id, message.attempts)
            else:
                _mark_outcome(row_id, lease, failed_at=now, last_error=error)
                result.failed += 1
                log.warning("outbox %s: delivery failed (%s)", row_id, exc.code)
            continue
        mark_sent(row_id, msgid, clock())
        result.sent += 1
        result.ids.append(row_id)
    return result


def run_loop(
    interval: float,
    policy: DeliveryPolicy | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deliver forever, sleeping `interval` seconds whenever the outbox has nothing due."""
    while not should_stop():
        try:
            outcome = deliver_pending(policy)
        except Exception:  # keep the loop alive across database hiccups
            log.exception("outbox: delivery round failed")
            db.session.rollback()
            outcome = DeliveryResult()
        finally:
            db.session.remove()
        if not (outcome.sent or outcome.retried or outcome.failed):
            waited = 0.0
            while waited < interval and not should_stop():
                step = min(0.5, interval - waited)
                sleep(step)
                waited += step


def drain(
    policy: DeliveryPolicy | None = None,
    clock: Clock = _utcnow,
    send: Callable[[Message], int] = send_with_wechat,
) -> DeliveryResult:
    """Deliver every message that is due now (`--once`). Retries due later are left queued."""
    total = DeliveryResult()
    while True:
        outcome = deliver_pending(policy, clock, send)
        total.sent += outcome.sent
        total.retried += outcome.retried
        total.failed += outcome.failed
        total.unknown += outcome.unknown
        total.ids += outcome.ids
        if not (outcome.sent or outcome.retried or outcome.failed):
            return total


def _state(row: NotificationOutbox) -> str:
    if row.sent_at is not None:
        return "sent"
    if row.failed_at is not None:
        return "unknown" if (row.last_error or "").startswith(UNKNOWN_PREFIX) else "failed"
    if row.claimed_until is not None:
        return "in_flight"
    return "pending"


def outbox_view(row: NotificationOutbox) -> dict[str, object]:
    return {
        "id": row.id,
        "dedupe_key": row.dedupe_key,
        "state": _state(row),
        "attempts": row.attempts,
        "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at,
        "sent_at": row.sent_at,
        "failed_at": row.failed_at,
        "last_error": row.last_error,
        "msgid": row.msgid,
    }


def list_outbox(state: str, page: int, per_page: int) -> dict[str, object]:
    unknown = NotificationOutbox.last_error.startswith(UNKNOWN_PREFIX)
    conditions: list[object]
    if state == "sent":
        conditions = [NotificationOutbox.sent_at.is_not(None)]
    elif state == "pending":
        conditions = [*_open_condition()]
    else:
        conditions = [
            NotificationOutbox.sent_at.is_(None),
            NotificationOutbox.failed_at.is_not(None),
        ]
        if state == "unknown":
            conditions.append(unknown)
        elif state == "failed":
            conditions.append(or_(NotificationOutbox.last_error.is_(None), ~unknown))
    total = db.session.execute(
        select(func.count(NotificationOutbox.id)).where(*conditions)
    ).scalar_one()
    rows = db.session.execute(
        select(NotificationOutbox)
        .where(*conditions)
        .order_by(NotificationOutbox.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "items": [outbox_view(row) for row in rows],
    }


def requeue_by_staff(row_id: int) -> dict[str, object]:
    """An admin's decision to send a failed or unknown message again (accepting that an unknown
    one may then arrive twice)."""
    row = db.session.get(NotificationOutbox, row_id)
    if row is None:
        raise Problem(404, "notification_not_found", "未找到该通知")
    if row.failed_at is None or row.sent_at is not None:
        raise Problem(409, "notification_not_failed", "只有发送失败或结果未知的通知可以重新发送")
    before = {"state": _state(row), "attempts": row.attempts}
    row.failed_at = None
    row.claimed_until = None
    row.last_error = None
    row.attempts = 0
    row.next_attempt_at = _utcnow()
    audit.record(
        "handover.notification.requeue",
        object_type="notification_outbox",
        object_id=row.id,
        detail={"before": before, "after": {"state": "pending", "attempts": 0}},
    )
    unit_of_work.done()
    return outbox_view(row)
