"""What 登簿 does to the register, in the caller's transaction (flush only, never commit).

- transfer: the seller's right ends, its valid property certificates are cancelled (their QR
  verifies as cancelled at once), the buyers' right is created with their shares, and its
  certificate, e-license and signed token are issued through ``domain.documents``;
- mortgage: the encumbrance is added (every verification shows it at once) and the bank's
  不动产登记证明 is issued (certificate kind ``registration``, document kind
  ``registration_certificate``);
- mortgage_release: the encumbrance ends and its 登记证明 is cancelled.

If anything raises half-way, the request's transaction rolls back and nothing is left.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..database import db
from ..domain import audit, documents, pii
from ..domain.masking import mask_id_number
from ..domain.validators import birth_date_of, gender_of
from ..errors import Problem
from ..models import (
    Application,
    ApplicationParty,
    Certificate,
    Encumbrance,
    Partner,
    Person,
    PropertyRight,
    RightHolder,
)
from . import events
from .service import current_right


def register(app: Application, actor: str) -> None:
    if app.kind == "transfer":
        _transfer(app)
    elif app.kind == "mortgage":
        _mortgage(app)
    else:
        _release(app)
    audit.record(
        "application.register",
        object_type="application",
        object_id=app.id,
        detail={
            "kind": app.kind,
            "certificate_id": app.result_certificate_id,
            "encumbrance_id": app.result_encumbrance_id or app.encumbrance_id,
        },
    )


def _cancel_certificates(condition: object, reason: str) -> list[int]:
    when = events.now_utc()
    ids = list(
        db.session.execute(
            select(Certificate.id).where(condition, Certificate.status == "valid")  # type: ignore[arg-type]
        ).scalars()
    )
    if ids:
        db.session.execute(
            update(Certificate)
            .where(Certificate.id.in_(ids), Certificate.status == "valid")
            .values(status="cancelled", status_reason=reason[:200], status_changed_at=when)
            .execution_options(synchronize_session="fetch")
        )
    return ids


def person_for(party: ApplicationParty) -> Person:
    """The register's person for a party, created from the application if new."""
    person = db.session.execute(
        select(Person).where(Person.id_number_hash == party.id_number_hash)
    ).scalar_one_or_none()
    if person is not None:
        return person
    id_number = pii.decrypt(party.id_number_enc)
    person = Person(
        name=party.name,
        id_number_enc=party.id_number_enc,
        id_number_hash=party.id_number_hash,
        id_number_masked=mask_id_number(id_number),
        birth_date=birth_date_of(id_number),
        gender=gender_of(id_number),
    )
    db.session.add(person)
    db.session.flush()
    return person


def _transfer(app: Application) -> None:
    when = events.now_utc()
    old_rights = list(
        db.session.execute(
            select(PropertyRight).where(
                PropertyRight.unit_id == app.unit_id, PropertyRight.current.is_(True)
            )
        ).scalars()
    )
    cancelled: list[int] = []
    for right in old_rights:
        right.current = False
        cancelled += _cancel_certificates(
            (Certificate.right_id == right.id) & (Certificate.kind == "property"),
            f"转移登记（受理编号 {app.acceptance_number}）",
        )
    buyers = [p for p in app.parties if p.role == "obligee"]
    if any(p.share for p in buyers) and len(buyers) > 1:
        co_ownership = "shares"
    elif len(buyers) > 1:
        co_ownership = "joint"
    else:
        co_ownership = "sole"
    right = PropertyRight(
        unit_id=app.unit_id, co_ownership=co_ownership, registered_at=when, current=True
    )
    right.holders = [
        RightHolder(
            person_id=person_for(party).id,
            share=party.share if co_ownership == "shares" else None,
            position=position,
        )
        for position, party in enumerate(buyers)
    ]
    db.session.add(right)
    db.session.flush()
    cert = documents.issue_certificate(right, kind="property", issued_at=when)
    app.result_certificate_id = cert.id
    audit.record(
        "application.register.transfer",
        object_type="application",
        object_id=app.id,
        detail={"cancelled_certificates": cancelled, "certificate_id": cert.id},
    )


def _mortgage(app: Application) -> None:
    when = events.now_utc()
    bank = db.session.get(Partner, app.partner_id) if app.partner_id else None
    if bank is None:
        raise Problem(409, "mortgagee_unknown", "抵押权人不明，不能登簿")
    right = current_right(app.unit_id)
    if right is None:
        raise Problem(409, "no_current_right", "该单元没有现势权利，不能办理抵押登记")
    enc = Encumbrance(
        unit_id=app.unit_id,
        kind="mortgage",
        holder=bank.name,
        reason=(
            f"抵押权首次登记（受理编号 {app.acceptance_number}），"
            f"被担保债权 {app.loan_amount:.2f} 元，期限 {app.term_months} 个月"
        ),
        started_at=when,
    )
    db.session.add(enc)
    db.session.flush()
    cert = documents.issue_certificate(
        right,
        kind="registration",
        rights_holder_org=bank.name,
        encumbrance_id=enc.id,
        issued_at=when,
    )
    app.result_encumbrance_id = enc.id
    app.result_certificate_id = cert.id


def _release(app: Application) -> None:
    when = events.now_utc()
    result = db.session.execute(
        update(Encumbrance)
        .where(Encumbrance.id == app.encumbrance_id, Encumbrance.ended_at.is_(None))
        .values(ended_at=when, release_reason=f"抵押权注销登记（受理编号 {app.acceptance_number}）")
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise Problem(409, "encumbrance_already_released", "该抵押登记已经注销")
    cancelled = _cancel_certificates(
        Certificate.encumbrance_id == app.encumbrance_id,
        f"抵押权注销（受理编号 {app.acceptance_number}）",
    )
    audit.record(
        "application.register.release",
        object_type="application",
        object_id=app.id,
        detail={"cancelled_certificates": cancelled},
    )
