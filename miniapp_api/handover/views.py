"""交房即交证 progress for buyers and the public. — endpoints."""

from __future__ import annotations

from typing import Any

from flask import g

from ..auth.guards import citizen_required
from ..extensions import limiter
from . import bp, cases, read_models, schemas


@bp.get("/handover/projects")
@limiter.limit("120/minute")
@bp.response(200, schemas.ProjectListSchema)
def list_projects() -> dict[str, Any]:
    """交房即交证项目一览（公开）

    Every project in the programme: developer, project-level stage reached, units per unit
    stage, open blockers (project-wide in full, single cases only counted, no personal data)
    and whether it has delivered 交房即交证.
    """
    return {"items": read_models.list_projects()}


@bp.get("/handover/projects/<int:project_id>")
@limiter.limit("120/minute")
@bp.response(200, schemas.ProjectDetailSchema)
def get_project(project_id: int) -> dict[str, Any]:
    """单个项目的交房即交证进度（公开），含项目环节时间线"""
    return read_models.project_detail(project_id)


@bp.get("/me/handover")
@citizen_required
@bp.response(200, schemas.BuyerCaseListSchema)
def my_cases() -> dict[str, Any]:
    """我购买的房屋的办理进度

    Each unit the logged-in citizen is buying (as buyer or co-buyer): full timeline of the 7
    unit stages, current stage, next step with guidance, blockers, and the certificate and
    e-license links once issued.
    """
    return {"items": cases.buyer_cases(g.person, g.account)}


@bp.get("/me/handover/<int:case_id>")
@citizen_required
@bp.response(200, schemas.BuyerCaseSchema)
def my_case(case_id: int) -> dict[str, Any]:
    """我的单个购房办件（只能查看本人作为购房人或共同购房人的办件，否则 404）"""
    return cases.buyer_case(g.person, g.account, case_id)


@bp.post("/me/handover/subscriptions")
@citizen_required
@bp.arguments(schemas.SubscriptionRequestSchema)
@bp.response(201, schemas.SubscriptionSchema)
@bp.alt_response(200, schema=schemas.SubscriptionSchema, description="已订阅（无变化）")
def subscribe(body: dict[str, Any]) -> Any:
    """订阅办件的微信进度通知（环节变化和阻碍事项）"""
    view, created = cases.subscribe(g.person, g.account, body["case_id"])
    return view, (201 if created else 200)


@bp.delete("/me/handover/subscriptions/<int:case_id>")
@citizen_required
@bp.response(204)
def unsubscribe(case_id: int) -> None:
    """取消订阅办件的微信进度通知"""
    cases.unsubscribe(g.person, g.account, case_id)


@bp.delete("/me/handover/subscriptions")
@citizen_required
@bp.arguments(schemas.SubscriptionRequestSchema)
@bp.response(204)
def unsubscribe_body(body: dict[str, Any]) -> None:
    """取消订阅（请求体 {case_id}）"""
    cases.unsubscribe(g.person, g.account, body["case_id"])
