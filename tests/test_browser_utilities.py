"""水电气联动过户 in 我的办件, headless Chromium at 375×812 (`pytest -m browser`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from applications_support import citizen, partner_headers, sole_unit
from browser_fixtures import ensure_account, horizontal_overflow, screenshot
from utilities_support import accept, file_transfer, pending, register, utility_headers

from miniapp_api.auth import tokens

pytestmark = pytest.mark.browser


def account_id_of(demo: dict[str, Any], key: str) -> int:
    return ensure_account(demo, key, True).id


@pytest.fixture
def config_overrides(live_url: str, wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "PUBLIC_BASE_URL": live_url}


def test_citizen_timeline_shows_each_utility(
    app, live_server, page, page_errors, login_as, demo, citizen_headers, staff_headers
):
    client = app.test_client()
    clerk = staff_headers("clerk")
    utilities = {s: utility_headers(s) for s in ("water", "power", "gas")}
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    created = file_transfer(
        client,
        demo,
        partner_headers("agency"),
        unit,
        citizen_headers,
        [{"service": "water", "account_number": "W1"}, {"service": "power"}, {"service": "gas"}],
    )
    app_id = created["id"]
    accept(client, clerk, citizen_headers, app_id)
    answers = {
        "water": {"result": "ok"},
        "power": {"result": "arrears", "amount_due": "236.40", "reason": "电费未缴"},
    }
    for service, body in answers.items():
        [task] = pending(client, demo, utilities[service])
        url = f"/api/v1/partner/utility-tasks/{task['id']}/answer"
        assert client.post(url, json=body, headers=utilities[service]).status_code == 200

    login_as("zhang")  # the seller sees the arrears before registration
    page.goto(live_server + "/app/applications.html")
    card = page.locator(f"[data-application='{app_id}']")
    card.wait_for()
    assert card.locator("[data-utility=power]").inner_text() == "电：有欠费 ¥236.40（电费未缴）"
    assert card.locator("[data-utility=water]").inner_text() == "水：可过户"
    assert card.locator("[data-utility=gas]").inner_text() == "燃气：待核验"
    screenshot(page, "app-utilities-arrears-zhang")

    register(client, clerk, app_id)
    transfers = {
        "water": {"result": "completed", "account_number": "W-2026-0088"},
        "gas": {"result": "failed", "reason": "燃气表未通过安检"},
    }
    for service, body in transfers.items():
        [task] = pending(client, demo, utilities[service], "transfer")
        url = f"/api/v1/partner/utility-tasks/{task['id']}/answer"
        assert client.post(url, json=body, headers=utilities[service]).status_code == 200

    # Now the buyer, in the same browser: replace the stored session (login_as seeds once).
    account_id = account_id_of(demo, "zhao")
    access, _ = tokens.issue(str(account_id), tokens.AUD_CITIZEN, app.config["ACCESS_TOKEN_TTL"])
    auth = {"access_token": access, "refresh_token": "", "expires_at": 4102444800000}
    page.evaluate("a => localStorage.setItem('bdc.auth', a)", json.dumps(auth))
    page.goto(live_server + "/app/applications.html")
    card = page.locator(f"[data-application='{app_id}']")
    card.wait_for()
    assert "权利人" in card.locator(".kv__row", has_text="我的身份").inner_text()
    assert card.locator("[data-utility=water]").inner_text() == "水：已过户 新户号 W-2026-0088"
    assert card.locator("[data-utility=gas]").inner_text() == "燃气：失败 燃气表未通过安检"
    steps = card.locator(".timeline [data-action^='utility:']").all_inner_texts()
    names = [s.split("\n")[0] for s in steps]
    assert "水：待核验" in names and "水：可过户" in names
    assert "水：已过户 新户号 W-2026-0088" in names and "燃气：失败 燃气表未通过安检" in names
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-utilities-zhao")
    assert page_errors == []
