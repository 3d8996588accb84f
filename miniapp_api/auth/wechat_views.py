"""WeChat endpoints: JS-SDK configuration (/api/v1/wechat/jssdk-config) and the server
callback (/wechat/callback, outside /api/: WeChat calls it with XML bodies)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from ..errors import Problem
from ..extensions import kv, limiter
from ..wechat import check_server_signature
from . import bp, service, wechat_push
from .schemas import JssdkConfigSchema, JssdkQuerySchema

JSSDK_LIMIT = "120 per minute"
PUSH_LIMIT = "600 per minute"

push_bp = Blueprint(
    "wechat_push", __name__, url_prefix="/wechat", description="微信服务器配置校验与消息推送"
)


@bp.route("/wechat/jssdk-config", methods=["GET"])
@limiter.limit(JSSDK_LIMIT)
@bp.arguments(JssdkQuerySchema, location="query", as_kwargs=True)
@bp.response(200, JssdkConfigSchema)
@bp.doc(
    summary="JS-SDK 配置",
    description="为本站页面生成 wx.config 所需的 appId、timestamp、nonceStr、signature"
    "（签名按微信文档：jsapi_ticket、noncestr、timestamp、url 去掉 # 之后的部分）。",
)
def jssdk_config(url: str) -> dict[str, Any]:
    return service.jssdk_config(url)


def _check_signature() -> None:
    args = request.args
    if not check_server_signature(
        current_app.config["WECHAT_TOKEN"],
        args.get("timestamp", ""),
        args.get("nonce", ""),
        args.get("signature", ""),
    ):
        raise Problem(403, "wechat_signature_invalid", "签名校验失败")


# A signed push is accepted within PUSH_MAX_AGE seconds of its timestamp (either way: clocks
# differ), and each (timestamp, nonce) once: a captured push cannot be replayed later, nor
# within the window. The GET server check has no side effect and keeps WeChat's formula only.
PUSH_MAX_AGE = 300


def _first_delivery() -> bool:
    """403 for a push outside the freshness window; False for a (timestamp, nonce) seen
    before (kept in the shared store for twice the window)."""
    timestamp, nonce = request.args.get("timestamp", ""), request.args.get("nonce", "")
    max_age = int(current_app.config.get("WECHAT_PUSH_MAX_AGE", PUSH_MAX_AGE))
    if (
        not timestamp.isdigit()
        or len(timestamp) > 12
        or abs(time.time() - int(timestamp)) > max_age
    ):
        raise Problem(403, "wechat_push_stale", "推送时间戳已过期")
    seen = hashlib.sha256(f"{timestamp}:{nonce}".encode()).hexdigest()
    return kv.add(f"wx-push:{seen}", "1", 2 * max_age + 1)


def _text(body: str) -> Response:
    response = Response(body, status=200, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@push_bp.route("/callback", methods=["GET"])
@limiter.limit(PUSH_LIMIT)
@push_bp.response(200, description="签名正确时原样返回 echostr（text/plain）")
@push_bp.doc(
    summary="微信服务器配置校验",
    description="微信以 signature、timestamp、nonce、echostr 校验服务器地址；"
    "签名正确时返回 echostr。",
)
def wechat_check() -> Response:
    _check_signature()
    echostr = request.args.get("echostr", "")
    if not echostr or len(echostr) > 256 or not echostr.isascii() or not echostr.isprintable():
        raise Problem(400, "bad_request", "缺少或无效的 echostr")
    return _text(echostr)


def _push_body() -> bytes:
    """The pushed message's bytes, refused (413) over WECHAT_PUSH_MAX_BYTES whether or not the
    sender declared a Content-Length."""
    limit = int(current_app.config["WECHAT_PUSH_MAX_BYTES"])
    if (request.content_length or 0) > limit:
        raise Problem(413, "payload_too_large", "推送内容超过大小限制")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise Problem(413, "payload_too_large", "推送内容超过大小限制")
    return body


@push_bp.route("/callback", methods=["POST"])
@limiter.limit(PUSH_LIMIT)
@push_bp.response(200, description="返回 success（text/plain）")
@push_bp.doc(
    summary="微信消息推送",
    description="接收微信推送的 XML 消息（明文模式），校验签名后返回 success。",
)
def wechat_push_message() -> Response:
    _check_signature()
    if not _first_delivery():
        return _text("success")  # a replay: answered, never handled twice
    try:
        message = wechat_push.parse_message(_push_body())
    except wechat_push.BadMessage as exc:
        raise Problem(400, "bad_request", "推送内容不是有效的微信消息") from exc
    wechat_push.dispatch(message)
    return _text("success")
