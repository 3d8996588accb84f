"""E-licenses (电子证照) and annotated copies (加注件): domain functions (no request).

A copy is an e-license stamped for one purpose: maker, time, purpose, valid-until and the 附记
(encumbrances in force when it was made) are recorded in ``LicenseCopy`` and printed, with the
watermark ``仅供办理{purpose}使用`` and its own signed QR token (kind ``license_copy``,
``exp`` = valid-until). Copies and proofs are addressed by their random ``public_id``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..clock import yyyymmdd_cn
from ..database import db
from ..domain import audit
from ..domain import documents as signed_documents
from ..domain.masking import mask_name
from ..domain.properties import (
    active_encumbrances,
    certificate_dict,
    encumbrance_dict,
    encumbrance_note,
    format_area,
    holders_list,
    license_of,
    licenses_of,
    sorted_holders,
    unit_dict,
)
from ..domain.purposes import is_common
from ..errors import Problem
from ..labels import CERTIFICATE_STATUS_LABELS, CO_OWNERSHIP_LABELS
from ..models import (
    Certificate,
    ElectronicLicense,
    IssuedDocument,
    LicenseCopy,
    Person,
    PropertyRight,
    RightHolder,
)
from . import rendering_glue

MAKER_CHANNEL = "微信公众号自助办理"
NOT_FOUND = "未找到该电子证照"
COPY_NOT_FOUND = "未找到该加注件"


def _now(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


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


def list_licenses(person: Person) -> list[dict[str, Any]]:
    licenses = licenses_of(person.id)
    audit.record(
        "licenses.list",
        object_type="person",
        object_id=person.id,
        detail={"count": len(licenses)},
    )
    return [license_dict(lic, person.id) for lic in licenses]


def get_license(person: Person, license_pk: int) -> ElectronicLicense:
    """The person's e-license; 404 when it does not exist or is someone else's."""
    lic = license_of(person.id, license_pk)
    if lic is None:
        audit.record(
            "license.view", object_type="electronic_license", object_id=license_pk,
            result="not_found",
        )  # fmt: skip
        db.session.commit()
        raise Problem(404, "not_found", NOT_FOUND)
    return lic


def view_license(person: Person, license_pk: int) -> dict[str, Any]:
    lic = get_license(person, license_pk)
    audit.record("license.view", object_type="electronic_license", object_id=lic.id)
    return license_dict(lic, person.id)


# --- copies ----------------------------------------------------------------------------------
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
        audit.record(
            "license_copy.issue",
            object_type="electronic_license",
            object_id=lic.id,
            result="refused",
            reason=refusal[0],
        )
        db.session.commit()
        raise Problem(409, refusal[0], refusal[1], certificate_status=lic.certificate.status)
    made_at = _now(now)
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
    # Fail before writing anything if the page cannot be printed (a rare character).
    rendering_glue.check_printable(rendering_glue.license_document(copy, "HTTPS://X/V/" + "A" * 80))
    db.session.add(copy)
    db.session.flush()
    signed_documents.issue_document(
        "license_copy", copy=copy, expires_at=copy.valid_until, now=made_at
    )
    audit.record(
        "license_copy.issue",
        object_type="license_copy",
        object_id=copy.public_id,
        detail={
            "license": lic.id,
            "valid_days": valid_days,
            "common_purpose": is_common(purpose),
        },
    )
    db.session.commit()
    return copy


def copy_query() -> Any:
    right = (
        joinedload(LicenseCopy.license)
        .joinedload(ElectronicLicense.certificate)
        .joinedload(Certificate.right)
    )
    return select(LicenseCopy).options(
        right.joinedload(PropertyRight.unit),
        right.selectinload(PropertyRight.holders).joinedload(RightHolder.person),
    )


def get_copy(person: Person, license_pk: int, public_id: str) -> LicenseCopy:
    """The person's own copy of that license; 404 otherwise (as if it did not exist)."""
    copy = db.session.execute(
        copy_query().where(
            LicenseCopy.public_id == public_id,
            LicenseCopy.license_id == license_pk,
            LicenseCopy.person_id == person.id,
        )
    ).scalar_one_or_none()
    if copy is None:
        audit.record(
            "license_copy.view", object_type="license_copy", object_id=public_id[:64],
            result="not_found",
        )  # fmt: skip
        db.session.commit()
        raise Problem(404, "not_found", COPY_NOT_FOUND)
    return copy


def copy_by_public_id(public_id: str) -> LicenseCopy | None:
    return db.session.execute(
        copy_query().where(LicenseCopy.public_id == public_id)
    ).scalar_one_or_none()


def list_copies(person: Person, license_pk: int) -> list[LicenseCopy]:
    lic = get_license(person, license_pk)
    copies = list(
        db.session.execute(
            copy_query()
            .where(LicenseCopy.license_id == lic.id, LicenseCopy.person_id == person.id)
            .order_by(LicenseCopy.created_at.desc(), LicenseCopy.id.desc())
        ).scalars()
    )
    audit.record(
        "license_copies.list",
        object_type="electronic_license",
        object_id=lic.id,
        detail={"count": len(copies)},
    )
    return copies


def document_of(copy: LicenseCopy) -> IssuedDocument:
    doc = signed_documents.latest_document(copy=copy)
    if doc is None:  # every license copy is issued with its token in the same transaction
        raise RuntimeError(f"license copy {copy.id} has no signed document")
    return doc


def verification_url(copy: LicenseCopy) -> str:
    return signed_documents.document_url(document_of(copy))


def copy_dict(copy: LicenseCopy, *, links: dict[str, Any] | None = None) -> dict[str, Any]:
    base = f"/api/v1/me/licenses/{copy.license_id}/copies/{copy.public_id}"
    return {
        "id": copy.public_id,
        "license": copy.license_id,
        "serial": copy.serial,
        "certificate_number": copy.license.certificate.number,
        "maker": copy.maker,
        "purpose": copy.purpose,
        "watermark": rendering_glue.watermark(copy.purpose),
        "notes": list(copy.notes or []),
        "created_at": copy.created_at,
        "valid_until": copy.valid_until,
        "expired": datetime.now(UTC) >= copy.valid_until,
        "verification_url": verification_url(copy),
        "png_url": base + ".png",
        "pdf_url": base + ".pdf",
        "download_links": links,
    }


def render_copy(copy: LicenseCopy, fmt: str) -> bytes:
    url = signed_documents.qr_text(verification_url(copy))
    return rendering_glue.render(rendering_glue.license_document(copy, url), fmt)


def copy_filename(copy: LicenseCopy, fmt: str, *, ascii_only: bool = False) -> str:
    if ascii_only:
        return f"license-copy-{copy.serial}.{fmt}"
    return f"不动产权证书加注件_{copy.serial}.{fmt}"


# --- the public, masked view for /v/{TOKEN} (verification) -----------------------------------
def masked_view_for_copy(copy: LicenseCopy, now: datetime | None = None) -> dict[str, Any]:
    """What a third party scanning the copy's QR may see: no full names, no ID numbers.

    Validity of the copy itself (valid until / expired), its purpose, the certificate's live
    status and encumbrances in force, holders' names masked, and the unit facts to compare
    with the paper (location, area, use, certificate number).
    """
    now = now or datetime.now(UTC)
    lic = copy.license
    cert = lic.certificate
    right = cert.right
    unit = right.unit
    expired = now >= copy.valid_until
    certificate_current = cert.status == "valid" and right.current
    return {
        "kind": "license_copy",
        "kind_label": "电子证照加注件",
        "serial": copy.serial,
        "valid": not expired and certificate_current,
        "status": "expired" if expired else "valid",
        "status_label": "已过有效期" if expired else "在有效期内",
        "purpose": copy.purpose,
        "watermark": rendering_glue.watermark(copy.purpose),
        "made_at": copy.created_at,
        "valid_until": copy.valid_until,
        "maker": mask_name(copy.person.name) if copy.person else None,
        "license_id": lic.license_id,
        "certificate": {
            "number": cert.number,
            "status": cert.status,
            "status_label": CERTIFICATE_STATUS_LABELS.get(cert.status, cert.status),
        },
        "co_ownership_label": CO_OWNERSHIP_LABELS.get(right.co_ownership, right.co_ownership),
        "holders": [mask_name(h.person.name) for h in sorted_holders(right)],
        "units": [
            {
                "location": unit.location,
                "area_m2": format_area(unit.area_m2),
                "use": unit.use,
                "certificate_number": cert.number,
            }
        ],
        "notes_at_copy": list(copy.notes or []),
        "encumbrances_now": [
            {"kind": e["kind"], "kind_label": e["kind_label"], "started_at": e["started_at"]}
            for e in (encumbrance_dict(x) for x in active_encumbrances(unit, now))
        ],
        "as_of": now,
    }
