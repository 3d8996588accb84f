"""Public pages: ``/v/{TOKEN}`` (server-rendered), its QR images, and the published keys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from ..clock import time_zh
from ..domain import documents
from ..errors import Problem
from ..extensions import api
from ..labels import VERDICT_TEXT
from . import service
from .limits import token_limit

pages = Blueprint("verification_pages", __name__)

JWKS_MAX_AGE = 300
QR_MAX_AGE = 86400


def _page(result: service.Answer) -> Response:
    status = 400 if result.verdict == "malformed" else 200
    cfg = current_app.config
    # 长辈版: ?large=1|0 chooses (and keeps the choice in the app's cookie), else the cookie.
    from ..webapp import CARE_COOKIE, care_mode

    chosen = request.args.get("large")
    large = chosen == "1" or (chosen != "0" and care_mode())
    html = render_template(
        "verify.html",
        answer=result,
        verdict_text=VERDICT_TEXT[result.verdict],
        as_of_text=time_zh(result.as_of),
        registry_name=cfg["REGISTRY_NAME"],
        registry_phone=cfg["REGISTRY_PHONE"],
        large=large,
        path=request.path,
    )
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    if chosen in ("0", "1"):
        response.set_cookie(CARE_COOKIE, chosen, max_age=31536000, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@pages.get("/v/<string:token>")
@pages.get("/V/<string:token>")
@token_limit
def verify_page(token: str) -> Response:
    """The verification page a phone camera or WeChat opens from the QR."""
    return _page(service.run_check("page", service.check_token, token))


def _qr_url_for(token: str) -> str:
    """The document's link, for a token that verifies and is on record; 404 otherwise."""
    result = service.on_check_connection(service.check_token, token)
    if result.verdict in ("forged", "malformed", "unknown_document"):
        raise Problem(404, "not_found", "未找到该二维码")
    return documents.document_url(token.upper())


def _image(body: bytes | str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}, immutable"
    return response


@pages.get("/v/<string:token>.png")
@pages.get("/V/<string:token>.png")
@token_limit
def verify_qr_png(token: str) -> Response:
    """PNG of the QR of this link (only for tokens that verify)."""
    scale = request.args.get("scale", type=int) or 6
    return _image(documents.qr_png(_qr_url_for(token), scale=max(2, min(scale, 16))), "image/png")


@pages.get("/v/<string:token>.svg")
@pages.get("/V/<string:token>.svg")
@token_limit
def verify_qr_svg(token: str) -> Response:
    """SVG of the QR of this link (only for tokens that verify)."""
    return _image(documents.qr_svg(_qr_url_for(token)), "image/svg+xml")


@pages.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Every verification key as a JWK (compromised keys listed apart)."""
    body = documents.current_keyset().to_jwks()
    response = current_app.json.response(body)
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- OpenAPI: describe the non-API routes too --------------------------------------------------
_TOKEN_PARAM = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "二维码中的令牌（base32，不区分大小写）",
}


def _openapi_paths() -> dict[str, dict[str, Any]]:
    problem = {"application/problem+json": {"schema": {"type": "object"}}}

    def op(
        summary: str, description: str, content: dict[str, Any], errors: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "tags": ["证书证明核验"],
            "summary": summary,
            "description": description,
            "parameters": [_TOKEN_PARAM],
            "responses": {
                "200": {"description": "OK", "content": content},
                **errors,
                "429": {"description": "请求过于频繁", "content": problem},
            },
        }

    not_found = {"404": {"description": "令牌无法验证或无此文件", "content": problem}}

    html = {"text/html": {"schema": {"type": "string"}}}
    page = op(
        "核验页面",
        "Mobile page in Chinese: verdict, masked details, live status, time of the "
        "answer. `/V/{token}` is the same. A malformed token answers 400 with the page.",
        html,
        # every token gets a page: 200, or 400 for a malformed one (no 404)
        {"400": {"description": "令牌格式无效（页面说明原因）", "content": html}},
    )
    return {
        "/v/{token}": {"get": page},
        "/v/{token}.png": {
            "get": op(
                "二维码 PNG",
                "QR image of the link (tokens that verify).",
                {"image/png": {}},
                not_found,
            )
        },
        "/v/{token}.svg": {
            "get": op(
                "二维码 SVG",
                "QR image of the link (tokens that verify).",
                {"image/svg+xml": {}},
                not_found,
            )
        },
        "/.well-known/jwks.json": {
            "get": {
                "tags": ["证书证明核验"],
                "summary": "验证公钥 (JWK Set)",
                "description": "Ed25519 verification keys; compromised keys in "
                "`compromised_keys`. Cacheable for 5 minutes.",
                "responses": {"200": {"description": "OK", "content": {"application/json": {}}}},
            }
        },
    }


_RULES = {
    "/v/{token}": "/v/<string:token>",
    "/v/{token}.png": "/v/<string:token>.png",
    "/v/{token}.svg": "/v/<string:token>.svg",
    "/.well-known/jwks.json": "/.well-known/jwks.json",
}


@pages.record_once
def _document(state: Any) -> None:
    """Add the page routes to the OpenAPI document (flask-smorest only sees API blueprints)."""
    spec = getattr(api, "spec", None)
    if spec is None:
        return
    rules = {rule.rule: rule for rule in state.app.url_map.iter_rules()}
    for path, operations in _openapi_paths().items():
        rule = rules.get(_RULES[path])
        if rule is not None:
            spec.path(rule=rule, operations=operations, parameters=[])
