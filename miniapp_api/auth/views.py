"""Citizen auth endpoints: WeChat login, refresh, logout, real-name binding, own profile."""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request, current_app, g, redirect, request

from ..extensions import limiter
from . import bp, identity, service
from .guards import BEARER, citizen_required
from .schemas import (
    AuthorizeQuerySchema,
    IdentitySchema,
    LoginResultSchema,
    ProfileSchema,
    RefreshSchema,
    TokenPairSchema,
    WechatLoginSchema,
)


def auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def identity_account_limit() -> str:
    return current_app.config["IDENTITY_BIND_LIMIT_ACCOUNT"]


def identity_client_limit() -> str:
    return current_app.config["IDENTITY_BIND_LIMIT_CLIENT"]


def account_key() -> str:
    return f"account:{g.account.id}"


def _secure_cookies() -> bool:
    return current_app.config["PUBLIC_BASE_URL"].startswith("https://")


@bp.route("/auth/wechat/authorize", methods=["GET"])
@limiter.limit(auth_limit)
@bp.arguments(AuthorizeQuerySchema, location="query", as_kwargs=True)
@bp.response(302, description="跳转到微信网页授权页（snsapi_base）")
@bp.doc(summary="开始微信登录", description="生成单次有效的 state 并跳转到微信授权页。")
def wechat_authorize(next: str | None = None) -> Response:
    start = service.start_authorize(next)
    response = redirect(start.url, code=302)
    response.set_cookie(
        service.LOGIN_COOKIE,
        start.browser_binder,
        max_age=start.ttl,
        path=service.LOGIN_COOKIE_PATH,
        secure=_secure_cookies(),
        httponly=True,
        samesite="Lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/auth/wechat", methods=["POST"])
@limiter.limit(auth_limit)
@bp.arguments(WechatLoginSchema)
@bp.response(200, LoginResultSchema)
@bp.doc(
    summary="微信登录",
    description="用微信回调页得到的 code 与 state 换取会话令牌；code 与 state 均只能使用一次。",
)
def wechat_login(data: dict[str, Any]) -> dict[str, Any]:
    @after_this_request
    def _forget_binder(response: Response) -> Response:
        response.delete_cookie(
            service.LOGIN_COOKIE,
            path=service.LOGIN_COOKIE_PATH,
            secure=_secure_cookies(),
            httponly=True,
            samesite="Lax",
        )
        return response

    binder = request.cookies.get(service.LOGIN_COOKIE)
    return service.wechat_login(data["code"], data["state"], binder)


@bp.route("/auth/refresh", methods=["POST"])
@limiter.limit(auth_limit)
@bp.arguments(RefreshSchema)
@bp.response(200, TokenPairSchema)
@bp.doc(
    summary="刷新会话",
    description="刷新令牌只能使用一次；重复使用会使该次登录的全部令牌失效。",
)
def refresh(data: dict[str, Any]) -> dict[str, Any]:
    return service.refresh_session(data["refresh_token"])


@bp.route("/auth/logout", methods=["POST"])
@citizen_required(identity=False)
@bp.response(204)
@bp.doc(
    summary="退出登录", description="访问令牌及其刷新令牌立即失效（所有服务器）。", security=BEARER
)
def logout() -> None:
    service.logout(g.token_claims)


@bp.route("/me", methods=["GET"])
@citizen_required(identity=False)
@bp.response(200, ProfileSchema)
@bp.doc(
    summary="我的信息", description="本人姓名、脱敏身份证号与手机号、实名状态。", security=BEARER
)
def me() -> dict[str, Any]:
    return service.profile(g.account)


@bp.route("/me/identity", methods=["POST"])
@citizen_required(identity=False)
@limiter.limit(identity_account_limit, key_func=account_key)
@limiter.limit(identity_client_limit)
@bp.arguments(IdentitySchema)
@bp.response(200, ProfileSchema)
@bp.doc(
    summary="实名认证",
    description="核对姓名与身份证号后绑定本人；一个微信账号只能绑定一人，一人只能绑定一个账号。",
    security=BEARER,
)
def bind_identity(data: dict[str, Any]) -> dict[str, Any]:
    return identity.bind_identity(g.account, data["name"], data["id_number"])


from . import staff_views, wechat_views  # noqa: E402,F401
