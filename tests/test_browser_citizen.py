"""The citizen's experience (issue #15) in headless Chromium at 375×812 with a WeChat user
agent, in both modes (standard and 长辈版): error pages, words on documents, 亮证, the care
mode, verdict colours, and accessibility measured in the browser (`pytest -m browser`)."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zxingcpp
from a11y import axe_violations, low_contrast, small_targets, small_text
from browser_fixtures import WECHAT_UA, ensure_account, horizontal_overflow, open_phone, screenshot
from PIL import Image

import verify
from verify.cose import parse_envelope

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
    "show",
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


# --- 8. a true 长辈版 ----------------------------------------------------------------------------
def is_care(tab: Any) -> bool:
    return tab.evaluate("document.documentElement.classList.contains('care')")


def test_care_mode_has_its_own_home_and_follows_the_citizen_everywhere(
    app, phone, live_server, demo
):
    from miniapp_api import downloads

    tab, errors = phone("standard", wechat=False)
    access = log_in(tab, app, demo, "zhang")
    tab.goto(live_server + "/app/index.html")
    assert tab.locator("[data-care-home]").is_hidden()
    toggle = tab.locator("[data-large-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert is_care(tab)
    assert toggle.get_attribute("aria-pressed") == "true"
    home = tab.locator("[data-care-home]")
    assert home.is_visible()
    assert tab.locator(".entries").is_hidden()  # the standard home steps aside
    entries = home.locator("a.care-entry")
    assert entries.count() == 4
    for box in (entries.nth(i).bounding_box() for i in range(4)):
        assert box["height"] >= 90 and box["width"] >= 300
    call = home.get_by_role("link", name=re.compile("打电话咨询"))
    assert call.get_attribute("href").startswith("tel:")
    # the bar keeps the page's title (outside WeChat)
    assert tab.locator(".bar__title").is_visible()
    assert tab.locator(".bar__title").bounding_box()["width"] > 40
    assert_accessible(tab, "care", "care home")
    screenshot(tab, "care-home")
    # kept across pages: another app page, /v/, an error page, a download's error page
    tab.goto(live_server + "/app/proofs.html")
    assert is_care(tab)
    tab.goto(live_server + sample_path(demo, "mortgaged"))
    assert tab.evaluate("document.documentElement.className") == "large"
    value = tab.locator(".field__value").first.bounding_box()
    assert value["width"] >= 250  # the description is not squeezed to four characters a line
    screenshot(tab, "care-verify-mortgaged")
    copy = make_copy(tab, live_server, access)
    account = ensure_account(demo, "zhang", True)
    with app.test_request_context():
        signed, _ = downloads.sign_link("license_copy", copy["id"], "png", account.id, now=1)
    tab.goto(f"{live_server}/api/v1/files/{signed}")
    assert is_care(tab)
    tab.goto(live_server + "/app/nope.html")
    assert is_care(tab)
    # back to standard from /v/ (no JavaScript needed there): the app follows
    tab.goto(live_server + sample_path(demo, "authentic"))
    tab.get_by_role("link", name="返回标准版").click()
    assert tab.evaluate("document.documentElement.className") == ""
    tab.goto(live_server + "/app/index.html")
    assert not is_care(tab)
    assert tab.locator("[data-care-home]").is_hidden()
    assert real_errors(errors) == []


WECHAT_CARE = """
window.WeixinJSBridge = {invoke: function (name, args, done) {
  if (name === "getUserConfig") setTimeout(function () { done({isCareMode: CARE}); }, 0);
}};
"""


@pytest.mark.parametrize("wechat_care", [True, False])
def test_wechat_care_mode_is_honoured(phone, live_server, demo, wechat_care):
    tab, errors = phone("standard")
    tab.context.add_init_script(WECHAT_CARE.replace("CARE", json.dumps(wechat_care)))
    tab.goto(live_server + "/app/index.html")
    if wechat_care:
        tab.wait_for_function("() => document.documentElement.classList.contains('care')")
        assert tab.locator("[data-large-toggle]").get_attribute("aria-pressed") == "true"
        # server-rendered pages follow too
        tab.goto(live_server + sample_path(demo, "authentic"))
        assert tab.evaluate("document.documentElement.className") == "large"
        screenshot(tab, "wechat-care-verify")
    else:
        tab.wait_for_timeout(200)
        assert not is_care(tab)
    assert real_errors(errors) == []


def test_the_citizens_own_choice_wins_over_wechat(phone, live_server):
    tab, errors = phone("standard")
    tab.context.add_init_script(WECHAT_CARE.replace("CARE", "true"))
    tab.context.add_cookies([{"name": "bdc_care", "value": "0", "url": live_server}])
    tab.goto(live_server + "/app/index.html")
    tab.wait_for_timeout(200)
    assert not is_care(tab)
    assert real_errors(errors) == []


@pytest.mark.parametrize("mode", MODES)
def test_the_system_font_size_is_never_blocked(phone, live_server, mode):
    tab, _ = phone(mode)
    tab.goto(live_server + "/app/index.html")
    adjust = tab.evaluate(
        "[getComputedStyle(document.documentElement).webkitTextSizeAdjust,"
        " getComputedStyle(document.body).webkitTextSizeAdjust]"
    )
    assert adjust == ["auto", "auto"]
    root = tab.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root == (20 if mode == "care" else 16)  # a percentage of the browser's size


# --- 10. one title ----------------------------------------------------------------------------
TITLED_PAGES = [
    "index", "scan", "bind", "properties", "licenses", "proofs", "handover", "relink", "show"
]  # fmt: skip


@pytest.mark.parametrize("wechat", [True, False], ids=["in-wechat", "browser"])
def test_one_title(app, phone, live_server, demo, wechat):
    tab, errors = phone("standard", wechat=wechat)
    log_in(tab, app, demo, "zhang")
    for name in TITLED_PAGES:
        tab.goto(f"{live_server}/app/{name}.html")
        title = tab.title()
        assert " - " not in title and title, name
        bar = tab.locator(".bar__title")
        assert bar.inner_text() == title, name
        visible_titles = tab.evaluate(
            """(title) => Array.from(document.querySelectorAll('h1, h2, .page-hd__title'))
                 .filter((e) => { const r = e.getBoundingClientRect();
                                  return r.width > 1 && r.height > 1
                                    && getComputedStyle(e).display !== 'none'; })
                 .map((e) => e.textContent.trim())""",
            title,
        )
        if wechat:
            # WeChat shows <title> in its own bar: no second title in the page
            assert bar.bounding_box()["width"] <= 1, name
            assert title not in visible_titles, name
        else:
            assert visible_titles.count(title) == 1, name
    screenshot(tab, f"one-title-{'wechat' if wechat else 'browser'}")
    assert real_errors(errors) == []


# --- 9. binding tells the truth -------------------------------------------------------------------
class RealNameProvider:
    """A real-name service: the identity is genuine, the registry may know nothing of it."""

    def verify(self, name: str, id_number: str) -> Any:
        from miniapp_api.auth.identity import IdentityCheck

        return IdentityCheck(matched=True, person_id=None)


def fill_binding(tab: Any, name: str, id_number: str) -> None:
    tab.get_by_label("姓名").fill(name)
    tab.get_by_label("身份证号").fill(id_number)
    tab.get_by_role("button", name="提交认证").click()


@pytest.mark.parametrize("mode", MODES)
def test_binding_a_person_the_registry_does_not_know(app, phone, live_server, demo, mode):
    from miniapp_api.demo.citizens import synthetic_id

    tab, errors = phone(mode)
    log_in(tab, app, demo, "zhao")
    account = ensure_account(demo, "zhao", True)
    from miniapp_api.extensions import db

    account.person_id = None
    account.bound_at = None
    db.session.commit()
    unknown = synthetic_id("19900101", 777)
    # The registry's own check: never "don't match" alone, and the way to a 无房 proof.
    tab.goto(live_server + "/app/bind.html")
    fill_binding(tab, "钱多多", unknown)
    message = tab.locator("#form-error")
    message.wait_for()
    text = message.inner_text()
    assert "登记中心暂无您的不动产记录" in text and "仍可开具无房证明" in text
    assert_accessible(tab, mode, "bind refused")
    screenshot(tab, f"bind-unknown-registry-{mode}")
    # A real-name provider verifies the person: bound, and told plainly there is no record.
    app.extensions["identity_provider"] = RealNameProvider()
    fill_binding(tab, "钱多多", unknown)
    note = tab.locator("[data-no-property]")
    note.wait_for()
    assert "登记中心暂无您的不动产记录，仍可开具无房证明" in note.inner_text()
    assert note.get_by_role("link", name="去开具无房证明").is_visible()
    assert_accessible(tab, mode, "bound without property")
    screenshot(tab, f"bind-unknown-real-name-{mode}")
    assert real_errors(errors) == []


def test_rate_limited_binding_gives_the_wait_and_the_counter_hours(app, phone, live_server, demo):
    from miniapp_api.demo.citizens import synthetic_id
    from miniapp_api.extensions import db

    app.config["IDENTITY_BIND_LIMIT_ACCOUNT"] = "1 per 10 minutes"
    tab, errors = phone("standard")
    log_in(tab, app, demo, "zhao")
    account = ensure_account(demo, "zhao", True)
    account.person_id = None
    account.bound_at = None
    db.session.commit()
    tab.goto(live_server + "/app/bind.html")
    fill_binding(tab, "钱多多", synthetic_id("19900101", 777))
    tab.locator("#form-error").wait_for()
    fill_binding(tab, "钱多多", synthetic_id("19900101", 779))
    tab.wait_for_function("() => /后再试/.test(document.querySelector('#form-error').textContent)")
    text = tab.locator("#form-error").inner_text()
    assert re.search(r"请 \d+ (分钟|秒)后再试", text)
    assert app.config["REGISTRY_HOURS"] in text
    screenshot(tab, "bind-rate-limited")
    assert real_errors(errors) == []


# --- 6. no blank pages ------------------------------------------------------------------------
LISTS = {
    "licenses": ("/api/v1/me/licenses", "[data-license]"),
    "properties": ("/api/v1/me/properties", "共 2 处不动产"),
    "proofs": ("/api/v1/me/housing-proofs", "#proof-form"),
    "handover": ("/api/v1/handover/projects", "[data-project]"),
}
OUTAGE = json.dumps(
    {
        "type": "about:blank",
        "title": "服务暂时不可用，请稍后再试",
        "status": 503,
        "detail": "服务暂时不可用，请稍后再试",
        "code": "service_unavailable",
        "request_id": "x",
    },
    ensure_ascii=False,
)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_that_fails_says_why_and_reloads(app, phone, live_server, demo, mode, name):
    path, loaded = LISTS[name]
    tab, errors = phone(mode)
    log_in(tab, app, demo, "zhang")
    pattern = re.compile(re.escape(live_server + path) + r"(\?.*)?$")
    tab.route(
        pattern,
        lambda route: route.fulfill(
            status=503, body=OUTAGE, content_type="application/problem+json; charset=utf-8"
        ),
    )
    tab.goto(f"{live_server}/app/{name}.html")
    failure = tab.locator("[data-failure]")
    failure.wait_for()
    assert "服务暂时不可用" in failure.inner_text()
    tab.wait_for_timeout(4000 if name == "licenses" else 0)  # a toast would be gone by now
    assert failure.is_visible()
    assert_accessible(tab, mode, f"{name} failure")
    screenshot(tab, f"failure-{name}-{mode}")
    tab.unroute(pattern)
    failure.get_by_role("button", name="重新加载").click()
    tab.locator("[data-failure]").wait_for(state="detached")
    if loaded.startswith(("[", "#")):
        tab.locator(loaded).first.wait_for()
    else:
        tab.get_by_text(loaded).wait_for()
    assert real_errors(errors) == []


# When each list call started and when a loading state first appeared (page clock).
TIMING = """
window.__t = {calls: [], loading: null};
const realFetch = window.fetch;
window.fetch = function (url, options) {
  window.__t.calls.push([String(url), performance.now()]);
  return realFetch.apply(this, arguments);
};
new MutationObserver(() => {
  if (window.__t.loading === null && document.querySelector('.loading')) {
    window.__t.loading = performance.now();
  }
}).observe(document, {childList: true, subtree: true});
"""


@pytest.mark.parametrize("name", list(LISTS))
def test_loading_shows_only_after_300_ms(app, phone, live_server, demo, name):
    path, _ = LISTS[name]
    tab, errors = phone("standard")
    log_in(tab, app, demo, "zhang")
    tab.context.add_init_script(TIMING)
    pattern = re.compile(re.escape(live_server + path) + r"(\?.*)?$")
    held: list[Any] = []
    tab.route(pattern, lambda route: held.append(route))
    tab.goto(f"{live_server}/app/{name}.html")
    tab.locator(".loading").first.wait_for(timeout=3000)
    assert "正在加载" in tab.locator(".loading").first.inner_text()
    timing = tab.evaluate("window.__t")
    started = min(t for url, t in timing["calls"] if path in url)
    assert timing["loading"] - started >= 290  # a fast answer never flashes a spinner
    for route in held:
        route.continue_()
    tab.wait_for_function("() => document.querySelectorAll('.loading').length === 0")
    assert real_errors(errors) == []


# --- 4. 亮证 -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_show_my_certificate_is_one_tap(app, phone, live_server, demo, mode):
    app.config["LICENSE_SHOW_REFRESH_SECONDS"] = 2  # test hook: a new picture every 2 s, not 60
    tab, errors = phone(mode)
    log_in(tab, app, demo, "zhang")
    tab.goto(live_server + "/app/licenses.html")
    tab.locator("[data-show]").first.click()
    tab.wait_for_url(re.compile(r"/app/show\.html\?license=\d+"))
    image = tab.locator("#show-img")
    tab.wait_for_function("() => document.querySelector('#show-img').naturalWidth > 0")
    box = image.bounding_box()
    assert box["width"] >= 340  # full width on a 375 px screen
    src = image.get_attribute("src")
    assert re.match(re.escape(live_server) + r"/api/v1/files/", src)
    picture = tab.request.get(src)  # no Authorization header: it opens inside WeChat
    assert picture.status == 200 and picture.headers["content-type"] == "image/png"
    first = shown_qr(picture.body())
    assert verdict_of(tab, live_server, first) == ("authentic", "valid")
    assert "秒后自动更新" in tab.locator("#show-refresh").inner_text()
    assert tab.get_by_role("link", name=re.compile("按用途出具电子证照")).is_visible()
    assert_accessible(tab, mode, "show")
    screenshot(tab, f"show-license-{mode}")
    # After a refresh the picture carries a new short-lived QR; both verify as the certificate.
    tab.wait_for_function(
        "(first) => { const i = document.querySelector('#show-img');"
        " return i.src !== first && i.complete && i.naturalWidth > 0; }",
        arg=src,
        timeout=15000,
    )
    later = tab.request.get(image.get_attribute("src"))
    assert later.status == 200
    second = shown_qr(later.body())
    assert second != first
    assert verdict_of(tab, live_server, second) == ("authentic", "valid")
    # The first picture's QR lived 2 × 2 s: forwarded now, it says so on the /v/ page.
    raw = verify.token_from_url(first)
    exp = verify.Claims.from_payload(parse_envelope(raw).payload).exp
    time.sleep(max(0.0, exp - time.time() + 0.5))
    assert verdict_of(tab, live_server, first) == ("expired", "showing_expired")
    page = tab.context.new_page()
    page.goto(f"{live_server}/v/{first}")
    assert page.locator(".verdict__title").inner_text() == "亮证码已过期"
    assert "请权利人重新亮证" in page.locator("main").inner_text()
    page.close()
    assert real_errors(errors) == []


def verdict_of(tab: Any, live_server: str, token: str) -> tuple[str, str]:
    answer = tab.request.get(f"{live_server}/api/v1/verify/{token}").json()
    return answer["verdict"], answer["reason"]


def shown_qr(png: bytes) -> str:
    """The verification token in a 亮证 picture's QR."""
    codes = [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert len(codes) == 1
    return verify.extract_token(codes[0])


# --- 3 and 5. the app shows the server's verdict rows, in three states ------------------------
TONE_SAMPLES = {"authentic": "ok", "mortgaged": "warn", "seized": "warn", "cancelled": "bad"}


def scanned_rows(tab: Any) -> list[list[str]]:
    return tab.evaluate(
        """() => Array.from(document.querySelectorAll('#verdict .kv__row'))
             .map((r) => [r.querySelector('dt').textContent, r.querySelector('dd').textContent])"""
    )


@pytest.mark.parametrize("mode", MODES)
def test_photo_verification_shows_what_the_page_shows(
    app, phone, live_server, demo, mode, tmp_path
):
    tab, errors = phone(mode)
    access = log_in(tab, app, demo, "zhang")
    tab.goto(live_server + "/app/index.html")
    copy = make_copy(tab, live_server, access)
    token = copy["verification_url"].rsplit("/", 1)[1]
    qr = tab.request.get(f"{live_server}/v/{token}.png?scale=8")
    assert qr.status == 200
    photo = tmp_path / "qr.png"
    photo.write_bytes(qr.body())
    tab.goto(live_server + "/app/scan.html")
    tab.set_input_files("#photo", str(photo))
    tab.locator("#verdict [data-verdict]").wait_for()
    answer = tab.request.get(f"{live_server}/api/v1/verify/{token}").json()
    rows = scanned_rows(tab)
    assert rows == [[r["label"], r["value"]] for r in answer["display"]]
    text = tab.locator("#verdict").inner_text()
    assert not re.search(r"\b(valid|cancelled|superseded|license_copy)\b", text)
    page = tab.context.new_page()
    page.goto(f"{live_server}/v/{token}")
    page_rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('.field'))
             .map((r) => [r.querySelector('dt').textContent, r.querySelector('dd').textContent])"""
    )
    assert rows == page_rows  # same words, same dates as the /v/ page
    page.close()
    assert_accessible(tab, mode, "scan photo")
    screenshot(tab, f"scan-photo-rows-{mode}")
    assert real_errors(errors) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", list(TONE_SAMPLES))
def test_verdicts_warn_in_colour_and_words(phone, live_server, demo, mode, sample):
    tone = TONE_SAMPLES[sample]
    data = demo["verification"]["samples"][sample]
    tab, errors = phone(mode)
    tab.goto(live_server + "/app/scan.html")
    tab.get_by_role("textbox", name="证书号").fill(data["certificate_number"])
    tab.get_by_role("textbox", name="印制编号").fill(data["print_serial"])
    tab.get_by_role("button", name="查询核验").click()
    verdict = tab.locator("#verdict [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-tone") == tone
    icon = verdict.locator(".result__icon")
    assert icon.inner_text() == {"ok": "✓", "warn": "!", "bad": "✕"}[tone]
    colour = icon.evaluate("(e) => getComputedStyle(e).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
    if tone == "ok":
        assert g > r and g > b  # green
    elif tone == "warn":
        assert r > g > b  # amber
    else:
        assert r > g and r > b and g < 80  # red
    title = verdict.locator(".result__title").inner_text()
    if tone == "warn":
        assert title.startswith("证书真实，但该房产")
    if tone != "ok":
        assert "真实有效" not in title and "未发现" not in verdict.inner_text()
    assert_accessible(tab, mode, f"verdict {sample}")
    screenshot(tab, f"verdict-{sample}-{mode}")
    # the /v/ page agrees
    tab.goto(live_server + sample_path(demo, sample))
    assert tab.locator(".verdict").get_attribute("data-tone") == tone
    assert real_errors(errors) == []
