"""The staff console's 水电气联动过户 parts: overdue utility tasks on the notifications screen
(the same query as ``GET /staff/utility-tasks?overdue=true``), each service's task state on the
application screen, and the figures' linked utility transfers equal to the stats API's, in the
page, the CSV and the XLSX (neutralised)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from applications_support import citizen, partner_headers, sole_unit, staff_post
from console_support import FAST_ARGON2, login
from utilities_support import (
    accept,
    file_transfer,
    pending,
    register,
    utility_answer,
    utility_headers,
)

from miniapp_api.console import figures
from miniapp_api.utilities import tasks

ALL = [
    {"service": "water", "account_number": "W0012345"},
    {"service": "power", "account_number": "P20260001"},
    {"service": "gas"},
]
SERVICES = ("water", "power", "gas")


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return dict(FAST_ARGON2)


@pytest.fixture
def clerk(staff_headers):
    return staff_headers("clerk")


@pytest.fixture
def transfer(client, demo, citizen_headers) -> dict[str, Any]:
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    return file_transfer(client, demo, partner_headers("agency"), unit, citizen_headers, ALL)


def later(monkeypatch: pytest.MonkeyPatch, days: int) -> date:
    """Moves the utilities' clock (due dates, overdue, answers) ``days`` ahead; China day."""
    moved = datetime.now(UTC) + timedelta(days=days)
    monkeypatch.setattr(tasks, "now", lambda: moved)
    return tasks.today()


def _rows(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[ >].*?</tr>", body.split("<tbody>", 1)[1], re.S)


# --- notifications -------------------------------------------------------------------------
def test_notifications_list_the_overdue_utility_tasks(
    client, demo, transfer, clerk, citizen_headers, monkeypatch
):
    accept(client, clerk, citizen_headers, transfer["id"])
    login(client)
    page = client.get("/staff/notifications").text
    assert "没有逾期未答复的水电气协办任务" in page  # created today: not overdue yet
    water = utility_headers("water")
    [task] = pending(client, demo, water, "check")
    assert utility_answer(client, demo, water, task["id"], result="ok").status_code == 200

    later(monkeypatch, 14)  # at least 2 working days later, whatever the calendar
    api = client.get("/api/v1/staff/utility-tasks?overdue=true", headers=clerk).get_json()
    assert {i["service"] for i in api["items"]} == {"power", "gas"}  # water answered
    page = client.get("/staff/notifications")
    assert page.status_code == 200
    rows = _rows(page.text, "overdue-utility-tasks")
    assert len(rows) == api["total"] == 2
    for item, row in zip(api["items"], rows, strict=True):
        assert 'class="overdue"' in row
        assert f"/staff/applications/{transfer['id']}" in row
        assert {"power": "供电", "gas": "供气"}[item["service"]] in row
        assert f"<td>{item['due_date']}</td>" in row
        assert f"<td>{item['overdue_working_days']}</td>" in row
        assert item["overdue_working_days"] > 0
    assert "共 2 件" in page.text


def test_a_rejected_application_leaves_the_overdue_list(
    client, demo, transfer, clerk, citizen_headers, monkeypatch
):
    accept(client, clerk, citizen_headers, transfer["id"])
    later(monkeypatch, 14)
    login(client)
    assert len(_rows(client.get("/staff/notifications").text, "overdue-utility-tasks")) == 3
    response = staff_post(client, clerk, transfer["id"], "reject", reason="材料不全，申请人放弃")
    assert response.status_code == 200, response.get_json()
    page = client.get("/staff/notifications").text
    assert "没有逾期未答复的水电气协办任务" in page
    card = _utilities_card(client, transfer["id"])
    assert card.count("申请已结束，协办任务已取消") == 3 and "受理后生成" not in card


# --- application screen --------------------------------------------------------------------
def _utilities_card(client, app_id: int) -> str:
    page = client.get(f"/staff/applications/{app_id}")
    assert page.status_code == 200
    assert 'id="utilities"' in page.text
    return page.text.split('id="utilities"', 1)[1].split("</section>", 1)[0]


def test_the_application_shows_each_utilitys_task_state(
    client, demo, transfer, clerk, citizen_headers, monkeypatch
):
    app_id = transfer["id"]
    login(client)
    card = _utilities_card(client, app_id)
    assert card.count("受理后生成协办核验任务") == 3
    assert "供水" in card and "W0012345" in card and "待核验" in card

    accept(client, clerk, citizen_headers, app_id)
    water, power = utility_headers("water"), utility_headers("power")
    [check] = pending(client, demo, water, "check")
    arrears = utility_answer(
        client, demo, water, check["id"], result="arrears", amount_due="236.40", reason="水费"
    )
    assert arrears.status_code == 200, arrears.get_json()
    [check] = pending(client, demo, power, "check")
    assert utility_answer(client, demo, power, check["id"], result="ok").status_code == 200
    card = _utilities_card(client, app_id)
    assert card.count("协办核验") == 3 and "受理后生成" not in card
    assert "有欠费 ¥236.40（水费）" in card and "可过户" in card
    assert card.count("待答复") == 1 and card.count("已答复") == 2  # gas still pending
    assert "已逾期" not in card

    later(monkeypatch, 14)
    card = _utilities_card(client, app_id)
    assert card.count("已逾期") == 1 and card.count('class="overdue"') == 1

    register(client, clerk, app_id)
    [transfer_task] = pending(client, demo, power, "transfer")
    done = utility_answer(
        client, demo, power, transfer_task["id"], result="completed", account_number="P-NEW-1"
    )
    assert done.status_code == 200, done.get_json()
    card = _utilities_card(client, app_id)
    assert "已过户 新户号 P-NEW-1" in card
    assert "已登簿，转入过户" in card  # gas's unanswered check, closed at 登簿
    assert card.count("<td>过户</td>") == 3
    # Read-only: the card offers no form.
    assert "<form" not in card


def test_no_utility_card_for_other_kinds_or_without_a_choice(client, demo, citizen_headers):
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    created = file_transfer(client, demo, partner_headers("agency"), unit, citizen_headers, None)
    login(client)
    page = client.get(f"/staff/applications/{created['id']}")
    assert page.status_code == 200 and 'id="utilities"' not in page.text


# --- figures -------------------------------------------------------------------------------
def _period() -> tuple[str, str]:
    today = date.today()
    return f"{today.year - 1}-01-01", f"{today.year + 1}-12-31"


def _utility_rows(client, start: str, end: str) -> list[list[str]]:
    response = client.get("/staff/figures.csv", query_string={"from": start, "to": end})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    at = rows.index(["水电气联动过户"])
    assert rows[at + 1] == ["服务", "申请过户（笔）", "已过户（笔）", "办理用时中位数（工作日）"]
    return rows[at + 2 : at + 5]


@pytest.fixture
def completed(client, demo, transfer, clerk, citizen_headers, monkeypatch) -> int:
    """Water completed on the day, power some working days later, gas never."""
    app_id = transfer["id"]
    accept(client, clerk, citizen_headers, app_id)
    register(client, clerk, app_id)
    water, power = utility_headers("water"), utility_headers("power")
    [task] = pending(client, demo, water, "transfer")
    answer = utility_answer(
        client, demo, water, task["id"], result="completed", account_number="W-NEW"
    )
    assert answer.status_code == 200
    later(monkeypatch, 14)
    [task] = pending(client, demo, power, "transfer")
    answer = utility_answer(
        client, demo, power, task["id"], result="completed", account_number="P-NEW"
    )
    assert answer.status_code == 200
    return app_id


def test_figures_utility_transfers_equal_the_stats_api(client, completed):
    start, end = _period()
    api = client.get(
        "/api/v1/stats/applications", query_string={"from": start, "to": end}
    ).get_json()["utility_transfers"]
    assert api["water"]["completed"] == 1 and api["gas"]["completed"] == 0
    assert api["power"]["median_working_days"] > 0  # the late one is not a zero
    assert api["gas"]["median_working_days"] is None
    login(client)
    page = client.get("/staff/figures", query_string={"from": start, "to": end})
    assert page.status_code == 200
    assert 'id="chart-utility"' in page.text
    shown = {
        u["key"]: u
        for u in figures.compute(date.fromisoformat(start), date.fromisoformat(end))[
            "utility_transfers"
        ]
    }
    rows = _utility_rows(client, start, end)
    assert [r[0] for r in rows] == ["供水", "供电", "供气"]
    for service, row in zip(SERVICES, rows, strict=True):
        want = api[service]
        assert int(row[1]) == want["requested"] == 1
        assert int(row[2]) == want["completed"]
        median = want["median_working_days"]
        assert row[3] == ("—" if median is None else f"{median:g}")
        assert row[3] == "—" or float(row[3]) == median
        assert {k: shown[service][k] for k in want} == want
        table_row = f"<td>{row[0]}</td><td>{row[1]}</td><td>{row[2]}</td><td>{row[3]}</td>"
        assert table_row in page.text


def test_utility_figures_in_the_xlsx_and_neutralised(client, completed, monkeypatch):
    start, end = _period()
    api = client.get(
        "/api/v1/stats/applications", query_string={"from": start, "to": end}
    ).get_json()["utility_transfers"]
    login(client)
    from openpyxl import load_workbook

    response = client.get("/staff/figures.xlsx", query_string={"from": start, "to": end})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["水电气联动过户"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1:] == [
        [
            name,
            api[s]["requested"],
            api[s]["completed"],
            "—" if api[s]["median_working_days"] is None else f"{api[s]['median_working_days']:g}",
        ]
        for s, name in zip(SERVICES, ("供水", "供电", "供气"), strict=True)
    ]
    # A label a spreadsheet would run goes out neutralised in both formats.
    monkeypatch.setitem(figures.UTILITY_SERVICE_NAMES, "gas", "=1+2")
    cells = [c for r in _utility_rows(client, start, end) for c in r]
    assert "'=1+2" in cells and "=1+2" not in cells
    response = client.get("/staff/figures.xlsx", query_string={"from": start, "to": end})
    sheet = load_workbook(io.BytesIO(response.data))["水电气联动过户"]
    column = [r[0].value for r in sheet.iter_rows()]
    assert "'=1+2" in column and "=1+2" not in column
