"""Canonical fields: what a document's content digest covers, per kind.

What the registry vouches for when it prints the document, never live status and never
personal data (holders enter as internal person ids and shares, not names or ID numbers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from ..models import (
    Certificate,
    HousingProof,
    LicenseCopy,
    RightHolder,
)


def epoch_seconds(value: datetime | None) -> int | None:
    """Whole UTC seconds (the same on SQLite and PostgreSQL)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _area(value: Decimal | float | str | None) -> str | None:
    if value is None:
        return None
    return f"{Decimal(str(value)):.2f}"


def _holders_text(holders: Iterable[tuple[int, str | None]]) -> str:
    """``person_id:share`` in holder order; internal ids, never names or ID numbers."""
    return ",".join(f"{pid}:{share or ''}" for pid, share in holders)


def certificate_fields(
    *,
    kind: str,
    number: str,
    print_serial: str,
    issued_at: datetime | None,
    unit_number: str,
    location: str,
    use: str,
    area_m2: Decimal | float | str | None,
    right_type: str,
    right_nature: str,
    land_term: str | None,
    co_ownership: str,
    holders: Sequence[tuple[int, str | None]],
    rights_holder_org: str | None = None,
    encumbrance_id: int | None = None,
) -> dict[str, str | int | None]:
    """Canonical fields of a certificate from plain values (also used by bulk issuing)."""
    return {
        "type": "certificate",
        "kind": kind,
        "number": number,
        "print_serial": print_serial,
        "issued_at": epoch_seconds(issued_at),
        "unit_number": unit_number,
        "location": location,
        "use": use,
        "area_m2": _area(area_m2),
        "right_type": right_type,
        "right_nature": right_nature,
        "land_term": land_term,
        "co_ownership": co_ownership,
        "holders": _holders_text(holders),
        "rights_holder_org": rights_holder_org,
        "encumbrance_id": encumbrance_id,
    }


def copy_fields(copy: LicenseCopy) -> dict[str, str | int | None]:
    """Canonical fields of an annotated e-license copy (加注件)."""
    license_ = copy.license
    return {
        "type": "license_copy",
        "serial": copy.serial,
        "license_id": license_.license_id if license_ else None,
        "certificate_id": license_.certificate_id if license_ else None,
        "person_id": copy.person_id,
        "maker": copy.maker,
        "purpose": copy.purpose,
        "notes": json.dumps(copy.notes or [], ensure_ascii=False, sort_keys=True),
        "created_at": epoch_seconds(copy.created_at),
        "valid_until": epoch_seconds(copy.valid_until),
    }


def proof_fields(proof: HousingProof) -> dict[str, str | int | None]:
    """Canonical fields of a housing proof (有房/无房证明): the snapshot as issued."""
    return {
        "type": "housing_proof",
        "serial": proof.serial,
        "person_id": proof.person_id,
        "scope": proof.scope,
        "purpose": proof.purpose,
        "queried_at": epoch_seconds(proof.queried_at),
        "has_property": int(bool(proof.has_property)),
        "result": json.dumps(
            proof.result, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
        ),
        "issued_at": epoch_seconds(proof.issued_at),
        "valid_until": epoch_seconds(proof.valid_until),
    }


def _certificate_orm_fields(cert: Certificate) -> dict[str, str | int | None]:
    right = cert.right
    unit = right.unit
    return certificate_fields(
        kind=cert.kind,
        number=cert.number,
        print_serial=cert.print_serial,
        issued_at=cert.issued_at,
        unit_number=unit.unit_number,
        location=unit.location,
        use=unit.use,
        area_m2=unit.area_m2,
        right_type=unit.right_type,
        right_nature=unit.right_nature,
        land_term=unit.land_term,
        co_ownership=right.co_ownership,
        holders=[(h.person_id, h.share) for h in sorted(right.holders, key=_holder_order)],
        rights_holder_org=cert.rights_holder_org,
        encumbrance_id=cert.encumbrance_id,
    )


def _holder_order(holder: RightHolder) -> tuple[int, int]:
    return (holder.position or 0, holder.person_id)


def canonical_fields(
    kind: str,
    *,
    certificate: Certificate | None = None,
    copy: LicenseCopy | None = None,
    proof: HousingProof | None = None,
) -> dict[str, str | int | None]:
    """The fields a document's content digest is computed over, for its kind."""
    if kind in ("property_certificate", "registration_certificate"):
        if certificate is None:
            raise ValueError(f"{kind} needs a certificate")
        return _certificate_orm_fields(certificate)
    if kind == "license_copy":
        if copy is None:
            raise ValueError("license_copy needs a copy")
        return copy_fields(copy)
    if kind == "housing_proof":
        if proof is None:
            raise ValueError("housing_proof needs a proof")
        return proof_fields(proof)
    raise ValueError(f"unknown document kind {kind!r}")
