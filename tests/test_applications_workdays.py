"""Working-day deadlines on the official calendar (package + admin table + fallback)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from applications_support import citizen, confirm_all, partner_headers, sole_unit, transfer_body

from miniapp_api.applications import events, workdays
from miniapp_api.extensions import db


def add(start: date, days: int, overrides: dict | None = None) -> date:
    return workdays.add_working_days(start, days, overrides if overrides is not None else {})


def test_national_day_week_is_skipped():
    assert add(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_national_day_make_up_sunday_is_a_working_day():
    assert add(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Sunday 20 Sep 2026 调休上班


def test_make_up_saturday_after_national_day_counts():
    assert add(date(2026, 10, 9), 1) == date(2026, 10, 10)  # Saturday 10 Oct 2026


def test_spring_festival_make_up_saturday_counts():
    assert add(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday 14 Feb 2026 调休上班


def test_spring_festival_holiday_is_skipped():
    assert add(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_five_days_across_spring_festival():
    assert add(date(2026, 2, 12), 5) == date(2026, 2, 26)


def test_year_past_the_package_falls_back_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="miniapp_api.applications.workdays"):
        due = add(date(2026, 12, 30), 5)
    # 31 Dec (package), then 2027: 1 Jan off (fixed holiday), weekend, 4–7 Jan.
    assert due == date(2027, 1, 7)
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_override_table_wins_over_package_and_fallback():
    overrides = {date(2027, 1, 4): False, date(2026, 12, 31): False}
    assert add(date(2026, 12, 30), 2, overrides) == date(2027, 1, 6)


def test_override_can_make_a_weekend_a_working_day():
    assert add(date(2027, 2, 5), 1, {date(2027, 2, 6): True}) == date(2027, 2, 6)


def test_zero_days_is_the_start_day():
    assert add(date(2026, 10, 1), 0) == date(2026, 10, 1)


def test_override_rows_are_read_from_the_table(app):
    workdays.set_override(date(2027, 1, 4), False, "2027 元旦调休（示例）")
    db.session.commit()
    assert workdays.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)


def _at(when: datetime):
    return lambda: when


@pytest.fixture
def submitted(client, demo, citizen_headers):
    citizen_headers("zhang")
    citizen_headers("zhao")
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    created = client.post(
        "/api/v1/partner/applications",
        json=transfer_body(demo, unit),
        headers=partner_headers("agency"),
    ).get_json()
    confirm_all(client, citizen_headers, created["id"], ["zhang", "zhao"])
    return created["id"]


def test_accepted_before_national_day_is_due_after_it(
    client, staff_headers, submitted, monkeypatch
):
    monkeypatch.setattr(events, "now_utc", _at(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)))
    from miniapp_api.models import Application

    version = db.session.get(Application, submitted).version
    db.session.commit()
    body = client.post(
        f"/api/v1/staff/applications/{submitted}/accept",
        json={"version": version},
        headers=staff_headers(),
    ).get_json()
    # transfer: 5 working days → 8, 9, 10 (Saturday make-up), 12, 13 October
    assert body["promised_date"] == "2026-10-13"


class TestConfiguredLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"APPLICATION_TIME_LIMITS": {"transfer": 1}}

    def test_time_limit_is_configurable(self, client, staff_headers, submitted, monkeypatch):
        monkeypatch.setattr(events, "now_utc", _at(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)))
        from miniapp_api.models import Application

        version = db.session.get(Application, submitted).version
        db.session.commit()
        body = client.post(
            f"/api/v1/staff/applications/{submitted}/accept",
            json={"version": version},
            headers=staff_headers(),
        ).get_json()
        assert body["promised_date"] == "2026-10-08"


def test_admin_enters_the_published_schedule(client, staff_headers):
    response = client.put(
        "/api/v1/staff/working-days/2027-02-06",
        json={"is_workday": True, "note": "春节调休上班"},
        headers=staff_headers("admin"),
    )
    assert response.status_code == 200
    assert workdays.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 6)


def test_clerk_may_not_change_the_calendar(client, staff_headers):
    response = client.put(
        "/api/v1/staff/working-days/2027-02-06", json={"is_workday": True}, headers=staff_headers()
    )
    assert response.status_code == 403


def test_cli_enters_an_override(app):
    result = app.test_cli_runner().invoke(args=["workday-override", "2027-01-04", "rest", "示例"])
    assert result.exit_code == 0, result.output
    assert workdays.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)
