"""The application screen's 水电气联动过户 card (read-only): each opted-in service's state, as
the application view's ``utilities`` states it, with its live tasks (协办核验, 过户) from the
utilities package — status, due date, overdue, the answer."""

from __future__ import annotations

from typing import Any

from ..labels import UTILITY_SERVICE_NAMES, UTILITY_STEP_LABELS
from ..models import Application, UtilityTask
from ..utilities import tasks

TASK_STATUS_LABELS = {"pending": "待答复", "answered": "已答复", "cancelled": "已取消"}
ENDED = ("rejected", "declined", "withdrawn")


def _answer(task: UtilityTask) -> str:
    if task.status != "answered":
        return task.reason or ""  # cancelled: why
    if task.result == "arrears":
        return f"有欠费 ¥{task.amount_due:.2f}（{task.reason}）"
    if task.result == "completed":
        return f"已过户 新户号 {task.new_account_number}"
    if task.result == "failed":
        return f"失败 {task.reason}"
    return "可过户"


def _task_row(task: UtilityTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "step_label": UTILITY_STEP_LABELS.get(task.step, task.step),
        "status": task.status,
        "status_label": TASK_STATUS_LABELS.get(task.status, task.status),
        "created_at": task.created_at,
        "due_date": task.due_date,
        "overdue": tasks.is_overdue(task),
        "answered_at": task.answered_at,
        "answer": _answer(task),
    }


def for_application(app: Application, view: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per opted-in service (empty for other kinds or no choice)."""
    states = view.get("utilities") or []
    if not states:
        return []
    live = tasks.live_tasks(app)
    waiting = "申请已结束，协办任务已取消" if app.status in ENDED else "受理后生成协办核验任务"
    return [
        {
            **state,
            "service_name": UTILITY_SERVICE_NAMES.get(state["service"], state["service"]),
            "no_tasks": waiting,
            "tasks": [_task_row(t) for t in live if t.service == state["service"]],
        }
        for state in states
    ]
