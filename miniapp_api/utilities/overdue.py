"""Overdue utility tasks: the staff list and the daily reminders to the utilities."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..applications import workdays
from ..database import db
from ..domain import audit
from ..models import UtilityTask
from .tasks import enqueue_webhook, task_query, task_view, today


def working_days_late(due: date, on: date) -> int:
    overrides = workdays.load_overrides(due, on)
    return sum(
        1
        for offset in range(1, (on - due).days + 1)
        if workdays.is_workday(date.fromordinal(due.toordinal() + offset), overrides)
    )


def list_for_staff(
    *,
    status: str,
    step: str | None,
    service: str | None,
    overdue: bool,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    on = today()
    where = []
    if overdue:
        where += [UtilityTask.status == "pending", UtilityTask.due_date < on]
    elif status != "all":
        where.append(UtilityTask.status == status)
    if step:
        where.append(UtilityTask.step == step)
    if service:
        where.append(UtilityTask.service == service)
    rows = db.session.execute(
        task_query()
        .where(*where)
        .order_by(UtilityTask.due_date, UtilityTask.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    total = db.session.execute(select(func.count(UtilityTask.id)).where(*where)).scalar_one()
    items = []
    for task in rows:
        view = task_view(task, on)
        view.update(
            application_id=task.application_id,
            application_number=task.application.number,
            overdue_working_days=working_days_late(task.due_date, on) if view["overdue"] else 0,
            last_reminded_on=task.last_reminded_on,
        )
        items.append(view)
    return {"page": page, "per_page": per_page, "total": total, "items": items}


def send_reminders(on: date | None = None) -> int:
    """Once a day: a ``utility.task_overdue`` webhook for every overdue task not yet reminded
    today (no commit). Safe to run more often: a task is reminded at most once per day."""
    on = on or today()
    tasks = db.session.execute(
        task_query()
        .where(
            UtilityTask.status == "pending",
            UtilityTask.due_date < on,
            (UtilityTask.last_reminded_on.is_(None)) | (UtilityTask.last_reminded_on < on),
        )
        .order_by(UtilityTask.id)
    ).scalars()
    count = 0
    for task in tasks:
        task.last_reminded_on = on
        enqueue_webhook(task, "utility.task_overdue")
        audit.record(
            "utility.task.remind",
            actor_kind="system",
            object_type="utility_task",
            object_id=task.id,
            detail={"service": task.service, "due_date": task.due_date.isoformat()},
        )
        count += 1
    return count
