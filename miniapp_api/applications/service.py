"""Filing and confirming registration applications (no request access here); the views of
an application are in ``read.py``, the parallel tracks in ``tracks.py``.

Services flush; the view edge commits once (``views.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..database import db
from ..domain import audit, pii
from ..domain.masking import mask_id_number, mask_phone
from ..domain.validators import normalize_id_number
from ..errors import Problem
from ..models import (
    Application,
    ApplicationParty,
    Certificate,
    Encumbrance,
    HandoverCase,
    HousingProject,
    Partner,
    Person,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from . import events
from .read import application_view, citizen_view
from .tracks import resume_clock

# Which partner kinds may file which application kinds.
PARTNER_FILING_RULES = {
    "bank": ("mortgage", "mortgage_release"),
    "agency": ("transfer",),
    "developer": ("transfer",),
}
WITHDRAWABLE = (
    "awaiting_confirmation",
    "submitted",
    "correction_requested",
    "accepted",
    "reviewed",
)


@dataclass(frozen=True)
class Filer:
    """Who files: a partner, a clerk at the window (or, later, a citizen)."""

    channel: str
    partner: Partner | None = None
    staff_id: int | None = None
    actor: str = "system"


def load(app_id: int) -> Application | None:
    return db.session.execute(
        select(Application)
        .options(
            selectinload(Application.parties),
            selectinload(Application.events),
        )
        .where(Application.id == app_id)
    ).scalar_one_or_none()


def not_found() -> Problem:
    return Problem(404, "application_not_found", "未找到该申请")


def own_application(partner: Partner, app_id: int) -> Application:
    """The partner's own application; another partner's answers exactly like a missing one."""
    app = load(app_id)
    if app is None or app.partner_id != partner.id:
        raise not_found()
    return app


def list_for_partner(
    partner: Partner, status: str | None, page: int, per_page: int
) -> dict[str, Any]:
    query = select(Application).where(Application.partner_id == partner.id)
    if status:
        query = query.where(Application.status == status)
    rows = (
        db.session.execute(
            query.options(selectinload(Application.parties), selectinload(Application.events))
            .order_by(Application.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .scalars()
        .all()
    )
    return {"page": page, "per_page": per_page, "items": [application_view(a) for a in rows]}


# --- filing --------------------------------------------------------------------------------------
def _unit(unit_number: str) -> RealEstateUnit:
    unit = db.session.execute(
        select(RealEstateUnit).where(RealEstateUnit.unit_number == unit_number)
    ).scalar_one_or_none()
    if unit is None:
        raise Problem(404, "unit_not_found", "未找到该不动产单元")
    return unit


def _active(unit: RealEstateUnit, kind: str) -> list[Encumbrance]:
    return [e for e in unit.encumbrances if e.kind == kind and e.ended_at is None]


def current_right(unit_id: int) -> PropertyRight | None:
    return db.session.execute(
        select(PropertyRight)
        .options(selectinload(PropertyRight.holders).selectinload(RightHolder.person))
        .where(PropertyRight.unit_id == unit_id, PropertyRight.current.is_(True))
        .order_by(PropertyRight.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _check_partner_may_file(partner: Partner, kind: str, unit: RealEstateUnit) -> None:
    allowed = PARTNER_FILING_RULES.get(partner.kind, ())
    if kind not in allowed:
        raise Problem(
            403,
            "application_kind_not_allowed",
            "本机构不能提交此类申请（银行办理抵押及注销，中介和开发企业办理转移登记）",
        )
    if partner.kind == "developer":
        project = db.session.get(HousingProject, unit.project_id) if unit.project_id else None
        if project is None or project.developer != partner.organisation:
            raise Problem(403, "not_your_project", "开发企业只能为本企业项目的房屋提交转移登记")


def _normalise_parties(parties: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    result = []
    for index, raw in enumerate(parties):
        id_number = normalize_id_number(raw["id_number"])
        key = f"{raw['role']}:{id_number}"
        if key in seen:
            raise Problem(
                422,
                "validation_failed",
                "同一当事人重复填写",
                errors={"parties": {str(index): ["同一当事人重复填写"]}},
            )
        seen.add(key)
        result.append({**raw, "id_number": id_number, "name": raw["name"].strip()})
    return result


def _check_holders(unit: RealEstateUnit, obligors: list[dict[str, Any]]) -> PropertyRight:
    """The obligors must be exactly the registered holders (name and ID number).

    The refusal never says who the holders are, how many there are, or which entry differs.
    """
    right = current_right(unit.id)
    refused = Problem(
        409, "not_the_holders", "义务人与不动产登记簿记载的权利人不一致，请核对后重新提交"
    )
    if right is None:
        raise refused
    registered = {(h.person.id_number_hash, h.person.name) for h in right.holders}
    given = {(pii.id_number_hash(o["id_number"]), o["name"]) for o in obligors}
    if registered != given:
        raise refused
    return right


def _mortgage_to_release(
    partner_name: str | None, unit: RealEstateUnit, data: dict[str, Any]
) -> Encumbrance:
    enc: Encumbrance | None = None
    if data.get("encumbrance_id") is not None:
        enc = db.session.get(Encumbrance, data["encumbrance_id"])
    elif data.get("registration_certificate_number"):
        cert = db.session.execute(
            select(Certificate).where(
                Certificate.number == data["registration_certificate_number"],
                Certificate.kind == "registration",
            )
        ).scalar_one_or_none()
        enc = cert.encumbrance if cert is not None else None
    else:
        raise Problem(
            422,
            "validation_failed",
            "请填写要注销的抵押登记（encumbrance_id 或不动产登记证明号）",
            errors={"encumbrance_id": ["必填其一"]},
        )
    if (
        enc is None
        or enc.unit_id != unit.id
        or enc.kind != "mortgage"
        or enc.ended_at is not None
        or (partner_name is not None and enc.holder != partner_name)
    ):
        raise Problem(409, "not_your_mortgage", "未找到本机构在该单元上的现势抵押登记")
    return enc


def _require(data: dict[str, Any], *names: str) -> None:
    missing = {n: ["此类申请必须填写"] for n in names if data.get(n) in (None, "")}
    if missing:
        raise Problem(422, "validation_failed", "提交的信息有误，请按提示修改", errors=missing)


def _new_number() -> str:
    day = events.china_date(events.now_utc()).strftime("%Y%m%d")
    return f"SQ{day}{secrets.randbelow(10**8):08d}"


def file_application(filer: Filer, data: dict[str, Any]) -> Application:
    """Check every rule, then add the application with its parties (flush, no commit)."""
    kind = data["kind"]
    unit = _unit(data["unit_number"])
    if filer.partner is not None:
        _check_partner_may_file(filer.partner, kind, unit)
    parties = _normalise_parties(data.get("parties") or [])
    obligors = [p for p in parties if p["role"] == "obligor"]
    obligees = [p for p in parties if p["role"] == "obligee"]
    if kind in ("transfer", "mortgage") and _active(unit, "seizure"):
        raise Problem(409, "unit_seized", "该不动产已被查封，暂不能办理此项登记")
    if kind in ("transfer", "mortgage") and _active(unit, "objection"):
        raise Problem(409, "unit_under_objection", "该不动产存在异议登记，暂不能办理此项登记")
    open_key = f"{unit.id}:{kind}"
    encumbrance: Encumbrance | None = None
    handover_case: HandoverCase | None = None
    if kind == "transfer":
        _require(data, "price", "contract_number")
        if not obligees:
            raise Problem(
                422,
                "validation_failed",
                "转移登记须填写权利人（买受人）",
                errors={"parties": ["缺少权利人"]},
            )
        developer_sale = filer.partner is not None and filer.partner.kind == "developer"
        handover_case = db.session.execute(
            select(HandoverCase).where(HandoverCase.unit_id == unit.id)
        ).scalar_one_or_none()
        if developer_sale and not obligors:
            # A first sale: the developer itself is the obligor (its first registration).
            if current_right(unit.id) is not None:
                raise Problem(
                    409,
                    "not_the_holders",
                    "义务人与不动产登记簿记载的权利人不一致，请核对后重新提交",
                )
        else:
            _check_holders(unit, obligors)
        if handover_case is not None:
            buyers = {handover_case.buyer_id, handover_case.co_buyer_id} - {None}
            buyer_hashes = {
                p.id_number_hash
                for p in db.session.execute(select(Person).where(Person.id.in_(buyers))).scalars()
            }
            if {pii.id_number_hash(o["id_number"]) for o in obligees} != buyer_hashes:
                raise Problem(
                    409,
                    "handover_case_conflict",
                    "该房屋已在“交房即交证”中办理，权利人须与购房人一致",
                )
    elif kind == "mortgage":
        _require(data, "loan_amount", "term_months")
        if obligees:
            raise Problem(
                422,
                "validation_failed",
                "抵押权人即提交申请的银行，无需填写权利人",
                errors={"parties": ["抵押登记只填写抵押人（义务人）"]},
            )
        _check_holders(unit, obligors)
    else:
        encumbrance = _mortgage_to_release(
            filer.partner.name if filer.partner is not None else None, unit, data
        )
        open_key = f"{unit.id}:{kind}:{encumbrance.id}"
    if db.session.execute(select(Application.id).where(Application.open_key == open_key)).first():
        raise _in_progress()
    when = events.now_utc()
    app = Application(
        number=_new_number(),
        kind=kind,
        channel=filer.channel,
        partner_id=filer.partner.id if filer.partner is not None else None,
        filed_by_staff_id=filer.staff_id,
        unit_id=unit.id,
        status="awaiting_confirmation" if parties else "submitted",
        open_key=open_key,
        price=_decimal(data.get("price")),
        contract_number=data.get("contract_number"),
        loan_amount=_decimal(data.get("loan_amount")),
        term_months=data.get("term_months"),
        encumbrance_id=encumbrance.id if encumbrance is not None else None,
        handover_case_id=handover_case.id if handover_case is not None else None,
        utilities=data.get("utilities"),
        filed_at=when,
        submitted_at=None if parties else when,
        updated_at=when,
    )
    app.unit = unit
    app.parties = [_party(p, position) for position, p in enumerate(parties)]
    db.session.add(app)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _in_progress() from None
    events.change_status(
        app, app.status, actor=filer.actor, when=when, audit_action="application.file", filed=True
    )
    if parties:
        events.enqueue_confirmation_requests(app)
    return app


def _in_progress() -> Problem:
    return Problem(409, "application_in_progress", "该不动产已有同类申请正在办理，不能重复申请")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _party(p: dict[str, Any], position: int) -> ApplicationParty:
    id_number = p["id_number"]
    id_hash = pii.id_number_hash(id_number)
    person = db.session.execute(
        select(Person.id).where(Person.id_number_hash == id_hash)
    ).scalar_one_or_none()
    phone = p.get("phone")
    return ApplicationParty(
        role=p["role"],
        position=position,
        name=p["name"],
        id_number_enc=pii.encrypt(id_number),
        id_number_hash=id_hash,
        id_number_masked=mask_id_number(id_number),
        phone_enc=pii.encrypt(phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        share=p.get("share"),
        person_id=person,
    )


# --- the filer's actions -------------------------------------------------------------------------
def withdraw(app: Application, actor: str) -> Application:
    if app.status not in WITHDRAWABLE:
        raise Problem(409, "cannot_withdraw", "该申请已登簿或已结束，不能撤回")
    events.change_status(app, "withdrawn", actor=actor)
    return app


def resubmit(app: Application, actor: str) -> Application:
    """After a correction (补正): back where it was; the clock runs again, extended by the
    working days it stood still."""
    if app.status != "correction_requested":
        raise Problem(409, "not_in_correction", "该申请不在补正状态，无需重新提交")
    target = app.correction_from or "submitted"
    resume_clock(app)
    app.correction_from = None
    events.change_status(app, target, actor=actor, audit_action="application.resubmit")
    return app


def tax_application(partner: Partner, app_id: int) -> Application:
    if partner.kind != "tax":
        raise Problem(403, "tax_partner_required", "仅税务机关可报送缴税信息")
    app = load(app_id)
    if app is None:
        raise not_found()
    return app


# --- citizens ------------------------------------------------------------------------------------
def _citizen_query(person: Person) -> Any:
    mine = select(ApplicationParty.application_id).where(
        ApplicationParty.id_number_hash == person.id_number_hash
    )
    return (
        select(Application)
        .where(Application.id.in_(mine))
        .options(selectinload(Application.parties), selectinload(Application.events))
    )


def list_for_citizen(person: Person) -> list[dict[str, Any]]:
    rows = db.session.execute(_citizen_query(person).order_by(Application.id.desc())).scalars()
    items = [citizen_view(a, person) for a in rows]
    audit.record("applications.me.list", object_type="application", detail={"returned": len(items)})
    return items


def citizen_application(person: Person, app_id: int) -> Application:
    app = db.session.execute(
        _citizen_query(person).where(Application.id == app_id)
    ).scalar_one_or_none()
    if app is None:
        raise not_found()
    return app


def confirm(person: Person, app_id: int, decision: str, reason: str | None) -> Application:
    app = citizen_application(person, app_id)
    if app.status != "awaiting_confirmation":
        raise Problem(409, "not_awaiting_confirmation", "该申请当前不需要确认")
    mine = [p for p in app.parties if p.id_number_hash == person.id_number_hash]
    if all(p.confirmed_at or p.declined_at for p in mine):
        raise Problem(409, "already_answered", "您已经对该申请作出了答复")
    when = events.now_utc()
    for party in mine:
        if decision == "confirm":
            party.confirmed_at = when
        else:
            party.declined_at = when
        party.person_id = person.id
    actor = f"citizen:{person.id}"
    if decision == "decline":
        app.reason = (reason or "当事人不同意").strip()[:200]
        events.change_status(app, "declined", actor=actor, note=app.reason)
    elif all(p.confirmed_at for p in app.parties):
        app.submitted_at = when
        events.change_status(app, "submitted", actor=actor, note="各方已确认")
    else:
        audit.record("application.confirm", object_type="application", object_id=app.id)
        app.updated_at = when
    db.session.flush()
    return app
