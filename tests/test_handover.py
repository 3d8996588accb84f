"""交房即交证: public project views, the buyer's timeline and next step, privacy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from miniapp_api.domain.stages import UNIT_STAGE_CODES
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, HandoverCase, HousingProject


def project_id(name: str) -> int:
    return db.session.execute(
        select(HousingProject.id).where(HousingProject.name == name)
    ).scalar_one()


def person_id(demo: dict[str, Any], key: str) -> int:
    return next(c["person_id"] for c in demo["citizens"] if c["key"] == key)


def case_at(project: str, stage: str) -> HandoverCase:
    return db.session.execute(
        select(HandoverCase)
        .where(HandoverCase.project_id == project_id(project), HandoverCase.stage == stage)
        .order_by(HandoverCase.id)
        .limit(1)
    ).scalar_one()


def give_case_to(case: HandoverCase, demo: dict[str, Any], key: str, has_loan: bool | None = None):
    case.buyer_id = person_id(demo, key)
    if has_loan is not None:
        case.has_loan = has_loan
    db.session.commit()
    return case.id


# --- public ------------------------------------------------------------------------------------
def test_project_list_has_every_project_with_counts_and_blockers(client):
    response = client.get("/api/v1/handover/projects")
    assert response.status_code == 200
    items = {p["name"]: p for p in response.get_json()["items"]}
    assert set(items) == {"友阿悦玺", "欢乐水岸", "大汉龙城", "屈子书香苑", "江畔云庐", "龙舟御景"}
    youa = items["友阿悦玺"]
    assert youa["developer"] == "湖南友阿置业有限公司"
    assert youa["stage"] == "developer_first_registration"
    assert youa["ready_for_transfer"] is True
    counts = {c["stage"]: c["count"] for c in youa["unit_stage_counts"]}
    assert list(counts) == UNIT_STAGE_CODES
    assert all(n == 2 for n in counts.values())
    assert youa["units_total"] == 14
    assert youa["handover_reached"] is True
    assert youa["all_handed_over"] is False
    jiangpan = items["江畔云庐"]
    assert jiangpan["stage"] == "construction_mortgage"
    assert jiangpan["handover_reached"] is False
    assert [b["kind"] for b in jiangpan["open_blockers"]] == ["construction_mortgage_unreleased"]
    assert jiangpan["open_blockers"][0]["label"] == "在建工程抵押未解除"
    assert items["龙舟御景"]["open_blockers"][0]["kind"] == "land_premium_unpaid"


def test_public_views_carry_no_personal_data(client, demo):
    text = client.get("/api/v1/handover/projects").get_data(as_text=True)
    text += client.get(f"/api/v1/handover/projects/{project_id('欢乐水岸')}").get_data(as_text=True)
    for citizen in demo["citizens"]:
        assert citizen["name"] not in text
        assert citizen["id_number"] not in text
    assert "contract_number" not in text and "buyer" not in text


def test_case_level_blockers_are_only_counted_publicly(client, app, staff_headers):
    case = case_at("友阿悦玺", "deed_tax")
    response = client.post(
        f"/api/v1/staff/handover/projects/{case.project_id}/blockers",
        json={
            "kind": "court_seizure",
            "authority": "汨罗市人民法院",
            "reason": "购房人张某某涉诉查封",
            "case_id": case.id,
        },
        headers=staff_headers("clerk"),
    )
    assert response.status_code == 201
    body = client.get(f"/api/v1/handover/projects/{case.project_id}").get_json()
    assert body["open_blockers"] == []
    expected = [{"kind": "court_seizure", "label": "司法查封", "count": 1}]
    assert body["open_case_blockers"] == expected
    assert "张某某" not in client.get(f"/api/v1/handover/projects/{case.project_id}").get_data(
        as_text=True
    )


def test_project_detail_has_timeline(client):
    body = client.get(f"/api/v1/handover/projects/{project_id('屈子书香苑')}").get_json()
    assert [t["stage"] for t in body["timeline"]] == [
        "land_first_registration",
        "construction_mortgage",
        "completion_survey",
        "developer_first_registration",
    ]
    assert [t["status"] for t in body["timeline"]] == ["reached", "reached", "reached", "pending"]
    assert body["timeline"][0]["reached_at"]
    assert body["timeline"][1]["optional"] is True
    assert body["ready_for_transfer"] is False


def test_unknown_project_is_404(client):
    response = client.get("/api/v1/handover/projects/999999")
    assert response.status_code == 404
    assert response.get_json()["code"] == "project_not_found"


# --- buyers: the demo stories ------------------------------------------------------------------
def test_chen_sees_his_unit_in_youa_at_deed_tax(client, citizen_headers):
    response = client.get("/api/v1/me/handover", headers=citizen_headers("chen"))
    assert response.status_code == 200
    [case] = response.get_json()["items"]
    assert case["project"]["name"] == "友阿悦玺"
    assert case["stage"] == "deed_tax" and case["stage_label"] == "契税缴纳"
    assert case["role"] == "buyer"
    assert case["building"] and case["room"]
    assert "*" in case["contract_number"] and case["contract_number"].startswith("MLWQ")
    assert [t["stage"] for t in case["timeline"]] == UNIT_STAGE_CODES
    assert [t["status"] for t in case["timeline"]] == ["reached"] * 3 + ["pending"] * 4
    assert [t["current"] for t in case["timeline"]].index(True) == 2
    assert all(t["reached_at"] for t in case["timeline"][:3])
    assert case["next_step"]["stage"] == "transfer_application"
    assert case["next_step"]["blocked"] is False
    assert "开发企业" in case["next_step"]["guidance"]
    assert case["certificate"] is None and case["e_license"] is None
    assert case["blockers"] == []


def test_zhou_sees_her_handed_over_unit_with_certificate_and_license(client, citizen_headers):
    [case] = client.get("/api/v1/me/handover", headers=citizen_headers("zhou")).get_json()["items"]
    assert case["project"]["name"] == "欢乐水岸"
    assert case["stage"] == "handed_over"
    assert all(t["status"] == "reached" for t in case["timeline"])
    assert case["next_step"] is None
    assert "交房即交证" in case["done_message"]
    cert = case["certificate"]
    assert cert["number"].startswith("湘(") and cert["status"] == "valid"
    assert cert["verification_url"].startswith("https://bdc.example.gov.cn/v/")
    assert case["e_license"]["path"] == f"/api/v1/me/licenses/{case['e_license']['id']}"
    assert case["e_license"]["license_id"].startswith("1.2.156.3005.2.")


def test_zhou_license_link_opens_in_the_licenses_feature(client, citizen_headers):
    headers = citizen_headers("zhou")
    [case] = client.get("/api/v1/me/handover", headers=headers).get_json()["items"]
    response = client.get(case["e_license"]["path"], headers=headers)
    assert response.status_code == 200


def test_citizen_without_purchases_gets_empty_list(client, citizen_headers):
    response = client.get("/api/v1/me/handover", headers=citizen_headers("zhao"))
    assert response.status_code == 200
    assert response.get_json() == {"items": []}


def test_me_handover_requires_login_and_bound_identity(client, citizen_headers):
    assert client.get("/api/v1/me/handover").status_code == 401
    response = client.get("/api/v1/me/handover", headers=citizen_headers("zhao", bound=False))
    assert response.status_code == 403


def test_reading_own_cases_is_audited(client, citizen_headers, demo):
    client.get("/api/v1/me/handover", headers=citizen_headers("chen"))
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "handover.view_own")
    ).scalar_one()
    assert event.actor_kind == "citizen"
    assert event.object_id == str(person_id(demo, "chen"))


def test_co_buyer_sees_the_case_too(client, citizen_headers, demo):
    case = case_at("大汉龙城", "advance_notice")
    case.co_buyer_id = person_id(demo, "li")
    db.session.commit()
    [view] = client.get("/api/v1/me/handover", headers=citizen_headers("li")).get_json()["items"]
    assert view["id"] == case.id
    assert view["role"] == "co_buyer"


# --- privacy: only own cases -------------------------------------------------------------------
def test_buyer_cannot_see_another_buyers_case(client, citizen_headers):
    zhou_case = client.get("/api/v1/me/handover", headers=citizen_headers("zhou")).get_json()
    other_id = zhou_case["items"][0]["id"]
    response = client.get(f"/api/v1/me/handover/{other_id}", headers=citizen_headers("chen"))
    assert response.status_code == 404
    assert response.get_json()["code"] == "case_not_found"
    # same answer as for a case that does not exist: no existence oracle
    missing = client.get("/api/v1/me/handover/999999", headers=citizen_headers("chen"))
    assert missing.status_code == 404
    assert missing.get_json()["detail"] == response.get_json()["detail"]


def test_buyer_reads_own_case_by_id(client, citizen_headers):
    headers = citizen_headers("chen")
    [case] = client.get("/api/v1/me/handover", headers=headers).get_json()["items"]
    one = client.get(f"/api/v1/me/handover/{case['id']}", headers=headers)
    assert one.status_code == 200
    assert one.get_json()["timeline"] == case["timeline"]


# --- timeline and next step at every stage -----------------------------------------------------
NEXT = {
    "contract_filing": ("advance_notice", True),
    "advance_notice": ("deed_tax", True),
    "deed_tax": ("transfer_application", False),
    "transfer_application": ("registered", False),
    "registered": ("certificate_issued", False),
    "certificate_issued": ("handed_over", True),
}
GUIDANCE_WORDS = {
    "advance_notice": "预告登记",
    "deed_tax": "契税",
    "transfer_application": "转移登记",
    "registered": "登簿",
    "certificate_issued": "缮制",
    "handed_over": "交房当日",
}


@pytest.mark.parametrize("stage", UNIT_STAGE_CODES)
def test_timeline_and_next_step_for_each_stage(client, citizen_headers, demo, stage):
    case_id = give_case_to(case_at("欢乐水岸", stage), demo, "zhao")
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=citizen_headers("zhao")).get_json()
    index = UNIT_STAGE_CODES.index(stage)
    assert [t["stage"] for t in view["timeline"]] == UNIT_STAGE_CODES
    assert [t["reached"] for t in view["timeline"]] == [i <= index for i in range(7)]
    assert [t["current"] for t in view["timeline"]] == [i == index for i in range(7)]
    assert all(t["reached_at"] is None for t in view["timeline"][index + 1 :])
    assert view["stage"] == stage
    if stage == "handed_over":
        assert view["next_step"] is None
        return
    following, action = NEXT[stage]
    step = view["next_step"]
    assert step["stage"] == following
    assert step["buyer_action_required"] is action
    assert GUIDANCE_WORDS[following] in step["guidance"]
    assert step["blocked"] is False
    has_certificate = index >= UNIT_STAGE_CODES.index("certificate_issued")
    assert (view["certificate"] is not None) is has_certificate


@pytest.mark.parametrize("has_loan", [True, False])
def test_advance_notice_guidance_depends_on_loan(client, citizen_headers, demo, has_loan):
    case_id = give_case_to(case_at("欢乐水岸", "contract_filing"), demo, "zhao", has_loan)
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=citizen_headers("zhao")).get_json()
    guidance = view["next_step"]["guidance"]
    assert ("抵押权预告" in guidance) is has_loan
    assert ("贷款银行" in guidance) is has_loan


def test_next_step_explains_project_not_ready(client, citizen_headers, demo):
    case_id = give_case_to(case_at("屈子书香苑", "deed_tax"), demo, "zhao")
    step = client.get(f"/api/v1/me/handover/{case_id}", headers=citizen_headers("zhao")).get_json()[
        "next_step"
    ]
    assert step["blocked"] is True
    assert "房屋所有权首次登记" in step["guidance"]
    assert step["waiting_for"]


def test_buyer_sees_project_and_case_blockers(client, citizen_headers, demo, staff_headers):
    case = case_at("江畔云庐", "deed_tax")
    case_id = give_case_to(case, demo, "zhao")
    response = client.post(
        f"/api/v1/staff/handover/projects/{case.project_id}/blockers",
        json={
            "kind": "other",
            "authority": "汨罗市住建局",
            "reason": "购房资料待补正",
            "case_id": case_id,
        },
        headers=staff_headers("clerk"),
    )
    assert response.status_code == 201
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=citizen_headers("zhao")).get_json()
    kinds = {(b["kind"], b["scope"]) for b in view["blockers"]}
    assert kinds == {("construction_mortgage_unreleased", "project"), ("other", "case")}
    assert all(b["blocks_next_step"] for b in view["blockers"])
    assert view["next_step"]["blocked"] is True


# --- every demo project: the timeline is what the register recorded ----------------------
PROJECTS = ["友阿悦玺", "欢乐水岸", "大汉龙城", "屈子书香苑", "江畔云庐", "龙舟御景"]


@pytest.mark.parametrize("name", PROJECTS)
def test_timeline_is_truthful_in_every_demo_project(client, citizen_headers, demo, name):
    case = db.session.execute(
        select(HandoverCase)
        .where(HandoverCase.project_id == project_id(name))
        .order_by(HandoverCase.id.desc())
        .limit(1)
    ).scalar_one()
    events = {e.stage: e.reached_at for e in case.events}
    stage = case.stage
    case_id = give_case_to(case, demo, "zhao")
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=citizen_headers("zhao")).get_json()
    assert view["stage"] == stage
    for entry in view["timeline"]:
        if entry["stage"] in events:
            assert entry["reached_at"] == events[entry["stage"]].isoformat()
        else:
            assert entry["reached_at"] is None and entry["status"] == "pending"
    project = client.get(f"/api/v1/handover/projects/{project_id(name)}").get_json()
    assert view["project"]["stage"] == project["stage"]


def test_demo_info_lists_sample_cases(demo):
    projects = {p["name"]: p for p in demo["handover"]["projects"]}
    assert set(projects) == set(PROJECTS)
    assert set(projects["友阿悦玺"]["case_per_stage"]) == set(UNIT_STAGE_CODES)


def test_openapi_describes_the_handover_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/handover/projects",
        "/api/v1/handover/projects/{project_id}",
        "/api/v1/me/handover",
        "/api/v1/me/handover/subscriptions",
        "/api/v1/staff/handover/cases",
        "/api/v1/staff/handover/cases/{case_id}/advance",
        "/api/v1/staff/handover/cases/advance",
        "/api/v1/staff/handover/projects/{project_id}/advance",
        "/api/v1/staff/handover/projects/{project_id}/blockers",
        "/api/v1/staff/handover/blockers/{blocker_id}/resolve",
        "/api/v1/staff/import/handover",
    ):
        assert path in paths, path
    upload = paths["/api/v1/staff/import/handover"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "text/csv"} <= set(upload)
