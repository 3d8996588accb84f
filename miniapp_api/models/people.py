"""People and their family links. ID numbers are encrypted at rest, found by keyed hash."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import db
from .base import UTCDateTime, utcnow

parent_child = Table(
    "parent_child",
    db.Model.metadata,
    Column("parent_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class Person(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # AES-GCM ciphertext (nonce + ct) of the 18-char ID number; never stored in clear.
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # HMAC-SHA256 of the normalised ID number, for exact lookups.
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Masked form kept for display/search without decrypting (430681********1234).
    id_number_masked: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))  # "M" | "F", from the ID number
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    spouse_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    spouse: Mapped[Person | None] = relationship(remote_side=[id], post_update=True)
    children: Mapped[list[Person]] = relationship(
        secondary=parent_child,
        primaryjoin=id == parent_child.c.parent_id,
        secondaryjoin=id == parent_child.c.child_id,
        order_by="Person.birth_date",
    )

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def minor_children(self, day: date) -> list[Person]:
        return [child for child in self.children if child.age_on(day) < 18]
