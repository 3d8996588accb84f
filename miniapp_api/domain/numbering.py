"""Serial numbers and public ids of the documents citizens make (copies, proofs).

Certificate numbers and print serials are issued with the certificate (domain/documents.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..clock import yyyymmdd_cn
from ..database import db


def new_serial(prefix: str, model: Any, now: datetime) -> str:
    """``JZ20261126`` + 8 random digits (≤ 20 bytes: it is the number in the signed token)."""
    day = yyyymmdd_cn(now)
    while True:
        serial = f"{prefix}{day}{secrets.randbelow(10**8):08d}"
        taken = db.session.execute(select(model.id).where(model.serial == serial)).first()
        if taken is None:
            return serial


def new_public_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, URL-safe, no dots
