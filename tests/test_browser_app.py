"""The citizen web app (static/app) in headless Chromium at 375×812 (`pytest -m browser`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from browser_fixtures import (
    WECHAT_UA,
    ensure_account,
    horizontal_overflow,
    open_phone,
    screenshot,
    store_session,
)

pytestmark = pytest.mark.browser

PAGES = [
    "index",
    "scan",
    "bind",
    "properties",
    "licenses",
    "proofs",
    "handover",
    "login-callback",
]


@pytest.fixture
def config_overrides(live_url: str, wechat_config: dict[str, Any]) -> dict[str, Any]:
    # Links in answers (downloads, QR) are built from PUBLIC_BASE_URL: make it this server.
    return {**wechat_config, "PUBLIC_BASE_URL": live_url}


def citizen(demo: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in demo["citizens"] if c["key"] == key)


def sample_path(demo: dict[str, Any], name: str) -> str:
    return "/v/" + demo["verification"]["samples"][name]["url"].rsplit("/v/", 1)[1]


# --- home and large type --------------------------------------------------------------------
def test_home_page_shows_the_four_services(live_server, page, page_errors):
    page.goto(live_server + "/app/")
    for name in ("证书证明核验", "房屋证明查询", "电子证照查询下载", "交房即交证进度"):
        assert page.get_by_role("link", name=re.compile(name)).is_visible()
    assert page.get_by_text("未登录").is_visible()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-home")
    assert page_errors == []


def test_root_redirects_to_the_home_page(live_server, page):
    page.goto(live_server + "/")
    assert page.url == live_server + "/app/"
    assert page.title().startswith("市民服务")


def test_large_type_toggle_scales_fonts_and_persists(live_server, page, page_errors):
    page.goto(live_server + "/app/index.html")
    size = "parseFloat(getComputedStyle(document.querySelector('.entry__name')).fontSize)"
    before = page.evaluate(size)
    toggle = page.locator("[data-large-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    after = page.evaluate(size)
    assert after >= before * 1.25
    assert toggle.get_attribute("aria-pressed") == "true"
    page.reload()
    assert page.evaluate(size) == after
    assert page.locator("[data-large-toggle]").get_attribute("aria-pressed") == "true"
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-home-large")
    assert page_errors == []


def test_system_high_contrast_setting_is_honoured(live_server, page):
    color = "getComputedStyle(document.querySelector('.entry__desc')).color"
    page.goto(live_server + "/app/index.html")
    normal = page.evaluate(color)
    page.emulate_media(contrast="more")
    page.reload()
    assert page.evaluate(color) == "rgb(34, 34, 34)"
    assert normal != "rgb(34, 34, 34)"


def test_logout_ends_the_session(live_server, page, page_errors, login_as):
    login_as("zhang")
    page.goto(live_server + "/app/index.html")
    page.get_by_text("已登录：张建国").wait_for()
    token = page.evaluate("JSON.parse(localStorage.getItem('bdc.auth')).access_token")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("dialog").get_by_role("button", name="退出").click()
    page.get_by_role("button", name="微信登录").wait_for()
    assert page.evaluate("localStorage.getItem('bdc.auth')") is None
    me = page.request.get(live_server + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 401
    assert page_errors == []


# --- WeChat login through the fake WeChat server ------------------------------------------------
def test_login_through_fake_wechat_lands_on_the_next_page(
    live_server, page, page_errors, demo, fake_wechat
):
    ensure_account(demo, "zhang", bound=True)
    page.goto(live_server + "/app/properties.html")
    page.get_by_role("button", name="微信授权登录").click()
    page.wait_for_url(re.compile(r"/connect/oauth2/authorize"))
    assert page.url.startswith(fake_wechat.base_url)
    page.get_by_role("link", name="张建国").click()
    page.wait_for_url(live_server + "/app/properties.html")
    page.get_by_text("共 2 处不动产").wait_for()
    auth = page.evaluate("JSON.parse(localStorage.getItem('bdc.auth'))")
    assert auth["access_token"] and auth["refresh_token"]
    screenshot(page, "app-properties-after-login")
    assert page_errors == []


def test_first_login_goes_through_real_name_binding(live_server, page, page_errors, demo):
    zhang = citizen(demo, "zhang")
    page.goto(live_server + "/app/licenses.html")
    page.get_by_role("button", name="微信授权登录").click()
    page.get_by_role("link", name="张建国").click()
    page.wait_for_url(re.compile(r"/app/bind\.html\?next="))
    page.get_by_label("姓名").fill(zhang["name"])
    page.get_by_label("身份证号").fill(zhang["id_number"])
    screenshot(page, "app-bind-form")
    page.get_by_role("button", name="提交认证").click()
    page.wait_for_url(live_server + "/app/licenses.html")
    page.get_by_role("button", name="制作加注件").first.wait_for()
    assert page.locator("[data-license]").count() == 2
    assert page_errors == []


def test_bind_page_checks_the_id_number_check_digit(live_server, page, page_errors, demo):
    page.goto(live_server + "/app/bind.html")
    page.get_by_role("button", name="微信授权登录").click()
    page.get_by_role("link", name="新用户（未实名）").click()
    page.wait_for_url(re.compile(r"/app/bind\.html"))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/me/identity" in r.url else None)
    zhao = citizen(demo, "zhao")["id_number"]
    wrong = zhao[:17] + ("0" if zhao[17] != "0" else "1")
    page.get_by_label("姓名").fill("赵敏")
    page.get_by_label("身份证号").fill(wrong)
    page.get_by_role("button", name="提交认证").click()
    error = page.locator("#id-error")
    assert error.is_visible()
    assert "校验位" in error.inner_text()
    assert page.get_by_label("身份证号").get_attribute("aria-invalid") == "true"
    assert requests == []
    screenshot(page, "app-bind-invalid")
    assert page_errors == []


def test_expired_access_token_is_refreshed_transparently(live_server, page, app, demo):
    from miniapp_api.auth import service, tokens
    from miniapp_api.extensions import db

    account = ensure_account(demo, "zhang", bound=True)
    pair = service._session_pair(account, "test-family")
    db.session.commit()
    expired, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, -60, fam="test-family")
    store_session(
        page,
        {
            "access_token": expired,
            "refresh_token": pair["refresh_token"],
            "expires_at": 4102444800000,  # the page does not know it expired: the API says so
        },
    )
    page.goto(live_server + "/app/properties.html")
    page.get_by_text("共 2 处不动产").wait_for()
    auth = page.evaluate("JSON.parse(localStorage.getItem('bdc.auth'))")
    assert auth["access_token"] != expired
    assert auth["refresh_token"] != pair["refresh_token"]


# --- documents ---------------------------------------------------------------------------------
def test_license_copy_shows_signed_download_links(live_server, page, page_errors, login_as):
    login_as("zhang")
    page.goto(live_server + "/app/licenses.html")
    page.get_by_role("button", name="制作加注件").first.click()
    page.get_by_text("贷款", exact=True).click()
    page.get_by_text("15天").click()
    page.get_by_role("button", name="生成加注件").click()
    result = page.locator("#copy-result")
    result.get_by_text("加注件已生成").wait_for()
    assert "仅供办理贷款使用" in result.inner_text()
    png = page.locator("#copy-links a[data-download=png]")
    pdf = page.locator("#copy-links a[data-download=pdf]")
    assert re.match(re.escape(live_server) + r"/api/v1/files/", png.get_attribute("href"))
    assert re.match(re.escape(live_server) + r"/api/v1/files/", pdf.get_attribute("href"))
    image = result.locator("img.doc-img")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('#copy-result img').naturalWidth > 0")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-license-copy")
    # The link opens without an Authorization header (as WeChat's browser would).
    response = page.request.get(pdf.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert page_errors == []


def test_housing_proof_for_zhao_says_no_property(live_server, page, page_errors, login_as):
    login_as("zhao")
    page.goto(live_server + "/app/proofs.html")
    page.get_by_text("家庭（本人、配偶及未成年子女）").click()
    page.get_by_text("其他", exact=True).click()
    page.get_by_label("具体用途").fill("办理人才补贴")
    page.get_by_role("button", name="开具证明").click()
    result = page.locator("#proof-result")
    result.get_by_text("证明已开具：无房").wait_for()
    assert "办理人才补贴" in result.inner_text()
    assert page.locator("#proof-links a[data-download=png]").is_visible()
    page.locator("#history [data-proof]").first.wait_for()
    assert page.locator("#history [data-proof]").count() == 1
    page.wait_for_function("() => document.querySelector('#proof-result img').naturalWidth > 0")
    screenshot(page, "app-proof-no-property")
    assert page_errors == []


def test_housing_proof_purpose_other_needs_text(live_server, page, login_as):
    login_as("zhao")
    page.goto(live_server + "/app/proofs.html")
    page.get_by_text("其他", exact=True).click()
    page.get_by_role("button", name="开具证明").click()
    assert page.locator("#proof-error").inner_text() == "请填写具体用途"
    assert page.locator("#proof-result").is_hidden()


# --- handover ----------------------------------------------------------------------------------
def test_handover_timeline_for_chen(live_server, page, page_errors, login_as):
    login_as("chen")
    page.goto(live_server + "/app/handover.html")
    case = page.locator("[data-case]").first
    case.wait_for()
    assert "友阿悦玺" in case.inner_text()
    stages = case.locator(".timeline > li")
    assert stages.count() == 7
    assert case.locator(".tl_done").count() == 2
    current = case.locator("[aria-current=step]")
    assert current.get_attribute("data-stage") == "deed_tax"
    assert "下一步：转移登记受理" in current.inner_text()
    assert page.locator("[data-project]").count() >= 6
    case.get_by_role("button", name=re.compile("订阅进度提醒")).click()
    page.get_by_role("button", name="已订阅进度提醒").wait_for()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-handover-chen")
    assert page_errors == []


# --- scanning ----------------------------------------------------------------------------------
def test_scan_by_number_shows_the_verdict(live_server, page, page_errors, demo):
    sample = demo["verification"]["samples"]["mortgaged"]
    page.goto(live_server + "/app/scan.html")
    page.get_by_role("textbox", name="证书号").fill(sample["certificate_number"])
    page.get_by_role("textbox", name="印制编号").fill(sample["print_serial"])
    page.get_by_role("button", name="查询核验").click()
    verdict = page.locator("#verdict [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "authentic"
    # issue #15: the server's amber words, not the app's own "真实有效，存在抵押"
    assert "证书真实，但该房产已抵押" in verdict.inner_text()
    assert page.locator("#verdict [data-encumbrance=mortgage]").is_visible()
    screenshot(page, "app-scan-by-number")
    assert page_errors == []


def test_scan_photo_upload_reads_the_qr(live_server, page, page_errors, demo, tmp_path):
    token_path = sample_path(demo, "cancelled")
    qr = page.request.get(live_server + token_path + ".png?scale=8")
    assert qr.status == 200
    photo = tmp_path / "qr.png"
    photo.write_bytes(qr.body())
    page.goto(live_server + "/app/scan.html")
    page.set_input_files("#photo", str(photo))
    verdict = page.locator("#verdict [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "cancelled"
    assert page.locator("#photo-preview").is_visible()
    screenshot(page, "app-scan-photo")
    assert page_errors == []


def test_scan_inside_wechat_uses_the_jssdk_and_opens_the_link(
    live_server, browser, demo, wechat_config
):
    errors: list[str] = []
    context, tab = open_phone(browser, errors, user_agent=WECHAT_UA)
    target = live_server + sample_path(demo, "authentic")
    stub = (
        "window.wx = {config: function (c) { window.__wxConfig = c; },"
        " ready: function (f) { setTimeout(f, 0); }, error: function () {},"
        " scanQRCode: function (o) { o.success({resultStr: RESULT}); }};"
    ).replace("RESULT", json.dumps(target))
    scripts: list[str] = []

    def jssdk(route: Any) -> None:
        scripts.append(route.request.url)
        route.fulfill(body=stub, content_type="application/javascript")

    context.route("https://res.wx.qq.com/open/js/jweixin-1.6.0.js", jssdk)
    try:
        tab.goto(live_server + "/app/scan.html")
        button = tab.get_by_role("button", name="微信扫一扫")
        assert button.is_visible()
        tab.wait_for_function("() => window.__wxConfig !== undefined")
        config = tab.evaluate("window.__wxConfig")
        assert re.fullmatch(r"[0-9a-f]{40}", config["signature"])
        assert config["appId"] == wechat_config["WECHAT_APPID"]
        assert config["jsApiList"] == ["scanQRCode"]
        button.click()
        tab.wait_for_url(target)
        assert tab.get_by_role("heading", name="真实有效").is_visible()
        assert scripts == ["https://res.wx.qq.com/open/js/jweixin-1.6.0.js"]
        assert errors == []
    finally:
        context.close()


def test_scan_outside_wechat_does_not_load_the_jssdk(live_server, page):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if "res.wx.qq.com" in r.url else None)
    page.goto(live_server + "/app/scan.html", wait_until="networkidle")
    assert page.locator("#wx-scan").is_hidden()
    assert requested == []


# --- every page: no console errors, no CSP violations, no horizontal scroll -------------------
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_errors_and_fits_the_phone(live_server, page, page_errors, login_as, name):
    login_as("zhang")
    page.goto(f"{live_server}/app/{name}.html", wait_until="networkidle")
    assert page.locator(".bar [data-large-toggle]").is_visible()
    assert page.locator(".loading").count() == 0
    assert horizontal_overflow(page) <= 0
    page.locator("[data-large-toggle]").click()  # large type must fit as well
    assert horizontal_overflow(page) <= 0
    assert page_errors == []
