"""Staff login and logout (registered on the auth blueprint: /api/v1/staff/login, /logout)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from ..extensions import limiter
from . import bp, staff_service
from .guards import BEARER, staff_required
from .schemas import StaffLoginSchema, StaffTokenSchema


def staff_login_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


@bp.route("/staff/login", methods=["POST"])
@limiter.limit(staff_login_limit)
@bp.arguments(StaffLoginSchema)
@bp.response(200, StaffTokenSchema)
@bp.doc(
    summary="工作人员登录",
    description="用户名与密码登录，得到工作人员令牌（clerk 或 admin）。连续输错 5 次锁定 15 分钟；"
    "长时间未操作需重新登录。",
)
def staff_login(data: dict[str, Any]) -> dict[str, Any]:
    return staff_service.login(data["username"], data["password"])


@bp.route("/staff/logout", methods=["POST"])
@staff_required()
@bp.response(204)
@bp.doc(summary="工作人员退出登录", security=BEARER)
def staff_logout() -> None:
    staff_service.logout(g.token_claims, g.staff)
