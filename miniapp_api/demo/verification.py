"""`demo-info` section: sample verification links for every outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import verify

from ..database import db
from ..domain import documents, pii
from ..models import Certificate, Encumbrance, IssuedDocument, Person, PropertyRight, RightHolder
from .citizens import DEMO_CITIZENS


def _person_id(key: str) -> int | None:
    citizen = next((c for c in DEMO_CITIZENS if c.key == key), None)
    if citizen is None:
        return None
    return db.session.execute(
        select(Person.id).where(Person.id_number_hash == pii.id_number_hash(citizen.id_number))
    ).scalar_one_or_none()


def _certificates_of(key: str, kind: str = "property") -> list[Certificate]:
    pid = _person_id(key)
    if pid is None:
        return []
    return list(
        db.session.execute(
            select(Certificate)
            .join(PropertyRight, PropertyRight.id == Certificate.right_id)
            .join(RightHolder, RightHolder.right_id == PropertyRight.id)
            .where(RightHolder.person_id == pid, Certificate.kind == kind)
            .order_by(Certificate.id)
        ).scalars()
    )


def _active_kinds(cert: Certificate) -> set[str]:
    return set(
        db.session.execute(
            select(Encumbrance.kind).where(
                Encumbrance.unit_id == cert.right.unit_id, Encumbrance.ended_at.is_(None)
            )
        ).scalars()
    )


def _pick(key: str, status: str, encumbrance: str | None = None) -> Certificate | None:
    for cert in _certificates_of(key):
        if cert.status != status:
            continue
        kinds = _active_kinds(cert)
        if (encumbrance is None and not kinds) or (encumbrance and encumbrance in kinds):
            return cert
    return None


def _sample(cert: Certificate | None, expect: str) -> dict[str, Any] | None:
    if cert is None:
        return None
    doc = documents.latest_document_for_certificate(cert.id)
    if doc is None:
        return None
    return {
        "url": documents.document_url(doc),
        "api": f"/api/v1/verify/{doc.token}",
        "expect": expect,
        "certificate_number": cert.number,
        "print_serial": cert.print_serial,
    }


def tampered_token(token: str) -> str:
    """The same token with one bit of its signature flipped (verdict ``forged``)."""
    raw = bytearray(verify.text_to_token(token))
    raw[-1] ^= 0x01
    return verify.token_to_text(bytes(raw))


def verification_samples() -> dict[str, Any]:
    samples: dict[str, Any] = {
        "authentic": _sample(_pick("zhang", "valid"), "authentic"),
        "mortgaged": _sample(_pick("wang", "valid", "mortgage"), "authentic + mortgage"),
        "seized": _sample(_pick("liu", "valid", "seizure"), "authentic + seizure"),
        "under_objection": _sample(_pick("liu", "valid", "objection"), "authentic + objection"),
        "cancelled": _sample(_pick("sun", "cancelled"), "cancelled"),
        "superseded": _sample(_pick("sun", "superseded"), "superseded"),
    }
    regs = _certificates_of("wang", "registration")
    samples["registration_certificate"] = _sample(regs[0] if regs else None, "authentic")
    authentic = samples["authentic"]
    if authentic:
        token = authentic["url"].rsplit("/", 1)[1]
        bad = tampered_token(token)
        samples["tampered"] = {
            "url": documents.document_url(bad),
            "api": f"/api/v1/verify/{bad}",
            "expect": "forged",
        }
    count = db.session.execute(select(db.func.count(IssuedDocument.id))).scalar_one()
    return {
        "verification": {
            "issued_documents": count,
            "jwks": "/.well-known/jwks.json",
            "samples": {k: v for k, v in samples.items() if v is not None},
        }
    }
