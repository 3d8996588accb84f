"""Writing audit events. Callers pass ids, never personal data."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from ..database import db
from ..models import AuditEvent


def record(
    action: str,
    *,
    result: str = "ok",
    actor_kind: str | None = None,
    actor_id: str | int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current unit of work (committed with it).

    Actor and client address come from the request when not given explicitly.
    """
    client_hash = request_id = None
    if has_request_context():
        from ..netutil import client_hash as _client_hash

        client_hash = _client_hash()
        request_id = g.get("request_id")
        if actor_kind is None:
            actor_kind, actor_id = g.get("actor", ("public", None))
    event = AuditEvent(
        action=action,
        result=result,
        actor_kind=actor_kind or "system",
        actor_id=None if actor_id is None else str(actor_id),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        client_hash=client_hash,
        request_id=request_id,
        reason=reason,
        detail=detail,
    )
    db.session.add(event)
    return event
