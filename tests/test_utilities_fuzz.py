"""Property-based fuzzing of the utility-transfer endpoints from the OpenAPI document (the
same checks as tests/test_fuzz_api.py: no 5xx, problem JSON, answers match the document)."""

from __future__ import annotations

from typing import Any

import pytest
from applications_support import citizen, partner_headers, sole_unit
from test_fuzz_api import _report, fuzz
from utilities_support import accept, file_transfer, pending, utility_headers


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def _utility_path(path: str) -> bool:
    return "utilit" in path


def test_fuzz_utility_endpoints(app, client, demo, citizen_headers, staff_headers):
    agency = partner_headers("agency")
    water = utility_headers("water")
    clerk = staff_headers("admin")
    unit = sole_unit(citizen(demo, "zhang")["person_id"])
    created = file_transfer(client, demo, agency, unit, citizen_headers, [{"service": "water"}])
    accept(client, clerk, citizen_headers, created["id"])
    [task] = pending(client, demo, water)
    ids = {"task_id": task["id"], "app_id": created["id"]}
    failures = fuzz(app, {}, _utility_path)  # anonymous: 401 everywhere
    failures += fuzz(app, water, lambda p: p.startswith("/api/v1/partner/utility"), ids=ids)
    failures += fuzz(app, water, lambda p: p.startswith("/api/v1/partner/utility"))
    failures += fuzz(
        app,
        agency,
        lambda p: p.startswith("/api/v1/partner/applications/{app_id}/utilities"),
        ids=ids,
    )
    failures += fuzz(
        app, clerk, lambda p: p.startswith("/api/v1/staff/") and "utilit" in p, ids=ids
    )
    failures += fuzz(app, clerk, lambda p: p.startswith("/api/v1/staff/utility"))
    failures += fuzz(
        app,
        citizen_headers("zhao"),
        lambda p: p.startswith("/api/v1/me/") and "utilit" in p,
        ids=ids,
    )
    assert not failures, _report(failures)
