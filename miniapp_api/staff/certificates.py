"""Staff endpoints for certificates and encumbrances.

What staff change here is what the next verification shows: verification reads status and
encumbrances live, nothing is cached. Clerks and admins only; every read of the full record
and every change is audited with who (the staff actor) and why (``reason``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import select, update

from ..auth.guards import staff_required
from ..domain import audit, documents, pii
from ..domain.validators import normalize_certificate_number
from ..errors import Problem
from ..extensions import db
from ..inputs import InputSchema
from ..models import ENCUMBRANCE_KINDS, Certificate, Encumbrance, IssuedDocument
from . import bp

ROLES = ("clerk", "admin")


# --- schemas -----------------------------------------------------------------------------------
class CertificateQuerySchema(InputSchema):
    number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "证书号（全角括号亦可）"},
    )


class ReasonSchema(InputSchema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"description": "事由"}
    )


class EncumbranceCreateSchema(InputSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ENCUMBRANCE_KINDS),
        metadata={"description": "mortgage | seizure | objection | advance_notice"},
    )
    holder = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "抵押权人、查封机关或申请人"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "登记原因，如 个人住房贷款抵押、(2026)湘0681执保12号"},
    )


class SupersedeSchema(ReasonSchema):
    replacement_certificate_id = fields.Integer(
        load_default=None,
        metadata={"description": "已签发的新证书 id；省略则为同一权利换发新证"},
    )


class StaffEncumbranceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    holder = fields.String()
    reason = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    release_reason = fields.String(allow_none=True)
    active = fields.Boolean()


class StaffHolderSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    id_number = fields.String(metadata={"description": "身份证号（完整，仅工作人员可见）"})
    share = fields.String(allow_none=True)


class StaffUnitSchema(Schema):
    unit_number = fields.String()
    location = fields.String()
    use = fields.String()
    area_m2 = fields.String()
    right_type = fields.String()
    right_nature = fields.String()
    land_term = fields.String(allow_none=True)


class StaffDocumentSchema(Schema):
    document_id = fields.String()
    kind = fields.String()
    kid = fields.String()
    issued_at = fields.DateTime()
    url = fields.String()


class StaffCertificateSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    print_serial = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.DateTime(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    superseded_by_number = fields.String(allow_none=True)
    issued_at = fields.DateTime()
    rights_holder_org = fields.String(allow_none=True)
    license_id = fields.String(allow_none=True)
    right_id = fields.Integer()
    co_ownership = fields.String()
    unit = fields.Nested(StaffUnitSchema)
    holders = fields.List(fields.Nested(StaffHolderSchema))
    encumbrances = fields.List(fields.Nested(StaffEncumbranceSchema))
    documents = fields.List(fields.Nested(StaffDocumentSchema))


class SupersedeResultSchema(Schema):
    certificate = fields.Nested(StaffCertificateSchema)
    replacement = fields.Nested(StaffCertificateSchema)


# --- helpers -----------------------------------------------------------------------------------
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


# --- endpoints ---------------------------------------------------------------------------------
@bp.get("/certificates")
@bp.arguments(CertificateQuerySchema, location="query")
@bp.response(200, StaffCertificateSchema)
@bp.alt_response(404, description="未找到该证书")
@staff_required(*ROLES)
def find_certificate(query: dict[str, str]) -> dict[str, Any]:
    """按证书号查询证书（完整记录）

    Full, unmasked record for staff: holders with ID numbers, all encumbrances (with ids),
    issued documents with their verification links. The access is audited.
    """
    number = normalize_certificate_number(query["number"])
    cert = db.session.execute(
        select(Certificate).where(Certificate.number == number)
    ).scalar_one_or_none()
    if cert is None:
        raise Problem(404, "certificate_not_found", "未找到该证书")
    record = certificate_record(cert)
    audit.record("staff.certificate.view", object_type="certificate", object_id=cert.id)
    db.session.commit()
    return record


@bp.post("/certificates/<int:certificate_id>/encumbrances")
@bp.arguments(EncumbranceCreateSchema)
@bp.response(201, StaffEncumbranceSchema)
@bp.alt_response(404, description="未找到该证书")
@staff_required(*ROLES)
def add_encumbrance(data: dict[str, str], certificate_id: int) -> dict[str, Any]:
    """登记抵押、查封、异议或预告登记

    Adds an active encumbrance on the certificate's unit; the next verification shows it.
    """
    cert = _get(certificate_id)
    enc = Encumbrance(
        unit_id=cert.right.unit_id,
        kind=data["kind"],
        holder=data["holder"].strip(),
        reason=data["reason"].strip(),
        started_at=_now(),
    )
    db.session.add(enc)
    db.session.flush()
    audit.record(
        "staff.encumbrance.create",
        object_type="encumbrance",
        object_id=enc.id,
        reason=data["reason"],
        detail={"certificate_id": cert.id, "kind": enc.kind},
    )
    db.session.commit()
    return encumbrance_dict(enc)


@bp.post("/certificates/<int:certificate_id>/encumbrances/<int:encumbrance_id>/release")
@bp.arguments(ReasonSchema)
@bp.response(200, StaffEncumbranceSchema)
@bp.alt_response(404, description="未找到该证书或该登记")
@bp.alt_response(409, description="已经注销")
@staff_required(*ROLES)
def release_encumbrance(
    data: dict[str, str], certificate_id: int, encumbrance_id: int
) -> dict[str, Any]:
    """注销抵押、解除查封、注销异议或预告登记

    Ends the encumbrance. Releasing a mortgage also cancels the 不动产登记证明 issued for it.
    """
    cert = _get(certificate_id)
    enc = db.session.get(Encumbrance, encumbrance_id)
    if enc is None or enc.unit_id != cert.right.unit_id:
        raise Problem(404, "encumbrance_not_found", "该证书下未找到此项登记")
    when = _now()
    result = db.session.execute(
        update(Encumbrance)
        .where(Encumbrance.id == enc.id, Encumbrance.ended_at.is_(None))
        .values(ended_at=when, release_reason=data["reason"])
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
        _set_status(proof, "cancelled", f"抵押权注销：{data['reason']}"[:200], when)
        cancelled.append(proof.id)
    audit.record(
        "staff.encumbrance.release",
        object_type="encumbrance",
        object_id=enc.id,
        reason=data["reason"],
        detail={"certificate_id": cert.id, "kind": enc.kind, "cancelled_certificates": cancelled},
    )
    db.session.commit()
    db.session.refresh(enc)
    return encumbrance_dict(enc)


@bp.post("/certificates/<int:certificate_id>/cancel")
@bp.arguments(ReasonSchema)
@bp.response(200, StaffCertificateSchema)
@bp.alt_response(404, description="未找到该证书")
@bp.alt_response(409, description="证书已注销或已换证")
@staff_required(*ROLES)
def cancel_certificate(data: dict[str, str], certificate_id: int) -> dict[str, Any]:
    """注销证书

    The certificate's verification answers `cancelled` from the next scan on.
    """
    cert = _get(certificate_id)
    _set_status(cert, "cancelled", data["reason"], _now())
    audit.record(
        "staff.certificate.cancel",
        object_type="certificate",
        object_id=cert.id,
        reason=data["reason"],
    )
    db.session.commit()
    return certificate_record(cert)


@bp.post("/certificates/<int:certificate_id>/supersede")
@bp.arguments(SupersedeSchema)
@bp.response(200, SupersedeResultSchema)
@bp.alt_response(404, description="未找到该证书或新证书")
@bp.alt_response(409, description="证书已注销或已换证")
@bp.alt_response(422, description="新证书不符合要求")
@staff_required(*ROLES)
def supersede_certificate(data: dict[str, Any], certificate_id: int) -> dict[str, Any]:
    """换证（旧证作废，以新证为准）

    With `replacement_certificate_id`: an already issued, valid certificate of the same unit
    replaces this one. Without it: a new certificate for the same right is issued now (new
    number, print serial, e-license and QR). The old certificate answers `superseded`.
    """
    cert = _get(certificate_id)
    if cert.status != "valid":
        raise Problem(409, "certificate_not_valid", "该证书已注销或已换证，不能重复操作")
    replacement_id = data.get("replacement_certificate_id")
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
    _set_status(cert, "superseded", data["reason"], _now(), superseded_by_id=replacement.id)
    audit.record(
        "staff.certificate.supersede",
        object_type="certificate",
        object_id=cert.id,
        reason=data["reason"],
        detail={"replacement_id": replacement.id, "issued_new": replacement_id is None},
    )
    db.session.commit()
    return {"certificate": certificate_record(cert), "replacement": certificate_record(replacement)}
