"""Documents that carry a signed QR: certificates, e-license copies (加注件), housing proofs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .base import UTCDateTime, utcnow
from .people import Person
from .registry import Certificate, ElectronicLicense

DOCUMENT_KINDS = (
    "property_certificate",
    "registration_certificate",
    "license_copy",
    "housing_proof",
)


class IssuedDocument(db.Model):
    """One signed token, found by the random document id it carries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)
    copy_id: Mapped[int | None] = mapped_column(ForeignKey("license_copy.id"), index=True)
    proof_id: Mapped[int | None] = mapped_column(ForeignKey("housing_proof.id"), index=True)
    content_digest: Mapped[bytes] = mapped_column(LargeBinary(16))
    token: Mapped[str] = mapped_column(Text)  # base32 text as printed in the QR link
    kid: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    certificate: Mapped[Certificate | None] = relationship()


class LicenseCopy(db.Model):
    """An annotated copy (加注件) of an e-license, stamped for one purpose."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("electronic_license.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    maker: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(60))
    notes: Mapped[list] = mapped_column(JSON, default=list)  # 附记 at copy time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)

    license: Mapped[ElectronicLicense] = relationship()
    person: Mapped[Person] = relationship()


class HousingProof(db.Model):
    """A 有房/无房 proof: a snapshot of the register at the query time point."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))  # personal | family
    purpose: Mapped[str] = mapped_column(String(60))
    queried_at: Mapped[datetime] = mapped_column(UTCDateTime)
    has_property: Mapped[bool] = mapped_column()
    # Snapshot: people covered (masked) and units found, as issued.
    result: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
