"""The HTTP side of the fake WeChat server (dev/fake_wechat.py): one request handler class
bound to a :class:`~miniapp_api.dev.fake_wechat.FakeWeChat`."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from .fake_wechat import FakeWeChat

log = logging.getLogger("miniapp_api.dev.fake_wechat")

MAX_BODY = 64 * 1024

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    41008: "missing code",
    42001: "access_token expired",
    42003: "code expired",
    43002: "require POST method",
    43004: "require subscribe",
    44002: "empty post data",
    47001: "data format error",
}


def error_body(errcode: int) -> dict[str, Any]:
    rid = secrets.token_hex(4)
    return {"errcode": errcode, "errmsg": f"{ERRMSG.get(errcode, 'error')} rid: {rid}"}


def make_handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeWeChat/1.0"
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt: str, *args: Any) -> None:
            # The request line carries secrets, codes and tokens: log the path only.
            log.debug("fake wechat: %s %s", self.command, urlsplit(self.path).path)

        def _query(self) -> tuple[str, dict[str, str]]:
            parts = urlsplit(self.path)
            raw = parse_qs(parts.query, keep_blank_values=True)
            return parts.path, {k: v[0] for k, v in raw.items()}

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, payload: Mapping[str, Any]) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self._send(200, body, "application/json; encoding=utf-8")

        def _html(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
            self._send(status, text.encode("utf-8"), "text/html; charset=utf-8", headers)

        def _delay(self, path: str) -> None:
            delay = fake._count(path)
            if delay:
                time.sleep(delay)

        def do_GET(self) -> None:
            path, query = self._query()
            self._delay(path)
            if path == "/connect/oauth2/authorize":
                self._html(*fake.authorize_page(query))
            elif path == "/connect/oauth2/authorize/choose":
                status, text, location = fake.choose(query)
                self._html(status, text, {"Location": location} if location else None)
            elif path == "/sns/oauth2/access_token":
                self._json(fake.handle_oauth_token(query))
            elif path == "/cgi-bin/token":
                self._json(fake.handle_token(query))
            elif path == "/cgi-bin/ticket/getticket":
                self._json(fake.handle_ticket(query))
            elif path == "/cgi-bin/message/template/send":
                self._json(error_body(43002))
            else:
                self._send(404, b'{"errcode":404,"errmsg":"not found"}', "application/json")

        def do_POST(self) -> None:
            path, query = self._query()
            self._delay(path)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self._send(413, b'{"errcode":413,"errmsg":"body too large"}', "application/json")
                return
            body = self.rfile.read(length) if length else b""
            if path == "/cgi-bin/message/template/send":
                self._json(fake.handle_template_send(query, body) if body else error_body(44002))
            else:
                self._send(404, b'{"errcode":404,"errmsg":"not found"}', "application/json")

    return Handler
