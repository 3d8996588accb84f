"""Decorators that require a citizen or staff session and put who it is on `g`."""

from __future__ import annotations

import time
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any

from flask import current_app, g, request

from ..database import db
from ..errors import Problem
from ..extensions import kv, limiter
from ..models import StaffUser, WechatAccount
from . import tokens

# OpenAPI security requirement of every endpoint behind citizen_required / staff_required.
BEARER = [{"bearerAuth": []}]
AUTH_HEADER = {"WWW-Authenticate": 'Bearer realm="bdc"'}
BEARER_SECURITY = [{"bearerAuth": []}]


def _documented(wrapper: Callable[..., Any]) -> Callable[..., Any]:
    """Mark the endpoint as taking a bearer token in the OpenAPI document (flask-smorest
    reads `_apidoc`), unless its own `@bp.doc(security=...)` says otherwise."""
    apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    manual.setdefault("security", BEARER_SECURITY)
    apidoc["manual_doc"] = manual
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "login_required", "请先登录", headers=AUTH_HEADER)
    return token.strip()


def _subject_id(claims: dict[str, Any]) -> int:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.isdigit() or len(sub) > 18:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    return int(sub)


def load_citizen(require_identity: bool = True) -> WechatAccount:
    claims = tokens.decode(bearer_token(), tokens.AUD_CITIZEN)
    account = db.session.get(WechatAccount, _subject_id(claims))
    if account is None:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    g.token_claims = claims
    g.account = account
    g.person = account.person
    g.actor = ("citizen", account.id)
    if require_identity and account.person is None:
        raise Problem(403, "identity_not_bound", "请先完成实名认证")
    return account


def citizen_required(view: Callable[..., Any] | None = None, *, identity: bool = True) -> Any:
    """Require a citizen access token; with identity=True also a bound real name."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            load_citizen(require_identity=identity)
            return func(*args, **kwargs)

        return _documented(wrapper)

    return decorate(view) if view is not None else decorate


NOT_OWN = "不存在或不属于本人"


def citizen_route(
    bp: Any,
    method: str,
    path: str,
    schema: Any,
    *,
    status: int = 200,
    errors: dict[int, str] | None = None,
    arguments: Any = None,
    limit: tuple[str, Callable[[], str]] | None = None,
    **doc: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator stack of a citizen endpoint, composed once: ``bp.<method>(path)``,
    `citizen_required`, an optional rate limit ``(limit, key_func)``, the request and response
    schemas, the documented error answers (in the order given) and ``bp.doc(**doc)``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        if doc:
            view = bp.doc(**doc)(view)
        for code, description in reversed(list((errors or {}).items())):
            view = bp.alt_response(code, description=description)(view)
        view = bp.response(status, schema)(view)
        if arguments is not None:
            view = bp.arguments(arguments)(view)
        if limit is not None:
            view = limiter.limit(limit[0], key_func=limit[1])(view)
        return getattr(bp, method)(path)(citizen_required(view))

    return decorate


def load_staff(roles: tuple[str, ...]) -> StaffUser:
    claims = tokens.decode(bearer_token(), tokens.AUD_STAFF)
    # Idle timeout: each request renews a short-lived marker; a session left idle loses it.
    idle_key = f"staff-seen:{claims['jti']}"
    idle = current_app.config["STAFF_IDLE_TIMEOUT"]
    if kv.get(idle_key) is None:
        raise Problem(401, "session_idle", "长时间未操作，请重新登录")
    kv.set(idle_key, str(int(time.time())), idle)
    user = db.session.get(StaffUser, _subject_id(claims))
    if user is None or not user.active:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    if roles and user.role not in roles:
        raise Problem(403, "forbidden", "您的账号没有此项操作权限")
    g.token_claims = claims
    g.staff = user
    g.actor = ("staff", user.id)
    return user


def start_staff_session(claims: dict[str, Any]) -> None:
    kv.set(
        f"staff-seen:{claims['jti']}",
        str(int(time.time())),
        current_app.config["STAFF_IDLE_TIMEOUT"],
    )


def end_staff_session(claims: dict[str, Any]) -> None:
    """Forget the idle marker of a staff session (logout)."""
    kv.delete(f"staff-seen:{claims['jti']}")


def staff_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a staff token; with roles, one of them ("clerk", "admin")."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            load_staff(roles)
            return func(*args, **kwargs)

        return _documented(wrapper)

    return decorate


def staff_route(
    bp: Any,
    method: str,
    path: str,
    schema: Any = None,
    *,
    roles: tuple[str, ...],
    status: int = 200,
    description: str | None = None,
    content_type: str | None = None,
    arguments: Any = None,
    query: Any = None,
    form: Any = None,
    errors: dict[int, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator stack of a staff endpoint, composed once, outermost first:
    ``bp.<method>(path)``, the request schema (``arguments`` of a JSON body, ``query`` of the
    query string or ``form`` of a form), the response (``schema`` or
    ``description``/``content_type``), the documented error answers (in the order given) and
    `staff_required(*roles)` innermost: the arguments are read before the token is checked."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view = staff_required(*roles)(view)
        for code, text in reversed(list((errors or {}).items())):
            view = bp.alt_response(code, description=text)(view)
        answer = {"description": description, "content_type": content_type}
        view = bp.response(status, schema, **{k: v for k, v in answer.items() if v})(view)
        for request_schema, location in ((arguments, "json"), (query, "query"), (form, "form")):
            if request_schema is not None:
                view = bp.arguments(request_schema, location=location)(view)
        return getattr(bp, method)(path)(view)

    return decorate
