"""Endpoints of utility transfers: the utilities' tasks (pull and answer), changing the choice
(filer, window, buyer) and the window's overdue list."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import unit_of_work
from ..applications import service as applications
from ..applications.idempotency import HEADER_PARAMETERS, partner_post
from ..auth.guards import citizen_required, staff_route
from ..database import db
from ..errors import Problem
from ..partners.guards import partner_route
from . import bp, overdue, tasks
from . import schemas as s
from .progress import extend_view

ROLES = ("clerk", "admin")
_NOT_OURS = {404: "不存在或不是本单位服务的任务"}
_SETTLED = "已登簿或已结束，或不是转移登记"


def _commit() -> None:
    """Flushed; the unit of work commits at the edge. A lost race is a 409."""
    try:
        unit_of_work.done()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Problem(409, "version_conflict", "该申请已被他人同时修改，请刷新后重试") from None


def _flush() -> None:
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Problem(409, "version_conflict", "该申请已被他人同时修改，请刷新后重试") from None


def _choice_answer(app: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"timeline": []}
    extend_view(app, view)
    return {"id": app.id, "status": app.status, "utilities": view.get("utilities", [])}


# --- utilities (partners of kind "utility") ---------------------------------------------------
@partner_route(
    bp,
    "get",
    "/partner/utility-tasks",
    s.UtilityTaskPageSchema,
    query=s.TaskQuerySchema,
    errors={403: "不是水、电、气公司"},
)
def utility_tasks(query: dict[str, Any]) -> dict[str, Any]:
    """本单位（一种服务）的协办任务：核验与过户（默认只列待答复的）

    Only the utility's own service; names, address, the buyers' phone and the old account
    number — never an ID number.
    """
    answer = tasks.list_for_utility(
        g.partner, query["status"], query.get("step"), query["page"], query["per_page"]
    )
    _commit()
    return answer


@partner_route(
    bp, "get", "/partner/utility-tasks/<int:task_id>", s.UtilityTaskSchema, errors=_NOT_OURS
)
def utility_task(task_id: int) -> dict[str, Any]:
    """一件协办任务"""
    return tasks.task_view(tasks.own_task(g.partner, task_id))


@partner_route(
    bp,
    "post",
    "/partner/utility-tasks/<int:task_id>/answer",
    s.UtilityTaskSchema,
    arguments=s.TaskAnswerSchema,
    errors={
        **_NOT_OURS,
        409: "已答复（且答复不同）或已取消",
        422: "答复不完整或与任务类型不符",
    },
    edge=partner_post,
    parameters=HEADER_PARAMETERS,
)
def utility_answer(data: dict[str, Any], task_id: int) -> dict[str, Any]:
    """答复协办任务：核验 ok / arrears（欠费金额、原因），过户 completed（新户号）/ failed（原因）

    Idempotent: the same answer again returns the task as answered; a different answer to an
    answered task is a 409 `utility_task_already_answered`.
    """
    task = tasks.answer_task(g.partner, task_id, data)
    _flush()
    return tasks.task_view(task)


# --- changing the choice (until 登簿) -----------------------------------------------------------
@partner_route(
    bp,
    "put",
    "/partner/applications/<int:app_id>/utilities",
    s.UtilityChoicesAnswerSchema,
    arguments=s.UtilityChoicesSchema,
    errors={404: "不是本机构的申请或不存在", 409: _SETTLED},
    edge=partner_post,
)
def partner_choices(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """更改水电气联动过户的选择（登簿之前）"""
    app = applications.own_application(g.partner, app_id)
    tasks.change_choices(app, data["utilities"], f"partner:{g.partner.id}")
    _flush()
    return _choice_answer(app)


@staff_route(
    bp,
    "put",
    "/staff/applications/<int:app_id>/utilities",
    s.UtilityChoicesAnswerSchema,
    roles=ROLES,
    arguments=s.UtilityChoicesSchema,
    errors={404: "申请不存在", 409: _SETTLED},
)
def staff_choices(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """窗口：更改水电气联动过户的选择（登簿之前）"""
    app = applications.load(app_id)
    if app is None:
        raise applications.not_found()
    tasks.change_choices(app, data["utilities"], f"staff:{g.staff.username}"[:40])
    _commit()
    return _choice_answer(app)


@bp.put("/me/applications/<int:app_id>/utilities")
@citizen_required
@bp.arguments(s.UtilityChoicesSchema)
@bp.response(200, s.UtilityChoicesAnswerSchema)
@bp.alt_response(403, description="只有买方（权利人）可以选择")
@bp.alt_response(404, description="不是本人作为当事人的申请")
@bp.alt_response(409, description=_SETTLED)
def my_choices(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """买方选择水电气联动过户（登簿之前可以更改）"""
    app = applications.citizen_application(g.person, app_id)
    if not any(
        p.role == "obligee" and p.id_number_hash == g.person.id_number_hash for p in app.parties
    ):
        raise Problem(403, "obligee_only", "水电气联动过户由买方（权利人）选择")
    tasks.change_choices(app, data["utilities"], f"citizen:{g.person.id}")
    _commit()
    return _choice_answer(app)


# --- the window ---------------------------------------------------------------------------------
@staff_route(
    bp,
    "get",
    "/staff/utility-tasks",
    s.StaffUtilityTaskPageSchema,
    roles=ROLES,
    query=s.StaffTaskQuerySchema,
)
def staff_tasks(query: dict[str, Any]) -> dict[str, Any]:
    """窗口：水电气协办任务（overdue=true：超过 2 个工作日未答复的）"""
    return overdue.list_for_staff(
        status=query["status"],
        step=query.get("step"),
        service=query.get("service"),
        overdue=query["overdue"],
        page=query["page"],
        per_page=query["per_page"],
    )
