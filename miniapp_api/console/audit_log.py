"""The audit log, read-only: search by actor, action, object and time; CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request
from sqlalchemy import func, select

from .. import unit_of_work
from ..applications.reports import neutralise
from ..clock import CHINA_TZ
from ..database import db
from ..domain import audit as audit_trail
from ..models import AuditEvent, StaffUser
from . import bp
from .templating import china_time

PER_PAGE = 100
EXPORT_LIMIT = 50000


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _conditions() -> tuple[list[Any], dict[str, Any]]:
    args = request.args
    filters = {
        "actor": (args.get("actor") or "").strip()[:64],
        "action": (args.get("action") or "").strip()[:64],
        "object_type": (args.get("object_type") or "").strip()[:32],
        "object_id": (args.get("object_id") or "").strip()[:64],
        "from": _day(args.get("from")),
        "to": _day(args.get("to")),
    }
    conditions: list[Any] = []
    actor = filters["actor"]
    if actor:
        kind, _, ident = actor.partition(":")
        if kind == "staff" and ident and not ident.isdigit():
            user = db.session.execute(
                select(StaffUser.id).where(StaffUser.username == ident.lower())
            ).scalar_one_or_none()
            ident = str(user) if user is not None else "-"
        if kind in ("staff", "citizen", "partner", "public", "system"):
            conditions.append(AuditEvent.actor_kind == kind)
            if ident:
                conditions.append(AuditEvent.actor_id == ident)
        else:  # a bare staff username
            user = db.session.execute(
                select(StaffUser.id).where(StaffUser.username == actor.lower())
            ).scalar_one_or_none()
            conditions += [AuditEvent.actor_kind == "staff", AuditEvent.actor_id == str(user)]
    if filters["action"]:
        conditions.append(AuditEvent.action.startswith(filters["action"], autoescape=True))
    if filters["object_type"]:
        conditions.append(AuditEvent.object_type == filters["object_type"])
    if filters["object_id"]:
        conditions.append(AuditEvent.object_id == filters["object_id"])
    if filters["from"]:
        conditions.append(
            AuditEvent.at >= datetime.combine(filters["from"], time.min, CHINA_TZ).astimezone(UTC)
        )
    if filters["to"]:
        end = datetime.combine(filters["to"] + timedelta(days=1), time.min, CHINA_TZ)
        conditions.append(AuditEvent.at < end.astimezone(UTC))
    return conditions, filters


def _staff_names(rows: list[AuditEvent]) -> dict[str, str]:
    ids = {
        int(r.actor_id) for r in rows if r.actor_kind == "staff" and (r.actor_id or "").isdigit()
    }
    if not ids:
        return {}
    return {
        str(i): name
        for i, name in db.session.execute(
            select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(ids))
        ).all()
    }


def _audit_screen() -> str:
    conditions, filters = _conditions()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    total = db.session.execute(select(func.count(AuditEvent.id)).where(*conditions)).scalar_one()
    rows = list(
        db.session.execute(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).scalars()
    )
    return render_template(
        "console/audit.html",
        rows=rows,
        names=_staff_names(rows),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
    )


@bp.get("/audit")
def audit() -> str:
    return _audit_screen()


def _audit_export_screen() -> Response:
    conditions, filters = _conditions()
    rows = list(
        db.session.execute(
            select(AuditEvent).where(*conditions).order_by(AuditEvent.id).limit(EXPORT_LIMIT)
        ).scalars()
    )
    names = _staff_names(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "编号",
            "时间",
            "操作人类型",
            "操作人",
            "动作",
            "结果",
            "对象类型",
            "对象",
            "事由",
            "详情",
            "请求编号",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    r.id,
                    china_time(r.at),
                    r.actor_kind,
                    names.get(r.actor_id or "", r.actor_id),
                    r.action,
                    r.result,
                    r.object_type,
                    r.object_id,
                    r.reason,
                    "" if r.detail is None else str(r.detail),
                    r.request_id,
                )
            ]
        )
    audit_trail.record(
        "staff.audit.export",
        object_type="audit_event",
        detail={"rows": len(rows), "filters": {k: str(v) for k, v in filters.items() if v}},
    )
    unit_of_work.done()
    response = Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


@bp.get("/audit.csv")
def audit_export() -> Response:
    return _audit_export_screen()
