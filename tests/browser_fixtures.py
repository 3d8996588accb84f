"""Fixtures for the headless-Chromium tests (`pytest -m browser`).

* `live_url` — a werkzeug server bound to an ephemeral port *before* the app exists, so a test
  module can put the live origin into the config (`PUBLIC_BASE_URL`): override
  `config_overrides` to depend on `live_url`.
* `live_server` — the per-test `app` served at `live_url` (threaded), returns the origin.
* `browser` — one Debian Chromium per session; `page` — a fresh 375×812 phone context per test
  that records console errors, page errors and CSP violations in `page_errors`.
* `login_as(key)` — puts a citizen's tokens into localStorage (no WeChat round trip).

Screenshots go to `artifacts/` at the repository root.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36"
    ),
}
WECHAT_UA = PHONE["user_agent"] + " MicroMessenger/8.0.47.2560(0x28002F30) NetType/WIFI"
# Anything not on the loopback interface is refused: tests never reach the internet.
EXTERNAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")
# Chromium reports CSP violations as console errors too; this makes sure none slips by.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


class _Dispatcher:
    """A WSGI app whose target is set after the socket is bound."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"app not attached yet"]
        # Read the answer out (and close it) before werkzeug writes it: a browser that drops
        # the connection half-way (a context closed while the service worker is still caching
        # files) then leaves no file open for -W error to report in a later test.
        result = self.app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


@pytest.fixture
def _live(request: pytest.FixtureRequest) -> Iterator[tuple[str, _Dispatcher]]:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in reports
    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", dispatcher
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_url(_live: tuple[str, _Dispatcher]) -> str:
    """The origin the live server listens on (known before the app is built)."""
    return _live[0]


@pytest.fixture
def live_server(app: Any, _live: tuple[str, _Dispatcher]) -> str:
    """Serve this test's app at `live_url`; returns the origin."""
    url, dispatcher = _live
    dispatcher.app = app
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Console errors, uncaught exceptions and CSP violations seen by `page`."""
    return []


def open_phone(browser: Any, errors: list[str], **overrides: Any) -> tuple[Any, Any]:
    """A new phone-sized context and tab that records errors into `errors`."""
    context = browser.new_context(**{**PHONE, **overrides})
    context.set_default_timeout(8000)
    context.route(EXTERNAL, lambda route: route.abort())
    context.add_init_script(CSP_WATCH)
    tab = context.new_page()
    tab.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    tab.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return context, tab


@pytest.fixture
def page(browser: Any, page_errors: list[str]) -> Iterator[Any]:
    context, tab = open_phone(browser, page_errors)
    yield tab
    context.close()


def ensure_account(demo: dict[str, Any], key: str, bound: bool = True) -> Any:
    """The demo citizen's WeChat account (created if needed), bound to the person if asked."""
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount, utcnow

    citizen = next(c for c in demo["citizens"] if c["key"] == key)
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == citizen["openid"])
    ).scalar_one_or_none()
    if account is None:
        account = WechatAccount(openid=citizen["openid"])
        db.session.add(account)
    if bound and account.person_id is None:
        account.person_id = citizen["person_id"]
        account.bound_at = utcnow()
    db.session.commit()
    return account


def store_session(page: Any, auth: dict[str, Any]) -> None:
    """Put a session into the app's localStorage before any page script runs (once)."""
    page.context.add_init_script(
        "if (location.hostname === '127.0.0.1' && !sessionStorage.getItem('test.seeded')) {"
        f"localStorage.setItem('bdc.auth', {json.dumps(json.dumps(auth))});"
        "sessionStorage.setItem('test.seeded', '1');}"
    )


@pytest.fixture
def login_as(page: Any, app: Any, demo: dict[str, Any]) -> Callable[..., None]:
    """Log a demo citizen in by storing an access token, as the login page would."""
    from miniapp_api.auth import tokens

    def log_in(key: str = "zhang", bound: bool = True) -> None:
        account = ensure_account(demo, key, bound)
        access, _ = tokens.issue(
            str(account.id), tokens.AUD_CITIZEN, app.config["ACCESS_TOKEN_TTL"]
        )
        store_session(
            page, {"access_token": access, "refresh_token": "", "expires_at": 4102444800000}
        )

    return log_in


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("() => window.scrollTo(0, 0)")  # sticky bars stay where they belong
    page.screenshot(path=str(path), full_page=full_page)
    return path


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no horizontal scroll)."""
    return int(
        page.evaluate(
            "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
        )
    )
