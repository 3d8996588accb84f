"""Audit log and the database backend of the shared key-value store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db
from .base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Append-only record of who did what, when, with what result (等保: kept ≥ 6 months)."""

    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_actor", "actor_kind", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(
        String(16)
    )  # citizen | staff | partner | public | system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(32))
    client_hash: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)


@event.listens_for(AuditEvent, "before_update")
def _audit_is_append_only_update(mapper, connection, target):  # type: ignore[no-untyped-def]
    raise RuntimeError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only_delete(mapper, connection, target):  # type: ignore[no-untyped-def]
    raise RuntimeError("audit events are append-only")


class KeyValueEntry(db.Model):
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
