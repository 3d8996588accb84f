"""Console login and logout, the session check before every page, CSRF, CSP and errors.

Login is the API's staff login (``auth.staff_service.login``: argon2, lockout, the same
audit); the token it issues is kept in the console's cookie session and checked on each
request by the API's own guard (``auth.guards.load_staff``: signature, revocation, idle
timeout, active account, role). A busy session is renewed before its token expires; an idle
one ends after STAFF_IDLE_TIMEOUT like an API session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..auth import guards, staff_service, tokens
from ..auth.staff_views import staff_login_limit
from ..database import db
from ..errors import Problem
from ..extensions import limiter
from . import bp

csrf = CSRFProtect()

PUBLIC_ENDPOINTS = {"console.login", "console.login_form"}
# The console's own policy: only our scripts, styles and images; materials may be framed by
# console pages only; forms post to ourselves.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
FRAMEABLE_CSP = "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'self'"


# --- the session -------------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("console.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/staff") or "\\" in target:
        return url_for("console.queue")
    return target


def _to_login(message: str | None) -> Response:
    session.clear()
    if message:
        flash(message, "error")
    nxt = request.full_path if request.method == "GET" else None
    return redirect(
        url_for("console.login_form", next=nxt) if nxt else url_for("console.login_form")
    )


def _renew(claims: dict[str, Any]) -> None:
    """Swap the token for a fresh one when half its life is gone (the clerk is busy)."""
    if int(claims["exp"]) - time.time() > tokens.staff_ttl() / 2:
        return
    user = g.staff
    token, fresh = tokens.issue(str(user.id), tokens.AUD_STAFF, tokens.staff_ttl(), role=user.role)
    guards.start_staff_session(fresh)
    tokens.revoke(claims)
    guards.end_staff_session(claims)
    session["token"] = token
    g.token_claims = fresh


@bp.before_request
def check_session() -> Response | None:
    # Flask-WTF caches the token on `g`; an app context shared by several requests (tests,
    # CLI) must not hand one session's token to another.
    g.pop("csrf_token", None)
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    token = session.get("token")
    if not isinstance(token, str):
        return _to_login(None)
    # The API's guard, fed the session's token: the same checks, in one place.
    request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    try:
        guards.load_staff(())
    except Problem as problem:
        return _to_login(problem.detail)
    _renew(g.token_claims)
    return None


@bp.after_request
def headers(response: Response) -> Response:
    if request.endpoint in FRAMEABLE:
        response.headers["Content-Security-Policy"] = FRAMEABLE_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response.headers["Content-Security-Policy"] = CSP
    # CSRFProtect compares the Referer with the host on HTTPS; send it to ourselves only.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


FRAMEABLE: set[str] = set()


def frameable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose answer console pages show in a frame (materials)."""
    FRAMEABLE.add(f"console.{view.__name__}")
    return view


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Admin-only: a clerk who types the URL gets 403 (the action is not shown to them)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.staff.role != "admin":
            raise Problem(403, "forbidden", "此项操作仅限管理员")
        return view(*args, **kwargs)

    return wrapper


def is_admin() -> bool:
    staff = g.get("staff")
    return staff is not None and staff.role == "admin"


@bp.app_context_processor
def console_globals() -> dict[str, Any]:
    if request.blueprint != "console":
        return {}
    return {
        "staff": g.get("staff"),
        "is_admin": is_admin(),
        "registry_name": current_app.config["REGISTRY_NAME"],
        "idle_minutes": max(1, int(current_app.config["STAFF_IDLE_TIMEOUT"]) // 60),
    }


# --- errors as pages ---------------------------------------------------------------------------
def _error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    db.session.rollback()
    return render_template("console/error.html", status=status, title=title, detail=detail), status


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    return _error_page(
        400, "表单已失效", "表单已过期或来源不明（CSRF 校验未通过），请返回刷新页面后重试。"
    )


@bp.errorhandler(Problem)
def problem_page(problem: Problem) -> tuple[str, int]:
    return _error_page(problem.status, problem.title, problem.detail)


@bp.errorhandler(HTTPException)
def http_page(exc: HTTPException) -> Any:
    if exc.code == 429:
        return _error_page(429, "操作过于频繁", "登录尝试过于频繁，请稍后再试。")
    problem = Problem(exc.code or 500)
    return _error_page(problem.status, problem.title, problem.detail)


# --- login and logout --------------------------------------------------------------------------
@bp.get("/login")
def login_form() -> str:
    return render_template("console/login.html", next=_safe_next(request.args.get("next")))


def _login_screen() -> Any:
    username = (request.form.get("username") or "")[:64]
    password = (request.form.get("password") or "")[:256]
    nxt = _safe_next(request.form.get("next"))
    if not username or not password:
        flash("请输入用户名和密码", "error")
        return render_template("console/login.html", next=nxt, username=username), 422
    try:
        answer = staff_service.login(username, password)
    except Problem as problem:
        flash(problem.detail, "error")
        response = render_template("console/login.html", next=nxt, username=username)
        return response, problem.status, problem.headers
    session.clear()  # a new session (and CSRF secret) for the new login
    session["token"] = answer["access_token"]
    return redirect(nxt, code=303)


@bp.post("/login")
@limiter.limit(staff_login_limit)
def login() -> Any:
    return _login_screen()


@bp.post("/logout")
def logout() -> Response:
    staff_service.logout(g.token_claims, g.staff)
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("console.login_form"), code=303)
