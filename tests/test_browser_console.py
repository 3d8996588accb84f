"""The staff console in headless Chromium at 1280×800: a day at the window, screen by screen,
with screenshots in artifacts/ (used by docs/console.md) and the axe accessibility check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from applications_support import (
    confirm_all,
    mortgage_body,
    partner_headers,
    person_by_key,
    sole_unit,
)
from browser_fixtures import CSP_WATCH, EXTERNAL, horizontal_overflow, screenshot
from console_support import FAST_ARGON2, PASSWORD, staff_user
from sqlalchemy import func, select

from miniapp_api.extensions import db
from miniapp_api.models import Application, HandoverCase, NotificationOutbox, utcnow

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"
DESKTOP = {
    "viewport": {"width": 1280, "height": 800},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return dict(FAST_ARGON2)


@pytest.fixture
def desk(browser: Any, page_errors: list[str]) -> Any:
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(10000)
    context.route(EXTERNAL, lambda route: route.abort())
    context.add_init_script(CSP_WATCH)
    tab = context.new_page()
    tab.on(
        "console",
        lambda msg: page_errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    tab.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    yield tab
    context.close()


def axe_check(page: Any, name: str) -> None:
    """No serious or critical accessibility violation on the page (axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"


def sign_in(page: Any, live: str, username: str) -> None:
    page.goto(f"{live}/staff/")
    assert "/staff/login" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/staff/")


def file_mortgage(client: Any, demo: dict[str, Any], citizen_headers: Any) -> int:
    unit = sole_unit(person_by_key(demo, "zhang").id)
    response = client.post(
        "/api/v1/partner/applications",
        json=mortgage_body(demo, unit),
        headers={**partner_headers("bank"), "Idempotency-Key": "browser-console-1"},
    )
    assert response.status_code == 201, response.get_json()
    app_id = response.get_json()["id"]
    confirm_all(client, citizen_headers, app_id, ["zhang"])
    return app_id


def test_a_day_at_the_window(live_server, desk, page_errors, client, demo, citizen_headers):
    live = live_server
    staff_user("wang.clerk", "clerk")
    app_id = file_mortgage(client, demo, citizen_headers)
    db.session.add(
        NotificationOutbox(
            dedupe_key="browser-console-unknown",
            openid="o-demo",
            template_id="handover-progress",
            data={},
            attempts=1,
            failed_at=utcnow(),
            last_error="outcome_unknown: lease expired",
        )
    )
    db.session.commit()

    # Login
    desk.goto(f"{live}/staff/login")
    axe_check(desk, "login")
    screenshot(desk, "console-login")
    sign_in(desk, live, "wang.clerk")

    # Queue (home) → the application
    assert desk.locator("table.queue tbody tr").count() >= 1
    axe_check(desk, "queue")
    screenshot(desk, "console-queue")
    desk.click(f"a[href='/staff/applications/{app_id}']")
    desk.wait_for_url(f"{live}/staff/applications/{app_id}")
    axe_check(desk, "application")
    screenshot(desk, "console-application")
    desk.click("button:has-text('受理')")
    desk.wait_for_selector(".msg-ok")
    for label in ("已审核", "已登簿", "已缮证", "已办结"):
        desk.click(f"button:has-text('推进到“{label}”')")
        desk.wait_for_selector(f".msg-ok:has-text('{label}')")
    assert desk.locator("h1 .status").inner_text() == "已办结"
    db.session.expire_all()
    assert db.session.get(Application, app_id).status == "completed"
    screenshot(desk, "console-application-completed")

    # Certificate search → add and release an encumbrance; the public verification follows
    sample = demo["verification"]["samples"]["authentic"]
    desk.click("nav >> text=证书查询")
    desk.fill("#q", sample["certificate_number"])
    desk.click("button:has-text('查询')")
    desk.click(f"a:has-text('{sample['certificate_number']}')")
    desk.select_option("#enc-kind", "seizure")
    desk.fill("#enc-holder", "汨罗市人民法院")
    desk.fill("#enc-reason", "(2026)湘0681执保7号")
    desk.click("button:has-text('登记')")
    desk.wait_for_selector(".msg-ok")
    kinds = [e["kind"] for e in desk.request.get(live + sample["api"]).json()["encumbrances"]]
    assert kinds == ["mortgage", "seizure"]  # the mortgage registered above, and the seizure
    axe_check(desk, "certificate")
    screenshot(desk, "console-certificate")
    seizure = desk.locator("tr:has-text('汨罗市人民法院')")
    seizure.locator("input[id^=rel-]").fill("解除查封")
    seizure.locator("button:has-text('注销 / 解除')").click()
    desk.wait_for_selector(".msg-ok")
    kinds = [e["kind"] for e in desk.request.get(live + sample["api"]).json()["encumbrances"]]
    assert kinds == ["mortgage"]

    # 交房即交证: projects, a project's units, the CSV import (a bad file, then a good one)
    desk.click("nav >> text=交房即交证")
    axe_check(desk, "projects")
    screenshot(desk, "console-projects")
    desk.click("table.grid tbody tr:first-child a")
    axe_check(desk, "project")
    screenshot(desk, "console-project")
    before = db.session.execute(select(func.count(HandoverCase.id))).scalar_one()
    desk.goto(f"{live}/staff/handover/import")
    desk.set_input_files("#file", str(DATA / "handover_bad.csv"))
    desk.click("button:has-text('上传并预览')")
    desk.wait_for_selector("tr.row-error")
    assert desk.locator("button:has-text('确认导入')").count() == 0
    axe_check(desk, "import-bad")
    screenshot(desk, "console-import-errors")
    db.session.expire_all()
    assert db.session.execute(select(func.count(HandoverCase.id))).scalar_one() == before
    desk.set_input_files("#file", str(DATA / "handover_good.csv"))
    desk.click("button:has-text('上传并预览')")
    desk.wait_for_selector("button:has-text('确认导入')")
    screenshot(desk, "console-import-preview")
    assert db.session.execute(select(func.count(HandoverCase.id))).scalar_one() == before
    desk.click("button:has-text('确认导入')")
    desk.wait_for_selector(".msg-ok:has-text('导入完成')")
    db.session.expire_all()
    assert db.session.execute(select(func.count(HandoverCase.id))).scalar_one() == before + 4

    # Notifications (a clerk sees them, the admin acts)
    desk.click("nav >> text=通知")
    assert "结果未知" in desk.inner_text("main")
    axe_check(desk, "notifications")
    screenshot(desk, "console-notifications")

    # Figures: charts drawn from our own origin, tables beneath
    desk.goto(f"{live}/staff/figures?from=2026-01-01&to=2026-12-31")
    desk.wait_for_selector("#chart-monthly canvas")
    assert desk.locator(".chart canvas").count() == 7  # six, and the utility transfers
    axe_check(desk, "figures")
    screenshot(desk, "console-figures")

    # Audit (read-only)
    desk.click("nav >> text=审计日志")
    desk.fill("input[name=actor]", "wang.clerk")
    desk.click("button:has-text('查询')")
    assert "staff.encumbrance.create" in desk.inner_text("table.audit")
    axe_check(desk, "audit")
    screenshot(desk, "console-audit")

    # Usable at 1024 px: no sideways scrolling on the busiest page
    desk.set_viewport_size({"width": 1024, "height": 768})
    desk.goto(f"{live}/staff/applications/{app_id}")
    assert horizontal_overflow(desk) == 0
    # The refused import preview answers 422 on purpose; Chromium logs that status.
    assert [e for e in page_errors if "status of 422" not in e] == []


def test_an_admin_clears_a_hold_in_the_browser(
    live_server, desk, page_errors, client, demo, citizen_headers
):
    from miniapp_api.models import ApplicationHold

    live = live_server
    staff_user("li.admin", "admin")
    app_id = file_mortgage(client, demo, citizen_headers)
    db.session.add(
        ApplicationHold(
            application_id=app_id,
            person_id=person_by_key(demo, "zhang").id,
            note="不是我办的",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    sign_in(desk, live, "li.admin")
    first = desk.locator("table.queue tbody tr").first
    assert "有异议" in first.inner_text()
    first.locator("a").first.click()
    desk.fill("input[id^=clear-]", "已电话核实，系本人办理")
    screenshot(desk, "console-application-hold")
    desk.click("button:has-text('解除异议')")
    desk.wait_for_selector(".msg-ok:has-text('异议已解除')")
    assert page_errors == []


def test_utility_tasks_in_the_console(
    live_server, desk, page_errors, client, demo, citizen_headers, staff_headers, monkeypatch
):
    """水电气联动过户 in the console: the overdue tasks on the notifications screen, each
    service's task state on the application, the transfers chart on the figures page."""
    from datetime import UTC, datetime, timedelta

    from utilities_support import accept, file_transfer, pending, utility_answer, utility_headers

    from miniapp_api.utilities import tasks

    live = live_server
    staff_user("wang.clerk", "clerk")
    unit = sole_unit(person_by_key(demo, "zhang").id)
    utilities = [{"service": "water", "account_number": "W0012345"}, {"service": "power"}]
    created = file_transfer(
        client, demo, partner_headers("agency"), unit, citizen_headers, utilities
    )
    accept(client, staff_headers("clerk"), citizen_headers, created["id"])
    water = utility_headers("water")
    [check] = pending(client, demo, water, "check")
    answer = utility_answer(
        client, demo, water, check["id"], result="arrears", amount_due="236.40", reason="水费"
    )
    assert answer.status_code == 200, answer.get_json()
    moved = datetime.now(UTC) + timedelta(days=14)  # power's check is overdue by then
    monkeypatch.setattr(tasks, "now", lambda: moved)

    sign_in(desk, live, "wang.clerk")
    desk.click("nav >> text=通知")
    rows = desk.locator("#overdue-utility-tasks tbody tr.overdue")
    assert rows.count() == 1 and "供电" in rows.first.inner_text()
    axe_check(desk, "notifications-utilities")
    screenshot(desk, "console-notifications-utilities")
    rows.first.locator("a").click()
    desk.wait_for_url(f"{live}/staff/applications/{created['id']}")
    card = desk.locator("#utilities")
    assert "有欠费 ¥236.40（水费）" in card.inner_text()
    assert card.locator("tr.overdue").count() == 1
    axe_check(desk, "application-utilities")
    screenshot(desk, "console-application-utilities")

    desk.goto(f"{live}/staff/figures")
    desk.wait_for_selector("#chart-utility canvas")
    assert "水电气联动过户" in desk.inner_text("main")
    axe_check(desk, "figures-utilities")
    screenshot(desk, "console-figures-utilities")
    assert page_errors == []
