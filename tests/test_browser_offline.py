"""Verification on the phone, even offline (issue #18), in headless Chromium (`pytest -m browser`).

The scan page checks a demo QR's signature with static/js/verify.mjs; with the network cut
(Playwright's offline mode, after the service worker is installed) it still shows the signature
verdict and says the current status could not be checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_fixtures import horizontal_overflow, open_phone, screenshot

pytestmark = pytest.mark.browser

SIGNED = "签名有效（本机核验）：由汨罗市不动产登记中心签发"
UNKNOWN = "签名真实，但当前状态（抵押、查封、注销等）未能查询"
# Offline, Chromium logs the failed loads: the worker's 503 answer for the live status.
OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "status of 503")


def sample_path(demo: dict[str, Any], name: str) -> str:
    return "/v/" + demo["verification"]["samples"][name]["url"].rsplit("/v/", 1)[1]


def install_service_worker(tab: Any, url: str) -> None:
    """Open the scan page, wait until the worker is active, reload so that it controls the tab."""
    tab.goto(url + "/app/scan.html")
    tab.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    tab.reload()
    tab.wait_for_function("() => navigator.serviceWorker.controller !== null")


def real_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(noise in e for noise in OFFLINE_NOISE)]


def test_scan_page_verifies_a_demo_qr_with_the_network_cut(live_server, browser, demo):
    errors: list[str] = []
    context, tab = open_phone(browser, errors)
    try:
        path = sample_path(demo, "mortgaged")
        qr = tab.request.get(live_server + path + ".png?scale=6")
        assert qr.status == 200
        install_service_worker(tab, live_server)
        context.set_offline(True)
        assert tab.evaluate("() => navigator.onLine") is False

        tab.set_input_files(
            "#photo", files=[{"name": "qr.png", "mimeType": "image/png", "buffer": qr.body()}]
        )
        local = tab.locator("#verdict [data-local-verdict=valid]")
        local.wait_for()
        assert SIGNED in local.inner_text()
        assert "不动产权证书" in local.inner_text()  # the signed claims, read on the phone
        notice = tab.locator("#verdict .status-unknown")
        notice.wait_for()
        text = notice.inner_text()
        assert UNKNOWN in text
        assert "本机公钥集更新于" in text
        assert tab.locator("#verdict [data-verdict]").count() == 0  # no live answer offline
        assert horizontal_overflow(tab) <= 0
        screenshot(tab, "scan-offline-photo")

        # A /v/ link opened offline: the worker answers with the kept scan page, which checks it.
        tab.goto(live_server + path)
        tab.locator("#verdict [data-local-verdict=valid]").wait_for()
        tab.locator("#verdict .status-unknown").wait_for()
        screenshot(tab, "scan-offline-link")

        # A forged link is refused on the phone too.
        tampered = sample_path(demo, "tampered")
        tab.goto(live_server + tampered)
        bad = tab.locator("#verdict [data-local-verdict=bad_signature]")
        bad.wait_for()
        assert "签名无效（本机核验）" in bad.inner_text()
        assert "无法连接登记中心" in tab.locator("#verdict .status-unknown").inner_text()
        assert real_errors(errors) == [], errors
    finally:
        context.close()


def test_scan_page_checks_a_pasted_link_then_shows_the_live_status(live_server, page, demo):
    page.goto(live_server + "/app/scan.html")
    page.get_by_role("textbox", name="核验链接").fill(live_server + sample_path(demo, "mortgaged"))
    page.get_by_role("button", name="核验链接").click()
    local = page.locator("#verdict [data-local-verdict=valid]")
    local.wait_for()
    assert SIGNED in local.inner_text()
    verdict = page.locator("#verdict [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "authentic"
    # issue #15: the server's amber words, not the app's own "真实有效，存在抵押"
    assert "证书真实，但该房产已抵押" in verdict.inner_text()
    assert page.locator("#verdict .status-unknown").count() == 0
    screenshot(page, "scan-link-online")


# An older WebView: WebCrypto without Ed25519 (importKey refuses the algorithm).
NO_ED25519 = """
const importKey = crypto.subtle.importKey.bind(crypto.subtle);
crypto.subtle.importKey = (format, key, alg, ...rest) =>
  (alg === "Ed25519" || (alg && alg.name === "Ed25519"))
    ? Promise.reject(new DOMException("Unrecognized name", "NotSupportedError"))
    : importKey(format, key, alg, ...rest);
"""


def test_without_webcrypto_ed25519_the_pure_js_fallback_verifies(live_server, browser, demo):
    errors: list[str] = []
    context, tab = open_phone(browser, errors)
    try:
        tab.goto(live_server + "/app/scan.html")
        tab.get_by_role("textbox", name="核验链接").fill(sample_path(demo, "authentic"))
        tab.get_by_role("button", name="核验链接").click()
        tab.locator("#verdict [data-local-verdict=valid]").wait_for()
        assert tab.locator("#verdict [data-local-verdict]").get_attribute("data-ed25519") == (
            "webcrypto"
        )
        context.add_init_script(NO_ED25519)
        tab.reload()
        tab.get_by_role("textbox", name="核验链接").fill(sample_path(demo, "authentic"))
        tab.get_by_role("button", name="核验链接").click()
        local = tab.locator("#verdict [data-local-verdict=valid]")
        local.wait_for()
        assert local.get_attribute("data-ed25519") == "noble"
        assert SIGNED in local.inner_text()
        tab.get_by_role("textbox", name="核验链接").fill(sample_path(demo, "tampered"))
        tab.get_by_role("button", name="核验链接").click()
        tab.locator("#verdict [data-local-verdict=bad_signature]").wait_for()
        assert errors == []
    finally:
        context.close()


def test_scan_page_refuses_text_that_is_not_a_link(live_server, page, page_errors):
    page.goto(live_server + "/app/scan.html")
    page.get_by_role("textbox", name="核验链接").fill("hello")
    page.get_by_role("button", name="核验链接").click()
    page.locator("#verdict [data-local-verdict=malformed]").wait_for()
    assert "这不是本登记中心的核验二维码" in page.locator("#verdict").inner_text()
    assert page_errors == []


def test_v_page_says_the_signature_was_checked_on_the_phone(live_server, page, page_errors, demo):
    page.goto(live_server + sample_path(demo, "authentic"))
    note = page.locator(".local-check[data-local-verdict=valid]")
    note.wait_for()
    assert SIGNED in note.inner_text()
    assert page.get_by_role("heading", name="真实有效", exact=True).is_visible()
    page.goto(live_server + sample_path(demo, "tampered"))
    page.locator(".local-check[data-local-verdict=bad_signature]").wait_for()
    screenshot(page, "verify-local-check-tampered")
    assert page_errors == []


def test_v_page_without_javascript_is_complete(live_server, browser, demo):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(live_server + sample_path(demo, "authentic"))
        assert tab.get_by_role("heading", name="真实有效", exact=True).is_visible()
        assert tab.get_by_text("无抵押、查封、异议登记或预告登记").is_visible()
        assert tab.locator(".local-check").count() == 0
    finally:
        context.close()


def test_new_key_set_version_refreshes_the_kept_keys_at_once(live_server, browser, demo, app):
    """A rotation changes X-Keyset-Version; the worker fetches the key set on the next answer."""
    from miniapp_api.domain import documents

    errors: list[str] = []
    context, tab = open_phone(browser, errors)
    try:
        install_service_worker(tab, live_server)
        fetched = "() => fetch('/.well-known/jwks.json').then(r => r.headers.get('X-Fetched-At'))"
        first = tab.evaluate(fetched)
        assert first
        assert tab.evaluate(fetched) == first  # kept: not fetched again within the day
        with app.app_context():
            documents.keystore().rotate()
            documents.forget_keyset()
        tab.get_by_role("textbox", name="核验链接").fill(sample_path(demo, "authentic"))
        tab.get_by_role("button", name="核验链接").click()
        tab.locator("#verdict [data-verdict]").wait_for()
        tab.wait_for_function(
            "(first) => fetch('/.well-known/jwks.json')"
            ".then(r => r.headers.get('X-Fetched-At') !== first)",
            arg=first,
        )
        keys = tab.evaluate("() => fetch('/.well-known/jwks.json').then(r => r.json())")
        assert len(keys["keys"]) >= 2  # the new active key and the retired one
        assert real_errors(errors) == []
    finally:
        context.close()
