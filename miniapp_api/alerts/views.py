"""Alert endpoints: decorators, one service call, the commit."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.exc import IntegrityError

from .. import unit_of_work
from ..auth.guards import citizen_required, staff_required
from ..database import db
from . import bp, holds, inbox
from . import schemas as s


@bp.get("/me/alerts")
@citizen_required
@bp.arguments(s.PageQuerySchema, location="query")
@bp.response(200, s.AlertPageSchema)
def my_alerts(query: dict[str, Any]) -> dict[str, Any]:
    """产权变动提醒：我的提醒（最新在前，含未读数）"""
    answer = inbox.list_alerts(g.person, query["page"], query["per_page"])
    unit_of_work.done()
    return answer


@bp.get("/me/alerts/<int:alert_id>")
@citizen_required
@bp.response(200, s.AlertSchema)
@bp.alt_response(404, description="不是本人的提醒或不存在")
def my_alert(alert_id: int) -> dict[str, Any]:
    """一条提醒"""
    return inbox.one(g.person, alert_id)


@bp.post("/me/alerts/<int:alert_id>/read")
@citizen_required
@bp.response(200, s.AlertSchema)
@bp.alt_response(404, description="不是本人的提醒或不存在")
def my_alert_read(alert_id: int) -> dict[str, Any]:
    """标记为已读"""
    answer = inbox.mark_read(g.person, alert_id)
    unit_of_work.done()
    return answer


@bp.post("/me/alerts/<int:alert_id>/dispute")
@citizen_required
@bp.arguments(s.DisputeInputSchema)
@bp.response(201, s.DisputeSchema)
@bp.alt_response(200, schema=s.DisputeSchema, description="已经提出过异议（原样返回）")
@bp.alt_response(403, description="不是该不动产的登记权利人")
@bp.alt_response(404, description="不是本人的提醒或不存在")
@bp.alt_response(409, description="不是申请提醒，或申请已登簿、已结束")
def my_alert_dispute(data: dict[str, Any], alert_id: int) -> Any:
    """这不是我办的：对申请提出异议，暂停登簿，待登记机构核查"""
    hold, created = holds.dispute(g.person, alert_id, data.get("note"))
    try:
        unit_of_work.done()
    except IntegrityError:  # the same holder disputing twice at once: one hold
        db.session.rollback()
        hold, created = holds.dispute(g.person, alert_id, data.get("note"))
    answer = {
        "alert_id": alert_id,
        "hold": holds.hold_view(hold),
        "message": "已暂停该申请的登簿，登记机构将尽快核查并与您联系。",
    }
    return answer, 201 if created else 200


@bp.get("/me/alert-settings")
@citizen_required
@bp.response(200, s.SettingListSchema)
def my_alert_settings() -> dict[str, Any]:
    """我名下每个不动产单元的提醒开关（默认开启）"""
    return inbox.settings(g.person)


@bp.put("/me/alert-settings")
@citizen_required
@bp.arguments(s.SettingInputSchema)
@bp.response(200, s.SettingSchema)
@bp.alt_response(404, description="本人名下没有该单元")
def my_alert_setting_put(data: dict[str, Any]) -> dict[str, Any]:
    """开启或关闭一个不动产单元的提醒"""
    answer = inbox.set_enabled(g.person, data["unit_number"], data["enabled"])
    unit_of_work.done()
    return answer


@bp.get("/staff/applications/<int:app_id>/holds")
@bp.response(200, s.StaffHoldListSchema)
@bp.alt_response(404, description="申请不存在")
@staff_required("clerk", "admin")
def staff_holds(app_id: int) -> dict[str, Any]:
    """申请上的异议（暂停登簿）"""
    items = holds.holds_of(app_id)
    unit_of_work.done()
    return {"items": items}


@bp.post("/staff/applications/<int:app_id>/holds/<int:hold_id>/clear")
@bp.arguments(s.ClearInputSchema)
@bp.response(200, s.StaffHoldSchema)
@bp.alt_response(403, description="仅管理员")
@bp.alt_response(404, description="该申请没有这项异议")
@bp.alt_response(409, description="已经解除")
@staff_required("admin")
def staff_clear_hold(data: dict[str, Any], app_id: int, hold_id: int) -> dict[str, Any]:
    """核查后解除异议（仅管理员，须写明理由）；全部解除后方可登簿"""
    hold = holds.clear(app_id, hold_id, data["reason"], g.staff.id)
    unit_of_work.done()
    return holds.hold_view(hold, for_staff=True)
