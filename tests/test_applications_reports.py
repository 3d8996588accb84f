"""Public lookup by 受理编号 + name, the report's figures, the staff CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from applications_support import (
    citizen,
    confirm_all,
    partner_headers,
    sole_unit,
    staff_post,
    transfer_body,
)

from miniapp_api.applications import reports
from miniapp_api.clock import china_today
from miniapp_api.extensions import db
from miniapp_api.models import Application


@pytest.fixture
def accepted(client, demo, citizen_headers, staff_headers):
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    created = client.post(
        "/api/v1/partner/applications",
        json=transfer_body(demo, unit),
        headers=partner_headers("agency"),
    ).get_json()
    confirm_all(client, citizen_headers, created["id"], ["zhang", "zhao"])
    body = staff_post(client, staff_headers(), created["id"], "accept").get_json()
    return body


def test_lookup_by_acceptance_number_and_name(client, accepted):
    response = client.get(
        "/api/v1/applications/lookup",
        query_string={"number": accepted["acceptance_number"], "name": "赵敏"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "accepted"
    assert body["parties"] == ["张*国", "赵*"]
    assert "*" in body["location"]


def test_lookup_miss_is_uniform(client, accepted):
    wrong_name = client.get(
        "/api/v1/applications/lookup",
        query_string={"number": accepted["acceptance_number"], "name": "王五"},
    )
    wrong_number = client.get(
        "/api/v1/applications/lookup", query_string={"number": "2026430681999999", "name": "赵敏"}
    )
    assert wrong_name.status_code == wrong_number.status_code == 404
    a, b = wrong_name.get_json(), wrong_number.get_json()
    for key in ("code", "title", "detail"):
        assert a[key] == b[key]


class TestLookupLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"APPLICATION_LOOKUP_LIMIT": "3 per minute"}

    def test_lookup_is_rate_limited(self, client):
        codes = [
            client.get(
                "/api/v1/applications/lookup", query_string={"number": "x", "name": "y"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [404, 404, 404, 429]


def test_stats_report_figures(client, accepted, staff_headers):
    today = china_today()  # the report's days are China's
    response = client.get(
        "/api/v1/stats/applications",
        query_string={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )
    body = response.get_json()
    assert body["total"] == 1
    assert body["by_kind"]["transfer"] == 1 and body["by_channel"]["partner"] == 1
    assert body["completed"] == 0 and body["completion_rate"] == 0.0


def test_stats_completion_and_on_time(app, accepted):
    from miniapp_api.applications import rollup

    row = db.session.get(Application, accepted["id"])
    row.status = "completed"
    row.completed_at = datetime.now(UTC)
    rollup.rebuild()
    db.session.commit()
    today = china_today()  # the report's days are China's
    body = reports.stats(today - timedelta(days=1), today + timedelta(days=1))
    assert body["completed"] == 1 and body["completion_rate"] == 1.0
    assert body["on_time_rate"] == 1.0


def test_stats_period_must_be_ordered(client):
    response = client.get(
        "/api/v1/stats/applications", query_string={"from": "2026-02-01", "to": "2026-01-01"}
    )
    assert response.status_code == 422


def test_export_neutralises_formulas(client, accepted, staff_headers):
    row = db.session.get(Application, accepted["id"])
    row.unit.location = '=HYPERLINK("http://evil")'
    db.session.commit()
    today = china_today()  # the report's days are China's
    response = client.get(
        "/api/v1/staff/applications/export.csv",
        query_string={"from": today.isoformat(), "to": today.isoformat()},
        headers=staff_headers(),
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "申请编号"
    assert rows[1][5].startswith("'=")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_neutralise(value):
    assert reports.neutralise(value) == "'" + value


def test_export_needs_staff(client):
    response = client.get(
        "/api/v1/staff/applications/export.csv",
        query_string={"from": "2026-01-01", "to": "2026-01-02"},
    )
    assert response.status_code == 401
