"""Partner organisations (一窗办事 partners: banks, developers, agencies) and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db
from .base import UTCDateTime, utcnow

PARTNER_KINDS = ("bank", "developer", "agency", "tax", "utility")


class Partner(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    # For developers: the developer name on their HousingProjects (what they may read).
    organisation: Mapped[str | None] = mapped_column(String(100))
    # For utilities (kind "utility"): the one service they run, water | power | gas.
    service: Mapped[str | None] = mapped_column(String(8))
    # API key `bdcp_<prefix>_<secret>`: the prefix finds the row, SHA-256 of the whole key
    # proves it (keys are 256-bit random, so a fast hash is enough).
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
