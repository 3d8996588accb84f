"""One error shape for the whole API: RFC 9457 problem details with Chinese text.

Domain code raises `Problem(status, code, detail)`; views never build error bodies by hand.
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask, Response, current_app, g, has_app_context, json, request
from werkzeug.exceptions import HTTPException

from .database import db

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://bdc.example.gov.cn/problems/"

# Default Chinese titles per HTTP status, written for citizens.
TITLES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限进行此操作"),
    404: ("not_found", "未找到您要访问的内容"),
    405: ("method_not_allowed", "不支持该请求方式"),
    409: ("conflict", "数据已被他人修改或已存在，请刷新后重试"),
    410: ("gone", "该内容已失效"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "填写的信息有误，请检查后重新提交"),
    423: ("locked", "账号已被临时锁定"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "系统繁忙，请稍后再试"),
    502: ("upstream_error", "外部服务暂时不可用，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}


class Problem(Exception):
    """An error a client can act on. `code` is stable and machine-readable."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        default_code, default_title = TITLES.get(status, ("error", "请求未能完成"))
        self.status = status
        self.code = code or default_code
        self.title = title or default_title
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{status} {self.code}: {self.detail}")


class ProblemSchema(ma.Schema):
    """The documented shape of every error answer (RFC 9457 plus `code` and `request_id`)."""

    class Meta:
        unknown = ma.INCLUDE  # extension members, e.g. `rows` of a refused import

    type = ma.fields.String(required=True, metadata={"format": "uri"})
    title = ma.fields.String(required=True, metadata={"description": "中文标题"})
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "中文说明"})
    code = ma.fields.String(required=True, metadata={"description": "稳定的机器可读错误码"})
    instance = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(required=True, allow_none=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "422：字段 → 错误信息"},
    )


class ProblemDocsPlugin(BasePlugin):
    """Documents every 4xx/5xx answer of every operation as a problem (no bare descriptions)."""

    def operation_helper(
        self, path: str | None = None, operations: Any = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            for status, response in (operation.get("responses") or {}).items():
                if (
                    isinstance(response, dict)
                    and "$ref" not in response
                    and not response.get("content")
                    and (str(status) == "default" or str(status)[:1] in {"4", "5"})
                ):
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": "Problem"}}


# Where a browser's HTML error page comes from: create_app registers error_pages.page_response
# here (it answers None when the client prefers JSON). Kept as a hook so this base module
# imports nothing above it.
PAGE_EXTENSION = "problem_page"


def problem_response(problem: Problem) -> Response:
    # A browser navigating gets the same problem as an HTML page (miniapp_api/error_pages.py).
    page = current_app.extensions.get(PAGE_EXTENSION) if has_app_context() else None
    if page is not None:
        try:
            response = page(problem)
        except Exception:  # the page itself failed: the problem JSON still answers
            log.exception("error page failed", extra={"code": problem.code})
        else:
            if response is not None:
                return response
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "instance": request.path if request else None,
        "request_id": getattr(g, "request_id", None),
    }
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    response = Response(
        json.dumps(body, ensure_ascii=False),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE + "; charset=utf-8",
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {"field": [...]}}); citizens see fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict) and location in {
            "json",
            "query",
            "form",
            "files",
            "headers",
            "path",
            "view_args",
            "querystring",
        }:
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def from_http_exception(exc: HTTPException) -> Problem:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and (
        isinstance(getattr(exc, "exc", None), ValueError) or "JSON" in (exc.description or "")
    ):
        # webargs (which attaches the decode error and an English message) or Flask itself:
        # the body is not valid JSON or not UTF-8.
        return Problem(400, "invalid_json", "请求内容不是有效的 JSON")
    if status == 422 or messages:
        return Problem(
            422,
            "validation_failed",
            "提交的信息有误，请按提示修改",
            errors=_flatten_messages(messages or {}),
        )
    if status == 429:
        return Problem(
            429,
            "rate_limited",
            "操作过于频繁，请稍后再试",
            headers=dict(getattr(exc, "headers", None) or {}),
        )
    if status == 405:
        allowed = exc.get_headers() if hasattr(exc, "get_headers") else []
        headers = {k: v for k, v in allowed if k.lower() == "allow"}
        return Problem(405, headers=headers)
    if status == 413:
        return Problem(413, "payload_too_large", "上传内容超过大小限制")
    return Problem(status)


RETRY_AFTER_SECONDS = 5


def dependency_unavailable(dependency: str) -> Problem:
    """503 while the database or Redis does not answer: the client may retry shortly."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if dependency == "database":
        return Problem(
            503,
            "database_unavailable",
            "数据库暂时无法访问，请稍后再试",
            headers=headers,
            dependency=dependency,
        )
    return Problem(
        503,
        "service_unavailable",
        "服务暂时不可用，请稍后再试",
        headers=headers,
        dependency=dependency,
    )


# The verification page a phone camera opens (not its QR images): it answers HTML, also when
# it cannot answer the check (429 over the limit, 503 a dependency down).
_PAGE_PATH = re.compile(r"^/[vV]/[^/.]+$")
_PAGE_TEXT = {
    429: ("查询过于频繁", "您的网络近期核验次数过多，请稍后再试。"),
    503: ("服务暂时不可用", "核验服务正在恢复，请稍后再试。"),
}


def answer(problem: Problem) -> Response:
    """The problem as JSON — or, on the verification page, as a readable HTML page with the
    same status, headers and request id."""
    if problem.status in _PAGE_TEXT and request and _PAGE_PATH.match(request.path):
        from flask import current_app, render_template

        title, text = _PAGE_TEXT[problem.status]
        retry_after = problem.headers.get("Retry-After") or str(RETRY_AFTER_SECONDS)
        html = render_template(
            "verify_busy.html",
            title=title,
            text=text,
            retry_after=retry_after,
            request_id=getattr(g, "request_id", ""),
            registry_name=current_app.config["REGISTRY_NAME"],
            registry_phone=current_app.config["REGISTRY_PHONE"],
        )
        response = Response(html, status=problem.status, content_type="text/html; charset=utf-8")
        for name, value in problem.headers.items():
            response.headers[name] = value
        response.headers["Retry-After"] = retry_after
        response.headers["Cache-Control"] = "no-store"
        return response
    return problem_response(problem)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def handle_problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        return answer(from_http_exception(exc))

    import redis
    from sqlalchemy import exc as sa_exc

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def handle_redis_down(exc: Exception) -> Response:
        log.warning("redis unavailable", extra={"error_type": type(exc).__name__})
        return answer(dependency_unavailable("redis"))

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)  # no pooled connection became free in time
    def handle_database_down(exc: Exception) -> Response:
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        with suppress(Exception):
            db.session.rollback()
        return answer(dependency_unavailable("database"))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        db.session.rollback()
        return problem_response(Problem(500))
