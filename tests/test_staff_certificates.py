"""Staff certificate endpoints: what they change, the next verification shows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Certificate

BASE = "/api/v1/staff/certificates"


@pytest.fixture
def samples(demo: dict[str, Any]) -> dict[str, Any]:
    return demo["verification"]["samples"]


def check(client: Any, sample: dict[str, Any]) -> dict[str, Any]:
    return client.get(sample["api"]).get_json()


def find(client: Any, headers: dict[str, str], number: str) -> Any:
    return client.get(BASE, query_string={"number": number}, headers=headers)


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars()
    )


def test_find_gives_the_full_record_and_is_audited(client, staff_headers, samples, demo):
    headers = staff_headers("clerk")
    response = find(client, headers, samples["authentic"]["certificate_number"])
    assert response.status_code == 200
    record = response.get_json()
    zhang = next(c for c in demo["citizens"] if c["key"] == "zhang")
    assert record["holders"][0]["name"] == zhang["name"]
    assert record["holders"][0]["id_number"] == zhang["id_number"]
    assert record["print_serial"] == samples["authentic"]["print_serial"]
    assert record["documents"][0]["url"] == samples["authentic"]["url"]
    [event] = audit_events("staff.certificate.view")
    assert (event.actor_kind, event.object_id) == ("staff", str(record["id"]))


def test_find_unknown_number_is_404(client, staff_headers):
    response = find(client, staff_headers(), "湘(1999)汨罗市不动产权第0000000号")
    assert response.status_code == 404


def test_staff_token_required(client, citizen_headers, samples):
    number = samples["authentic"]["certificate_number"]
    assert find(client, {}, number).status_code == 401
    assert find(client, citizen_headers("zhang"), number).status_code == 401


def test_encumbrance_lifecycle_shows_in_verification(client, staff_headers, samples):
    headers = staff_headers("clerk")
    sample = samples["authentic"]
    cid = find(client, headers, sample["certificate_number"]).get_json()["id"]
    response = client.post(
        f"{BASE}/{cid}/encumbrances",
        json={"kind": "seizure", "holder": "汨罗市人民法院", "reason": "(2026)湘0681执保7号"},
        headers=headers,
    )
    assert response.status_code == 201
    enc = response.get_json()
    assert enc["active"] is True and enc["kind"] == "seizure"
    assert [e["kind"] for e in check(client, sample)["encumbrances"]] == ["seizure"]

    release = client.post(
        f"{BASE}/{cid}/encumbrances/{enc['id']}/release",
        json={"reason": "解除查封"},
        headers=headers,
    )
    assert release.status_code == 200
    assert release.get_json()["active"] is False
    assert check(client, sample)["encumbrances"] == []
    again = client.post(
        f"{BASE}/{cid}/encumbrances/{enc['id']}/release", json={"reason": "x"}, headers=headers
    )
    assert again.status_code == 409
    [created] = audit_events("staff.encumbrance.create")
    [released] = audit_events("staff.encumbrance.release")
    assert created.reason == "(2026)湘0681执保7号"
    assert released.reason == "解除查封"
    assert created.actor_kind == released.actor_kind == "staff"


def test_encumbrance_of_another_unit_is_404(client, staff_headers, samples):
    headers = staff_headers("admin")
    cid = find(client, headers, samples["authentic"]["certificate_number"]).get_json()["id"]
    other = find(client, headers, samples["seized"]["certificate_number"]).get_json()
    eid = other["encumbrances"][0]["id"]
    response = client.post(
        f"{BASE}/{cid}/encumbrances/{eid}/release", json={"reason": "x"}, headers=headers
    )
    assert response.status_code == 404


def test_releasing_a_mortgage_cancels_its_registration_certificate(client, staff_headers, samples):
    headers = staff_headers()
    record = find(client, headers, samples["mortgaged"]["certificate_number"]).get_json()
    mortgage = next(e for e in record["encumbrances"] if e["kind"] == "mortgage" and e["active"])
    response = client.post(
        f"{BASE}/{record['id']}/encumbrances/{mortgage['id']}/release",
        json={"reason": "贷款已结清"},
        headers=headers,
    )
    assert response.status_code == 200
    assert check(client, samples["mortgaged"])["encumbrances"] == []
    assert check(client, samples["registration_certificate"])["verdict"] == "cancelled"


def test_invalid_encumbrance_kind_is_422(client, staff_headers, samples):
    headers = staff_headers()
    cid = find(client, headers, samples["authentic"]["certificate_number"]).get_json()["id"]
    response = client.post(
        f"{BASE}/{cid}/encumbrances", json={"kind": "lien", "holder": "x"}, headers=headers
    )
    assert response.status_code == 422
    assert {"kind", "reason"} <= set(response.get_json()["errors"])


def test_cancel_shows_at_the_next_scan_and_only_once(client, staff_headers, samples):
    headers = staff_headers()
    sample = samples["authentic"]
    cid = find(client, headers, sample["certificate_number"]).get_json()["id"]
    response = client.post(f"{BASE}/{cid}/cancel", json={"reason": "房屋灭失"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert check(client, sample)["verdict"] == "cancelled"
    assert "已注销" in client.get(sample["url"].split(".cn", 1)[1]).get_data(as_text=True)
    again = client.post(f"{BASE}/{cid}/cancel", json={"reason": "x"}, headers=headers)
    assert again.status_code == 409
    [event] = audit_events("staff.certificate.cancel")
    assert event.reason == "房屋灭失"


def test_supersede_issues_a_new_certificate_with_its_own_qr(client, staff_headers, samples):
    headers = staff_headers()
    sample = samples["mortgaged"]
    cid = find(client, headers, sample["certificate_number"]).get_json()["id"]
    response = client.post(
        f"{BASE}/{cid}/supersede", json={"reason": "证书污损换证"}, headers=headers
    )
    assert response.status_code == 200
    body = response.get_json()
    new = body["replacement"]
    assert body["certificate"]["status"] == "superseded"
    assert body["certificate"]["superseded_by_id"] == new["id"]
    assert new["number"] != sample["certificate_number"]
    old_answer = check(client, sample)
    assert old_answer["verdict"] == "superseded"
    assert old_answer["document"]["superseded_by"] == new["number"]
    new_url = new["documents"][0]["url"]
    new_answer = client.get(new_url.split(".cn", 1)[1]).get_data(as_text=True)
    assert "verdict--authentic" in new_answer
    assert "encumbrance--mortgage" in new_answer  # the mortgage is on the unit, not the paper


def test_supersede_with_an_existing_replacement(client, staff_headers, samples, app):
    headers = staff_headers()
    record = find(client, headers, samples["authentic"]["certificate_number"]).get_json()
    from miniapp_api.domain.documents import issue_certificate

    right = db.session.get(Certificate, record["id"]).right
    replacement = issue_certificate(right)
    db.session.commit()
    response = client.post(
        f"{BASE}/{record['id']}/supersede",
        json={"reason": "换证", "replacement_certificate_id": replacement.id},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["replacement"]["id"] == replacement.id
    bad = client.post(
        f"{BASE}/{replacement.id}/supersede",
        json={"reason": "换证", "replacement_certificate_id": replacement.id},
        headers=headers,
    )
    assert bad.status_code == 422, bad.get_json()
