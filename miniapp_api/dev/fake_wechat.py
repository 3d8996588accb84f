"""A small fake WeChat server for development and tests (loopback only).

It speaks the endpoints and error JSON that the backend uses:

* ``GET /connect/oauth2/authorize`` - a Chinese page listing demo users; choosing one
  (``/connect/oauth2/authorize/choose``) issues a code and redirects to ``redirect_uri``;
* ``GET /sns/oauth2/access_token`` - single-use codes that expire after 300 s;
* ``GET /cgi-bin/token`` and ``GET /cgi-bin/ticket/getticket``;
* ``POST /cgi-bin/message/template/send`` - records the messages, with failure injection.

Run it::

    python -m miniapp_api.dev.fake_wechat --port 8010 --users users.json

or in-process (tests)::

    fake = FakeWeChat(users={"o_demo_zhangsan": "张三"}, appid="wx...", secret="...")
    base_url = fake.start()  # http://127.0.0.1:<ephemeral port>
    ...
    fake.stop()
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode, urlsplit, urlunsplit

from .fake_wechat_http import ERRMSG, error_body, make_handler

log = logging.getLogger(__name__)

DEFAULT_APPID = "wx0000000000demo"
DEFAULT_SECRET = "demo-secret"
DEFAULT_USERS: dict[str, str] = {
    "o_demo_zhangsan": "张三",
    "o_demo_lisi": "李四",
    "o_demo_wangwu": "王五",
}
CODE_TTL = 300
TOKEN_TTL = 7200

_STATE_RE = re.compile(r"[A-Za-z0-9]{0,128}")
_SCOPES = ("snsapi_base", "snsapi_userinfo")


@dataclass
class _Code:
    openid: str
    scope: str
    snapshot: bool
    issued_at: float
    used: bool = False


def _new_secret(prefix: str, nbytes: int = 24) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


class FakeWeChat:
    """An in-process fake of WeChat's OAuth, token, ticket and template-message APIs.

    State is guarded by one lock, so the threaded server and the test thread can both
    use it. ``clock`` (default ``time.time``) plus :meth:`advance` make expiry testable.
    """

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        appid: str = DEFAULT_APPID,
        secret: str = DEFAULT_SECRET,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        self.appid = appid
        self.secret = secret
        self.port = port
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.RLock()
        self._codes: dict[str, _Code] = {}
        self._access_tokens: dict[str, float] = {}
        self._tickets: dict[str, float] = {}
        self._send_failures: deque[tuple[int, str]] = deque()
        self._delays: dict[str, float] = {}
        self._next_msgid = 1000
        self.calls: Counter[str] = Counter()
        self.messages: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> str:
        """Start serving on 127.0.0.1 (port 0 = ephemeral); returns the base URL."""
        if self._server is not None:
            return self.base_url
        server = ThreadingHTTPServer(("127.0.0.1", self.port), make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.name = "fake-wechat"
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake WeChat server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls ---------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (expire codes and tokens without sleeping)."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Forget codes, tokens, tickets, calls, messages, failures and delays (users stay)."""
        with self._lock:
            self._codes.clear()
            self._access_tokens.clear()
            self._tickets.clear()
            self._send_failures.clear()
            self._delays.clear()
            self._offset = 0.0
            self.calls.clear()
            self.messages.clear()

    def issue_code(self, openid: str, snapshot: bool = False, scope: str = "snsapi_base") -> str:
        """Mint a web-authorisation code for ``openid`` as if the user had authorised."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Code(openid, scope, snapshot, self.now())
        return code

    def invalidate_access_tokens(self) -> None:
        """Make every issued access_token invalid (next use answers 40001)."""
        with self._lock:
            self._access_tokens.clear()

    def fail_next_sends(self, n: int, errcode: int = -1, errmsg: str | None = None) -> None:
        """Make the next ``n`` template sends answer ``errcode`` (after the token check)."""
        message = errmsg or ERRMSG.get(errcode, "injected failure")
        with self._lock:
            self._send_failures.extend([(errcode, message)] * n)

    def set_delay(self, path: str, seconds: float) -> None:
        """Delay every answer on ``path`` (e.g. to make concurrent refreshes overlap)."""
        with self._lock:
            self._delays[path] = seconds

    # -- request handling (called by the handler threads) ----------------------------------

    def _count(self, path: str) -> float:
        with self._lock:
            self.calls[path] += 1
            return self._delays.get(path, 0.0)

    def _check_app(self, query: Mapping[str, str]) -> dict[str, Any] | None:
        if query.get("appid") != self.appid:
            return error_body(40013)
        if query.get("secret") != self.secret:
            return error_body(40125)
        return None

    def _check_token(self, query: Mapping[str, str]) -> dict[str, Any] | None:
        token = query.get("access_token", "")
        if not token:
            return error_body(41001)
        expires_at = self._access_tokens.get(token)
        if expires_at is None:
            return error_body(40001)
        if self.now() >= expires_at:
            return error_body(42001)
        return None

    def handle_oauth_token(self, query: Mapping[str, str]) -> dict[str, Any]:
        failure = self._check_app(query)
        if failure:
            return failure
        if query.get("grant_type") != "authorization_code":
            return error_body(40002)
        code = query.get("code", "")
        if not code:
            return error_body(41008)
        with self._lock:
            entry = self._codes.get(code)
            if entry is None:
                return error_body(40029)
            if entry.used:
                return error_body(40163)
            if self.now() - entry.issued_at > CODE_TTL:
                return error_body(42003)
            entry.used = True
        answer: dict[str, Any] = {
            "access_token": _new_secret("sns_"),
            "expires_in": TOKEN_TTL,
            "refresh_token": _new_secret("snsr_"),
            "openid": entry.openid,
            "scope": entry.scope,
        }
        if entry.snapshot:
            answer["is_snapshotuser"] = 1
        return answer

    def handle_token(self, query: Mapping[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            return error_body(40002)
        failure = self._check_app(query)
        if failure:
            return failure
        token = _new_secret("at_", 48)
        with self._lock:
            self._access_tokens[token] = self.now() + TOKEN_TTL
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def handle_ticket(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            failure = self._check_token(query)
            if failure:
                return failure
            if query.get("type") != "jsapi":
                return error_body(40097)
            ticket = _new_secret("tk_", 48)
            self._tickets[ticket] = self.now() + TOKEN_TTL
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": TOKEN_TTL}

    def handle_template_send(self, query: Mapping[str, str], body: bytes) -> dict[str, Any]:
        with self._lock:
            failure = self._check_token(query)
            if failure:
                return failure
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return error_body(47001)
            if not isinstance(payload, dict):
                return error_body(47001)
            if not payload.get("touser"):
                return error_body(40003)
            if not payload.get("template_id"):
                return error_body(40037)
            data = payload.get("data")
            if not isinstance(data, dict) or not all(
                isinstance(v, dict) and "value" in v for v in data.values()
            ):
                return error_body(47001)
            if self._send_failures:
                errcode, errmsg = self._send_failures.popleft()
                return {"errcode": errcode, "errmsg": errmsg}
            self._next_msgid += 1
            msgid = self._next_msgid
            self.messages.append(
                {
                    "msgid": msgid,
                    "touser": payload["touser"],
                    "template_id": payload["template_id"],
                    "url": payload.get("url"),
                    "data": {k: v["value"] for k, v in data.items()},
                    "body": payload,
                }
            )
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def authorize_page(self, query: Mapping[str, str]) -> tuple[int, str]:
        problem = self._check_authorize(query)
        if problem:
            return HTTPStatus.BAD_REQUEST, _error_page(problem)
        common = {
            "appid": self.appid,
            "redirect_uri": query["redirect_uri"],
            "state": query.get("state", ""),
            "scope": query.get("scope", "snsapi_base"),
        }
        items = []
        for openid, name in self.users.items():
            link = "/connect/oauth2/authorize/choose?" + urlencode({"openid": openid, **common})
            items.append(
                f'<li><a href="{html.escape(link)}">{html.escape(name)}</a> '
                f"<small>{html.escape(openid)}</small></li>"
            )
        first = next(iter(self.users), None)
        snapshot = ""
        if first is not None:
            link = "/connect/oauth2/authorize/choose?" + urlencode(
                {"openid": first, "snapshot": "1", **common}
            )
            snapshot = (
                f'<p><a href="{html.escape(link)}">以朋友圈快照页（虚拟用户）身份进入</a></p>'
            )
        body = (
            "<h1>模拟微信授权</h1>"
            "<p>开发环境：请选择一位演示用户登录。真实微信中用户身份由微信自动识别。</p>"
            f"<ul>{''.join(items) or '<li>没有演示用户</li>'}</ul>{snapshot}"
        )
        return HTTPStatus.OK, _page("模拟微信授权", body)

    def choose(self, query: Mapping[str, str]) -> tuple[int, str, str | None]:
        """(status, html, location): issue a code for the chosen user and redirect."""
        problem = self._check_authorize({"response_type": "code", "appid": self.appid, **query})
        if problem:
            return HTTPStatus.BAD_REQUEST, _error_page(problem), None
        openid = query.get("openid", "")
        if openid not in self.users:
            return HTTPStatus.BAD_REQUEST, _error_page("未知的演示用户"), None
        code = self.issue_code(
            openid,
            snapshot=query.get("snapshot") == "1",
            scope=query.get("scope", "snsapi_base"),
        )
        params = {"code": code, "state": query.get("state", "")}
        parts = urlsplit(query["redirect_uri"])
        joined = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))
        return HTTPStatus.FOUND, _page("正在跳转", "<p>正在返回应用…</p>"), location

    def _check_authorize(self, query: Mapping[str, str]) -> str | None:
        if query.get("appid") != self.appid:
            return "appid 错误（40013 invalid appid）"
        if query.get("response_type") != "code":
            return "response_type 参数错误"
        if query.get("scope", "snsapi_base") not in _SCOPES:
            return "scope 参数错误"
        redirect = query.get("redirect_uri", "")
        if not redirect.startswith(("http://", "https://")):
            return "redirect_uri 参数错误"
        if not _STATE_RE.fullmatch(query.get("state", "")):
            return "state 参数错误"
        return None


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )


def _error_page(problem: str) -> str:
    return _page("授权出错", f"<h1>授权出错</h1><p>{html.escape(problem)}</p>")


def load_users(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read ``{openid: display_name}`` (or a list of ``{"openid", "name"}``) from JSON."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    if isinstance(data, list):
        return {str(item["openid"]): str(item.get("name") or item["openid"]) for item in data}
    raise ValueError("users file must hold an object {openid: name} or a list of users")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake WeChat server for development (127.0.0.1).")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--users", help="JSON file: {openid: display_name}")
    parser.add_argument("--appid", default=os.environ.get("WECHAT_APPID", DEFAULT_APPID))
    parser.add_argument("--secret", default=os.environ.get("WECHAT_SECRET", DEFAULT_SECRET))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    users = load_users(args.users) if args.users else None
    fake = FakeWeChat(users=users, appid=args.appid, secret=args.secret, port=args.port)
    base = fake.start()
    log.info("fake WeChat listening on %s (appid %s, %d users)", base, fake.appid, len(fake.users))
    log.info("set WECHAT_OPEN_BASE=%s and WECHAT_API_BASE=%s", base, base)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
