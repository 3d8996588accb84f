"""Utility tasks: overdue after 2 working days (weekends, public holidays, make-up days), the
staff list, the once-a-day reminder, webhooks through the applications' sender, and the demo."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from applications_support import citizen, partner_headers, sole_unit
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from utilities_support import (
    accept,
    assert_no_id_numbers,
    file_transfer,
    pending,
    utility_headers,
)

from miniapp_api.applications import webhooks
from miniapp_api.clock import china_today
from miniapp_api.extensions import db
from miniapp_api.models import WebhookDelivery
from miniapp_api.utilities import overdue, tasks

STAFF = "/api/v1/staff/utility-tasks"


@pytest.fixture
def agency(app):
    return partner_headers("agency")


@pytest.fixture
def clerk(staff_headers):
    return staff_headers("clerk")


@pytest.fixture
def unit(app, demo):
    return sole_unit(citizen(demo, "zhang")["person_id"])


class Clock:
    """Moves ``tasks.now`` (task creation, due dates, overdue, reminders) to a given day."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.value = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
        monkeypatch.setattr(tasks, "now", lambda: self.value)

    def set(self, day: date) -> None:
        self.value = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in China


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _accepted_on(client, demo, agency, clerk, citizen_headers, unit, clock, day):
    clock.set(day)
    created = file_transfer(
        client, demo, agency, unit, citizen_headers, [{"service": "water", "account_number": "W1"}]
    )
    accept(client, clerk, citizen_headers, created["id"])
    [task] = db.session.execute(select(tasks.UtilityTask)).scalars().all()
    db.session.commit()
    return task


def _overdue(client, clerk, clock, day):
    clock.set(day)
    response = client.get(f"{STAFF}?overdue=true", headers=clerk)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_overdue_across_a_weekend(client, demo, agency, clerk, citizen_headers, unit, clock):
    # Thursday 26 Nov 2026: two working days are Friday and Monday → due Monday 30 Nov.
    task = _accepted_on(
        client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 11, 26)
    )
    assert task.due_date == date(2026, 11, 30)
    for day in (date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)):
        assert _overdue(client, clerk, clock, day) == [], day
    [item] = _overdue(client, clerk, clock, date(2026, 12, 1))
    assert item["id"] == task.id and item["overdue"] is True
    assert item["overdue_working_days"] == 1
    assert item["application_number"].startswith("SQ")


def test_overdue_across_national_day_and_its_make_up_day(
    client, demo, agency, clerk, citizen_headers, unit, clock
):
    # Wednesday 30 Sep 2026, then 1–7 Oct off: the two working days are 8 and 9 Oct.
    task = _accepted_on(
        client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 9, 30)
    )
    assert task.due_date == date(2026, 10, 9)
    for day in (date(2026, 10, 2), date(2026, 10, 7), date(2026, 10, 9)):
        assert _overdue(client, clerk, clock, day) == [], day
    # Saturday 10 Oct is a make-up working day (调休): the task is overdue by one.
    [item] = _overdue(client, clerk, clock, date(2026, 10, 10))
    assert item["overdue_working_days"] == 1
    [item] = _overdue(client, clerk, clock, date(2026, 10, 12))  # Sunday 11th is off
    assert item["overdue_working_days"] == 2


def test_answered_tasks_are_never_overdue(
    client, demo, agency, clerk, citizen_headers, unit, clock
):
    water = utility_headers("water")
    _accepted_on(client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 11, 26))
    [task] = pending(client, demo, water)
    client.post(
        f"/api/v1/partner/utility-tasks/{task['id']}/answer", json={"result": "ok"}, headers=water
    )
    assert _overdue(client, clerk, clock, date(2026, 12, 3)) == []


def test_overdue_tasks_are_reminded_once_a_day(
    client, demo, agency, clerk, citizen_headers, unit, clock
):
    water = utility_headers("water")
    client.put("/api/v1/partner/webhook", json={"url": "http://127.0.0.1:18610/h"}, headers=water)
    _accepted_on(client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 11, 26))
    assert overdue.send_reminders(date(2026, 11, 30)) == 0  # due today, not overdue yet
    assert overdue.send_reminders(date(2026, 12, 1)) == 1
    assert overdue.send_reminders(date(2026, 12, 1)) == 0  # once a day
    assert overdue.send_reminders(date(2026, 12, 2)) == 1
    db.session.commit()
    kinds = [
        d.event_type
        for d in db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
    ]
    assert kinds == ["utility.task_created", "utility.task_overdue", "utility.task_overdue"]
    [item] = _overdue(client, clerk, clock, date(2026, 12, 2))
    assert item["last_reminded_on"] == "2026-12-02"


def test_remind_command(app, client, demo, agency, clerk, citizen_headers, unit, clock):
    _accepted_on(client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 11, 26))
    clock.set(date(2026, 12, 4))
    result = app.test_cli_runner().invoke(args=["remind-utilities"])
    assert result.exit_code == 0 and result.output.strip() == "reminded=1"


# --- webhooks -------------------------------------------------------------------------------------
def test_task_webhook_fails_then_succeeds_signed(
    client, demo, agency, clerk, citizen_headers, unit
):
    water, power = utility_headers("water"), utility_headers("power")
    secret = client.put(
        "/api/v1/partner/webhook", json={"url": "http://127.0.0.1:18611/hook"}, headers=water
    ).get_json()["secret"]
    client.put("/api/v1/partner/webhook", json={"url": "http://127.0.0.1:18612/h"}, headers=power)
    created = file_transfer(
        client, demo, agency, unit, citizen_headers, [{"service": "water", "account_number": "W1"}]
    )
    accept(client, clerk, citizen_headers, created["id"])
    rows = db.session.execute(select(WebhookDelivery)).scalars().all()
    # Only the water company's endpoint gets the water task (the agency set no webhook).
    assert [r.event_type for r in rows] == ["utility.task_created"]
    db.session.commit()
    assert webhooks.deliver_due(post=lambda *a: 503)["retried"] == 1
    row = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert row.last_status == 503 and row.delivered_at is None
    sent = []

    def post(url, headers, payload):
        sent.append((url, headers, payload))
        return 204

    later = row.next_attempt_at + timedelta(seconds=1)
    assert webhooks.deliver_due(now=lambda: later, post=post)["delivered"] == 1
    url, headers, payload = sent[0]
    assert url == "http://127.0.0.1:18611/hook"
    event = Webhook(secret).verify(payload, headers)
    assert event["type"] == "utility.task_created"
    assert event["data"]["service"] == "water" and event["data"]["step"] == "check"
    assert event["data"]["old_account_number"] == "W1"
    assert_no_id_numbers(json.loads(payload), demo)
    db.session.expire_all()
    row = db.session.get(WebhookDelivery, row.id)
    assert row.attempts == 2 and row.delivered_at is not None
    deliveries = client.get("/api/v1/partner/webhook/deliveries", headers=water).get_json()
    assert deliveries["items"][0]["state"] == "delivered"


# --- demo -----------------------------------------------------------------------------------------
def test_demo_has_three_utilities_and_tasks_in_every_state(app, client, demo):
    from miniapp_api.demo.applications import seed_applications
    from miniapp_api.demo.utilities import demo_section, seed_utilities

    seed_applications()
    assert seed_utilities() > 0
    db.session.commit()
    assert seed_utilities() == 0
    section = demo_section()
    assert {u["service"] for u in section["utilities"]} == {"water", "power", "gas"}
    assert set(section["utility_tasks"]) == {
        "check:pending",
        "check:ok",
        "check:arrears",
        "check:cancelled",
        "transfer:pending",
        "transfer:completed",
        "transfer:failed",
    }
    water = next(u for u in section["utilities"] if u["service"] == "water")
    listing = client.get(
        "/api/v1/partner/utility-tasks?status=all", headers={"X-API-Key": water["api_key"]}
    )
    assert listing.status_code == 200
    assert {t["service"] for t in listing.get_json()["items"]} == {"water"}
    assert_no_id_numbers(listing.get_json(), demo)
    clerk_overdue = [t for t in listing.get_json()["items"] if t["overdue"]]
    assert clerk_overdue, "the first demo transfer's checks are overdue"


def test_median_counts_working_days_from_registration(
    client, demo, agency, clerk, citizen_headers, unit, clock
):
    from utilities_support import register

    water = utility_headers("water")
    _accepted_on(client, demo, agency, clerk, citizen_headers, unit, clock, date(2026, 11, 26))
    task_app = db.session.execute(select(tasks.UtilityTask.application_id)).scalar_one()
    db.session.commit()
    clock.set(date(2026, 11, 27))  # 登簿 on Friday
    register(client, clerk, task_app)
    [transfer] = pending(client, demo, water, "transfer")
    clock.set(date(2026, 12, 1))  # completed on Tuesday: Monday and Tuesday = 2 working days
    done = client.post(
        f"/api/v1/partner/utility-tasks/{transfer['id']}/answer",
        json={"result": "completed", "account_number": "W-NEW"},
        headers=water,
    )
    assert done.status_code == 200, done.get_json()
    today = china_today().isoformat()  # the report's days are China's
    figures = client.get(f"/api/v1/stats/applications?from=2026-01-01&to={today}").get_json()
    assert figures["utility_transfers"]["water"] == {
        "requested": 1,
        "completed": 1,
        "median_working_days": 2.0,
    }
