"""Certificates and encumbrances as staff change them (no request access here).

What staff change is what the next verification shows: verification reads status and
encumbrances live, nothing is cached. Every read of the full record and every change is
audited with who (the staff actor on the request) and why (``reason``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from .. import unit_of_work
from ..database import db
from ..domain import audit, documents, hooks, pii
from ..domain.validators import normalize_certificate_number
from ..errors import Problem
from ..models import Certificate, Encumbrance, IssuedDocument


def _now() -> datetime:
    return datetime.now(UTC)


def _get(certificate_id: int) -> Certificate:
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        raise Problem(404, "certificate_not_found", "未找到该证书")
    return cert


def encumbrance_dict(e: Encumbrance) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "holder": e.holder,
        "reason": e.reason,
        "started_at": e.started_at,
        "ended_at": e.ended_at,
        "release_reason": e.release_reason,
        "active": e.ended_at is None,
    }


def certificate_record(cert: Certificate) -> dict[str, Any]:
    """The full, unmasked record (staff only; callers audit the access)."""
    right = cert.right
    unit = right.unit
    docs = db.session.execute(
        select(IssuedDocument)
        .where(IssuedDocument.certificate_id == cert.id)
        .order_by(IssuedDocument.id)
    ).scalars()
    return {
        "id": cert.id,
        "kind": cert.kind,
        "number": cert.number,
        "print_serial": cert.print_serial,
        "status": cert.status,
        "status_reason": cert.status_reason,
        "status_changed_at": cert.status_changed_at,
        "superseded_by_id": cert.superseded_by_id,
        "superseded_by_number": cert.superseded_by.number if cert.superseded_by else None,
        "issued_at": cert.issued_at,
        "rights_holder_org": cert.rights_holder_org,
        "license_id": cert.license.license_id if cert.license else None,
        "right_id": right.id,
        "co_ownership": right.co_ownership,
        "unit": {
            "unit_number": unit.unit_number,
            "location": unit.location,
            "use": unit.use,
            "area_m2": f"{unit.area_m2:.2f}",
            "right_type": unit.right_type,
            "right_nature": unit.right_nature,
            "land_term": unit.land_term,
        },
        "holders": [
            {
                "person_id": h.person_id,
                "name": h.person.name,
                "id_number": pii.decrypt(h.person.id_number_enc),
                "share": h.share,
            }
            for h in right.holders
        ],
        "encumbrances": [encumbrance_dict(e) for e in unit.encumbrances],
        "documents": [
            {
                "document_id": d.document_id.hex(),
                "kind": d.kind,
                "kid": d.kid,
                "issued_at": d.issued_at,
                "url": documents.document_url(d),
            }
            for d in docs
        ],
    }


def _set_status(cert: Certificate, status: str, reason: str, when: datetime, **extra: Any) -> None:
    """valid → cancelled/superseded, atomically (a concurrent change answers 409)."""
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id, Certificate.status == "valid")
        .values(status=status, status_reason=reason, status_changed_at=when, **extra)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Problem(409, "certificate_not_valid", "该证书已注销或已换证，不能重复操作")
    db.session.expire(cert)


def find_by_number(number: str) -> dict[str, Any]:
    """The full record of the certificate with this number (audited)."""
    number = normalize_certificate_number(number)
    cert = db.session.execute(
        select(Certificate).where(Certificate.number == number)
    ).scalar_one_or_none()
    if cert is None:
        raise Problem(404, "certificate_not_found", "未找到该证书")
    record = certificate_record(cert)
    audit.record("staff.certificate.view", object_type="certificate", object_id=cert.id)
    unit_of_work.done()
    return record


def add_encumbrance(certificate_id: int, kind: str, holder: str, reason: str) -> dict[str, Any]:
    """An active encumbrance on the certificate's unit."""
    cert = _get(certificate_id)
    enc = Encumbrance(
        unit_id=cert.right.unit_id,
        kind=kind,
        holder=holder.strip(),
        reason=reason.strip(),
        started_at=_now(),
    )
    db.session.add(enc)
    db.session.flush()
    audit.record(
        "staff.encumbrance.create",
        object_type="encumbrance",
        object_id=enc.id,
        reason=reason,
        detail={"certificate_id": cert.id, "kind": enc.kind},
    )
    hooks.emit("encumbrance.added", encumbrance=enc, actor="staff")
    unit_of_work.done()
    return encumbrance_dict(enc)


def release_encumbrance(certificate_id: int, encumbrance_id: int, reason: str) -> dict[str, Any]:
    """End an encumbrance; releasing a mortgage also cancels its 不动产登记证明."""
    cert = _get(certificate_id)
    enc = db.session.get(Encumbrance, encumbrance_id)
    if enc is None or enc.unit_id != cert.right.unit_id:
        raise Problem(404, "encumbrance_not_found", "该证书下未找到此项登记")
    when = _now()
    result = db.session.execute(
        update(Encumbrance)
        .where(Encumbrance.id == enc.id, Encumbrance.ended_at.is_(None))
        .values(ended_at=when, release_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Problem(409, "encumbrance_already_released", "该项登记已经注销或解除")
    proofs = (
        db.session.execute(
            select(Certificate).where(
                Certificate.encumbrance_id == enc.id, Certificate.status == "valid"
            )
        )
        .scalars()
        .all()
    )
    cancelled = []
    for proof in proofs:
        _set_status(proof, "cancelled", f"抵押权注销：{reason}"[:200], when)
        cancelled.append(proof.id)
    audit.record(
        "staff.encumbrance.release",
        object_type="encumbrance",
        object_id=enc.id,
        reason=reason,
        detail={"certificate_id": cert.id, "kind": enc.kind, "cancelled_certificates": cancelled},
    )
    hooks.emit("encumbrance.released", encumbrance=enc, actor="staff")
    unit_of_work.done()
    db.session.refresh(enc)
    return encumbrance_dict(enc)


def cancel_certificate(certificate_id: int, reason: str) -> dict[str, Any]:
    """valid → cancelled."""
    cert = _get(certificate_id)
    _set_status(cert, "cancelled", reason, _now())
    audit.record(
        "staff.certificate.cancel",
        object_type="certificate",
        object_id=cert.id,
        reason=reason,
    )
    hooks.emit("certificate.cancelled", certificate=cert, reason=reason)
    unit_of_work.done()
    return certificate_record(cert)


def supersede_certificate(
    certificate_id: int, reason: str, replacement_id: int | None
) -> dict[str, Any]:
    """valid → superseded by an issued certificate of the same unit, or by a new one."""
    cert = _get(certificate_id)
    if cert.status != "valid":
        raise Problem(409, "certificate_not_valid", "该证书已注销或已换证，不能重复操作")
    if replacement_id is not None:
        replacement = _get(replacement_id)
        if replacement.id == cert.id or replacement.status != "valid":
            raise Problem(422, "invalid_replacement", "新证书必须是另一本现势证书")
        if replacement.right.unit_id != cert.right.unit_id or replacement.kind != cert.kind:
            raise Problem(422, "invalid_replacement", "新证书必须是同一不动产单元的同类证书")
    else:
        replacement = documents.issue_certificate(
            cert.right,
            kind=cert.kind,
            rights_holder_org=cert.rights_holder_org,
            encumbrance_id=cert.encumbrance_id,
        )
    _set_status(cert, "superseded", reason, _now(), superseded_by_id=replacement.id)
    audit.record(
        "staff.certificate.supersede",
        object_type="certificate",
        object_id=cert.id,
        reason=reason,
        detail={"replacement_id": replacement.id, "issued_new": replacement_id is None},
    )
    hooks.emit("certificate.superseded", certificate=cert, replacement=replacement, reason=reason)
    unit_of_work.done()
    return {"certificate": certificate_record(cert), "replacement": certificate_record(replacement)}
