"""我的办件 in headless Chromium at 375×812 (`pytest -m browser`)."""

from __future__ import annotations

from typing import Any

import pytest
from applications_support import partner_headers, sole_unit, transfer_body
from browser_fixtures import horizontal_overflow, screenshot
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import HandoverCase

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides(live_url: str, wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "PUBLIC_BASE_URL": live_url}


def test_my_applications_list_and_confirm(app, live_server, page, page_errors, login_as, demo):
    zhang = next(c for c in demo["citizens"] if c["key"] == "zhang")
    unit = sole_unit(zhang["person_id"])
    with app.test_client() as c:
        created = c.post(
            "/api/v1/partner/applications",
            json=transfer_body(demo, unit),
            headers=partner_headers("agency"),
        )
    assert created.status_code == 201
    login_as("zhao")
    page.goto(live_server + "/app/applications.html")
    card = page.locator("[data-application]").first
    card.wait_for()
    text = card.inner_text()
    assert "转移登记" in text and "待各方确认" in text and "权利人" in text
    assert "张*国" in text and "张建国" not in text
    card.get_by_role("button", name="确认办理").click()
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    page.locator("[data-application] .badge").filter(has_text="待各方确认").wait_for()
    page.locator("[data-application]").first.get_by_text("赵*（已确认）").wait_for()
    assert page.get_by_role("button", name="确认办理").count() == 0
    assert horizontal_overflow(page) <= 0
    screenshot(page, "app-applications-zhao")
    assert page_errors == []


def test_home_links_to_my_applications(live_server, page):
    page.goto(live_server + "/app/")
    page.get_by_role("link", name="我的办件").click()
    page.locator("h1", has_text="我的办件").wait_for()


def test_a_transfer_links_to_its_handover_case(app, live_server, page, page_errors, login_as, demo):
    chen = next(c for c in demo["citizens"] if c["key"] == "chen")
    case = db.session.execute(
        select(HandoverCase).where(HandoverCase.buyer_id == chen["person_id"])
    ).scalar_one()
    case.project.stage = "developer_first_registration"
    db.session.commit()
    body = transfer_body(demo, case.unit)
    body["parties"] = [{"role": "obligee", "name": chen["name"], "id_number": chen["id_number"]}]
    with app.test_client() as c:
        created = c.post(
            "/api/v1/partner/applications",
            json=body,
            headers=partner_headers("developer", organisation=case.project.developer),
        )
    assert created.status_code == 201, created.get_json()
    login_as("chen")
    page.goto(live_server + "/app/applications.html")
    page.get_by_role("link", name="查看交房即交证进度").click()
    linked = page.locator(f"#case-{case.id}")
    linked.wait_for()
    page.wait_for_function(
        f"document.activeElement && document.activeElement.id === 'case-{case.id}'"
    )
    assert linked.get_attribute("data-case") == str(case.id)
    assert page_errors == []
