"""The citizen's experience (issue #15) in headless Chromium at 375×812 with a WeChat user
agent, in both modes (standard and 长辈版): error pages, words on documents, 亮证, the care
mode, verdict colours, and accessibility measured in the browser (`pytest -m browser`)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from a11y import axe_violations, low_contrast, small_targets, small_text
from browser_fixtures import WECHAT_UA, ensure_account, horizontal_overflow, open_phone, screenshot

pytestmark = pytest.mark.browser

MODES = ["standard", "care"]
# A stand-in for WeChat's JS-SDK (nothing leaves the machine).
WX_STUB = (
    "window.wx = {config: function () {}, ready: function (f) { setTimeout(f, 0); },"
    " error: function () {}, scanQRCode: function () {}};"
)


@pytest.fixture
def config_overrides(live_url: str, wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "PUBLIC_BASE_URL": live_url}


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Callable[..., tuple[Any, list[str]]]]:
    """phone(mode) → (tab, errors): a WeChat phone in the standard mode or the 长辈版."""
    contexts: list[Any] = []

    def make(mode: str = "standard", wechat: bool = True) -> tuple[Any, list[str]]:
        errors: list[str] = []
        overrides = {"user_agent": WECHAT_UA} if wechat else {}
        context, tab = open_phone(browser, errors, **overrides)
        context.route(
            "https://res.wx.qq.com/open/js/jweixin-1.6.0.js",
            lambda route: route.fulfill(body=WX_STUB, content_type="application/javascript"),
        )
        if mode == "care":
            context.add_cookies([{"name": "bdc_care", "value": "1", "url": live_server}])
        contexts.append(context)
        return tab, errors

    yield make
    for context in contexts:
        context.close()


def log_in(tab: Any, app: Any, demo: dict[str, Any], key: str = "zhang") -> str:
    """Store a bound demo citizen's session in the tab (as the login page would)."""
    from miniapp_api.auth import tokens

    account = ensure_account(demo, key, True)
    access, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, app.config["ACCESS_TOKEN_TTL"])
    tab.context.add_init_script(
        "if (location.hostname === '127.0.0.1' && !localStorage.getItem('bdc.auth')) {"
        "localStorage.setItem('bdc.auth', "
        + json.dumps(
            json.dumps({"access_token": access, "refresh_token": "", "expires_at": 4102444800000})
        )
        + ");}"
    )
    return access


def sample_path(demo: dict[str, Any], name: str) -> str:
    return "/v/" + demo["verification"]["samples"][name]["url"].rsplit("/v/", 1)[1]


def make_copy(tab: Any, base: str, access: str, purpose: str = "贷款") -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {access}"}
    licenses = tab.request.get(base + "/api/v1/me/licenses", headers=headers).json()
    answer = tab.request.post(
        f"{base}/api/v1/me/licenses/{licenses[0]['id']}/copies",
        headers=headers,
        data={"purpose": purpose, "valid_days": 15},
    )
    assert answer.status == 201, answer.text()
    return answer.json()


def real_errors(errors: list[str]) -> list[str]:
    """Console errors other than Chromium's note about the error status of a page we opened."""
    return [e for e in errors if "the server responded with a status of" not in e]


def assert_accessible(tab: Any, mode: str, name: str) -> None:
    """axe (no serious/critical), contrast, text ≥ 14 px and targets ≥ 44 (60) px, measured."""
    assert axe_violations(tab) == [], name
    assert low_contrast(tab) == [], name
    assert small_text(tab) == [], name
    assert small_targets(tab, 60 if mode == "care" else 44) == [], name
    assert horizontal_overflow(tab) <= 0, name


# --- 1. a citizen never sees raw JSON -----------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_error_pages_are_pages_for_browsers(app, phone, live_server, demo, mode):
    tab, errors = phone(mode)
    signed = demo["verification"]["samples"]["authentic"]["url"]  # any string will do below
    assert signed
    cases = {
        "/app/nope.html": (404, "页面不存在", "返回首页"),
        "/v/": (404, "二维码链接不完整", "证书证明核验"),
        "/api/v1/files/eyJhIjoxfQ.AAAA": (403, "下载链接无效", "我的电子证照"),
        "/api/v1/auth/logout": (405, "无法直接打开此地址", "返回首页"),
    }
    for path, (status, title, way) in cases.items():
        response = tab.goto(live_server + path)
        assert response.status == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert tab.get_by_role("heading", name=title).is_visible(), path
        assert tab.get_by_role("link", name=way).first.is_visible(), path
        assert tab.get_by_role("link", name=re.compile("咨询电话")).first.is_visible(), path
        assert '"code"' not in tab.locator("body").inner_text(), path
        assert_accessible(tab, mode, path)
        screenshot(tab, f"error-{status}-{mode}")
        # Any other client still gets the problem JSON: the API is unchanged.
        api = tab.request.get(live_server + path, headers={"Accept": "application/json"})
        assert api.status == status
        assert api.headers["content-type"].startswith("application/problem+json")
        assert api.json()["status"] == status
    assert real_errors(errors) == []


def test_500_and_429_are_pages_too(app, phone, live_server, demo):
    from miniapp_api.errors import Problem

    def boom() -> str:
        raise RuntimeError("a bug")

    def busy() -> str:
        raise Problem(
            429, "rate_limited", "操作过于频繁，请稍后再试", headers={"Retry-After": "42"}
        )

    app.add_url_rule("/app/test-boom", "test_boom", boom)
    app.add_url_rule("/app/test-busy", "test_busy", busy)
    tab, errors = phone("care")
    response = tab.goto(live_server + "/app/test-boom")
    assert response.status == 500
    assert tab.get_by_role("heading", name="系统繁忙").is_visible()
    assert tab.get_by_text("错误编号").is_visible()
    screenshot(tab, "error-500-care")
    response = tab.goto(live_server + "/app/test-busy")
    assert response.status == 429
    assert response.headers["retry-after"] == "42"
    assert tab.get_by_text("请 42 秒后再试").is_visible()
    screenshot(tab, "error-429-care")
    assert real_errors(errors) == []


@pytest.mark.parametrize("mode", MODES)
def test_expired_download_link_leads_the_holder_to_a_fresh_one(app, phone, live_server, demo, mode):
    from miniapp_api import downloads

    tab, errors = phone(mode)
    access = log_in(tab, app, demo, "zhang")
    tab.goto(live_server + "/app/index.html")
    copy = make_copy(tab, live_server, access)
    account = ensure_account(demo, "zhang", True)
    with app.test_request_context():
        signed, _ = downloads.sign_link(
            "license_copy", copy["id"], "png", account.id, now=time.time() - 3600
        )
    response = tab.goto(f"{live_server}/api/v1/files/{signed}")
    assert response.status == 403
    assert tab.get_by_role("heading", name="下载链接已过期").is_visible()
    assert_accessible(tab, mode, "expired link")
    screenshot(tab, f"error-expired-link-{mode}")
    with tab.expect_navigation(url=re.compile(r"/api/v1/files/")) as navigation:
        tab.get_by_role("link", name="重新获取").click()
    fresh = navigation.value
    assert fresh.status == 200
    assert fresh.headers["content-type"] == "image/png"
    assert real_errors(errors) == []


# --- 7. contrast, targets and text sizes, every page, both modes --------------------------------
APP_PAGES = [
    "index",
    "scan",
    "bind",
    "properties",
    "licenses",
    "proofs",
    "handover",
    "login-callback",
    "relink",
]
VERIFY_SAMPLES = ["authentic", "mortgaged", "cancelled", "tampered"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", APP_PAGES)
def test_every_app_page_is_accessible(app, phone, live_server, demo, mode, name):
    tab, errors = phone(mode)
    log_in(tab, app, demo, "zhang")
    tab.goto(f"{live_server}/app/{name}.html", wait_until="networkidle")
    assert tab.locator(".loading").count() == 0
    assert tab.evaluate("document.documentElement.classList.contains('care')") == (mode == "care")
    assert_accessible(tab, mode, name)
    screenshot(tab, f"a11y-{name}-{mode}")
    assert real_errors(errors) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", VERIFY_SAMPLES)
def test_every_verification_page_is_accessible(phone, live_server, demo, mode, sample):
    tab, errors = phone(mode)
    tab.goto(live_server + sample_path(demo, sample))
    assert tab.evaluate("document.documentElement.classList.contains('large')") == (mode == "care")
    assert_accessible(tab, mode, sample)
    screenshot(tab, f"a11y-verify-{sample}-{mode}")
    assert real_errors(errors) == []


# --- 2. words on official documents --------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_purpose_preview_shows_the_printed_sentence(app, phone, live_server, demo, mode):
    tab, errors = phone(mode)
    log_in(tab, app, demo, "zhang")
    tab.goto(live_server + "/app/licenses.html")
    tab.locator("[data-make-copy]").first.click()
    preview = tab.locator("#copy-form [data-purpose-preview]")
    tab.wait_for_function(
        "() => document.querySelector('#copy-form [data-purpose-preview]').dataset.sentence"
        " === '仅供办理子女入学使用'"
    )
    tab.get_by_text("其他", exact=True).click()
    other = tab.get_by_label("具体用途")
    assert "办理" not in (other.get_attribute("placeholder") or "")
    other.fill("办理银行开户")
    tab.wait_for_function(
        "() => document.querySelector('#copy-form [data-purpose-preview]').dataset.sentence"
        " === '仅供办理银行开户使用'"
    )
    assert preview.inner_text() == "文书上将印：「仅供办理银行开户使用」"
    assert_accessible(tab, mode, "purpose preview")
    screenshot(tab, f"purpose-preview-{mode}")
    tab.get_by_role("button", name="生成加注件").click()
    result = tab.locator("#copy-result")
    result.get_by_text("仅供办理银行开户使用").first.wait_for()
    assert "办理办理" not in tab.locator("body").inner_text()
    assert real_errors(errors) == []
