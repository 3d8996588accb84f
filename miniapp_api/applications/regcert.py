"""不动产登记证明 (registration certificate, document kind ``registration_certificate``) as
the bank downloads it: one document module — loading, owner check, canonical fields, masked
display rows, filename and renderer. Issuing goes through ``domain.documents`` (one path)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..database import db
from ..domain import documents
from ..domain.masking import mask_name
from ..errors import Problem
from ..models import Application, Certificate, Partner

KIND = "registration_certificate"
TITLE = "不动产登记证明"
STATUS_LABELS = {"valid": "现势", "cancelled": "已注销", "superseded": "已换证"}


def load_for_partner(partner: Partner, app_id: int) -> Certificate:
    """The 登记证明 of the partner's own mortgage application (404 otherwise, uniformly)."""
    app = db.session.get(Application, app_id)
    missing = Problem(404, "certificate_not_found", "未找到该申请的不动产登记证明")
    if app is None or app.partner_id != partner.id or app.result_certificate_id is None:
        raise missing
    cert = db.session.get(Certificate, app.result_certificate_id)
    if cert is None or cert.kind != "registration":
        raise missing
    check_owner(cert, partner)
    return cert


def check_owner(cert: Certificate, partner: Partner) -> None:
    if cert.rights_holder_org != partner.name:
        raise Problem(404, "certificate_not_found", "未找到该申请的不动产登记证明")


def canonical_fields(cert: Certificate) -> dict[str, Any]:
    return documents.canonical_fields(KIND, certificate=cert)


def display_rows(cert: Certificate) -> list[tuple[str, str]]:
    right = cert.right
    unit = right.unit
    enc = cert.encumbrance
    return [
        ("证明号", cert.number),
        ("印制编号", cert.print_serial),
        ("证明权利或事项", "抵押权"),
        ("权利人（抵押权人）", cert.rights_holder_org or ""),
        ("义务人（抵押人）", "、".join(mask_name(h.person.name) for h in right.holders)),
        ("坐落", unit.location),
        ("不动产单元号", unit.unit_number),
        ("其他", enc.reason if enc is not None and enc.reason else "/"),
        ("状态", STATUS_LABELS.get(cert.status, cert.status)),
        ("登记时间", cert.issued_at.strftime("%Y-%m-%d")),
    ]


def view(cert: Certificate) -> dict[str, Any]:
    doc = documents.certificate_document(cert)
    return {
        "id": cert.id,
        "number": cert.number,
        "status": cert.status,
        "encumbrance_id": cert.encumbrance_id,
        "verification_url": documents.document_url(doc) if doc is not None else None,
        "rows": [{"label": k, "value": v} for k, v in display_rows(cert)],
    }


def filename(cert: Certificate, fmt: str) -> tuple[str, str]:
    return (f"registration-certificate-{cert.id}.{fmt}", f"不动产登记证明_{cert.number}.{fmt}")


def render(cert: Certificate, fmt: str) -> bytes:
    from .render import render_rows

    doc = documents.certificate_document(cert)
    url = documents.document_url(doc) if doc is not None else None
    return render_rows(TITLE, display_rows(cert), fmt, url=url)


def latest_certificates(partner: Partner) -> list[Certificate]:
    return list(
        db.session.execute(
            select(Certificate).where(
                Certificate.kind == "registration", Certificate.rights_holder_org == partner.name
            )
        ).scalars()
    )
