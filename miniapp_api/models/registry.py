"""The register: units, rights with holders, certificates, encumbrances, e-licenses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .base import UTCDateTime, utcnow
from .people import Person

CERTIFICATE_KINDS = ("property", "registration")
CERTIFICATE_STATUSES = ("valid", "cancelled", "superseded")
ENCUMBRANCE_KINDS = ("mortgage", "seizure", "objection", "advance_notice")
CO_OWNERSHIP = ("sole", "joint", "shares")  # 单独所有 / 共同共有 / 按份共有


class RealEstateUnit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_number: Mapped[str] = mapped_column(String(28), unique=True)
    location: Mapped[str] = mapped_column(String(200))
    use: Mapped[str] = mapped_column(String(40))
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    right_type: Mapped[str] = mapped_column(String(60))
    right_nature: Mapped[str] = mapped_column(String(60))
    land_term: Mapped[str | None] = mapped_column(String(60))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("housing_project.id"), index=True)
    building: Mapped[str | None] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(20))

    rights: Mapped[list[PropertyRight]] = relationship(back_populates="unit")
    encumbrances: Mapped[list[Encumbrance]] = relationship(
        back_populates="unit", order_by="Encumbrance.started_at"
    )


class PropertyRight(db.Model):
    """A registered right on a unit; `current` is false once transferred or cancelled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("real_estate_unit.id"), index=True)
    co_ownership: Mapped[str] = mapped_column(String(10), default="sole")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[RealEstateUnit] = relationship(back_populates="rights")
    holders: Mapped[list[RightHolder]] = relationship(
        back_populates="right", order_by="RightHolder.position", cascade="all, delete-orphan"
    )
    certificates: Mapped[list[Certificate]] = relationship(back_populates="right")


class RightHolder(db.Model):
    __table_args__ = (UniqueConstraint("right_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("property_right.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    share: Mapped[str | None] = mapped_column(String(10))  # "1/2", "60%" for 按份共有
    position: Mapped[int] = mapped_column(default=0)

    right: Mapped[PropertyRight] = relationship(back_populates="holders")
    person: Mapped[Person] = relationship()


class Certificate(db.Model):
    __table_args__ = (Index("ix_certificate_right_status", "right_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # property | registration
    number: Mapped[str] = mapped_column(String(40), unique=True)
    print_serial: Mapped[str] = mapped_column(String(11), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="valid")
    right_id: Mapped[int] = mapped_column(ForeignKey("property_right.id"))
    # For a registration certificate (登记证明): the right it proves, e.g. a mortgage.
    encumbrance_id: Mapped[int | None] = mapped_column(ForeignKey("encumbrance.id"))
    rights_holder_org: Mapped[str | None] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))

    right: Mapped[PropertyRight] = relationship(back_populates="certificates")
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])
    encumbrance: Mapped[Encumbrance | None] = relationship(foreign_keys=[encumbrance_id])
    license: Mapped[ElectronicLicense | None] = relationship(back_populates="certificate")


class Encumbrance(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("real_estate_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(100))  # mortgagee, court or applicant
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[RealEstateUnit] = relationship(back_populates="encumbrances")

    @property
    def active(self) -> bool:
        return self.ended_at is None


class ElectronicLicense(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), unique=True)
    license_id: Mapped[str] = mapped_column(String(80), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="license")
