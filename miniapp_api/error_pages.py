"""Error pages for browsers: the same problems as HTML pages in the WeUI result style.

A citizen never sees raw JSON. When the client asks for HTML (a browser opening a page, a
`/v/…` link, a forwarded download link — `Accept` prefers `text/html` over JSON) an error
answers a page with an icon, a title, one plain sentence and the way on (重新获取 for an
expired download link, 返回首页, 咨询电话), with the same status and headers. Every other
client (the app's `fetch`, partners, curl) gets the RFC 9457 problem JSON as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, Response, g, has_request_context, request

from . import downloads, kinds
from .errors import PAGE_EXTENSION, Problem

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/problem+json", "application/json")


def wants_html() -> bool:
    """The client (a browser navigating) prefers HTML to JSON."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return False
    accept = request.accept_mimetypes
    html = max(accept[t] for t in HTML_TYPES)
    data = max(accept[t] for t in JSON_TYPES)
    return html > data


@dataclass
class ErrorPage:
    tone: str  # ok | warn | bad | info
    title: str
    sentence: str
    ways: list[tuple[str, str, bool]] = field(default_factory=list)  # (text, href, primary)


HOME = ("返回首页", "/app/index.html", False)
ICONS = {"warn": "!", "bad": "✕", "info": "i"}


def _retry_after(problem: Problem) -> int | None:
    value = problem.headers.get("Retry-After") or problem.headers.get("retry-after")
    try:
        return max(1, int(value)) if value is not None else None
    except ValueError:
        return None


def _relink(signed: str) -> str | None:
    """Where 重新获取 goes for an expired (but genuine) download link: the app page that asks
    for a fresh link for the same document and format, then opens it."""
    body, _, _mac = signed.partition(".")
    try:
        _version, code, public_id, fmt, _account, _expires = json.loads(downloads._unb64(body))
    except (ValueError, TypeError):
        return None
    if code == "v":  # 亮证: the showing page fetches a fresh picture itself
        license_pk = str(public_id).partition("m")[0]
        return (
            "/app/show.html?" + urlencode({"license": license_pk}) if license_pk.isdigit() else None
        )
    query: dict[str, str] = {"kind": str(code), "id": str(public_id), "fmt": str(fmt)}
    if code == "c":
        kind = kinds.get("license_copy")
        copy = kind.load(str(public_id)) if kind is not None else None
        if copy is None:
            return None
        query["license"] = str(copy.license_id)
    elif code != "p":
        return None
    return "/app/relink.html?" + urlencode(query)


def page_for(problem: Problem) -> ErrorPage:
    """The words and the way on for one problem, in plain Chinese."""
    path = request.path
    code, status = problem.code, problem.status
    if code == "download_link_expired":
        signed = path.rsplit("/", 1)[-1]
        relink = _relink(signed)
        ways = [("重新获取", relink, True)] if relink else []
        return ErrorPage(
            "warn",
            "下载链接已过期",
            "为保护您的信息，下载链接只在几分钟内有效。点「重新获取」即可打开最新的文件。",
            [*ways, HOME],
        )
    if code == "download_link_invalid":
        return ErrorPage(
            "bad",
            "下载链接无效",
            "这个链接不完整或已被改动，无法打开文件。请在「电子证照」或「房屋证明」中重新获取。",
            [
                ("我的电子证照", "/app/licenses.html", True),
                ("我的房屋证明", "/app/proofs.html", False),
                HOME,
            ],
        )
    if status == 404 and (path.startswith("/v/") or path.startswith("/V/") or path == "/v"):
        return ErrorPage(
            "info",
            "二维码链接不完整",
            "请重新扫描证书或证明上的二维码，或输入证书号和印制编号核验。",
            [("证书证明核验", "/app/scan.html", True), HOME],
        )
    if status == 404:
        return ErrorPage(
            "info", "页面不存在", "您要打开的页面不存在或已移动，请从首页进入办理。", [HOME]
        )
    if status == 405:
        return ErrorPage(
            "info",
            "无法直接打开此地址",
            "这个地址不能在浏览器中直接打开，请从首页进入办理。",
            [HOME],
        )
    if status == 429:
        wait = _retry_after(problem)
        when = f"请 {wait} 秒后再试。" if wait else "请稍等一分钟后再试。"
        return ErrorPage(
            "warn",
            "操作过于频繁",
            "为保护您的信息，短时间内的查询次数有限，" + when,
            [
                ("重新打开", request.full_path.rstrip("?"), True),
                HOME,
            ],
        )
    if status == 401:
        return ErrorPage("info", "请先登录", "请从首页用微信登录后再打开。", [HOME])
    if status == 403:
        return ErrorPage("bad", "无法打开", problem.detail, [HOME])
    if status >= 500:
        return ErrorPage(
            "bad",
            "系统繁忙",
            "系统暂时无法完成您的请求，请稍后再试；急需办理请拨打咨询电话。",
            [HOME],
        )
    return ErrorPage("info", problem.title, problem.detail, [HOME])


def html_problem_response(problem: Problem) -> Response:
    """The problem as an HTML page (same status and headers)."""
    from .webapp import render_template_page

    info = page_for(problem)
    text = render_template_page(
        "app/error.html",
        page=info,
        icon=ICONS.get(info.tone, "!"),
        status=problem.status,
        code=problem.code,
        request_id=getattr(g, "request_id", None),
    )
    response = Response(text, status=problem.status, mimetype="text/html")
    for name, value in problem.headers.items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def page_response(problem: Problem) -> Response | None:
    """The HTML page of a problem when the client prefers HTML, else None (problem JSON)."""
    return html_problem_response(problem) if wants_html() else None


def init_app(app: Flask) -> None:
    """Answer browsers with HTML error pages (errors.problem_response asks this hook)."""
    app.extensions[PAGE_EXTENSION] = page_response
