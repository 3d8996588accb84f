"""Public lookup by 受理编号 + name, the report's figures, and the staff CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import db
from ..domain import audit
from ..domain.masking import mask_name
from ..errors import Problem
from ..labels import APPLICATION_CHANNEL_LABELS as CHANNEL_LABELS
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from ..models import Application
from . import hooks, rollup
from .events import CHINA_TZ
from .read import timeline

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _mask_location(location: str) -> str:
    """Keep the street part, hide the building and room digits."""
    keep = max(4, len(location) // 2)
    return location[:keep] + "*" * (len(location) - keep)


def lookup(number: str, name: str) -> dict[str, Any]:
    """The application with this acceptance number if ``name`` is one of its parties;
    every miss (no such number, wrong name) answers the same 404."""
    miss = Problem(404, "application_not_found", "未找到匹配的办件，请核对受理编号和姓名")
    app = db.session.execute(
        select(Application)
        .options(selectinload(Application.parties), selectinload(Application.events))
        .where(Application.acceptance_number == number.strip())
    ).scalar_one_or_none()
    name = name.strip()
    if app is None or not any(p.name == name for p in app.parties):
        raise audit.refuse(
            miss, "application.lookup", result="not_found", object_type="application"
        )
    audit.record("application.lookup", object_type="application", object_id=app.id)
    return {
        "number": app.number,
        "acceptance_number": app.acceptance_number,
        "kind_label": KIND_LABELS[app.kind],
        "status": app.status,
        "status_label": STATUS_LABELS[app.status],
        "location": _mask_location(app.unit.location),
        "parties": [mask_name(p.name) for p in app.parties],
        "promised_date": app.promised_date,
        "timeline": timeline(app),
    }


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise Problem(
            422, "validation_failed", "结束日期不能早于开始日期", errors={"to": ["早于开始日期"]}
        )
    if (end - start).days > 3660:
        raise Problem(
            422, "validation_failed", "统计期间不能超过 10 年", errors={"to": ["期间过长"]}
        )
    lo = datetime.combine(start, time.min, CHINA_TZ)
    hi = datetime.combine(end + timedelta(days=1), time.min, CHINA_TZ)
    return lo, hi


def stats(start: date, end: date) -> dict[str, Any]:
    """已办理业务 N 笔，办结率 N%: applications filed in the period (China dates), from the
    daily rollup (``rollup.py``), so the answer does not grow with the number of rows."""
    lo, hi = _bounds(start, end)
    total = completed_total = on_time = 0
    by_kind: dict[str, int] = dict.fromkeys(KIND_LABELS, 0)
    by_channel: dict[str, int] = dict.fromkeys(CHANNEL_LABELS, 0)
    for kind, channel, filed, done, timely in rollup.totals(start, end):
        total += filed
        completed_total += done
        on_time += timely
        by_kind[kind] = by_kind.get(kind, 0) + filed
        by_channel[channel] = by_channel.get(channel, 0) + filed
    answer = {
        "total": total,
        "completed": completed_total,
        "completion_rate": round(completed_total / total, 4) if total else 0.0,
        "on_time_rate": round(on_time / completed_total, 4) if completed_total else 0.0,
        "by_kind": by_kind,
        "by_channel": by_channel,
    }
    for extend in hooks.stats_extenders():
        answer.update(extend(lo, hi))
    return answer


def neutralise(value: Any) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_csv(start: date, end: date) -> str:
    lo, hi = _bounds(start, end)
    columns = hooks.csv_columns()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "申请编号",
            "受理编号",
            "类型",
            "渠道",
            "状态",
            "坐落",
            "当事人",
            "提交时间",
            "承诺办结日期",
            "办结时间",
            *(header for header, _cell in columns),
        ]
    )
    rows = db.session.execute(
        select(Application)
        .options(selectinload(Application.parties))
        .where(Application.filed_at >= lo, Application.filed_at < hi)
        .order_by(Application.id)
    ).scalars()
    count = 0
    for app in rows:
        count += 1
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    app.number,
                    app.acceptance_number,
                    KIND_LABELS[app.kind],
                    CHANNEL_LABELS[app.channel],
                    STATUS_LABELS[app.status],
                    app.unit.location,
                    "、".join(mask_name(p.name) for p in app.parties),
                    app.filed_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                    app.promised_date.isoformat() if app.promised_date else "",
                    app.completed_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
                    if app.completed_at
                    else "",
                    *(cell(app) for _header, cell in columns),
                )
            ]
        )
    audit.record("application.export", object_type="application", detail={"rows": count})
    return "\ufeff" + out.getvalue()
