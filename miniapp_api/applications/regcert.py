"""不动产登记证明 of a bank's mortgage application: which one the partner may fetch, and its
JSON view. The rows, file name and print are the document kind's
(``kinds/registration_certificate.py``); issuing goes through ``domain.documents``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..database import db
from ..domain import documents
from ..errors import Problem
from ..kinds import REGISTRATION_CERTIFICATE
from ..models import Application, Certificate, Partner


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


def view(cert: Certificate) -> dict[str, Any]:
    doc = documents.certificate_document(cert)
    return {
        "id": cert.id,
        "number": cert.number,
        "status": cert.status,
        "encumbrance_id": cert.encumbrance_id,
        "verification_url": documents.document_url(doc) if doc is not None else None,
        "rows": [{"label": k, "value": v} for k, v in REGISTRATION_CERTIFICATE.display(cert)],
    }


def latest_certificates(partner: Partner) -> list[Certificate]:
    return list(
        db.session.execute(
            select(Certificate).where(
                Certificate.kind == "registration", Certificate.rights_holder_org == partner.name
            )
        ).scalars()
    )
