"""Helpers shared by the utility-transfer (水电气联动过户) tests."""

from __future__ import annotations

import json
import re
from typing import Any

from applications_support import confirm_all, partner_headers, staff_post, transfer_body

URL = "/api/v1/partner/applications"
TASKS = "/api/v1/partner/utility-tasks"
UTILITY_NAMES = {
    "water": "汨罗市自来水公司",
    "power": "国网汨罗市供电公司",
    "gas": "汨罗市燃气公司",
}
# An ID number in any form: 18 characters, digits or the masking asterisks, check char X.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{6}[0-9*]{8}[0-9*]{3}[0-9Xx*](?![0-9A-Za-z])")


def utility_headers(service: str) -> dict[str, str]:
    return partner_headers("utility", name=UTILITY_NAMES[service], service=service)


def assert_no_id_numbers(body: Any, demo: dict[str, Any]) -> None:
    """A utility-facing body carries no ID number: no such key, no full or masked number."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    assert "id_number" not in text
    assert not ID_LIKE.search(text), ID_LIKE.search(text)
    for citizen in demo["citizens"]:
        number = citizen["id_number"]
        assert number not in text
        assert number[:6] + "********" + number[-4:] not in text


def utility_get(client: Any, demo: dict[str, Any], headers: dict, path: str) -> Any:
    response = client.get(path, headers=headers)
    assert_no_id_numbers(response.get_json(), demo)
    return response


def utility_answer(
    client: Any, demo: dict[str, Any], headers: dict, task_id: int, **body: Any
) -> Any:
    response = client.post(f"{TASKS}/{task_id}/answer", json=body, headers=headers)
    assert_no_id_numbers(response.get_json(), demo)
    return response


def pending(client: Any, demo: dict[str, Any], headers: dict, step: str | None = None) -> list:
    path = f"{TASKS}?status=pending" + (f"&step={step}" if step else "")
    response = utility_get(client, demo, headers, path)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def file_transfer(
    client: Any,
    demo: dict[str, Any],
    agency: dict,
    unit: Any,
    citizen_headers: Any,
    utilities: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    citizen_headers("zhang")
    citizen_headers("zhao")
    body = transfer_body(demo, unit)
    if utilities is not None:
        body["utilities"] = utilities
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def accept(client: Any, clerk: dict, citizen_headers: Any, app_id: int) -> dict[str, Any]:
    confirm_all(client, citizen_headers, app_id, ["zhang", "zhao"])
    response = staff_post(client, clerk, app_id, "accept")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def register(client: Any, clerk: dict, app_id: int) -> dict[str, Any]:
    assert staff_post(client, clerk, app_id, "advance", stage="reviewed").status_code == 200
    for track, ref in (("contract_filing", "BA2026-0001"), ("tax", "WS2026-0001")):
        done = client.post(
            f"/api/v1/staff/applications/{app_id}/tracks/{track}",
            json={"reference": ref},
            headers=clerk,
        )
        assert done.status_code == 200, done.get_json()
    response = staff_post(client, clerk, app_id, "advance", stage="registered")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def my_application(client: Any, citizen_headers: Any, key: str, app_id: int) -> dict[str, Any]:
    items = client.get("/api/v1/me/applications", headers=citizen_headers(key)).get_json()["items"]
    return next(i for i in items if i["id"] == app_id)


def states(view: dict[str, Any]) -> dict[str, str]:
    return {u["service"]: u["state_label"] for u in view["utilities"]}
