"""交房即交证: projects, purchased units' cases, stage events, blockers, subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .base import UTCDateTime, utcnow
from .people import Person
from .registry import Certificate, RealEstateUnit


class HousingProject(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    developer: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200))
    # Highest project-level stage reached (code from domain.stages.PROJECT_STAGES) or None.
    stage: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    planned_handover_on: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[ProjectStageEvent]] = relationship(
        back_populates="project", order_by="ProjectStageEvent.id"
    )
    cases: Mapped[list[HandoverCase]] = relationship(back_populates="project")

    __mapper_args__ = {"version_id_col": version}


class ProjectStageEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("housing_project.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))

    project: Mapped[HousingProject] = relationship(back_populates="events")


class HandoverCase(db.Model):
    """One purchased unit's path from contract filing to 交房即交证."""

    __table_args__ = (Index("ix_handover_case_project_stage", "project_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("housing_project.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("real_estate_unit.id"), unique=True)
    contract_number: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    co_buyer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    has_loan: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[str] = mapped_column(String(40))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    project: Mapped[HousingProject] = relationship(back_populates="cases")
    unit: Mapped[RealEstateUnit] = relationship()
    buyer: Mapped[Person] = relationship(foreign_keys=[buyer_id])
    co_buyer: Mapped[Person | None] = relationship(foreign_keys=[co_buyer_id])
    certificate: Mapped[Certificate | None] = relationship()
    events: Mapped[list[HandoverStageEvent]] = relationship(
        back_populates="case", order_by="HandoverStageEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}


class HandoverStageEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("handover_case.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[HandoverCase] = relationship(back_populates="events")


class HandoverBlocker(db.Model):
    """Something holding a project or one case back (unpaid land premium, seizure, ...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("housing_project.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("handover_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    authority: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)


class HandoverSubscription(db.Model):
    __table_args__ = (UniqueConstraint("case_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("handover_case.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("wechat_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationOutbox(db.Model):
    """Messages written in the same transaction as the change they announce."""

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    msgid: Mapped[str | None] = mapped_column(String(40))
