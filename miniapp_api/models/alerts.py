"""产权变动提醒: alerts to registered holders, their per-unit settings, and the holds that a
"这不是我办的" dispute puts on an application (miniapp_api/alerts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db
from .base import UTCDateTime, utcnow

ALERT_KINDS = (
    "application_filed",
    "application_accepted",
    "application_registered",
    "encumbrance_added",
    "encumbrance_released",
    "certificate_cancelled",
    "certificate_superseded",
    "monthly_digest",
)


class Alert(db.Model):
    """One alert for one holder (the reader); never carries anyone else's name or ID."""

    __table_args__ = (
        # The same event never alerts the same person twice.
        UniqueConstraint("person_id", "event_key"),
        Index("ix_alert_person_id", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("real_estate_unit.id"))
    kind: Mapped[str] = mapped_column(String(24))
    event_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # Kind-specific, already masked: application number/kind/filer/parties, encumbrance
    # kind/holder, certificate number, digest counts.
    detail: Mapped[dict] = mapped_column(JSON)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertSetting(db.Model):
    """A holder's switch for one unit; no row means subscribed (the default)."""

    __table_args__ = (UniqueConstraint("person_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("real_estate_unit.id"))
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApplicationHold(db.Model):
    """A holder's dispute of an application: it cannot be registered until an admin clears
    the hold with a reason."""

    __table_args__ = (UniqueConstraint("application_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    clear_reason: Mapped[str | None] = mapped_column(Text)
