"""水电气联动过户: the utilities' tasks (a check at acceptance, the transfer at 登簿)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .applications import Application
from .base import UTCDateTime, utcnow

UTILITY_SERVICES = ("water", "power", "gas")
UTILITY_STEPS = ("check", "transfer")
# check: ok | arrears; transfer: completed | failed.
UTILITY_RESULTS = {"check": ("ok", "arrears"), "transfer": ("completed", "failed")}


class UtilityTask(db.Model):
    """One step for one utility service of one application; answered once by the utility."""

    __table_args__ = (
        # One live task per application, service and step (a cancelled one frees the slot).
        UniqueConstraint("live_key", name="uq_utility_task_live_key"),
        Index("ix_utility_task_service_status", "service", "status", "id"),
        Index("ix_utility_task_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(String(8))
    step: Mapped[str] = mapped_column(String(10))
    # pending → answered; or cancelled (service dropped, application withdrawn/rejected).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # "{application_id}:{service}:{step}" while not cancelled, NULL once cancelled.
    live_key: Mapped[str | None] = mapped_column(String(40))
    old_account_number: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date] = mapped_column(Date)  # 2 working days after creation (China date)
    result: Mapped[str | None] = mapped_column(String(10))
    amount_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    new_account_number: Mapped[str | None] = mapped_column(String(30))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)

    application: Mapped[Application] = relationship()


class UtilityDailyStat(db.Model):
    """Rollup for ``utility_transfers.requested``: per China filing day of the application and
    service, how many transfers opted in (maintained with filing and choice changes, rebuilt
    by ``flask utilities-rollup``), so the figures never scan the applications."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service: Mapped[str] = mapped_column(String(8), primary_key=True)
    requested: Mapped[int] = mapped_column(default=0)
