"""Queue (home) and Application screens: the window's day, on the applications package."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import unit_of_work
from ..alerts import holds
from ..alerts import schemas as alert_schemas
from ..applications import events, materials, read, service, tracks, window
from ..applications import schemas as app_schemas
from ..database import db
from ..domain import audit, hooks, pii
from ..errors import Problem
from ..labels import APPLICATION_CHANNEL_LABELS as CHANNEL_LABELS
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from ..labels import APPLICATION_TRACK_LABELS as TRACK_LABELS
from ..labels import MATERIAL_LABELS
from ..models import Application, Partner
from . import bp
from .auth import admin_required, frameable
from .forms import FormInvalid, act, as_int, load, messages
from .utility_states import for_application as utility_states

PER_PAGE = 50
# Applications the window has to act on (the queue's default).
WAITING = ("submitted", "accepted", "reviewed", "registered", "certified")
NEXT_STAGE = {
    "accepted": "reviewed",
    "reviewed": "registered",
    "registered": "certified",
    "certified": "completed",
}


def today() -> date:
    return events.china_date(events.now_utc())


def urgency(view: dict[str, Any], now: date) -> str:
    promised = view.get("promised_date")
    if view.get("status") in ("completed", "rejected", "declined", "withdrawn") or not promised:
        return ""
    if promised < now:
        return "overdue"
    return "due-today" if promised == now else ""


def _actor() -> str:
    return f"staff:{g.staff.username}"[:40]


def _queue_screen() -> str:
    args = request.args
    kind = args.get("kind") if args.get("kind") in KIND_LABELS else None
    channel = args.get("channel") if args.get("channel") in CHANNEL_LABELS else None
    status = args.get("status") or "waiting"
    partner_id = args.get("partner", type=int)
    page = max(1, min(args.get("page", 1, type=int) or 1, 10000))
    conditions = []
    if status == "waiting":
        conditions.append(Application.status.in_(WAITING))
    elif status in STATUS_LABELS:
        conditions.append(Application.status == status)
    else:
        status = "all"
    if kind:
        conditions.append(Application.kind == kind)
    if channel:
        conditions.append(Application.channel == channel)
    if partner_id:
        conditions.append(Application.partner_id == partner_id)
    total = db.session.execute(select(func.count(Application.id)).where(*conditions)).scalar_one()
    rows = db.session.execute(
        select(Application)
        .options(selectinload(Application.parties), selectinload(Application.events))
        .where(*conditions)
        .order_by(
            *hooks.emit("application.list_order"),  # disputed (held) ones first
            Application.promised_date.is_(None),
            Application.promised_date,
            Application.filed_at,
            Application.id,
        )
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).scalars()
    now = today()
    partners = db.session.execute(select(Partner).order_by(Partner.name)).scalars().all()
    names = {p.id: p.name for p in partners}
    items = []
    for app in rows:
        view = read.application_view(app, for_staff=True)
        view["urgency"] = urgency(view, now)
        view["partner_name"] = names.get(app.partner_id) if app.partner_id else None
        items.append(view)
    return render_template(
        "console/queue.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters={"kind": kind, "channel": channel, "status": status, "partner": partner_id},
        kinds=KIND_LABELS,
        channels=CHANNEL_LABELS,
        statuses=STATUS_LABELS,
        partners=partners,
        today=now,
    )


@bp.get("/")
def queue() -> str:
    return _queue_screen()


def _load(app_id: int) -> Application:
    app = service.load(app_id)
    if app is None:
        raise service.not_found()
    return app


def _parties_in_full(app: Application) -> list[dict[str, Any]]:
    return [
        {
            **read.party_view(p),
            "name": p.name,
            "id_number": pii.decrypt(p.id_number_enc),
            "phone": pii.decrypt(p.phone_enc) if p.phone_enc else None,
        }
        for p in app.parties
    ]


def _holds(app_id: int) -> list[dict[str, Any]]:
    return holds.holds_of(app_id)


def _application_screen(app_id: int) -> str:
    app = _load(app_id)
    view = read.application_view(app, for_staff=True)
    parties = _parties_in_full(app)
    audit.record(
        "staff.application.view",
        object_type="application",
        object_id=app.id,
        detail={"parties": len(parties), "via": "console"},
    )
    holds = _holds(app.id)
    files = materials.listing(app)
    partner = db.session.get(Partner, app.partner_id) if app.partner_id else None
    unit_of_work.done()
    return render_template(
        "console/application.html",
        app=app,
        view=view,
        parties=parties,
        holds=holds,
        materials=files,
        material_labels=MATERIAL_LABELS,
        track_labels=TRACK_LABELS,
        partner=partner,
        next_stage=NEXT_STAGE.get(app.status),
        status_labels=STATUS_LABELS,
        urgency=urgency(view, today()),
        events=app.events,
        utilities=utility_states(app, view),
    )


@bp.get("/applications/<int:app_id>")
def application(app_id: int) -> str:
    return _application_screen(app_id)


@bp.get("/applications/<int:app_id>/materials/<int:material_id>")
@frameable
def material(app_id: int, material_id: int) -> Response:
    response = materials.file_response(_load(app_id), material_id)  # audited there
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace(
        "attachment", "inline", 1
    )
    del response.headers["Content-Security-Policy"]
    return response


def _back(app_id: int) -> str:
    return url_for("console.application", app_id=app_id)


def _window_action(app_id: int, version: int, action: Any) -> None:
    app = window.load_for_update(app_id, version)  # a stale version is a 409
    action(app)
    db.session.flush()  # a concurrent change loses here (StaleDataError)


@bp.post("/applications/<int:app_id>/accept")
def accept(app_id: int) -> Response:
    def work() -> None:
        data = load(app_schemas.VersionSchema(), request.form, ["version"], integers=["version"])
        _window_action(app_id, data["version"], lambda a: window.accept(a, _actor()))

    return act(work, "已受理", _back(app_id))


@bp.post("/applications/<int:app_id>/correction")
def correction(app_id: int) -> Response:
    def work() -> None:
        data = load(
            app_schemas.ReasonVersionSchema(),
            request.form,
            ["version", "reason"],
            integers=["version"],
        )
        _window_action(
            app_id,
            data["version"],
            lambda a: window.request_correction(a, data["reason"], _actor()),
        )

    return act(work, "已要求补正，申请已退回提交方", _back(app_id))


@bp.post("/applications/<int:app_id>/reject")
def reject(app_id: int) -> Response:
    def work() -> None:
        data = load(
            app_schemas.ReasonVersionSchema(),
            request.form,
            ["version", "reason"],
            integers=["version"],
        )
        _window_action(
            app_id, data["version"], lambda a: window.reject(a, data["reason"], _actor())
        )

    return act(work, "已作不予受理处理", _back(app_id))


def _advance_screen(app_id: int) -> Response:
    def work() -> None:
        data = load(
            app_schemas.AdvanceSchema(),
            request.form,
            ["version", "stage", "note"],
            integers=["version"],
            optional=["note"],
        )
        _window_action(
            app_id,
            data["version"],
            lambda a: window.advance(a, data["stage"], _actor(), data.get("note")),
        )

    stage = request.form.get("stage", "")
    return act(work, f"已推进到“{STATUS_LABELS.get(stage, stage)}”", _back(app_id))


@bp.post("/applications/<int:app_id>/advance")
def advance(app_id: int) -> Response:
    return _advance_screen(app_id)


@bp.post("/applications/<int:app_id>/tracks/<any(contract_filing,tax):track>")
def track(app_id: int, track: str) -> Response:
    def work() -> None:
        data = load(app_schemas.TrackSchema(), request.form, ["reference"])
        tracks.complete_track(_load(app_id), track, data["reference"], _actor())
        db.session.flush()

    return act(work, f"{TRACK_LABELS[track]}已办结", _back(app_id))


@bp.post("/applications/<int:app_id>/holds/<int:hold_id>/clear")
@admin_required
def clear_hold(app_id: int, hold_id: int) -> Response:
    def work() -> None:
        data = load(alert_schemas.ClearInputSchema(), request.form, ["reason"])
        holds.clear(app_id, hold_id, data["reason"], g.staff.id)

    return act(work, "异议已解除", _back(app_id))


# --- filing at the window (people at the counter) ------------------------------------------------
PARTY_ROWS = 4
FILING_FIELDS = (
    "kind",
    "unit_number",
    "price",
    "contract_number",
    "loan_amount",
    "term_months",
    "encumbrance_id",
    "registration_certificate_number",
)


@bp.get("/applications/new")
def new_application() -> str:
    return render_template(
        "console/new_application.html", kinds=KIND_LABELS, rows=range(PARTY_ROWS), form={}
    )


def _filing_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in FILING_FIELDS:
        value = (form.get(name) or "").strip()
        if not value:
            continue
        if name in ("term_months", "encumbrance_id"):
            number = as_int(value)
            if number is None:
                raise FormInvalid(f"{name}：须为整数")
            data[name] = number
        else:
            data[name] = value
    parties = []
    for index in range(PARTY_ROWS):
        name = (form.get(f"party-{index}-name") or "").strip()
        if not name:
            continue
        party = {
            "role": form.get(f"party-{index}-role") or "",
            "name": name,
            "id_number": (form.get(f"party-{index}-id_number") or "").strip(),
        }
        for extra in ("phone", "share"):
            value = (form.get(f"party-{index}-{extra}") or "").strip()
            if value:
                party[extra] = value
        parties.append(party)
    data["parties"] = parties
    try:
        return app_schemas.ApplicationCreateSchema().load(data)
    except ValidationError as exc:
        raise FormInvalid(messages(exc.messages)) from None


def _file_application_screen() -> Any:
    try:
        data = _filing_data(request.form)
        filer = service.Filer(channel="window", staff_id=g.staff.id, actor=_actor())
        app = service.file_application(filer, data)
        unit_of_work.done()
    except (FormInvalid, Problem) as error:
        db.session.rollback()
        flash(
            f"填写有误：{error.message}" if isinstance(error, FormInvalid) else error.detail,
            "error",
        )
        return render_template(
            "console/new_application.html",
            kinds=KIND_LABELS,
            rows=range(PARTY_ROWS),
            form=request.form,
        ), 422
    flash(f"已提交申请 {app.number}", "ok")
    return redirect(url_for("console.application", app_id=app.id), code=303)


@bp.post("/applications/new")
def file_application() -> Any:
    """The window files for people at the counter: channel ``window``, the same checks as a
    partner's filing (``applications.service.file_application``)."""
    return _file_application_screen()
