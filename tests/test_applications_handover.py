"""交房即交证 and 一窗办事 as one story: a developer's transfer of a unit with a handover case
moves the case (受理 → 转移登记受理, 登簿 → 登簿, 缮证 → 缮证发证) in the same transaction, and
the buyer sees each from the other."""

from __future__ import annotations

import pytest
from applications_support import citizen, confirm_all, partner_headers, staff_post, transfer_body
from sqlalchemy import func, select

from miniapp_api.extensions import db
from miniapp_api.models import (
    Application,
    HandoverCase,
    HandoverStageEvent,
    PropertyRight,
)

URL = "/api/v1/partner/applications"


@pytest.fixture
def clerk(staff_headers):
    return staff_headers("clerk")


@pytest.fixture
def case(app, demo):
    """陈浩's case (契税缴纳), its project through 房屋所有权首次登记."""
    row = db.session.execute(
        select(HandoverCase).where(HandoverCase.buyer_id == citizen(demo, "chen")["person_id"])
    ).scalar_one()
    row.project.stage = "developer_first_registration"
    db.session.commit()
    return row


@pytest.fixture
def filed(client, demo, case, citizen_headers):
    citizen_headers("chen")
    developer = partner_headers("developer", organisation=case.project.developer)
    chen = citizen(demo, "chen")
    body = transfer_body(demo, case.unit)
    body["parties"] = [{"role": "obligee", "name": chen["name"], "id_number": chen["id_number"]}]
    response = client.post(URL, json=body, headers=developer)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["handover_case_id"] == case.id
    confirm_all(client, citizen_headers, response.get_json()["id"], ["chen"])
    return response.get_json()["id"]


def _case(case_id):
    db.session.expire_all()
    return db.session.get(HandoverCase, case_id)


def _tracks_done(client, clerk, app_id):
    client.post(
        f"/api/v1/staff/applications/{app_id}/tracks/contract_filing",
        json={"reference": "BA2026-0009"},
        headers=clerk,
    )
    paid = client.post(
        f"{URL}/{app_id}/tax",
        json={"paid": True, "receipt_number": "WS4306812026009"},
        headers=partner_headers("tax"),
    )
    assert paid.status_code == 200, paid.get_json()


def test_the_application_moves_the_case_in_its_transaction(
    client, clerk, case, filed, citizen_headers
):
    case_id = case.id
    assert _case(case_id).stage == "deed_tax"
    accepted = staff_post(client, clerk, filed, "accept")
    assert accepted.status_code == 200, accepted.get_json()
    moved = _case(case_id)
    assert moved.stage == "transfer_application"
    event = db.session.execute(
        select(HandoverStageEvent).where(
            HandoverStageEvent.case_id == case_id,
            HandoverStageEvent.stage == "transfer_application",
        )
    ).scalar_one()
    number = accepted.get_json()["acceptance_number"]
    assert number in event.note and event.actor.startswith("application:")

    assert staff_post(client, clerk, filed, "advance", stage="reviewed").status_code == 200
    assert _case(case_id).stage == "transfer_application"
    _tracks_done(client, clerk, filed)
    registered = staff_post(client, clerk, filed, "advance", stage="registered")
    assert registered.status_code == 200, registered.get_json()
    assert _case(case_id).stage == "registered"
    rights = db.session.execute(
        select(func.count(PropertyRight.id)).where(
            PropertyRight.unit_id == case.unit_id, PropertyRight.current.is_(True)
        )
    ).scalar()
    assert rights == 1  # the application's right; the case wrote no second one

    certified = staff_post(client, clerk, filed, "advance", stage="certified")
    assert certified.status_code == 200, certified.get_json()
    done = _case(case_id)
    assert done.stage == "certificate_issued"
    assert done.certificate_id == certified.get_json()["result_certificate_id"]

    # The buyer sees one story: the case names the application, the application the case.
    chen = citizen_headers("chen")
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=chen).get_json()
    assert view["application"]["id"] == filed
    assert view["application"]["status"] == "certified"
    assert view["application"]["acceptance_number"] == number
    assert view["certificate"]["id"] == done.certificate_id
    reached = [t["stage"] for t in view["timeline"] if t["status"] == "reached"]
    assert reached[-3:] == ["transfer_application", "registered", "certificate_issued"]
    mine = client.get("/api/v1/me/applications", headers=chen).get_json()["items"]
    assert [a["handover_case_id"] for a in mine if a["id"] == filed] == [case_id]


def test_staff_cannot_move_a_case_its_open_application_moves(client, clerk, case, filed):
    response = client.post(
        f"/api/v1/staff/handover/cases/{case.id}/advance",
        json={"stage": "transfer_application", "version": _case(case.id).version},
        headers=clerk,
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "case_follows_application"
    assert _case(case.id).stage == "deed_tax"


def test_a_blocked_case_refuses_the_acceptance(client, clerk, staff_headers, case, filed):
    blocker = client.post(
        f"/api/v1/staff/handover/projects/{case.project_id}/blockers",
        json={
            "kind": "land_premium_unpaid",
            "authority": "市自然资源局",
            "reason": "土地出让金未缴清",
            "case_id": case.id,
        },
        headers=staff_headers("admin"),
    )
    assert blocker.status_code == 201, blocker.get_json()
    response = staff_post(client, clerk, filed, "accept")
    assert response.status_code == 409
    assert response.get_json()["code"] == "case_blocked"
    db.session.expire_all()
    assert db.session.get(Application, filed).status == "submitted"
    assert _case(case.id).stage == "deed_tax"


def test_an_unready_project_refuses_the_acceptance(client, clerk, case, filed):
    case.project.stage = "completion_survey"
    db.session.commit()
    response = staff_post(client, clerk, filed, "accept")
    assert response.status_code == 409
    assert response.get_json()["code"] == "project_not_ready"
    db.session.expire_all()
    assert db.session.get(Application, filed).acceptance_number is None
