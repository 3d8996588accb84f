"""Encryption at rest and keyed lookup hashes for personal data (PIPL).

Keys are derived from PII_KEY when set, else from SECRET_KEY, with HKDF and distinct labels,
so the lookup hash and the cipher never share a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from .validators import normalize_id_number


@lru_cache(maxsize=8)
def _derive(master: str, label: bytes) -> bytes:
    try:
        material = base64.b64decode(master, validate=True)
        if len(material) < 32:
            raise ValueError
    except ValueError:
        material = master.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"bdc-pii-v1", info=label).derive(
        material
    )


def _master() -> str:
    return current_app.config.get("PII_KEY") or current_app.config["SECRET_KEY"]


def encrypt(text: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(_master(), b"encrypt")).encrypt(nonce, text.encode(), b"pii")


def decrypt(blob: bytes) -> str:
    return AESGCM(_derive(_master(), b"encrypt")).decrypt(blob[:12], blob[12:], b"pii").decode()


def lookup_hash(kind: str, value: str) -> str:
    key = _derive(_master(), b"lookup")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def id_number_hash(id_number: str) -> str:
    return lookup_hash("id", normalize_id_number(id_number))
