"""Request ids, structured JSON logs and security headers."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from .errors import Problem
from .inputs import BODY_LIMIT_ATTR, json_body_is_hostile

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Anything that looks like an 18-char ID number or a bearer token is scrubbed from log lines.
_ID_NUMBER_RE = re.compile(r"\b\d{17}[\dXx]\b")
_TOKEN_RE = re.compile(r"\b(eyJ[\w-]+\.[\w-]+\.[\w-]+|Bearer\s+\S+)")


# Paths that carry a credential: the QR token (/v/{TOKEN}, its images, the verify API) and a
# signed download link (/api/v1/files/{signed}). Logged as /v/[token], /api/v1/files/[link].
_PATH_SECRETS = (
    (re.compile(r"^(/[vV]/)[^/.]+"), r"\1[token]"),
    (re.compile(r"^(/api/v1/verify/)(?!by-number$|image$)[^/]+$"), r"\1[token]"),
    (re.compile(r"^(/api/v1/files/)[^/]+"), r"\1[link]"),
)


def scrub(text: str) -> str:
    text = _ID_NUMBER_RE.sub("[id-number]", text)
    return _TOKEN_RE.sub("[token]", text)


def scrub_path(path: str) -> str:
    """A request path fit for a log line: no token, signed link or ID number."""
    for pattern, replacement in _PATH_SECRETS:
        path = pattern.sub(replacement, path)
    return scrub(path)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never ID numbers or tokens."""

    _skip = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
            entry["method"] = request.method
            entry["path"] = scrub_path(request.path)
        for key, value in record.__dict__.items():
            if key not in self._skip and not key.startswith("_"):
                entry[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    # Alembic's start-up chatter is not worth a line per worker.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)


# The API and the server-rendered pages only load their own scripts and styles.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self' "
    "https://res.wx.qq.com; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
# The OpenAPI browser (/api/docs) loads Swagger UI from its CDN.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
)

JSON_METHODS = {"POST", "PUT", "PATCH"}


REQUEST_ID_KEY = "bdc.request_id"  # in the WSGI environ, for EdgeHeaders


class EdgeHeaders:
    """WSGI middleware: the headers every answer carries — the request id, the security
    headers and, under /api/, ``Cache-Control: no-store`` — each added only when the answer
    does not set its own. At the WSGI edge they cover every answer (error pages included), and
    the constant pairs are appended as they are instead of being parsed, validated and copied
    again by Werkzeug's ``Headers`` on every response (issue #17: the per-request frame)."""

    def __init__(
        self, wsgi_app: Any, page: Sequence[tuple[str, str]], docs: Sequence[tuple[str, str]]
    ):
        self.wsgi_app = wsgi_app
        self.page = [(key.lower(), key, value) for key, value in page]
        self.docs = [(key.lower(), key, value) for key, value in docs]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        pairs = self.docs if path.startswith("/api/docs") else self.page
        api = path.startswith("/api/")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {key.lower() for key, _ in headers}
            headers.extend((key, value) for lower, key, value in pairs if lower not in present)
            if api and "cache-control" not in present:
                headers.append(("Cache-Control", "no-store"))
            if "x-request-id" not in present:
                headers.append(("X-Request-ID", environ.get(REQUEST_ID_KEY, "")))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_request_hooks(app: Flask) -> None:
    log = logging.getLogger("miniapp_api.access")

    @app.before_request
    def begin() -> None:
        environ = request.environ
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        g.request_id = environ[REQUEST_ID_KEY] = (
            incoming if REQUEST_ID_RE.match(incoming) else secrets.token_hex(12)
        )
        g.started = time.perf_counter()
        if environ.get("CONTENT_LENGTH") in (None, "", "0") and (
            "HTTP_TRANSFER_ENCODING" not in environ
        ):
            return  # no body (most requests): nothing to limit, type or parse
        check_body()

    def check_body() -> None:
        # A view may allow a larger body than MAX_CONTENT_LENGTH (inputs.allow_body); the
        # limit is set per request, so Werkzeug's form parser honours the same figure.
        view = app.view_functions.get(request.endpoint or "")
        if (limit := getattr(view, BODY_LIMIT_ATTR, None)) is not None:
            request.max_content_length = limit
        limit = request.max_content_length  # None: no limit
        if limit is not None and (request.content_length or 0) > limit:
            raise Problem(413, "payload_too_large", "上传内容超过大小限制")
        if request.method not in JSON_METHODS or not request.path.startswith("/api/"):
            return
        length = request.content_length or 0
        ctype = request.mimetype or ""
        if length == 0 and not request.headers.get("Transfer-Encoding"):
            return
        if ctype == "application/json":
            if length > app.config["MAX_JSON_BYTES"]:
                raise Problem(413, "payload_too_large", "提交的内容超过大小限制")
            if json_body_is_hostile(request.get_data(cache=True)):
                raise Problem(400, "invalid_json", "请求内容不是有效的 JSON（嵌套过深或数字过长）")
            return
        if ctype in {"multipart/form-data", "text/csv"}:
            return  # endpoints that take files check the type themselves
        raise Problem(
            415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）"
        )

    # Built once: the headers every answer carries unless the view set its own (each pair is
    # added only when absent, as setdefault would).
    common = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(self), geolocation=()"),
    ]
    hsts = [("Strict-Transport-Security", "max-age=31536000; includeSubDomains")]
    page_headers = (*common, ("Content-Security-Policy", CSP))
    docs_headers = (*common, ("Content-Security-Policy", DOCS_CSP))
    if app.config.get("PRODUCTION"):
        page_headers += (*hsts,)
        docs_headers += (*hsts,)

    app.wsgi_app = EdgeHeaders(app.wsgi_app, page_headers, docs_headers)  # type: ignore[method-assign]

    @app.after_request
    def finish(response: Response) -> Response:
        if not log.isEnabledFor(logging.INFO):
            return response
        path = request.path
        started = g.get("started")
        if started is not None and path != "/healthz":
            log.info(
                "request",
                extra={
                    "path": scrub_path(path),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response
