"""一窗办事 from filing to completion: confirmation in WeChat, the window, registering."""

from __future__ import annotations

import threading

import pytest
from applications_support import (
    BANK,
    active_mortgage,
    citizen,
    confirm_all,
    mortgage_body,
    partner_headers,
    sole_unit,
    staff_post,
    transfer_body,
)
from sqlalchemy import func, select

from miniapp_api.extensions import db
from miniapp_api.models import (
    Application,
    AuditEvent,
    Certificate,
    Encumbrance,
    IssuedDocument,
    NotificationOutbox,
    PropertyRight,
)

# The fixtures agency, bank, clerk and zhang_unit come from applications_support.
URL = "/api/v1/partner/applications"


@pytest.fixture
def transfer(client, demo, agency, zhang_unit, citizen_headers):
    # Both parties log in (bound) before filing, so they get the WeChat message.
    citizen_headers("zhang")
    citizen_headers("zhao")
    response = client.post(URL, json=transfer_body(demo, zhang_unit), headers=agency)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _submitted_transfer(client, citizen_headers, transfer):
    confirm_all(client, citizen_headers, transfer["id"], ["zhang", "zhao"])
    return transfer["id"]


def _accepted(client, clerk, app_id):
    response = staff_post(client, clerk, app_id, "accept")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _advance(client, clerk, app_id, stage):
    return staff_post(client, clerk, app_id, "advance", stage=stage)


# --- citizens -------------------------------------------------------------------------------------
def test_parties_get_a_wechat_message(transfer, demo):
    openids = set(
        db.session.execute(
            select(NotificationOutbox.openid).where(
                NotificationOutbox.dedupe_key.like(f"application:{transfer['id']}:confirm:%")
            )
        ).scalars()
    )
    assert openids == {citizen(demo, "zhang")["openid"], citizen(demo, "zhao")["openid"]}


def test_party_sees_the_application(client, citizen_headers, transfer):
    items = client.get("/api/v1/me/applications", headers=citizen_headers("zhao")).get_json()[
        "items"
    ]
    assert [i["id"] for i in items] == [transfer["id"]]
    assert items[0]["role"] == "obligee"
    assert items[0]["can_confirm"] is True
    assert items[0]["timeline"][0]["action"] == "awaiting_confirmation"


def test_non_party_sees_nothing_and_gets_404(client, citizen_headers, transfer):
    headers = citizen_headers("wang")
    assert client.get("/api/v1/me/applications", headers=headers).get_json()["items"] == []
    response = client.post(
        f"/api/v1/me/applications/{transfer['id']}/confirm",
        json={"decision": "confirm"},
        headers=headers,
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "application_not_found"


def test_all_confirmed_makes_it_submitted(client, citizen_headers, transfer):
    answer = confirm_all(client, citizen_headers, transfer["id"], ["zhang"])
    assert answer["status"] == "awaiting_confirmation"
    answer = confirm_all(client, citizen_headers, transfer["id"], ["zhao"])
    assert answer["status"] == "submitted"
    assert all(p["confirmed"] for p in answer["parties"])


def test_decline_ends_it(client, citizen_headers, transfer):
    response = client.post(
        f"/api/v1/me/applications/{transfer['id']}/confirm",
        json={"decision": "decline", "reason": "我没有委托出售"},
        headers=citizen_headers("zhang"),
    )
    assert response.get_json()["status"] == "declined"
    row = db.session.get(Application, transfer["id"])
    assert row.open_key is None


def test_confirming_twice_is_409(client, citizen_headers, transfer):
    confirm_all(client, citizen_headers, transfer["id"], ["zhang"])
    again = client.post(
        f"/api/v1/me/applications/{transfer['id']}/confirm",
        json={"decision": "confirm"},
        headers=citizen_headers("zhang"),
    )
    assert again.status_code == 409


# --- the window -----------------------------------------------------------------------------------
def test_staff_list_has_versions(client, clerk, transfer):
    listing = client.get(
        "/api/v1/staff/applications?status=awaiting_confirmation", headers=clerk
    ).get_json()
    assert listing["items"][0]["version"] >= 1
    assert listing["items"][0]["contract_number"] == "MLHT2026000123"


def test_accept_gives_number_and_promised_date(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    body = _accepted(client, clerk, app_id)
    assert body["status"] == "accepted"
    assert len(body["acceptance_number"]) == 16 and body["acceptance_number"][4:10] == "430681"
    assert body["promised_date"] > body["accepted_at"][:10]


def test_cannot_accept_before_confirmation(client, clerk, transfer):
    response = staff_post(client, clerk, transfer["id"], "accept")
    assert response.status_code == 409
    assert response.get_json()["code"] == "cannot_accept"


def test_stale_version_is_409(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    response = client.post(
        f"/api/v1/staff/applications/{app_id}/accept", json={"version": 1}, headers=clerk
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "version_conflict"


def test_two_clerks_accepting_at_once_one_wins(
    app, client, staff_headers, citizen_headers, transfer
):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    version = db.session.get(Application, app_id).version
    db.session.commit()
    headers = [staff_headers("clerk", "clerk-a"), staff_headers("clerk", "clerk-b")]
    barrier = threading.Barrier(2)
    results = []

    def accept(h):
        with app.app_context(), app.test_client() as c:
            barrier.wait(5)
            results.append(
                c.post(
                    f"/api/v1/staff/applications/{app_id}/accept",
                    json={"version": version},
                    headers=h,
                )
            )

    threads = [threading.Thread(target=accept, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.get_json() for r in results]
    db.session.expire_all()
    row = db.session.get(Application, app_id)
    assert row.status == "accepted" and row.acceptance_number is not None


def test_correction_then_resubmit(client, clerk, agency, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    _accepted(client, clerk, app_id)
    response = staff_post(client, clerk, app_id, "correction", reason="缺少完税凭证")
    assert response.get_json()["status"] == "correction_requested"
    mine = client.get(f"{URL}/{app_id}", headers=agency).get_json()
    assert mine["reason"] == "缺少完税凭证"
    back = client.post(f"{URL}/{app_id}/resubmit", headers=agency)
    assert back.status_code == 200
    assert back.get_json()["status"] == "accepted"


def test_reject(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    response = staff_post(client, clerk, app_id, "reject", reason="不属于本中心管辖")
    assert response.get_json()["status"] == "rejected"


def test_stages_go_in_order(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    _accepted(client, clerk, app_id)
    response = _advance(client, clerk, app_id, "certified")
    assert response.status_code == 409
    assert response.get_json()["code"] == "stage_out_of_order"


def test_transfer_waits_for_both_tracks(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    _accepted(client, clerk, app_id)
    assert _advance(client, clerk, app_id, "reviewed").status_code == 200
    client.post(
        f"/api/v1/staff/applications/{app_id}/tracks/contract_filing",
        json={"reference": "BA2026-0001"},
        headers=clerk,
    )
    response = _advance(client, clerk, app_id, "registered")
    assert response.status_code == 409
    assert response.get_json()["code"] == "tracks_pending"
    assert response.get_json()["tracks"] == {"contract_filing": True, "tax": False}


def _run_transfer_to_registered(client, clerk, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    _accepted(client, clerk, app_id)
    _advance(client, clerk, app_id, "reviewed")
    client.post(
        f"/api/v1/staff/applications/{app_id}/tracks/contract_filing",
        json={"reference": "BA2026-0001"},
        headers=clerk,
    )
    tax = partner_headers("tax")
    paid = client.post(
        f"{URL}/{app_id}/tax", json={"paid": True, "receipt_number": "WS4306812026001"}, headers=tax
    )
    assert paid.status_code == 200, paid.get_json()
    return app_id, _advance(client, clerk, app_id, "registered")


def test_transfer_registers_the_buyers(client, clerk, demo, citizen_headers, transfer, zhang_unit):
    old_cert = db.session.execute(
        select(Certificate)
        .join(PropertyRight)
        .where(
            PropertyRight.unit_id == zhang_unit.id,
            PropertyRight.current.is_(True),
            Certificate.kind == "property",
            Certificate.status == "valid",
        )
    ).scalar_one()
    old_token = db.session.execute(
        select(IssuedDocument.token).where(IssuedDocument.certificate_id == old_cert.id)
    ).scalar()
    db.session.commit()
    _app_id, response = _run_transfer_to_registered(client, clerk, citizen_headers, transfer)
    assert response.status_code == 200, response.get_json()
    assert client.get(f"/api/v1/verify/{old_token}").get_json()["verdict"] == "cancelled"
    props = client.get("/api/v1/me/properties", headers=citizen_headers("zhao")).get_json()
    units = [p["unit"]["unit_number"] for p in props]
    assert zhang_unit.unit_number in units
    new_cert_id = response.get_json()["result_certificate_id"]
    new_token = db.session.execute(
        select(IssuedDocument.token).where(IssuedDocument.certificate_id == new_cert_id)
    ).scalar()
    assert client.get(f"/api/v1/verify/{new_token}").get_json()["verdict"] == "authentic"
    seller = client.get("/api/v1/me/properties", headers=citizen_headers("zhang")).get_json()
    assert zhang_unit.unit_number not in [p["unit"]["unit_number"] for p in seller]


def test_transfer_to_completion(client, clerk, agency, citizen_headers, transfer):
    app_id, _ = _run_transfer_to_registered(client, clerk, citizen_headers, transfer)
    assert _advance(client, clerk, app_id, "certified").status_code == 200
    done = _advance(client, clerk, app_id, "completed").get_json()
    assert done["status"] == "completed" and done["completed_at"]
    actions = [e["action"] for e in done["timeline"]]
    assert actions[:3] == ["awaiting_confirmation", "submitted", "accepted"]
    assert actions[-3:] == ["registered", "certified", "completed"]
    assert db.session.get(Application, app_id).open_key is None
    audited = set(
        db.session.execute(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "application", AuditEvent.object_id == str(app_id)
            )
        ).scalars()
    )
    assert {"application.file", "application.accepted", "application.register"} <= audited


def test_crash_in_registering_leaves_nothing_half_done(
    app, client, clerk, citizen_headers, transfer, monkeypatch, zhang_unit
):
    from miniapp_api.domain import documents

    def explode(*args, **kwargs):
        raise RuntimeError("printer on fire")

    rights_before = db.session.execute(
        select(func.count(PropertyRight.id)).where(PropertyRight.unit_id == zhang_unit.id)
    ).scalar()
    db.session.commit()
    monkeypatch.setattr(documents, "issue_certificate", explode)
    app_id, response = _run_transfer_to_registered(client, clerk, citizen_headers, transfer)
    assert response.status_code == 500
    db.session.expire_all()
    row = db.session.get(Application, app_id)
    assert row.status == "reviewed" and row.result_certificate_id is None
    assert (
        db.session.execute(
            select(func.count(PropertyRight.id)).where(PropertyRight.unit_id == zhang_unit.id)
        ).scalar()
        == rights_before
    )
    valid = db.session.execute(
        select(func.count(Certificate.id))
        .join(PropertyRight)
        .where(PropertyRight.unit_id == zhang_unit.id, Certificate.status == "valid")
    ).scalar()
    assert valid >= 1  # the seller's certificate was not cancelled


def _mortgage_registered(client, bank, clerk, demo, citizen_headers, zhang_unit):
    citizen_headers("zhang")
    created = client.post(URL, json=mortgage_body(demo, zhang_unit), headers=bank).get_json()
    confirm_all(client, citizen_headers, created["id"], ["zhang"])
    _accepted(client, clerk, created["id"])
    _advance(client, clerk, created["id"], "reviewed")
    response = _advance(client, clerk, created["id"], "registered")
    assert response.status_code == 200, response.get_json()
    return created["id"], response.get_json()


def test_mortgage_adds_encumbrance_and_registration_certificate(
    client, bank, clerk, demo, citizen_headers, zhang_unit
):
    app_id, body = _mortgage_registered(client, bank, clerk, demo, citizen_headers, zhang_unit)
    enc = db.session.execute(
        select(Encumbrance).where(
            Encumbrance.unit_id == zhang_unit.id,
            Encumbrance.kind == "mortgage",
            Encumbrance.ended_at.is_(None),
        )
    ).scalar_one()
    assert enc.holder == BANK
    cert = db.session.get(Certificate, body["result_certificate_id"])
    assert cert.kind == "registration" and cert.encumbrance_id == enc.id
    assert "不动产证明第" in cert.number
    info = client.get(f"{URL}/{app_id}/registration-certificate", headers=bank).get_json()
    assert info["number"] == cert.number
    token = info["verification_url"].rsplit("/", 1)[1]
    verdict = client.get(f"/api/v1/verify/{token}").get_json()
    assert verdict["verdict"] == "authentic"


def test_bank_downloads_its_registration_certificate(
    client, bank, clerk, demo, citizen_headers, zhang_unit
):
    app_id, _ = _mortgage_registered(client, bank, clerk, demo, citizen_headers, zhang_unit)
    pdf = client.get(f"{URL}/{app_id}/registration-certificate.pdf", headers=bank)
    png = client.get(f"{URL}/{app_id}/registration-certificate.png", headers=bank)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    other = partner_headers("bank", name="另一家银行")
    assert (
        client.get(f"{URL}/{app_id}/registration-certificate.pdf", headers=other).status_code == 404
    )


def test_release_ends_mortgage_and_cancels_its_certificate(client, clerk, demo):
    unit = sole_unit(citizen(demo, "wang")["person_id"], encumbrance="mortgage")
    enc = active_mortgage(unit)
    cert = db.session.execute(
        select(Certificate).where(Certificate.encumbrance_id == enc.id)
    ).scalar_one()
    token = db.session.execute(
        select(IssuedDocument.token).where(IssuedDocument.certificate_id == cert.id)
    ).scalar()
    holder = partner_headers("bank", name=enc.holder)
    db.session.commit()
    created = client.post(
        URL,
        json={
            "kind": "mortgage_release",
            "unit_number": unit.unit_number,
            "encumbrance_id": enc.id,
        },
        headers=holder,
    ).get_json()
    _accepted(client, clerk, created["id"])
    _advance(client, clerk, created["id"], "reviewed")
    assert _advance(client, clerk, created["id"], "registered").status_code == 200
    db.session.expire_all()
    assert db.session.get(Encumbrance, enc.id).ended_at is not None
    assert db.session.get(Certificate, cert.id).status == "cancelled"
    assert client.get(f"/api/v1/verify/{token}").get_json()["verdict"] == "cancelled"


def test_receipt_after_acceptance(client, clerk, agency, citizen_headers, transfer):
    app_id = _submitted_transfer(client, citizen_headers, transfer)
    assert client.get(f"{URL}/{app_id}/receipt.pdf", headers=agency).status_code == 404
    _accepted(client, clerk, app_id)
    response = client.get(f"{URL}/{app_id}/receipt.pdf", headers=agency)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_window_files_for_a_person_at_the_counter(client, clerk, demo, zhang_unit):
    response = client.post(
        "/api/v1/staff/applications", json=transfer_body(demo, zhang_unit), headers=clerk
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["channel"] == "window"


def test_withdraw_after_registration_is_refused(client, clerk, agency, citizen_headers, transfer):
    app_id, _ = _run_transfer_to_registered(client, clerk, citizen_headers, transfer)
    response = client.post(f"{URL}/{app_id}/withdraw", headers=agency)
    assert response.status_code == 409


def test_tax_report_needs_a_tax_partner(client, agency, citizen_headers, transfer):
    response = client.post(
        f"{URL}/{transfer['id']}/tax", json={"paid": True, "receipt_number": "X1"}, headers=agency
    )
    assert response.status_code == 403


def test_bound_account_is_required_for_my_applications(client, citizen_headers):
    response = client.get("/api/v1/me/applications", headers=citizen_headers("zhao", bound=False))
    assert response.status_code == 403
    assert response.get_json()["code"] == "identity_not_bound"


def test_completion_counts_in_the_report(client, clerk, citizen_headers, transfer):
    from miniapp_api.applications import reports
    from miniapp_api.clock import china_today

    app_id, _ = _run_transfer_to_registered(client, clerk, citizen_headers, transfer)
    _advance(client, clerk, app_id, "certified")
    _advance(client, clerk, app_id, "completed")
    today = china_today()  # the report's days are China's
    figures = client.get(
        "/api/v1/stats/applications",
        query_string={"from": today.isoformat(), "to": today.isoformat()},
    ).get_json()
    assert figures == reports.stats(today, today)
    assert figures["total"] == 1 and figures["completed"] == 1
    assert figures["completion_rate"] == 1.0 and figures["on_time_rate"] == 1.0
