"""Writing audit events. Callers pass ids, never personal data.

Two writers of the same row: :func:`record` adds an event to the current unit of work (the
request edge commits it), :func:`record_check` inserts a verification check's event straight
on the check's own connection (the hot path; see verification/service.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from flask import g, has_request_context
from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Connection

from .. import unit_of_work
from ..clock import utcnow
from ..database import db
from ..errors import Problem
from ..models import AuditEvent
from ..netutil import client_hash
from .rawsql import RawStatement

# Who did it: (actor kind, actor id); kinds: citizen | staff | partner | public | system.
Actor = tuple[str, str | int | None]
PUBLIC: Actor = ("public", None)
T = TypeVar("T")
SYSTEM: Actor = ("system", None)


def record(
    action: str,
    *,
    result: str = "ok",
    actor: Actor | None = None,
    actor_kind: str | None = None,
    actor_id: str | int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current unit of work (committed with it).

    The actor is given as ``actor`` (or ``actor_kind`` and ``actor_id``); when neither is
    given, it is whoever the request edge authenticated (``g.actor``, set by the guards in
    auth/guards.py), else ``system``. The client address enters only as a keyed hash.
    """
    client = request_id = None
    if actor is not None:
        actor_kind, actor_id = actor
    if has_request_context():
        client = client_hash()
        request_id = g.get("request_id")
        if actor_kind is None:
            actor_kind, actor_id = g.get("actor", PUBLIC)
    event = AuditEvent(
        action=action,
        result=result,
        actor_kind=actor_kind or "system",
        actor_id=None if actor_id is None else str(actor_id),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        client_hash=client,
        request_id=request_id,
        reason=reason,
        detail=detail,
    )
    db.session.add(event)
    return event


def listed(rows: list[T], action: str, *, object_type: str, object_id: str | int) -> list[T]:
    """Audit a listing (how many rows, never what) and hand the rows back."""
    record(action, object_type=object_type, object_id=object_id, detail={"count": len(rows)})
    return rows


def refuse(problem: Problem, action: str, *, result: str = "refused", **fields: Any) -> Problem:
    """Audit a refused action and hand back the problem to raise. The request edge keeps what
    this request recorded (the refusal among it) although it answers with the problem."""
    record(action, result=result, **fields)
    unit_of_work.keep_on_problem()
    return problem


_CHECK_COLUMNS = (
    "at",
    "action",
    "result",
    "actor_kind",
    "actor_id",
    "object_type",
    "object_id",
    "client_hash",
    "request_id",
    "reason",
    "detail",
)
_CHECK_INSERT = RawStatement(
    insert(AuditEvent.__table__).values({name: bindparam(name) for name in _CHECK_COLUMNS})
)


def record_check(
    conn: Connection,
    *,
    channel: str,
    verdict: str,
    reason: str,
    kind: str | None,
    document_id: str | None,
    actor: Actor = PUBLIC,
    at: datetime | None = None,
) -> None:
    """One audit event per verification check: verdict, document id, channel; the client
    address only as a keyed hash, nothing about the person checking.

    The same row :func:`record` writes, as a single Core insert on ``conn`` (the check's
    autocommit connection; see ``check_engine`` for the durability trade-off on PostgreSQL).
    """
    request_id = client = None
    if has_request_context():
        request_id = g.get("request_id")
        client = client_hash()
    actor_kind, actor_id = actor
    _CHECK_INSERT.run(
        conn,
        {
            "at": at or utcnow(),
            "action": "verification.check",
            "result": verdict,
            "actor_kind": actor_kind or "public",
            "actor_id": None if actor_id is None else str(actor_id),
            "object_type": "issued_document" if document_id else None,
            "object_id": document_id,
            "client_hash": client,
            "request_id": request_id,
            "reason": None,
            "detail": {"channel": channel, "reason": reason, "kind": kind},
        },
    )
