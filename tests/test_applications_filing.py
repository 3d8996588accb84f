"""一窗办事, filing by partners: refusal codes, partner kinds, idempotency, access matrix."""

from __future__ import annotations

import threading

import pytest
from applications_support import (
    active_mortgage,
    citizen,
    mortgage_body,
    partner_headers,
    sole_unit,
    transfer_body,
)
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import Application, Certificate

# The fixtures agency, bank, clerk and zhang_unit come from applications_support.
URL = "/api/v1/partner/applications"


def test_agency_files_a_transfer(client, demo, agency, zhang_unit):
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "awaiting_confirmation"
    assert body["number"].startswith("SQ")
    assert [p["confirmed"] for p in body["parties"]] == [False, False]
    assert body["parties"][0]["name"] == "张*国"
    assert body["parties"][1]["id_number"].count("*") == 8
    assert "price" in body and body["contract_number"] != "MLHT2026000123"


def test_refused_when_obligors_are_not_the_holders(client, demo, agency, zhang_unit):
    body = transfer_body(demo, zhang_unit, seller="zhao")
    body["parties"][1] = {
        "role": "obligee",
        "name": citizen(demo, "chen")["name"],
        "id_number": citizen(demo, "chen")["id_number"],
    }
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["code"] == "not_the_holders"
    assert "张" not in problem["detail"] and "zhang" not in response.get_data(as_text=True)


def test_refused_when_a_holder_name_differs(client, demo, agency, zhang_unit):
    body = transfer_body(demo, zhang_unit)
    body["parties"][0]["name"] = "张建"
    response = client.post(URL, json=body, headers=agency)
    assert response.get_json()["code"] == "not_the_holders"


def test_refused_on_a_seized_unit(client, demo, agency):
    unit = sole_unit(citizen(demo, "liu")["person_id"], encumbrance="seizure")
    response = client.post(URL, json=transfer_body(demo, unit, seller="liu"), headers=agency)
    assert response.status_code == 409
    assert response.get_json()["code"] == "unit_seized"


def test_refused_on_a_unit_under_objection(client, demo, agency):
    unit = sole_unit(citizen(demo, "liu")["person_id"], encumbrance="objection")
    active = {e.kind for e in unit.encumbrances if e.ended_at is None}
    assert "seizure" not in active
    response = client.post(URL, json=transfer_body(demo, unit, seller="liu"), headers=agency)
    assert response.status_code == 409
    assert response.get_json()["code"] == "unit_under_objection"


def test_second_open_transfer_is_refused(client, demo, agency, zhang_unit):
    assert client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency).status_code == 201
    again = client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency)
    assert again.status_code == 409
    assert again.get_json()["code"] == "application_in_progress"


def test_withdrawn_application_frees_the_unit(client, demo, agency, zhang_unit):
    first = client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency).get_json()
    assert client.post(f"{URL}/{first['id']}/withdraw", headers=agency).status_code == 200
    assert client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency).status_code == 201


def test_bank_may_not_file_a_transfer(client, demo, bank, zhang_unit):
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=bank)
    assert response.status_code == 403
    assert response.get_json()["code"] == "application_kind_not_allowed"


def test_agency_may_not_file_a_mortgage(client, demo, agency, zhang_unit):
    response = client.post(URL, json=mortgage_body(demo, zhang_unit), headers=agency)
    assert response.status_code == 403


@pytest.mark.parametrize("kind", ["tax", "utility"])
def test_tax_and_utility_partners_file_nothing(client, demo, zhang_unit, kind):
    headers = partner_headers(kind)
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    assert response.status_code == 403


def test_developer_only_files_for_its_own_projects(client, demo, zhang_unit):
    developer = partner_headers("developer", organisation="某不相干的开发公司")
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=developer)
    assert response.status_code == 403
    assert response.get_json()["code"] == "not_your_project"


def _case_of(demo, key):
    from miniapp_api.models import HandoverCase

    return db.session.execute(
        select(HandoverCase).where(HandoverCase.buyer_id == citizen(demo, key)["person_id"])
    ).scalar_one()


def test_developer_files_the_sale_of_a_handover_case_unit(client, demo):
    case = _case_of(demo, "chen")  # 交房即交证 at 契税缴纳: not registered yet
    developer = partner_headers("developer", organisation=case.project.developer)
    chen = citizen(demo, "chen")
    body = transfer_body(demo, case.unit)
    body["parties"] = [{"role": "obligee", "name": chen["name"], "id_number": chen["id_number"]}]
    response = client.post(URL, json=body, headers=developer)
    assert response.status_code == 201, response.get_json()
    app_row = db.session.get(Application, response.get_json()["id"])
    assert app_row.handover_case_id == case.id


def test_developer_cannot_sell_a_unit_already_registered_to_its_buyer(client, demo):
    case = _case_of(demo, "zhou")  # deed issued
    developer = partner_headers("developer", organisation=case.project.developer)
    zhou = citizen(demo, "zhou")
    body = transfer_body(demo, case.unit)
    body["parties"] = [{"role": "obligee", "name": zhou["name"], "id_number": zhou["id_number"]}]
    response = client.post(URL, json=body, headers=developer)
    assert response.status_code == 409
    assert response.get_json()["code"] == "not_the_holders"


def test_handover_case_buyer_must_match(client, demo):
    case = _case_of(demo, "chen")
    developer = partner_headers("developer", organisation=case.project.developer)
    body = transfer_body(demo, case.unit)
    body["parties"] = body["parties"][1:]  # zhao is not the case's buyer
    response = client.post(URL, json=body, headers=developer)
    assert response.status_code == 409
    assert response.get_json()["code"] == "handover_case_conflict"


def test_bank_files_a_mortgage(client, demo, bank, zhang_unit):
    response = client.post(URL, json=mortgage_body(demo, zhang_unit), headers=bank)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["loan_amount"] == "500000.00"


def test_release_of_another_banks_mortgage_is_refused(client, demo):
    unit = sole_unit(citizen(demo, "wang")["person_id"], encumbrance="mortgage")
    enc = active_mortgage(unit)
    other = partner_headers(
        "bank", name="某某农村商业银行" if enc.holder != "某某农村商业银行" else "X银行"
    )
    response = client.post(
        URL,
        json={
            "kind": "mortgage_release",
            "unit_number": unit.unit_number,
            "encumbrance_id": enc.id,
        },
        headers=other,
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "not_your_mortgage"


def test_release_by_registration_certificate_number(client, demo):
    unit = sole_unit(citizen(demo, "wang")["person_id"], encumbrance="mortgage")
    enc = active_mortgage(unit)
    cert = db.session.execute(
        select(Certificate).where(Certificate.encumbrance_id == enc.id)
    ).scalar_one()
    holder_bank = partner_headers("bank", name=enc.holder)
    response = client.post(
        URL,
        json={
            "kind": "mortgage_release",
            "unit_number": unit.unit_number,
            "registration_certificate_number": cert.number,
        },
        headers=holder_bank,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "submitted"  # no party to confirm


def test_another_partners_application_is_404(client, demo, agency, zhang_unit):
    other = partner_headers("agency", name="另一家中介")
    created = client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency).get_json()
    for method, path in (
        ("get", f"{URL}/{created['id']}"),
        ("post", f"{URL}/{created['id']}/withdraw"),
        ("post", f"{URL}/{created['id']}/resubmit"),
        ("get", f"{URL}/{created['id']}/materials"),
    ):
        response = getattr(client, method)(path, headers=other)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == "application_not_found"
    assert client.get(URL, headers=other).get_json()["items"] == []
    assert [a["id"] for a in client.get(URL, headers=agency).get_json()["items"]] == [created["id"]]


def test_idempotent_replay_returns_the_first_answer(client, demo, agency, zhang_unit):
    headers = {**agency, "Idempotency-Key": "order-42"}
    first = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    second = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    rows = db.session.execute(
        select(Application).where(Application.unit_id == zhang_unit.id)
    ).scalars()
    assert len(rows.all()) == 1


def test_idempotent_replay_of_a_refusal(client, demo, agency, zhang_unit):
    headers = {**agency, "Idempotency-Key": "bad-1"}
    body = transfer_body(demo, zhang_unit, seller="zhao")
    first = client.post(URL, json=body, headers=headers)
    second = client.post(URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 409
    assert first.get_json() == second.get_json()


def test_same_key_other_body_is_422(client, demo, agency, zhang_unit):
    headers = {**agency, "Idempotency-Key": "order-43"}
    client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    other = transfer_body(demo, zhang_unit)
    other["price"] = "900000.00"
    response = client.post(URL, json=other, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"


def test_key_is_per_partner(client, demo, agency, bank, zhang_unit):
    client.post(
        URL, json=transfer_body(demo, zhang_unit), headers={**agency, "Idempotency-Key": "k"}
    )
    response = client.post(
        URL, json=mortgage_body(demo, zhang_unit), headers={**bank, "Idempotency-Key": "k"}
    )
    assert response.status_code == 201


def test_key_older_than_24h_is_forgotten(client, demo, agency, zhang_unit):
    from datetime import timedelta

    from miniapp_api.models import IdempotencyRecord

    headers = {**agency, "Idempotency-Key": "old"}
    first = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers).get_json()
    client.post(f"{URL}/{first['id']}/withdraw", headers=agency)
    record = db.session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.key == "old")
    ).scalar_one()
    record.created_at = record.created_at - timedelta(hours=25)
    db.session.commit()
    again = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    assert again.status_code == 201
    assert again.get_json()["id"] != first["id"]


def test_concurrent_duplicate_gets_409(app, demo, agency, zhang_unit):
    from miniapp_api.applications import service

    body = transfer_body(demo, zhang_unit)
    db.session.commit()
    started, release = threading.Event(), threading.Event()
    original = service.file_application

    def slow(filer, data):
        started.set()
        release.wait(10)
        return original(filer, data)

    service.file_application = slow
    results = {}

    def first():
        with app.test_client() as c:
            results["first"] = c.post(URL, json=body, headers={**agency, "Idempotency-Key": "dup"})

    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert started.wait(10)
        with app.test_client() as c:
            results["second"] = c.post(URL, json=body, headers={**agency, "Idempotency-Key": "dup"})
        release.set()
        thread.join(20)
    finally:
        service.file_application = original
        release.set()
    assert results["second"].status_code == 409
    assert results["second"].get_json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201


def test_unit_must_exist(client, demo, agency, zhang_unit):
    body = transfer_body(demo, zhang_unit)
    body["unit_number"] = "430681001001GB99999F00010001"
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 404


def test_transfer_needs_price_and_contract(client, demo, agency, zhang_unit):
    body = transfer_body(demo, zhang_unit)
    del body["price"]
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 422
    assert "price" in response.get_json()["errors"]


def test_bad_id_number_is_422(client, demo, agency, zhang_unit):
    body = transfer_body(demo, zhang_unit)
    body["parties"][1]["id_number"] = "430681199001011234"
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 422


def test_abandoned_in_flight_key_can_be_retried(client, demo, agency, zhang_unit):
    from datetime import UTC, datetime, timedelta

    from miniapp_api.models import IdempotencyRecord, Partner

    partner = db.session.execute(select(Partner)).scalars().first()
    db.session.add(
        IdempotencyRecord(
            partner_id=partner.id,
            key="crashed",
            request_hash="x" * 64,
            created_at=datetime.now(UTC) - timedelta(minutes=11),
        )
    )
    db.session.commit()
    headers = {**agency, "Idempotency-Key": "crashed"}
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=headers)
    assert response.status_code == 201
