"""Property-based fuzzing of the alert endpoints from the OpenAPI document (the same checks as
tests/test_fuzz_api.py: no 5xx, problem JSON, answers match the document)."""

from __future__ import annotations

from typing import Any

import pytest
from applications_support import citizen, partner_headers, sole_unit, transfer_body
from test_alerts import alerts_of
from test_fuzz_api import _report, fuzz


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def _alert_path(path: str) -> bool:
    return "alert" in path or "/holds" in path


def test_fuzz_alert_endpoints(app, client, demo, citizen_headers, staff_headers):
    zhang = citizen_headers("zhang")
    citizen_headers("zhao")
    admin = staff_headers("admin")
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    filed = client.post(
        "/api/v1/partner/applications",
        json=transfer_body(demo, unit),
        headers=partner_headers("agency"),
    )
    assert filed.status_code == 201
    [alert] = alerts_of(demo, "zhang", "application_filed")
    disputed = client.post(f"/api/v1/me/alerts/{alert.id}/dispute", json={}, headers=zhang)
    assert disputed.status_code == 201
    ids = {
        "alert_id": alert.id,
        "app_id": filed.get_json()["id"],
        "hold_id": disputed.get_json()["hold"]["id"],
    }
    failures = fuzz(app, {}, _alert_path)  # anonymous: 401 everywhere
    failures += fuzz(app, zhang, lambda p: p.startswith("/api/v1/me/") and "alert" in p)
    failures += fuzz(app, zhang, lambda p: p.startswith("/api/v1/me/") and "alert" in p, ids=ids)
    failures += fuzz(app, admin, lambda p: p.startswith("/api/v1/staff/") and "/holds" in p)
    failures += fuzz(
        app, admin, lambda p: p.startswith("/api/v1/staff/") and "/holds" in p, ids=ids
    )
    assert not failures, _report(failures)
