"""What the parties, the filer and the window see of the utilities on an application (its
view and timeline), the figures for ``/stats/applications`` and the CSV export column."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..applications import workdays
from ..applications.events import china_date
from ..database import db
from ..labels import UTILITY_SERVICE_LABELS as SERVICE_LABELS
from ..labels import UTILITY_STATE_LABELS as STATE_LABELS
from ..models import Application, UtilityTask
from ..models.utilities import UTILITY_SERVICES
from . import rollup
from .tasks import choices


def _latest(tasks: list[UtilityTask], step: str) -> UtilityTask | None:
    mine = [t for t in tasks if t.step == step and t.live_key is not None]
    return mine[-1] if mine else None


def state_of(check: UtilityTask | None, transfer: UtilityTask | None) -> dict[str, Any]:
    """One service's state: 待核验 / 可过户 / 有欠费 ¥… / 已过户 新户号 … / 失败 原因."""
    if transfer is not None and transfer.status == "answered":
        if transfer.result == "completed":
            return {
                "state": "completed",
                "state_label": f"已过户 新户号 {transfer.new_account_number}",
                "new_account_number": transfer.new_account_number,
                "at": transfer.answered_at,
            }
        return {
            "state": "failed",
            "state_label": f"失败 {transfer.reason}",
            "reason": transfer.reason,
            "at": transfer.answered_at,
        }
    if check is not None and check.status == "answered":
        if check.result == "arrears":
            return {
                "state": "arrears",
                "state_label": f"有欠费 ¥{check.amount_due:.2f}（{check.reason}）",
                "amount_due": f"{check.amount_due:.2f}",
                "reason": check.reason,
                "at": check.answered_at,
            }
        return {"state": "ok", "state_label": STATE_LABELS["ok"], "at": check.answered_at}
    return {"state": "pending_check", "state_label": STATE_LABELS["pending_check"], "at": None}


def extend_view(app: Application, view: dict[str, Any]) -> None:
    """VIEW_EXTENDERS hook: ``utilities`` with each service's state, and timeline items."""
    if app.kind != "transfer":
        return
    chosen = choices(app)
    if not chosen:
        view["utilities"] = []
        return
    tasks = list(
        db.session.execute(
            select(UtilityTask).where(UtilityTask.application_id == app.id).order_by(UtilityTask.id)
        ).scalars()
    )
    states = []
    extra = []
    for choice in chosen:
        service = choice["service"]
        mine = [t for t in tasks if t.service == service]
        check, transfer = _latest(mine, "check"), _latest(mine, "transfer")
        state = state_of(check, transfer)
        states.append(
            {
                "service": service,
                "service_label": SERVICE_LABELS[service],
                "account_number": choice["account_number"],
                "state": state["state"],
                "state_label": state["state_label"],
                "amount_due": state.get("amount_due"),
                "reason": state.get("reason"),
                "new_account_number": state.get("new_account_number"),
                "transfer_requested": transfer is not None,
            }
        )
        label = SERVICE_LABELS[service]
        if check is not None:
            extra.append(
                {
                    "action": f"utility:{service}",
                    "label": f"{label}：{STATE_LABELS['pending_check']}",
                    "at": check.created_at,
                }
            )
        if check is not None and check.status == "answered":
            extra.append(_item(service, f"{label}：{state_of(check, None)['state_label']}", check))
        if transfer is not None:
            extra.append(
                {
                    "action": f"utility:{service}",
                    "label": f"{label}：已通知办理过户",
                    "at": transfer.created_at,
                }
            )
            if transfer.status == "answered":
                extra.append(_item(service, f"{label}：{state['state_label']}", transfer))
    view["utilities"] = states
    if extra:
        view["timeline"] = sorted([*view["timeline"], *extra], key=lambda item: item["at"])


def _item(service: str, label: str, task: UtilityTask) -> dict[str, Any]:
    return {"action": f"utility:{service}", "label": label, "at": task.answered_at}


def csv_cell(app: Application) -> str:
    """CSV_COLUMNS hook: e.g. ``水:已过户 新户号 …; 电:有欠费 ¥…``."""
    view: dict[str, Any] = {"timeline": []}
    extend_view(app, view)
    return "; ".join(f"{s['service_label']}:{s['state_label']}" for s in view.get("utilities", []))


def _working_days_between(start: date, end: date, overrides: dict[date, bool]) -> int:
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if workdays.is_workday(day, overrides):
            days += 1
    return days


def stats(lo: datetime, hi: datetime) -> dict[str, Any]:
    """STATS_EXTENDERS hook: per service, transfers requested with the applications filed in
    the period (from the rollup), transfers completed, and the median working days from 登簿
    to completion (read from the completed transfer tasks only, never the applications)."""
    figures: dict[str, dict[str, Any]] = {
        s: {"requested": 0, "completed": 0, "median_working_days": None} for s in UTILITY_SERVICES
    }
    first, last = china_date(lo), china_date(hi) - timedelta(days=1)
    for service, count in rollup.requested(first, last).items():
        if service in figures:
            figures[service]["requested"] = count
    in_period = (Application.filed_at >= lo) & (Application.filed_at < hi)
    durations: dict[str, list[int]] = {s: [] for s in UTILITY_SERVICES}
    spans: list[tuple[str, date, date]] = []
    for service, created, answered in db.session.execute(
        select(UtilityTask.service, UtilityTask.created_at, UtilityTask.answered_at)
        .join(Application, Application.id == UtilityTask.application_id)
        .where(
            in_period,
            UtilityTask.step == "transfer",
            UtilityTask.status == "answered",
            UtilityTask.result == "completed",
        )
    ):
        figures[service]["completed"] += 1
        spans.append((service, china_date(created), china_date(answered)))
    if spans:
        overrides = workdays.load_overrides(
            min(s[1] for s in spans), max(s[2] for s in spans)
        )  # one query for the whole period
        for service, start, end in spans:
            durations[service].append(_working_days_between(start, end, overrides))
    for service, values in durations.items():
        if values:
            figures[service]["median_working_days"] = float(statistics.median(values))
    return {"utility_transfers": figures}
