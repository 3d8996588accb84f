"""Partner webhooks: `application.status_changed` signed per the Standard Webhooks spec.

Deliveries are outbox rows (``WebhookDelivery``) written with the status change; the sender
(``flask --app wsgi send-webhooks``) claims each due row, signs it with the endpoint's
``whsec_`` secret (``standardwebhooks``), POSTs it, and records the outcome:

    2xx → delivered · 410 → endpoint disabled, row failed · other/timeout → retry with
    backoff (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h ≈ 3 days) → failed.

In production the URL must be HTTPS and its host must resolve only to public addresses,
checked when the URL is set and again right before every delivery (DNS rebinding).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from ..database import db
from ..domain import audit
from ..errors import Problem
from ..models import Partner, WebhookDelivery, WebhookEndpoint
from . import events

log = logging.getLogger(__name__)

BACKOFF = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 72000)  # seconds, ≈ 3 days
LEASE = timedelta(seconds=60)
TIMEOUT = 10.0

Resolver = Callable[[str], list[str]]


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (
            isinstance(ip, ipaddress.IPv6Address)
            and ip.ipv4_mapped is not None
            and not _is_public(str(ip.ipv4_mapped))
        )
    )


def check_url(url: str, *, production: bool, resolve: Resolver = _resolve) -> None:
    """Raise a 422 problem when the URL may not receive webhooks."""
    bad = Problem(422, "webhook_url_not_allowed", "Webhook 地址不可用：须为公网可访问的 HTTPS 地址")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise bad from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise bad
    if not production:
        return
    if parts.scheme != "https":
        raise bad
    try:
        addresses = resolve(parts.hostname)
    except (OSError, UnicodeError):
        raise bad from None
    if not addresses or not all(_is_public(a) for a in addresses):
        raise bad


def _production() -> bool:
    return current_app.config.get("APP_ENV") == "production"


def set_endpoint(partner: Partner, url: str) -> dict[str, Any]:
    """Create or replace the partner's endpoint; a new secret is answered once."""
    check_url(url, production=_production())
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.partner_id == partner.id)
    ).scalar_one_or_none()
    if endpoint is None:
        endpoint = WebhookEndpoint(partner_id=partner.id, url=url, secret=secret)
        db.session.add(endpoint)
    else:
        endpoint.url, endpoint.secret = url, secret
        endpoint.active, endpoint.disabled_reason = True, None
    db.session.flush()
    audit.record("partner.webhook.set", object_type="webhook_endpoint", object_id=endpoint.id)
    return {"url": url, "active": True, "secret": secret}


def _state(d: WebhookDelivery) -> str:
    if d.delivered_at is not None:
        return "delivered"
    if d.failed_at is not None:
        return "failed"
    return "in_flight" if d.claimed_until is not None else "pending"


def deliveries(partner: Partner) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.partner_id == partner.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(100)
    ).scalars()
    return [
        {
            "id": d.id,
            "message_id": d.message_id,
            "event_type": d.event_type,
            "state": _state(d),
            "attempts": d.attempts,
            "last_status": d.last_status,
            "last_error": d.last_error,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at,
            "delivered_at": d.delivered_at,
        }
        for d in rows
    ]


# --- sending -------------------------------------------------------------------------------------
def signed_headers(secret: str, message_id: str, when: datetime, payload: str) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, when, payload)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def _post(url: str, headers: dict[str, str], payload: str) -> int:
    response = requests.post(
        url, data=payload.encode(), headers=headers, timeout=TIMEOUT, allow_redirects=False
    )
    response.close()
    return response.status_code


def deliver_due(
    now: Callable[[], datetime] = events.now_utc,
    post: Callable[[str, dict[str, str], str], int] = _post,
    resolve: Resolver = _resolve,
    batch: int = 100,
) -> dict[str, int]:
    """Send every due delivery once; returns counts. Safe in several processes."""
    counts = {"delivered": 0, "retried": 0, "failed": 0}
    ids = list(
        db.session.execute(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.failed_at.is_(None),
                WebhookDelivery.next_attempt_at <= now(),
                (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now()),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
        ).scalars()
    )
    db.session.commit()
    for row_id in ids:
        claimed = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == row_id,
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.failed_at.is_(None),
                (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now()),
            )
            .values(claimed_until=now() + LEASE, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount != 1:
            continue
        delivery = db.session.get(WebhookDelivery, row_id, populate_existing=True)
        endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:  # pragma: no cover
            continue
        outcome = _attempt(delivery, endpoint, now(), post, resolve)
        counts[outcome] += 1
        db.session.commit()
    return counts


def _attempt(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    when: datetime,
    post: Callable[[str, dict[str, str], str], int],
    resolve: Resolver,
) -> str:
    delivery.claimed_until = None
    if not endpoint.active:
        delivery.failed_at, delivery.last_error = when, "endpoint disabled"
        return "failed"
    status: int | None = None
    error: str | None = None
    try:
        check_url(endpoint.url, production=_production(), resolve=resolve)
        status = post(
            endpoint.url,
            signed_headers(endpoint.secret, delivery.message_id, when, delivery.payload),
            delivery.payload,
        )
    except Problem:
        error = "url_not_allowed_at_delivery"
    except requests.RequestException as exc:
        error = type(exc).__name__
    delivery.last_status = status
    delivery.last_error = error
    if status is not None and 200 <= status < 300:
        delivery.delivered_at = when
        return "delivered"
    if status == 410:
        endpoint.active = False
        endpoint.disabled_reason = "receiver answered 410 Gone"
        delivery.failed_at = when
        log.warning("webhook endpoint %s disabled after 410", endpoint.id)
        return "failed"
    if delivery.attempts > len(BACKOFF):
        delivery.failed_at = when
        return "failed"
    delivery.next_attempt_at = when + timedelta(seconds=BACKOFF[delivery.attempts - 1])
    return "retried"
