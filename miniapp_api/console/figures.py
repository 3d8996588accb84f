"""Figures (/staff/figures): the report's own numbers for any period, as charts with their
tables and CSV/XLSX downloads.

The application figures are the stats API's own function (``applications.reports.stats``)
called for the whole period and for each month in it, so the console and
``GET /api/v1/stats/applications`` can never disagree. The rest are counts over the same China
calendar days: applications by partner, verifications by channel (the audit log's
``verification.check`` rows, as the monthly digest reads them), and 交房即交证 units handed
over (keys and deed together) with their deeds. The linked utility transfers (水电气联动过户)
are the stats API's ``utility_transfers`` for the period, as they are.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request
from sqlalchemy import case, func, select

from .. import unit_of_work
from ..applications import reports
from ..applications.events import CHINA_TZ, china_date, now_utc
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..handover import rules
from ..labels import APPLICATION_CHANNEL_LABELS as CHANNEL_LABELS
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import UTILITY_SERVICE_NAMES
from ..models import Application, AuditEvent, HandoverCase, HandoverStageEvent, Partner
from . import bp

VERIFY_CHANNELS = {
    "page": "扫码（核验页）",
    "api": "扫码（接口）",
    "number": "输入证书号",
    "image": "上传照片",
    "partner": "合作机构（令牌）",
    "partner-number": "合作机构（证书号）",
}


def period() -> tuple[date, date]:
    today = china_date(now_utc())
    try:
        start = date.fromisoformat(request.args.get("from") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        raise Problem(422, "validation_failed", "日期格式应为 YYYY-MM-DD") from None
    if end < start:
        raise Problem(422, "validation_failed", "结束日期不能早于开始日期")
    if (end - start).days > 3660:
        raise Problem(422, "validation_failed", "统计期间不能超过 10 年")
    return start, end


def months(start: date, end: date) -> list[tuple[str, date, date]]:
    """(YYYY-MM, first day, last day) of each month in the period, clipped to it."""
    out = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        following = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        out.append(
            (cursor.strftime("%Y-%m"), max(cursor, start), min(following - timedelta(days=1), end))
        )
        cursor = following
    return out


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time.min, CHINA_TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, CHINA_TZ).astimezone(UTC)
    return lo, hi


def _by_partner(start: date, end: date) -> list[dict[str, Any]]:
    lo, hi = _bounds(start, end)
    rows = db.session.execute(
        select(
            Application.partner_id,
            func.count(Application.id),
            func.sum(case((Application.status == "completed", 1), else_=0)),
        )
        .where(Application.filed_at >= lo, Application.filed_at < hi)
        .group_by(Application.partner_id)
    ).all()
    names = {p.id: p.name for p in db.session.execute(select(Partner)).scalars()}
    items = [
        {
            "partner": names.get(pid, f"#{pid}") if pid else "（窗口及市民，非合作机构）",
            "filed": int(filed),
            "completed": int(done or 0),
        }
        for pid, filed, done in rows
    ]
    return sorted(items, key=lambda i: -i["filed"])


def _verifications(lo: datetime, hi: datetime) -> dict[str, int]:
    channel = AuditEvent.detail["channel"].as_string()
    rows = db.session.execute(
        select(channel, func.count(AuditEvent.id))
        .where(AuditEvent.action == "verification.check", AuditEvent.at >= lo, AuditEvent.at < hi)
        .group_by(channel)
    ).all()
    counts = dict.fromkeys(VERIFY_CHANNELS, 0)
    for name, count in rows:
        counts[name or "other"] = counts.get(name or "other", 0) + int(count)
    return counts


def _handed_over(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Units that reached 交房即交证 in [lo, hi), and how many of them have their deed."""
    reached = (
        select(HandoverStageEvent.case_id)
        .where(
            HandoverStageEvent.stage == rules.HANDED_OVER,
            HandoverStageEvent.reached_at >= lo,
            HandoverStageEvent.reached_at < hi,
        )
        .distinct()
    )
    units, deeds = db.session.execute(
        select(
            func.count(HandoverCase.id),
            func.count(HandoverCase.certificate_id),
        ).where(HandoverCase.id.in_(reached))
    ).one()
    return int(units), int(deeds)


def _utility_transfers(total: dict[str, Any]) -> list[dict[str, Any]]:
    """The stats API's ``utility_transfers`` (per service: requested, completed, median
    working days from 登簿 to 已过户), one row per service in the API's order."""
    return [
        {"key": k, "label": UTILITY_SERVICE_NAMES.get(k, k), **v}
        for k, v in total.get("utility_transfers", {}).items()
    ]


def _median(value: float | None) -> str:
    """Working days as text ('1.5', '—' when nothing completed), so no table reads it as a rate."""
    return "—" if value is None else f"{value:g}"


def compute(start: date, end: date) -> dict[str, Any]:
    total = reports.stats(start, end)
    monthly = []
    for label, lo_day, hi_day in months(start, end):
        month = reports.stats(lo_day, hi_day)
        lo, hi = _bounds(lo_day, hi_day)
        units, deeds = _handed_over(lo, hi)
        verifications = _verifications(lo, hi)
        monthly.append(
            {
                "month": label,
                "total": month["total"],
                "completed": month["completed"],
                "completion_rate": month["completion_rate"],
                "on_time_rate": month["on_time_rate"],
                "verifications": sum(verifications.values()),
                "handed_over": units,
                "with_deed": deeds,
            }
        )
    lo, hi = _bounds(start, end)
    units, deeds = _handed_over(lo, hi)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "total": total,
        "monthly": monthly,
        "by_kind": [
            {"key": k, "label": KIND_LABELS.get(k, k), "count": v}
            for k, v in total["by_kind"].items()
        ],
        "by_channel": [
            {"key": k, "label": CHANNEL_LABELS.get(k, k), "count": v}
            for k, v in total["by_channel"].items()
        ],
        "by_partner": _by_partner(start, end),
        "verifications": [
            {"key": k, "label": VERIFY_CHANNELS.get(k, k), "count": v}
            for k, v in _verifications(lo, hi).items()
        ],
        "handover": {"handed_over": units, "with_deed": deeds},
        "utility_transfers": _utility_transfers(total),
    }


def tables(fig: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) of every table the page shows (and the downloads hold)."""
    t = fig["total"]
    return [
        (
            "汇总",
            [
                "统计期间",
                "已办理业务（笔）",
                "已办结（笔）",
                "办结率",
                "按时办结率",
                "交房即交证（套）",
                "其中已发证",
            ],
            [
                [
                    f"{fig['from']} 至 {fig['to']}",
                    t["total"],
                    t["completed"],
                    t["completion_rate"],
                    t["on_time_rate"],
                    fig["handover"]["handed_over"],
                    fig["handover"]["with_deed"],
                ]
            ],
        ),
        (
            "按月",
            [
                "月份",
                "已办理",
                "已办结",
                "办结率",
                "按时办结率",
                "核验次数",
                "交房即交证",
                "其中已发证",
            ],
            [
                [
                    m["month"],
                    m["total"],
                    m["completed"],
                    m["completion_rate"],
                    m["on_time_rate"],
                    m["verifications"],
                    m["handed_over"],
                    m["with_deed"],
                ]
                for m in fig["monthly"]
            ],
        ),
        ("按业务类型", ["类型", "笔数"], [[i["label"], i["count"]] for i in fig["by_kind"]]),
        ("按渠道", ["渠道", "笔数"], [[i["label"], i["count"]] for i in fig["by_channel"]]),
        (
            "按合作机构",
            ["机构", "提交", "已办结"],
            [[i["partner"], i["filed"], i["completed"]] for i in fig["by_partner"]],
        ),
        (
            "核验（按渠道）",
            ["渠道", "次数"],
            [[i["label"], i["count"]] for i in fig["verifications"]],
        ),
        (
            "水电气联动过户",
            ["服务", "申请过户（笔）", "已过户（笔）", "办理用时中位数（工作日）"],
            [
                [i["label"], i["requested"], i["completed"], _median(i["median_working_days"])]
                for i in fig["utility_transfers"]
            ],
        ),
    ]


@bp.get("/figures")
def figures() -> str:
    start, end = period()
    fig = compute(start, end)
    return render_template(
        "console/figures.html",
        fig=fig,
        tables=tables(fig),
    )


def _export_name(fig: dict[str, Any], ext: str) -> str:
    return f"figures-{fig['from']}-{fig['to']}.{ext}"


def _figures_export_screen(fmt: str) -> Response:
    start, end = period()
    fig = compute(start, end)
    audit.record(
        "staff.figures.export",
        object_type="figures",
        detail={"from": fig["from"], "to": fig["to"], "format": fmt},
    )
    unit_of_work.done()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for title, header, rows in tables(fig):
            writer.writerow([title])
            writer.writerow(header)
            writer.writerows([[reports.neutralise(v) for v in row] for row in rows])
            writer.writerow([])
        body: bytes = ("\ufeff" + out.getvalue()).encode("utf-8")
        mimetype = "text/csv"
    else:
        body = xlsx(tables(fig))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name(fig, fmt)}"'
    return response


@bp.get("/figures.<any(csv,xlsx):fmt>")
def figures_export(fmt: str) -> Response:
    return _figures_export_screen(fmt)


def xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """One sheet per table; text cells neutralised and stored as text, never as formulas."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in [header, *rows]:
            sheet.append([_cell(v) for v in row])
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return reports.neutralise(value)
    if isinstance(value, int | float):
        return value
    return reports.neutralise(value)
