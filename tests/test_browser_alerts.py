"""产权变动提醒 in the web app (static/app/alerts.html) in headless Chromium at 375×812."""

from __future__ import annotations

import re
from typing import Any

import pytest
from applications_support import citizen, partner_headers, sole_unit, transfer_body
from browser_fixtures import ensure_account, horizontal_overflow, screenshot
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import AlertSetting, ApplicationHold, Certificate, PropertyRight

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides(live_url: str, wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "PUBLIC_BASE_URL": live_url}


def test_inbox_read_dispute_and_switch(
    live_server, page, page_errors, login_as, app, demo, staff_headers
):
    client = app.test_client()
    login_as("zhang")
    ensure_account(demo, "zhao", bound=True)
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    cert = db.session.execute(
        select(Certificate)
        .join(PropertyRight, PropertyRight.id == Certificate.right_id)
        .where(PropertyRight.unit_id == unit.id, Certificate.status == "valid")
    ).scalar_one()
    db.session.commit()
    response = client.post(
        f"/api/v1/staff/certificates/{cert.id}/encumbrances",
        json={"kind": "mortgage", "holder": "中国建设银行汨罗支行", "reason": "抵押"},
        headers=staff_headers("clerk"),
    )
    assert response.status_code == 201
    filed = client.post(
        "/api/v1/partner/applications",
        json=transfer_body(demo, unit),
        headers=partner_headers("agency"),
    )
    assert filed.status_code == 201

    page.goto(live_server + "/app/alerts.html")
    cards = page.locator("[data-alert]")
    cards.first.wait_for()
    assert cards.count() == 2
    # Newest first: the application, then the mortgage.
    assert cards.nth(0).get_attribute("data-kind") == "application_filed"
    assert "中国建设银行汨罗支行" in cards.nth(1).inner_text()
    assert page.locator("#unread").inner_text() == "2 条未读"
    assert "张建国" not in page.locator("#alerts").inner_text()
    assert "张*国" in cards.nth(0).inner_text()
    cards.nth(1).click()
    page.locator("#unread").get_by_text("1 条未读").wait_for()
    screenshot(page, "app-alerts")
    # 这不是我办的
    cards.nth(0).get_by_role("button", name="这不是我办的").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox").fill("本人从未委托")
    dialog.get_by_role("button", name="提交异议").click()
    page.locator("[data-dispute=open]").wait_for()
    db.session.expire_all()
    hold = db.session.execute(select(ApplicationHold)).scalar_one()
    assert hold.note == "本人从未委托" and hold.cleared_at is None
    # Switch one unit off.
    switch = page.get_by_role("switch", name=re.compile("屈原路88号"))
    assert switch.is_checked()
    switch.click()
    page.get_by_text("已关闭该房产的提醒").wait_for()
    db.session.expire_all()
    setting = db.session.execute(select(AlertSetting)).scalar_one()
    assert setting.unit_id == unit.id and setting.enabled is False
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-alerts-disputed")
    assert page_errors == []


def test_inbox_asks_to_log_in(live_server, page, page_errors):
    page.goto(live_server + "/app/alerts.html")
    page.get_by_role("button", name="微信授权登录").wait_for()
    assert page_errors == []
