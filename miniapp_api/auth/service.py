"""Citizen sessions: WeChat web login, single-use login states, refresh rotation, logout.

Plain functions, no `request`: views pass in what they read from it. Ordering rule for the
key-value store (its database backend uses its own short transactions): every kv call here
happens before this unit of work writes through db.session, or after it commits.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..extensions import kv
from ..models import RefreshToken, WechatAccount, utcnow
from ..wechat import WeChatError
from ..wechat_service import wechat_client
from . import tokens

STATE_ALPHABET = string.ascii_letters + string.digits
STATE_LENGTH = 32
LOGIN_COOKIE = "bdc_login"
LOGIN_COOKIE_PATH = "/api/v1/auth/wechat"
CODE_MEMORY_TTL = 600  # WeChat codes live about 5 minutes

STATE_INVALID = ("login_state_invalid", "登录请求已失效，请返回重新进入")


# --- helpers ------------------------------------------------------------------------------
def _now() -> float:
    return time.time()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def is_safe_next(value: str) -> bool:
    """True for a path of this site: "/app/x?y=1". Refuses "//evil", URLs, backslashes."""
    if not isinstance(value, str) or not value or len(value) > 512:
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username is not None:
        return None
    if parts.password is not None:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, f"{parts.hostname.lower()}:{port or default}"


def is_own_page_url(url: str) -> bool:
    """True for an absolute URL on PUBLIC_BASE_URL's origin (scheme, host and port)."""
    if not isinstance(url, str) or "\\" in url:
        return False
    if any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in url):
        return False
    origin = _origin(url)
    return origin is not None and origin == _origin(current_app.config["PUBLIC_BASE_URL"])


def normalize_name(name: str) -> str:
    """Compare names as people type them: NFKC, no spaces, one kind of middle dot."""
    text = unicodedata.normalize("NFKC", name or "")
    for dot in ("•", "・", "‧", "∙", "⋅", "．", "."):
        text = text.replace(dot, "·")
    return "".join(text.split())


def login_redirect_uri() -> str:
    """The page of ours WeChat sends the browser back to (documented in docs/auth.md)."""
    return current_app.config["PUBLIC_BASE_URL"] + current_app.config["LOGIN_CALLBACK_PATH"]


# --- login state --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuthorizeStart:
    url: str
    browser_binder: str
    ttl: int


def start_authorize(next_path: str | None) -> AuthorizeStart:
    """Create a single-use, short-lived state and the WeChat authorisation URL."""
    next_path = next_path or current_app.config["LOGIN_DEFAULT_NEXT"]
    if not is_safe_next(next_path):
        raise Problem(
            422, "validation_failed", "只能返回本站页面", errors={"next": ["只能返回本站页面"]}
        )
    ttl = int(current_app.config["LOGIN_STATE_TTL"])
    state = "".join(secrets.choice(STATE_ALPHABET) for _ in range(STATE_LENGTH))
    binder = secrets.token_urlsafe(24)
    record = {"next": next_path, "binder": _sha256(binder), "created": int(_now())}
    kv.set(f"login-state:{_sha256(state)}", json.dumps(record), ttl)
    url = wechat_client().authorize_url(login_redirect_uri(), state, scope="snsapi_base")
    return AuthorizeStart(url=url, browser_binder=binder, ttl=ttl)


def consume_state(state: str, browser_binder: str | None) -> dict[str, Any]:
    """Take the state (single use: gone after this call, whatever happens next)."""
    raw = kv.pop(f"login-state:{_sha256(state)}")
    if raw is None:
        raise Problem(400, *STATE_INVALID)
    try:
        record = json.loads(raw)
    except ValueError as exc:
        raise Problem(400, *STATE_INVALID) from exc
    if _now() - int(record.get("created", 0)) > int(current_app.config["LOGIN_STATE_TTL"]):
        raise Problem(400, *STATE_INVALID)
    if browser_binder is not None:
        if not secrets.compare_digest(_sha256(browser_binder), str(record.get("binder", ""))):
            raise Problem(400, *STATE_INVALID)
    elif current_app.config["LOGIN_COOKIE_REQUIRED"]:
        raise Problem(400, *STATE_INVALID)
    return record


# --- sessions -----------------------------------------------------------------------------
def _session_pair(account: WechatAccount, family_id: str) -> dict[str, Any]:
    """Issue an access token and a refresh token of `family_id`; adds the refresh row."""
    access, _ = tokens.issue(
        str(account.id), tokens.AUD_CITIZEN, tokens.access_ttl(), fam=family_id
    )
    refresh, claims = tokens.issue(
        str(account.id), tokens.AUD_REFRESH, tokens.refresh_ttl(), fam=family_id
    )
    db.session.add(
        RefreshToken(
            jti=claims["jti"],
            family_id=family_id,
            account_id=account.id,
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl(),
        "identity_bound": account.person_id is not None,
    }


def _account_for(openid: str, unionid: str | None) -> WechatAccount:
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == openid)
    ).scalar_one_or_none()
    if account is not None:
        return account
    account = WechatAccount(openid=openid, unionid=unionid)
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent first login of the same user won the race
        db.session.rollback()
        account = db.session.execute(
            select(WechatAccount).where(WechatAccount.openid == openid)
        ).scalar_one()
    return account


def wechat_login(code: str, state: str, browser_binder: str | None) -> dict[str, Any]:
    """Exchange a WeChat code for a session. The state and the code are single-use."""
    try:
        record = consume_state(state, browser_binder)
    except Problem as problem:
        raise _refuse_login(problem, "state_invalid") from None
    if not kv.add(f"wx-code:{_sha256(code)}", "1", CODE_MEMORY_TTL):
        used = Problem(400, "wechat_code_used", "微信授权码已使用，请重新进入")
        raise _refuse_login(used, "code_reused")
    try:
        result = wechat_client().exchange_code(code)
    except WeChatError as exc:
        failed = Problem(exc.http_status, exc.code, exc.user_message)
        raise _refuse_login(failed, exc.code) from None
    if result.is_snapshotuser:
        snapshot = Problem(
            403, "wechat_snapshot_user", "当前为微信快照页面，无法登录。请在微信中打开本服务后再试"
        )
        raise _refuse_login(snapshot, "snapshot_user")
    account = _account_for(result.openid, result.unionid)
    if result.unionid and account.unionid != result.unionid:
        account.unionid = result.unionid
    account.last_login_at = utcnow()
    pair = _session_pair(account, secrets.token_urlsafe(16))
    audit.record(
        "auth.login",
        actor=("citizen", account.id),
        object_type="wechat_account",
        object_id=account.id,
    )
    unit_of_work.done()
    return {**pair, "next": record["next"]}


def _refuse_login(problem: Problem, result: str) -> Problem:
    return audit.refuse(problem, "auth.login", result=result, object_type="wechat_account")


def refresh_session(refresh_token: str) -> dict[str, Any]:
    """Rotate a refresh token. A used one revokes its whole family (theft detection)."""
    claims = tokens.decode(refresh_token, tokens.AUD_REFRESH)
    row = db.session.get(RefreshToken, claims["jti"])
    if row is None or str(row.account_id) != claims["sub"] or row.family_id != claims.get("fam"):
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    actor = ("citizen", row.account_id)
    if row.revoked_at is not None:
        raise Problem(401, "token_revoked", "您已退出登录，请重新登录")
    now = utcnow()
    taken = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == row.jti,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        family_id, account_id = row.family_id, row.account_id
        db.session.rollback()
        count = _revoke_family_rows(family_id)
        unit_of_work.after_commit(lambda: tokens.revoke_family(family_id))
        reused = Problem(
            401, "refresh_token_reused", "登录凭证已被使用过，为保护您的账号已退出登录，请重新登录"
        )
        raise audit.refuse(
            reused,
            "auth.refresh_reuse",
            result="family_revoked",
            actor=actor,
            object_type="wechat_account",
            object_id=account_id,
            reason="a refresh token was presented twice",
            detail={"revoked_tokens": count},
        )
    account = db.session.get(WechatAccount, row.account_id)
    if account is None:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    pair = _session_pair(account, row.family_id)
    unit_of_work.done()
    return pair


def _revoke_family_rows(family_id: str) -> int:
    return db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def logout(claims: dict[str, Any]) -> None:
    """End this login at once on every worker: the access token and its refresh family."""
    family = claims.get("fam")
    if isinstance(family, str):
        _revoke_family_rows(family)
    audit.record("auth.logout", object_type="wechat_account", object_id=claims["sub"])

    def deny() -> None:
        tokens.revoke(claims)
        if isinstance(family, str):
            tokens.revoke_family(family)

    unit_of_work.after_commit(deny)


def profile(account: WechatAccount) -> dict[str, Any]:
    """The citizen's own view of their profile (full name, masked ID number and phone)."""
    person = account.person
    if person is None:
        return {
            "identity_bound": False,
            "name": None,
            "id_number_masked": None,
            "phone_masked": None,
            "bound_at": None,
        }
    audit.record("profile.view", object_type="person", object_id=person.id)
    unit_of_work.done()
    return {
        "identity_bound": True,
        "name": person.name,
        "id_number_masked": person.id_number_masked,
        "phone_masked": person.phone_masked,
        "bound_at": account.bound_at,
    }


# --- JS-SDK -------------------------------------------------------------------------------
def _nonce() -> str:
    return "".join(secrets.choice(STATE_ALPHABET) for _ in range(16))


def jssdk_config(url: str) -> dict[str, Any]:
    """wx.config values for a page of ours (signature over the URL without its fragment)."""
    if not is_own_page_url(url):
        raise Problem(
            422,
            "validation_failed",
            "只能为本站页面生成 JS-SDK 配置",
            errors={"url": ["只能为本站页面生成 JS-SDK 配置"]},
        )
    try:
        return wechat_client().jssdk_config(
            url.split("#", 1)[0], noncestr=_nonce(), timestamp=int(_now())
        )
    except WeChatError as exc:
        raise Problem(exc.http_status, exc.code, exc.user_message) from None
