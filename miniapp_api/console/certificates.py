"""Certificate search (number, unit number, holder's ID number) and the staff changes:
encumbrances added and released, cancel and supersede — ``staff.certificate_service``, the
same functions, rules and audit as the staff API."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, render_template, request, url_for
from sqlalchemy import select

from .. import unit_of_work
from ..database import db
from ..domain import audit, pii
from ..domain.validators import is_valid_id_number, normalize_id_number
from ..errors import Problem
from ..labels import CERTIFICATE_STATUS_LABELS as STATUS_LABELS
from ..labels import ENCUMBRANCE_LABELS
from ..models import (
    ENCUMBRANCE_KINDS,
    Certificate,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from ..staff import certificate_service as service
from ..staff import schemas as staff_schemas
from . import bp
from .forms import act, load

MAX_RESULTS = 50


def _search(q: str) -> tuple[str, list[Certificate]]:
    q = q.strip()
    if not q:
        return "", []
    if "不动产" in q or "证明" in q:
        try:
            record = service.find_by_number(q)  # audited as staff.certificate.view
        except Problem:
            return "number", []
        return "number", [db.session.get(Certificate, record["id"])]
    normalized = normalize_id_number(q) if len(q) == 18 else q
    if len(q) == 18 and is_valid_id_number(normalized):
        rights = select(RightHolder.right_id).join(Person, Person.id == RightHolder.person_id)
        rights = rights.where(Person.id_number_hash == pii.id_number_hash(normalized))
        found = db.session.execute(
            select(Certificate)
            .where(Certificate.right_id.in_(rights))
            .order_by(Certificate.id.desc())
            .limit(MAX_RESULTS)
        ).scalars()
        kind = "id_number"
    else:
        unit_rights = (
            select(PropertyRight.id)
            .join(RealEstateUnit, RealEstateUnit.id == PropertyRight.unit_id)
            .where(RealEstateUnit.unit_number == q.upper())
        )
        found = db.session.execute(
            select(Certificate)
            .where(Certificate.right_id.in_(unit_rights))
            .order_by(Certificate.id.desc())
            .limit(MAX_RESULTS)
        ).scalars()
        kind = "unit_number"
    items = list(found)
    # The ID number is never written to the log, only that such a search was made.
    audit.record(
        "staff.certificate.search",
        object_type="certificate",
        detail={"by": kind, "returned": len(items)},
    )
    return kind, items


@bp.get("/certificates")
def certificates() -> str:
    q = (request.args.get("q") or "")[:60]
    kind, items = _search(q)
    unit_of_work.done()
    if q and not items:
        flash("未找到符合条件的证书", "error")
    return render_template(
        "console/certificates.html",
        q=q,
        by=kind,
        items=items,
        status_labels=STATUS_LABELS,
    )


def _certificate_screen(certificate_id: int) -> str:
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        raise Problem(404, "certificate_not_found", "未找到该证书")
    record = service.certificate_record(cert)
    audit.record(
        "staff.certificate.view",
        object_type="certificate",
        object_id=cert.id,
        detail={"via": "console"},
    )
    unit_of_work.done()
    return render_template(
        "console/certificate.html",
        c=record,
        kinds=ENCUMBRANCE_KINDS,
        encumbrance_labels=ENCUMBRANCE_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id: int) -> str:
    return _certificate_screen(certificate_id)


def _back(certificate_id: int) -> str:
    return url_for("console.certificate", certificate_id=certificate_id)


@bp.post("/certificates/<int:certificate_id>/encumbrances")
def add_encumbrance(certificate_id: int) -> Response:
    def work() -> Any:
        data = load(
            staff_schemas.EncumbranceCreateSchema(), request.form, ["kind", "holder", "reason"]
        )
        return service.add_encumbrance(certificate_id, data["kind"], data["holder"], data["reason"])

    return act(work, "已登记，核验结果即时生效", _back(certificate_id))


@bp.post("/certificates/<int:certificate_id>/encumbrances/<int:encumbrance_id>/release")
def release_encumbrance(certificate_id: int, encumbrance_id: int) -> Response:
    def work() -> Any:
        data = load(staff_schemas.ReasonSchema(), request.form, ["reason"])
        return service.release_encumbrance(certificate_id, encumbrance_id, data["reason"])

    return act(work, "已注销（解除），核验结果即时生效", _back(certificate_id))


@bp.post("/certificates/<int:certificate_id>/cancel")
def cancel_certificate(certificate_id: int) -> Response:
    def work() -> Any:
        data = load(staff_schemas.ReasonSchema(), request.form, ["reason"])
        return service.cancel_certificate(certificate_id, data["reason"])

    return act(work, "证书已注销", _back(certificate_id))


def _supersede_certificate_screen(certificate_id: int) -> Response:
    answer: dict[str, Any] = {}

    def work() -> Any:
        data = load(
            staff_schemas.SupersedeSchema(),
            request.form,
            ["reason", "replacement_certificate_id"],
            integers=["replacement_certificate_id"],
            optional=["replacement_certificate_id"],
        )
        answer.update(
            service.supersede_certificate(
                certificate_id, data["reason"], data.get("replacement_certificate_id")
            )
        )

    def back() -> str:
        return _back(answer["replacement"]["id"] if answer else certificate_id)

    return act(work, "已换证，旧证作废，以下为新证书", back)


@bp.post("/certificates/<int:certificate_id>/supersede")
def supersede_certificate(certificate_id: int) -> Response:
    return _supersede_certificate_screen(certificate_id)
