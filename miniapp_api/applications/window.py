"""The window (一窗受理): accept, correction, reject, advance, parallel tracks (no request here).

Every action names the ``version`` the clerk saw; a different one is a 409, and two clerks
acting at once are told apart by the row's version column (the loser gets a 409 at flush).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import db
from ..domain import audit, hooks
from ..errors import Problem
from ..labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from ..models import Application
from . import events, registering, workdays
from .read import application_view

DEFAULT_TIME_LIMITS = {"transfer": 5, "mortgage": 3, "mortgage_release": 1}
STAGES = ("accepted", "reviewed", "registered", "certified", "completed")


def time_limit(kind: str) -> int:
    """Working days promised per kind (config ``APPLICATION_TIME_LIMITS`` overrides)."""
    limits = {**DEFAULT_TIME_LIMITS, **(current_app.config.get("APPLICATION_TIME_LIMITS") or {})}
    return int(limits[kind])


def version_conflict(current: int) -> Problem:
    return Problem(
        409,
        "version_conflict",
        f"该申请已被他人修改（当前版本 {current}），请刷新后重试",
        current_version=current,
    )


def load_for_update(app_id: int, version: int) -> Application:
    app = db.session.execute(
        select(Application)
        .options(selectinload(Application.parties), selectinload(Application.events))
        .where(Application.id == app_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if app is None:
        raise Problem(404, "application_not_found", "未找到该申请")
    if app.version != version:
        raise version_conflict(app.version)
    return app


def list_applications(
    status: str | None, kind: str | None, page: int, per_page: int
) -> dict[str, Any]:
    query = select(Application)
    count = select(func.count(Application.id))
    if status:
        query = query.where(Application.status == status)
        count = count.where(Application.status == status)
    if kind:
        query = query.where(Application.kind == kind)
        count = count.where(Application.kind == kind)
    rows = db.session.execute(
        query.options(selectinload(Application.parties), selectinload(Application.events))
        .order_by(*hooks.emit("application.list_order"), Application.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return {
        "page": page,
        "per_page": per_page,
        "total": db.session.execute(count).scalar_one(),
        "items": [application_view(a, for_staff=True) for a in rows],
    }


def _acceptance_number(year: int) -> str:
    region = current_app.config["REGISTRY_REGION_CODE"]
    prefix = f"{year}{region}"
    last = db.session.execute(
        select(func.max(Application.acceptance_number)).where(
            Application.acceptance_number.like(prefix + "%")
        )
    ).scalar()
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


def accept(app: Application, actor: str) -> Application:
    if app.status != "submitted":
        raise Problem(
            409, "cannot_accept", f"只有已提交的申请可以受理（当前：{STATUS_LABELS[app.status]}）"
        )
    when = events.now_utc()
    today = events.china_date(when)
    app.acceptance_number = _acceptance_number(today.year)
    app.accepted_at = when
    app.time_limit_days = time_limit(app.kind)
    app.promised_date = workdays.add_working_days(today, app.time_limit_days)
    events.change_status(app, "accepted", actor=actor, when=when)
    # The 受理凭证 exists from now on (kinds/receipt.py renders it on demand).
    audit.record("application.receipt.issue", object_type="application", object_id=app.id)
    return app


def request_correction(app: Application, reason: str, actor: str) -> Application:
    if app.status not in ("submitted", "accepted", "reviewed"):
        raise Problem(409, "cannot_request_correction", "该申请当前不能要求补正")
    app.correction_from = app.status
    app.paused_at = events.now_utc()
    app.reason = reason
    events.change_status(app, "correction_requested", actor=actor, note=reason)
    return app


def reject(app: Application, reason: str, actor: str) -> Application:
    if app.status not in ("submitted", "accepted", "reviewed", "correction_requested"):
        raise Problem(409, "cannot_reject", "该申请当前不能作不予受理处理")
    app.reason = reason
    events.change_status(app, "rejected", actor=actor, note=reason)
    return app


def advance(app: Application, stage: str, actor: str, note: str | None = None) -> Application:
    """accepted → reviewed → registered (登簿, with the register's changes) → certified →
    completed, one step at a time."""
    if stage not in STAGES[1:]:
        raise Problem(422, "unknown_stage", "未知的办理环节")
    if app.status not in STAGES or STAGES.index(stage) != STAGES.index(app.status) + 1:
        raise Problem(
            409,
            "stage_out_of_order",
            f"办理环节须按顺序推进（当前：{STATUS_LABELS[app.status]}）",
        )
    if stage == "registered":
        if app.kind == "transfer" and (app.contract_filing_at is None or app.tax_paid_at is None):
            raise Problem(
                409,
                "tracks_pending",
                "转移登记须在网签备案和缴税两项办结后才能登簿",
                tracks={
                    "contract_filing": app.contract_filing_at is not None,
                    "tax": app.tax_paid_at is not None,
                },
            )
        hooks.emit("application.before_register", app=app, actor=actor)
        registering.register(app, actor)
    events.change_status(app, stage, actor=actor, note=note)
    return app


def on_time(app: Application) -> bool | None:
    if app.completed_at is None or app.promised_date is None:
        return None
    return events.china_date(app.completed_at) <= app.promised_date


def overdue_days(app: Application, today: date) -> int:
    if app.promised_date is None or app.completed_at is not None:
        return 0
    return max(0, (today - app.promised_date).days)
