"""Registration applications (办件, 一窗办事): parties, timeline, materials, idempotency,
webhooks and the admin-maintained working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .base import UTCDateTime, utcnow
from .registry import RealEstateUnit

APPLICATION_KINDS = ("transfer", "mortgage", "mortgage_release")
APPLICATION_CHANNELS = ("window", "partner", "citizen")
APPLICATION_STATUSES = (
    "awaiting_confirmation",
    "submitted",
    "accepted",
    "reviewed",
    "registered",
    "certified",
    "completed",
    "correction_requested",
    "rejected",
    "declined",
    "withdrawn",
)
PARTY_ROLES = ("obligor", "obligee")
MATERIAL_KINDS = (
    "id_document",
    "contract",
    "tax_receipt",
    "loan_contract",
    "mortgage_contract",
    "power_of_attorney",
    "other",
)


class Application(db.Model):
    """One registration case (办件) from filing to completion."""

    __table_args__ = (
        Index("ix_application_status_kind", "status", "kind"),
        Index("ix_application_filed_at", "filed_at"),
        Index("ix_application_partner", "partner_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # 申请编号
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    filed_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("real_estate_unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    # "{unit_id}:{kind}[:{encumbrance_id}]" while the application is open, NULL once it ends:
    # the unique constraint makes "one open process per unit and kind" hold under races.
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    contract_number: Mapped[str | None] = mapped_column(String(40))
    loan_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    term_months: Mapped[int | None] = mapped_column()
    encumbrance_id: Mapped[int | None] = mapped_column(ForeignKey("encumbrance.id"))
    handover_case_id: Mapped[int | None] = mapped_column(ForeignKey("handover_case.id"))
    utilities: Mapped[list | None] = mapped_column(JSON)
    acceptance_number: Mapped[str | None] = mapped_column(String(24), unique=True)  # 受理编号
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_date: Mapped[date | None] = mapped_column(Date)
    time_limit_days: Mapped[int | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)  # last correction/reject/decline reason
    # 补正: the status to return to on resubmission, and when the clock stopped.
    correction_from: Mapped[str | None] = mapped_column(String(24))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contract_filing_ref: Mapped[str | None] = mapped_column(String(60))
    contract_filing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tax_receipt: Mapped[str | None] = mapped_column(String(60))
    tax_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Results of registering: the new right's certificate, or the bank's 登记证明.
    result_certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    result_encumbrance_id: Mapped[int | None] = mapped_column(ForeignKey("encumbrance.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[RealEstateUnit] = relationship()
    parties: Mapped[list[ApplicationParty]] = relationship(
        back_populates="application",
        order_by="ApplicationParty.position",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ApplicationParty(db.Model):
    """An obligor (义务人) or obligee (权利人) named in the application; confirms in WeChat."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(64))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    share: Mapped[str | None] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="parties")


class ApplicationEvent(db.Model):
    """The timeline: every status change and track completion."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(24))  # a status, or track:contract_filing …
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="events")


class ApplicationMaterial(db.Model):
    """An uploaded material (PDF/JPEG/PNG by content); never served publicly."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(db.Model):
    """`Idempotency-Key` of a partner POST: the request's hash and the first answer, 24 h."""

    __table_args__ = (UniqueConstraint("partner_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column()  # NULL while the first is in flight
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookEndpoint(db.Model):
    """A partner's webhook receiver (one per partner)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(80))  # whsec_… (needed to sign)
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """One event for one endpoint, written with the change it announces (an outbox row)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class WorkingDayOverride(db.Model):
    """The State Council's published schedule, kept by an admin: overrides the package."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(60))


class ApplicationDailyStat(db.Model):
    """Rollup for the report's figures: per China filing day, kind and channel, how many were
    filed, how many of those are completed and how many completed on time. Maintained in the
    same transaction as filing and completion (``applications.rollup``); rebuilt by
    ``flask applications-rollup``."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    filed: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
