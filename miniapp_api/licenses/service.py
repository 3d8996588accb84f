"""E-licenses (电子证照) and annotated copies (加注件): domain functions (no request).

A copy is an e-license stamped for one purpose: maker, time, purpose, valid-until and the 附记
(encumbrances in force when it was made) are recorded in ``LicenseCopy`` and printed, with the
watermark ``仅供办理{purpose}使用`` and its own signed QR token (kind ``license_copy``,
``exp`` = valid-until). Copies and proofs are addressed by their random ``public_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .. import unit_of_work
from ..clock import utcnow_seconds
from ..database import db
from ..domain import audit
from ..domain.numbering import new_public_id, new_serial
from ..domain.properties import (
    active_encumbrances,
    certificate_dict,
    current_rights,
    encumbrance_dict,
    encumbrance_note,
    holders_list,
    license_of,
    licenses_of,
    property_dict,
    unit_dict,
)
from ..domain.purposes import is_common
from ..downloads import links_for
from ..errors import Problem
from ..kinds import LICENSE_COPY, printing
from ..kinds.license_copy import copy_query
from ..labels import CO_OWNERSHIP_LABELS
from ..models import (
    ElectronicLicense,
    LicenseCopy,
    Person,
)

MAKER_CHANNEL = "微信公众号自助办理"
NOT_FOUND = "未找到该电子证照"
COPY_NOT_FOUND = "未找到该加注件"


# --- licenses --------------------------------------------------------------------------------
def copy_refusal(lic: ElectronicLicense) -> tuple[str, str] | None:
    """Why no copy can be made of this license: (code, Chinese reason), or None."""
    cert = lic.certificate
    if cert.status == "cancelled":
        return "certificate_cancelled", "该不动产权证书已注销，不能制作加注件"
    if cert.status == "superseded":
        newer = f"（新证号：{cert.superseded_by.number}）" if cert.superseded_by else ""
        return "certificate_superseded", f"该不动产权证书已换发新证{newer}，请使用新证的电子证照"
    if cert.status != "valid" or not cert.right.current:
        return "certificate_not_current", "该不动产权证书已不是现势证书，不能制作加注件"
    return None


def license_dict(lic: ElectronicLicense, person_id: int) -> dict[str, Any]:
    cert = lic.certificate
    right = cert.right
    refusal = copy_refusal(lic)
    return {
        "id": lic.id,
        "license_id": lic.license_id,
        "issued_at": lic.issued_at,
        "certificate": certificate_dict(cert),
        "superseded_by_number": cert.superseded_by.number if cert.superseded_by else None,
        "co_ownership": right.co_ownership,
        "co_ownership_label": CO_OWNERSHIP_LABELS.get(right.co_ownership, right.co_ownership),
        "holders": holders_list(right, person_id),
        "unit": unit_dict(right.unit),
        "current": right.current,
        "encumbrances": [encumbrance_dict(e) for e in active_encumbrances(right.unit)]
        if right.current
        else [],
        "can_copy": refusal is None,
        "cannot_copy_reason": refusal[1] if refusal else None,
    }


def my_properties(person: Person) -> list[dict[str, Any]]:
    """The person's current rights (alone or shared), as listed in the app."""
    rights = audit.listed(
        current_rights([person.id]), "properties.list", object_type="person", object_id=person.id
    )
    return [property_dict(right, person.id) for right in rights]


def list_licenses(person: Person) -> list[dict[str, Any]]:
    licenses = audit.listed(
        licenses_of(person.id), "licenses.list", object_type="person", object_id=person.id
    )
    return [license_dict(lic, person.id) for lic in licenses]


def get_license(person: Person, license_pk: int) -> ElectronicLicense:
    """The person's e-license; 404 when it does not exist or is someone else's."""
    lic = license_of(person.id, license_pk)
    if lic is None:
        raise audit.refuse(
            Problem(404, "not_found", NOT_FOUND), "license.view", result="not_found",
            object_type="electronic_license", object_id=license_pk,
        )  # fmt: skip
    return lic


def view_license(person: Person, license_pk: int) -> dict[str, Any]:
    lic = get_license(person, license_pk)
    audit.record("license.view", object_type="electronic_license", object_id=lic.id)
    return license_dict(lic, person.id)


# --- copies ----------------------------------------------------------------------------------
def maker_of(person: Person) -> str:
    return f"{person.name}（权利人，{MAKER_CHANNEL}）"


def make_copy(
    person: Person,
    license_pk: int,
    purpose: str,
    valid_days: int,
    *,
    now: datetime | None = None,
) -> LicenseCopy:
    """Make and sign an annotated copy (commits). 409 for a certificate that is not current."""
    lic = get_license(person, license_pk)
    refusal = copy_refusal(lic)
    if refusal is not None:
        raise audit.refuse(
            Problem(409, refusal[0], refusal[1], certificate_status=lic.certificate.status),
            "license_copy.issue",
            object_type="electronic_license",
            object_id=lic.id,
            reason=refusal[0],
        )
    made_at = utcnow_seconds(now)
    unit = lic.certificate.right.unit
    copy = LicenseCopy(
        public_id=new_public_id(),
        license_id=lic.id,
        person_id=person.id,
        serial=new_serial("JZ", LicenseCopy, made_at),
        maker=maker_of(person),
        purpose=purpose,
        notes=[encumbrance_note(e) for e in active_encumbrances(unit, made_at)],
        created_at=made_at,
        valid_until=made_at + timedelta(days=valid_days),
    )
    copy.license = lic
    copy.person = person
    detail = {"license": lic.id, "valid_days": valid_days, "common_purpose": is_common(purpose)}
    LICENSE_COPY.issue(copy, now=made_at, detail=detail)
    unit_of_work.done()
    return copy


def get_copy(person: Person, license_pk: int, public_id: str) -> LicenseCopy:
    """The person's own copy of that license; 404 otherwise (as if it did not exist)."""
    where = LicenseCopy.license_id == license_pk
    copy: LicenseCopy = LICENSE_COPY.own(person.id, public_id, COPY_NOT_FOUND, where)
    return copy


def view_copy(person: Person, license_pk: int, public_id: str) -> LicenseCopy:
    copy = get_copy(person, license_pk, public_id)
    audit.record("license_copy.view", object_type="license_copy", object_id=copy.public_id)
    return copy


def list_copies(person: Person, license_pk: int) -> list[LicenseCopy]:
    lic = get_license(person, license_pk)
    query = (
        copy_query()
        .where(LicenseCopy.license_id == lic.id, LicenseCopy.person_id == person.id)
        .order_by(LicenseCopy.created_at.desc(), LicenseCopy.id.desc())
    )
    copies = list(db.session.execute(query).scalars())
    return audit.listed(
        copies, "license_copies.list", object_type="electronic_license", object_id=lic.id
    )


def copy_dict(copy: LicenseCopy, *, account_id: int | None = None) -> dict[str, Any]:
    """The copy as answered to its maker (with header-free links for ``account_id``)."""
    links = links_for(LICENSE_COPY.name, copy.public_id, account_id) if account_id else None
    base = f"/api/v1/me/licenses/{copy.license_id}/copies/{copy.public_id}"
    return {
        "id": copy.public_id,
        "license": copy.license_id,
        "serial": copy.serial,
        "certificate_number": copy.license.certificate.number,
        "maker": copy.maker,
        "purpose": copy.purpose,
        "watermark": printing.watermark(copy.purpose),
        "notes": list(copy.notes or []),
        "created_at": copy.created_at,
        "valid_until": copy.valid_until,
        "expired": datetime.now(UTC) >= copy.valid_until,
        "verification_url": LICENSE_COPY.verification_url(copy),
        "png_url": base + ".png",
        "pdf_url": base + ".pdf",
        "download_links": links,
    }
