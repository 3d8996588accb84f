"""A WeChat public-account client: web authorisation, JS-SDK, server check, template messages.

Independent of Flask: the app builds one :class:`WeChatClient` with its configuration
and a shared :class:`~miniapp_api.wechat.cache.TokenCache`. Base URLs are configurable
so that development and tests talk to :mod:`miniapp_api.dev.fake_wechat`.

Secrets, codes and tokens travel in query strings (that is how WeChat's API works), so
nothing here logs a URL, a query or a ``requests`` exception text: only the API path,
the errcode and the exception class.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote

import requests

from .cache import TokenCache

log = logging.getLogger(__name__)

DEFAULT_OPEN_BASE = "https://open.weixin.qq.com"
DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_TIMEOUT: tuple[float, float] = (3.0, 5.0)

MSG_UNAVAILABLE = "微信服务暂时不可用，请稍后再试"
MSG_ERROR = "微信服务异常，请稍后再试"

# errcodes meaning "the access_token used is invalid / expired / not the latest".
TOKEN_INVALID_ERRCODES = frozenset({40001, 40014, 42001})

# errcode -> (stable code, user message, retryable)
_ERRCODES: dict[int, tuple[str, str, bool]] = {
    40029: ("wechat_code_invalid", "微信授权码无效，请重新进入", False),
    40163: ("wechat_code_used", "微信授权码已使用，请重新进入", False),
    42003: ("wechat_code_expired", "微信授权码已过期，请重新进入", False),
    43004: ("wechat_user_not_subscribed", "您尚未关注本公众号，无法接收消息通知", False),
    -1: ("wechat_unavailable", MSG_UNAVAILABLE, True),
    45011: ("wechat_unavailable", MSG_UNAVAILABLE, True),  # per-minute API quota
}

_HTTP_STATUS = {
    "wechat_code_invalid": 400,
    "wechat_code_used": 400,
    "wechat_code_expired": 400,
    "wechat_user_not_subscribed": 409,
    "wechat_unavailable": 503,
}

_STATE_RE = re.compile(r"[A-Za-z0-9]{1,128}")
_SCOPES = frozenset({"snsapi_base", "snsapi_userinfo"})
_NONCE_ALPHABET = string.ascii_letters + string.digits


class WeChatError(Exception):
    """An error answer from WeChat (``{"errcode": N, "errmsg": ...}``) or a local refusal.

    Attributes: ``errcode`` (WeChat's number, None when WeChat gave none), ``errmsg``
    (WeChat's English text, for logs), ``code`` (stable string for API clients),
    ``user_message`` (Chinese text for the citizen), ``retryable`` (a later retry of
    the same call may succeed) and ``http_status`` (a suggestion for the API answer).
    """

    def __init__(
        self,
        errcode: int | None,
        errmsg: str = "",
        *,
        code: str | None = None,
        user_message: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        known = _ERRCODES.get(errcode) if errcode is not None else None
        default_code, default_message, default_retryable = known or (
            "wechat_error",
            MSG_ERROR,
            False,
        )
        self.errcode = errcode
        self.errmsg = errmsg
        self.code: str = code or default_code
        self.user_message: str = user_message or default_message
        self.retryable: bool = default_retryable if retryable is None else retryable
        self.http_status: int = _HTTP_STATUS.get(self.code, 502)
        super().__init__(f"WeChat error {errcode} ({self.code}): {errmsg}")


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached or answered garbage: network error, timeout, non-JSON."""

    def __init__(self, detail: str = "unavailable") -> None:
        super().__init__(
            None,
            detail,
            code="wechat_unavailable",
            user_message=MSG_UNAVAILABLE,
            retryable=True,
        )


@dataclass(frozen=True)
class OAuthResult:
    """The answer to a web-authorisation code exchange. Tokens are kept out of repr()."""

    openid: str
    unionid: str | None
    scope: str
    is_snapshotuser: bool
    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str = field(repr=False)


# ---------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------


def jssdk_signature(jsapi_ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The JS-SDK ``wx.config`` signature: SHA-1 hex of the four fields in WeChat's order.

    Values are used raw (not URL-encoded); the URL loses its ``#fragment``.
    """
    page_url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page_url}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


def check_server_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """Check WeChat's server-push signature: sha1(''.join(sorted([token, timestamp, nonce]))).

    Compared in constant time; any missing value gives False.
    """
    if not (token and timestamp and nonce and signature):
        return False
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("utf-8"))


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------


class WeChatClient:
    """A WeChat API client for one public account (appid).

    ``cache`` must be shared by every worker (Redis in production): the app
    ``access_token`` and the ``jsapi_ticket`` are stored there, and refreshed by one
    worker at a time under a short lock key.
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        cache: TokenCache,
        *,
        open_base: str = DEFAULT_OPEN_BASE,
        api_base: str = DEFAULT_API_BASE,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        safety_margin: int = 300,
        lock_ttl: int = 10,
        lock_poll: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not appid or not secret:
            raise ValueError("appid and secret are required")
        self.appid = appid
        self._secret = secret
        self.cache = cache
        self.open_base = open_base.rstrip("/")
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self._owns_session = session is None
        self.safety_margin = safety_margin
        self.lock_ttl = lock_ttl
        self.lock_poll = lock_poll
        self._clock = clock
        self.access_token_key = f"wechat:{appid}:access_token"
        self.jsapi_ticket_key = f"wechat:{appid}:jsapi_ticket"

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], cache: TokenCache, **kwargs: Any
    ) -> WeChatClient:
        """Build a client from WECHAT_APPID, WECHAT_SECRET, WECHAT_OPEN_BASE, WECHAT_API_BASE."""
        return cls(
            config["WECHAT_APPID"],
            config["WECHAT_SECRET"],
            cache,
            open_base=config.get("WECHAT_OPEN_BASE") or DEFAULT_OPEN_BASE,
            api_base=config.get("WECHAT_API_BASE") or DEFAULT_API_BASE,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, api_base={self.api_base!r})"

    def close(self) -> None:
        """Close the HTTP session (only if the client created it)."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- HTTP ----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One HTTP call; returns the JSON object or raises WeChatError / WeChatUnavailable."""
        url = f"{self.api_base}{path}"
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = self.session.request(
                method, url, params=dict(params), data=data, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            # The exception text contains the full URL with secret/code/token: never log it.
            log.warning("WeChat %s %s failed: %s", method, path, type(exc).__name__)
            raise WeChatUnavailable(f"{type(exc).__name__} on {path}") from None
        try:
            if response.status_code != 200:
                log.warning("WeChat %s %s answered HTTP %s", method, path, response.status_code)
                raise WeChatUnavailable(f"HTTP {response.status_code} on {path}")
            try:
                payload = json.loads(response.content.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                log.warning("WeChat %s %s answered a non-JSON body", method, path)
                raise WeChatUnavailable(f"non-JSON answer on {path}") from None
        finally:
            response.close()
        if not isinstance(payload, dict):
            raise WeChatUnavailable(f"unexpected JSON on {path}")
        errcode = payload.get("errcode", 0)
        if errcode not in (0, None):
            errmsg = str(payload.get("errmsg", ""))
            log.warning("WeChat %s %s errcode=%s errmsg=%s", method, path, errcode, errmsg)
            try:
                errcode = int(errcode)
            except (TypeError, ValueError):
                raise WeChatUnavailable(f"unexpected errcode on {path}") from None
            raise WeChatError(errcode, errmsg)
        return payload

    def _with_access_token(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call an API that needs the app access_token; on 40001/42001 refresh it and retry once."""
        token = self.get_access_token()
        try:
            return self._request(method, path, {**params, "access_token": token}, body)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_INVALID_ERRCODES:
                raise
            log.info(
                "WeChat %s: access_token rejected (errcode=%s), refreshing once", path, exc.errcode
            )
            self.invalidate_access_token(token)
        token = self.get_access_token()
        return self._request(method, path, {**params, "access_token": token}, body)

    # -- Web authorisation -----------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """The URL the browser is sent to for web authorisation (parameter order matters)."""
        if not isinstance(state, str) or not _STATE_RE.fullmatch(state):
            raise ValueError("state must be 1-128 characters of [A-Za-z0-9]")
        if scope not in _SCOPES:
            raise ValueError(f"unsupported scope: {scope!r}")
        if not redirect_uri.startswith(("http://", "https://")):
            raise ValueError("redirect_uri must be an absolute http(s) URL")
        return (
            f"{self.open_base}/connect/oauth2/authorize?appid={quote(self.appid, safe='')}"
            f"&redirect_uri={quote(redirect_uri, safe='')}&response_type=code"
            f"&scope={scope}&state={state}#wechat_redirect"
        )

    def exchange_code(self, code: str) -> OAuthResult:
        """Exchange a web-authorisation code for the user's openid. Never retried (single-use)."""
        if not code or not isinstance(code, str) or len(code) > 512:
            raise WeChatError(40029, "invalid code (rejected locally)")
        data = self._request(
            "GET",
            "/sns/oauth2/access_token",
            {
                "appid": self.appid,
                "secret": self._secret,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        openid = data.get("openid")
        if not openid or not isinstance(openid, str):
            raise WeChatUnavailable("code exchange answered without openid")
        try:
            snapshot = int(data.get("is_snapshotuser") or 0) == 1
            expires_in = int(data.get("expires_in") or 0)
        except (TypeError, ValueError):
            raise WeChatUnavailable("code exchange answered malformed fields") from None
        return OAuthResult(
            openid=openid,
            unionid=data.get("unionid") or None,
            scope=str(data.get("scope", "")),
            is_snapshotuser=snapshot,
            access_token=str(data.get("access_token", "")),
            expires_in=expires_in,
            refresh_token=str(data.get("refresh_token", "")),
        )

    # -- Shared credentials ------------------------------------------------------

    def _ttl(self, expires_in: Any) -> int:
        try:
            seconds = int(expires_in)
        except (TypeError, ValueError):
            seconds = 7200
        return (
            max(60, seconds - self.safety_margin)
            if seconds > self.safety_margin
            else max(1, seconds // 2)
        )

    def _cached(self, key: str, fetch: Callable[[], tuple[str, Any]]) -> str:
        """Read ``key`` from the shared cache; on a miss, one worker refreshes it under a lock.

        The others poll the cache until the value appears (or the lock disappears, in
        which case one of them takes over). Waiting is bounded by the lock TTL.
        """
        value = self.cache.get(key)
        if value:
            return value
        lock_key = f"{key}:lock"
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self.lock_ttl + 2
        while True:
            if self.cache.add(lock_key, owner, self.lock_ttl):
                try:
                    value = self.cache.get(key)  # refreshed while we were polling?
                    if value:
                        return value
                    value, expires_in = fetch()
                    self.cache.set(key, value, self._ttl(expires_in))
                    return value
                finally:
                    if self.cache.get(lock_key) == owner:
                        self.cache.delete(lock_key)
            time.sleep(self.lock_poll)
            value = self.cache.get(key)
            if value:
                return value
            if time.monotonic() > deadline:
                log.warning("WeChat: gave up waiting for another worker to refresh %s", key)
                raise WeChatUnavailable(f"timed out waiting for {key} refresh")

    def _fetch_access_token(self) -> tuple[str, Any]:
        data = self._request(
            "GET",
            "/cgi-bin/token",
            {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret},
        )
        token = data.get("access_token")
        if not token or not isinstance(token, str):
            raise WeChatUnavailable("token answer without access_token")
        log.info("WeChat: refreshed the app access_token")
        return token, data.get("expires_in", 7200)

    def _fetch_jsapi_ticket(self) -> tuple[str, Any]:
        data = self._with_access_token("GET", "/cgi-bin/ticket/getticket", {"type": "jsapi"})
        ticket = data.get("ticket")
        if not ticket or not isinstance(ticket, str):
            raise WeChatUnavailable("getticket answer without ticket")
        log.info("WeChat: refreshed the jsapi_ticket")
        return ticket, data.get("expires_in", 7200)

    def get_access_token(self) -> str:
        """The app access_token, from the shared cache or refreshed once for everyone."""
        return self._cached(self.access_token_key, self._fetch_access_token)

    def invalidate_access_token(self, token: str | None = None) -> None:
        """Drop the cached access_token (only if it is still ``token``, when given)."""
        if token is None or self.cache.get(self.access_token_key) == token:
            self.cache.delete(self.access_token_key)

    def get_jsapi_ticket(self) -> str:
        """The JS-SDK jsapi_ticket, from the shared cache or refreshed once for everyone."""
        return self._cached(self.jsapi_ticket_key, self._fetch_jsapi_ticket)

    def invalidate_jsapi_ticket(self) -> None:
        """Drop the cached jsapi_ticket."""
        self.cache.delete(self.jsapi_ticket_key)

    # -- JS-SDK ----------------------------------------------------------------

    def jssdk_config(
        self, url: str, *, noncestr: str | None = None, timestamp: int | None = None
    ) -> dict[str, Any]:
        """``wx.config`` values for the page at ``url``: appId, timestamp, nonceStr, signature."""
        nonce = noncestr or "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(16))
        ts = int(self._clock()) if timestamp is None else int(timestamp)
        ticket = self.get_jsapi_ticket()
        return {
            "appId": self.appid,
            "timestamp": ts,
            "nonceStr": nonce,
            "signature": jssdk_signature(ticket, nonce, ts, url),
        }

    # -- Template messages ---------------------------------------------------------

    def send_template_message(
        self,
        touser: str,
        template_id: str,
        data: Mapping[str, str],
        url: str | None = None,
    ) -> int:
        """Send a template message; returns WeChat's msgid.

        Raises WeChatError: ``retryable`` tells the caller whether to queue a retry
        (e.g. -1 system busy or a network error: yes; 43004 not subscribed: no).
        """
        if not touser or not template_id:
            raise ValueError("touser and template_id are required")
        body: dict[str, Any] = {"touser": touser, "template_id": template_id}
        if url:
            body["url"] = url
        body["data"] = {key: {"value": str(value)} for key, value in data.items()}
        answer = self._with_access_token("POST", "/cgi-bin/message/template/send", {}, body)
        try:
            return int(answer["msgid"])
        except (KeyError, TypeError, ValueError):
            raise WeChatUnavailable("template send answered without msgid") from None
