"""Queries of a person's rights in the register, shared by e-licenses and housing proofs.

Plain functions over the models (no request, no Flask globals): who holds what now, the
certificate and e-license of a right, the encumbrances on a unit, and a person's family as the
register records it (spouse, minor children).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..clock import day_zh
from ..database import db
from ..labels import CERTIFICATE_STATUS_LABELS, CO_OWNERSHIP_LABELS, ENCUMBRANCE_LABELS
from ..models import (
    Certificate,
    ElectronicLicense,
    Encumbrance,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from .masking import mask_name

# Whose name is in Encumbrance.holder: an organisation (bank, court) or, for an objection or an
# advance notice, possibly a private person, whose name is masked wherever it is shown.
PERSONAL_ENCUMBRANCE_HOLDERS = {"objection", "advance_notice"}


def format_area(value: Decimal | float | str) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"


# --- loading ---------------------------------------------------------------------------------
def _right_options() -> list[Any]:
    return [
        joinedload(PropertyRight.unit).selectinload(RealEstateUnit.encumbrances),
        selectinload(PropertyRight.holders).joinedload(RightHolder.person),
        selectinload(PropertyRight.certificates).selectinload(Certificate.license),
    ]


def current_rights(person_ids: Iterable[int]) -> list[PropertyRight]:
    """Current rights held (alone or with others) by any of ``person_ids``, each once.

    Ordered by registration time, so a family's shared flat appears once, in a stable place.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return []
    held = select(RightHolder.right_id).where(RightHolder.person_id.in_(ids))
    stmt = (
        select(PropertyRight)
        .where(PropertyRight.current.is_(True), PropertyRight.id.in_(held))
        .options(*_right_options())
        .order_by(PropertyRight.registered_at, PropertyRight.id)
    )
    return list(db.session.execute(stmt).scalars().unique())


def property_certificate(right: PropertyRight) -> Certificate | None:
    """The 不动产权证书 of a right: the valid one, else the most recently issued one."""
    certificates = [c for c in right.certificates if c.kind == "property"]
    if not certificates:
        return None
    valid = [c for c in certificates if c.status == "valid"]
    pool = valid or certificates
    return max(pool, key=lambda c: (c.issued_at, c.id))


def licenses_of(person_id: int) -> list[ElectronicLicense]:
    """E-licenses of the 不动产权证书 of every right the person holds or held.

    Co-owners each see the shared license. Registration certificates (不动产登记证明) belong
    to the mortgagee and are not listed. Valid certificates first, then by issue time.
    """
    held = select(RightHolder.right_id).where(RightHolder.person_id == person_id)
    stmt = (
        select(ElectronicLicense)
        .join(ElectronicLicense.certificate)
        .where(Certificate.kind == "property", Certificate.right_id.in_(held))
        .options(*_license_options())
    )
    licenses = list(db.session.execute(stmt).scalars().unique())
    licenses.sort(
        key=lambda lic: (
            lic.certificate.status != "valid",
            -lic.certificate.issued_at.timestamp(),
            lic.id,
        )
    )
    return licenses


def license_of(person_id: int, license_pk: int) -> ElectronicLicense | None:
    """One e-license, only if the person is a holder of its right (else None, as if absent)."""
    held = select(RightHolder.right_id).where(RightHolder.person_id == person_id)
    stmt = (
        select(ElectronicLicense)
        .join(ElectronicLicense.certificate)
        .where(
            ElectronicLicense.id == license_pk,
            Certificate.kind == "property",
            Certificate.right_id.in_(held),
        )
        .options(*_license_options())
    )
    return db.session.execute(stmt).scalars().first()


def _license_options() -> Any:
    right = joinedload(ElectronicLicense.certificate).joinedload(Certificate.right)
    return (
        right.joinedload(PropertyRight.unit).selectinload(RealEstateUnit.encumbrances),
        right.selectinload(PropertyRight.holders).joinedload(RightHolder.person),
        joinedload(ElectronicLicense.certificate).joinedload(Certificate.superseded_by),
    )


# --- encumbrances ----------------------------------------------------------------------------
def active_encumbrances(unit: RealEstateUnit, at: datetime | None = None) -> list[Encumbrance]:
    """Encumbrances in force at ``at`` (default: now), oldest first."""
    at = at or datetime.now(UTC)
    return [
        e
        for e in unit.encumbrances
        if e.started_at <= at and (e.ended_at is None or e.ended_at > at)
    ]


def encumbrance_holder(enc: Encumbrance) -> str:
    """The holder as it may be shown: organisations in full, private persons masked."""
    if enc.kind in PERSONAL_ENCUMBRANCE_HOLDERS:
        return mask_name(enc.holder)
    return enc.holder


def encumbrance_note(enc: Encumbrance) -> str:
    """One 附记 line: ``抵押：中国建设银行汨罗支行（个人住房贷款抵押），2019年09月20日起``."""
    label = ENCUMBRANCE_LABELS.get(enc.kind, enc.kind)
    reason = f"（{enc.reason}）" if enc.reason else ""
    return f"{label}：{encumbrance_holder(enc)}{reason}，{day_zh(enc.started_at)}起"


def encumbrance_dict(enc: Encumbrance) -> dict[str, Any]:
    return {
        "kind": enc.kind,
        "kind_label": ENCUMBRANCE_LABELS.get(enc.kind, enc.kind),
        "holder": encumbrance_holder(enc),
        "reason": enc.reason,
        "started_at": enc.started_at,
    }


# --- views of a right ------------------------------------------------------------------------
def unit_dict(unit: RealEstateUnit) -> dict[str, Any]:
    return {
        "unit_number": unit.unit_number,
        "location": unit.location,
        "use": unit.use,
        "area_m2": format_area(unit.area_m2),
        "right_type": unit.right_type,
        "right_nature": unit.right_nature,
        "land_term": unit.land_term,
    }


def certificate_dict(cert: Certificate) -> dict[str, Any]:
    return {
        "number": cert.number,
        "status": cert.status,
        "status_label": CERTIFICATE_STATUS_LABELS.get(cert.status, cert.status),
        "issued_at": cert.issued_at,
        "status_changed_at": cert.status_changed_at,
    }


def sorted_holders(right: PropertyRight) -> list[RightHolder]:
    return sorted(right.holders, key=lambda h: (h.position or 0, h.person_id))


def holders_list(right: PropertyRight, me: int | None = None) -> list[dict[str, Any]]:
    """Holders in certificate order, with their share (按份共有) and who the viewer is."""
    return [
        {"name": h.person.name, "share": h.share, "is_me": h.person_id == me}
        for h in sorted_holders(right)
    ]


def property_dict(right: PropertyRight, person_id: int) -> dict[str, Any]:
    """What the holder sees of one of their rights (their own view: names unmasked)."""
    cert = property_certificate(right)
    mine = next((h for h in right.holders if h.person_id == person_id), None)
    return {
        "right_id": right.id,
        "registered_at": right.registered_at,
        "co_ownership": right.co_ownership,
        "co_ownership_label": CO_OWNERSHIP_LABELS.get(right.co_ownership, right.co_ownership),
        "my_share": mine.share if mine else None,
        "holders": holders_list(right, person_id),
        "unit": unit_dict(right.unit),
        "certificate": certificate_dict(cert) if cert else None,
        "license_id": cert.license.id if cert and cert.license else None,
        "encumbrances": [encumbrance_dict(e) for e in active_encumbrances(right.unit)],
    }


# --- family ----------------------------------------------------------------------------------
def family_of(person: Person, day: date) -> list[tuple[str, Person]]:
    """The family a 家庭 housing proof covers, as recorded: spouse, then minor children."""
    members: list[tuple[str, Person]] = []
    if person.spouse is not None:
        members.append(("配偶", person.spouse))
    members.extend(("子女", child) for child in person.minor_children(day))
    return members
