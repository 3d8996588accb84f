"""交房即交证, staff side: case lists, forward-only moves, overrides, versions, bulk, blockers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from miniapp_api.domain.stages import UNIT_STAGE_CODES
from miniapp_api.errors import Problem
from miniapp_api.extensions import db
from miniapp_api.handover import service
from miniapp_api.models import (
    AuditEvent,
    Certificate,
    HandoverBlocker,
    HandoverCase,
    HandoverStageEvent,
    HousingProject,
    ProjectStageEvent,
    PropertyRight,
    StaffUser,
)

CASES = "/api/v1/staff/handover/cases"


def project(name: str) -> HousingProject:
    return db.session.execute(
        select(HousingProject).where(HousingProject.name == name)
    ).scalar_one()


def case_at(name: str, stage: str, nth: int = 0) -> HandoverCase:
    return (
        db.session.execute(
            select(HandoverCase)
            .where(HandoverCase.project_id == project(name).id, HandoverCase.stage == stage)
            .order_by(HandoverCase.id)
        )
        .scalars()
        .all()[nth]
    )


def advance(client, headers, case_id: int, stage: str, version: int, **extra: Any):
    return client.post(
        f"{CASES}/{case_id}/advance",
        json={"stage": stage, "version": version, **extra},
        headers=headers,
    )


def fresh(case_id: int) -> HandoverCase:
    db.session.expire_all()
    return db.session.get(HandoverCase, case_id)


# --- listing -----------------------------------------------------------------------------------
def test_case_list_is_paged_and_filtered(client, staff_headers):
    headers = staff_headers("clerk")
    pid = project("友阿悦玺").id
    body = client.get(f"{CASES}?project_id={pid}&per_page=5", headers=headers).get_json()
    assert body["total"] == 14 and body["page"] == 1 and body["per_page"] == 5
    assert len(body["items"]) == 5
    item = body["items"][0]
    assert {"id", "stage", "next_stage", "version"} <= set(item)
    assert item["next_stage"] == UNIT_STAGE_CODES[UNIT_STAGE_CODES.index(item["stage"]) + 1]
    page3 = client.get(f"{CASES}?project_id={pid}&per_page=5&page=3", headers=headers).get_json()
    assert len(page3["items"]) == 4
    by_stage = client.get(f"{CASES}?project_id={pid}&stage=deed_tax", headers=headers).get_json()
    assert by_stage["total"] == 2
    assert {i["stage"] for i in by_stage["items"]} == {"deed_tax"}
    number = by_stage["items"][0]["contract_number"]
    exact = client.get(f"{CASES}?contract_number={number}", headers=headers).get_json()
    assert [i["contract_number"] for i in exact["items"]] == [number]


def test_case_list_masks_buyer_names(client, staff_headers):
    chen = case_at("友阿悦玺", "deed_tax")
    body = client.get(
        f"{CASES}?contract_number={chen.contract_number}", headers=staff_headers("clerk")
    ).get_json()
    names = {i["buyer_name"] for i in body["items"]}
    assert "陈*" in names and "陈浩" not in names


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "stage=nowhere"])
def test_case_list_rejects_bad_paging(client, staff_headers, query):
    response = client.get(f"{CASES}?{query}", headers=staff_headers("clerk"))
    assert response.status_code == 422


def test_staff_endpoints_need_a_staff_token(client, citizen_headers):
    assert client.get(CASES).status_code == 401
    assert client.get(CASES, headers=citizen_headers("zhang")).status_code == 401


# --- forward-only moves ------------------------------------------------------------------------
def test_clerk_moves_a_case_to_its_next_stage(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    version = case.version
    response = advance(
        client, staff_headers("clerk"), case.id, "advance_notice", version, note="已提交预告"
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stage"] == "advance_notice" and body["next_stage"] == "deed_tax"
    assert body["version"] == version + 1
    assert body["timeline"][1]["note"] == "已提交预告"
    last = db.session.execute(
        select(HandoverStageEvent)
        .where(HandoverStageEvent.case_id == case.id)
        .order_by(HandoverStageEvent.id.desc())
        .limit(1)
    ).scalar_one()
    assert last.stage == "advance_notice" and last.actor == "staff:test-clerk"


def test_staff_change_is_audited_with_before_and_after(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    advance(client, staff_headers("clerk"), case.id, "advance_notice", case.version, note="预告")
    audit_row = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "handover.case.advance")
    ).scalar_one()
    staff = db.session.execute(
        select(StaffUser).where(StaffUser.username == "test-clerk")
    ).scalar_one()
    assert audit_row.actor_kind == "staff" and audit_row.actor_id == str(staff.id)
    assert audit_row.object_id == str(case.id)
    assert audit_row.reason == "预告"
    assert audit_row.detail["before"] == {"stage": "contract_filing", "version": 1}
    assert audit_row.detail["after"]["stage"] == "advance_notice"
    assert audit_row.detail["after"]["version"] == 2


def test_clerk_cannot_skip_a_stage(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    response = advance(client, staff_headers("clerk"), case.id, "deed_tax", case.version)
    assert response.status_code == 403
    assert response.get_json()["code"] == "admin_required"
    assert fresh(case.id).stage == "contract_filing"


def test_clerk_cannot_go_back(client, staff_headers):
    case = case_at("友阿悦玺", "deed_tax")
    response = advance(client, staff_headers("clerk"), case.id, "advance_notice", case.version)
    assert response.status_code == 403
    assert fresh(case.id).stage == "deed_tax"


def test_admin_override_needs_a_reason(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    response = advance(client, staff_headers("admin"), case.id, "deed_tax", case.version)
    assert response.status_code == 422
    assert response.get_json()["code"] == "reason_required"


def test_admin_may_skip_with_a_reason(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    response = advance(
        client,
        staff_headers("admin"),
        case.id,
        "deed_tax",
        case.version,
        reason="预告登记已在原系统办结，补录",
    )
    assert response.status_code == 200
    timeline = response.get_json()["timeline"]
    assert [t["status"] for t in timeline[:3]] == ["reached", "skipped", "reached"]
    audit_row = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "handover.case.advance")
    ).scalar_one()
    assert audit_row.detail["override"] is True
    assert audit_row.reason == "预告登记已在原系统办结，补录"


def test_admin_may_move_back_with_a_reason(client, staff_headers):
    case = case_at("友阿悦玺", "deed_tax")
    response = advance(
        client, staff_headers("admin"), case.id, "advance_notice", case.version, reason="契税退税"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["stage"] == "advance_notice"
    assert body["timeline"][2]["status"] == "pending"


def test_nobody_moves_back_before_registration_once_registered(client, staff_headers):
    case = case_at("友阿悦玺", "registered")
    response = advance(
        client, staff_headers("admin"), case.id, "deed_tax", case.version, reason="录入错误"
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "cannot_go_back"


def test_same_stage_is_a_conflict(client, staff_headers):
    case = case_at("友阿悦玺", "deed_tax")
    response = advance(client, staff_headers("clerk"), case.id, "deed_tax", case.version)
    assert response.status_code == 409
    assert response.get_json()["code"] == "stage_unchanged"


def test_unknown_stage_and_case(client, staff_headers):
    headers = staff_headers("clerk")
    case = case_at("友阿悦玺", "deed_tax")
    assert advance(client, headers, case.id, "flying", 1).status_code == 422
    assert advance(client, headers, 999999, "deed_tax", 1).status_code == 404
    missing_version = client.post(
        f"{CASES}/{case.id}/advance", json={"stage": "transfer_application"}, headers=headers
    )
    assert missing_version.status_code == 422
    assert "version" in missing_version.get_json()["errors"]


# --- project gate and blockers -----------------------------------------------------------------
def test_unit_cannot_reach_transfer_before_first_registration(client, staff_headers):
    case = case_at("屈子书香苑", "deed_tax")
    response = advance(client, staff_headers("clerk"), case.id, "transfer_application", 1)
    assert response.status_code == 409
    assert response.get_json()["code"] == "project_not_ready"


def test_admin_cannot_override_the_project_gate(client, staff_headers):
    case = case_at("屈子书香苑", "advance_notice")
    response = advance(
        client, staff_headers("admin"), case.id, "transfer_application", 1, reason="急办"
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "project_not_ready"


def test_deed_tax_is_allowed_before_first_registration(client, staff_headers):
    case = case_at("屈子书香苑", "advance_notice")
    response = advance(client, staff_headers("clerk"), case.id, "deed_tax", case.version)
    assert response.status_code == 200


def add_blocker(client, headers, project_id: int, **body: Any):
    payload = {"kind": "other", "authority": "汨罗市住建局", "reason": "待核实"} | body
    return client.post(
        f"/api/v1/staff/handover/projects/{project_id}/blockers", json=payload, headers=headers
    )


def test_project_blocker_stops_transfer_until_resolved(client, staff_headers):
    headers = staff_headers("clerk")
    case = case_at("友阿悦玺", "deed_tax")
    created = add_blocker(
        client, headers, case.project_id, kind="land_premium_unpaid", authority="汨罗市自然资源局"
    )
    assert created.status_code == 201
    blocker = created.get_json()
    assert blocker["scope"] == "project" and blocker["resolved_at"] is None
    blocked = advance(client, headers, case.id, "transfer_application", case.version)
    assert blocked.status_code == 409
    assert blocked.get_json()["code"] == "case_blocked"
    assert blocked.get_json()["blockers"] == [blocker["id"]]
    # earlier stages are not affected by this kind of blocker
    early = case_at("友阿悦玺", "contract_filing")
    assert advance(client, headers, early.id, "advance_notice", early.version).status_code == 200
    resolved = client.post(
        f"/api/v1/staff/handover/blockers/{blocker['id']}/resolve",
        json={"resolution": "土地出让金已缴清"},
        headers=headers,
    )
    assert resolved.status_code == 200
    assert resolved.get_json()["resolution"] == "土地出让金已缴清"
    assert (
        advance(client, headers, case.id, "transfer_application", case.version).status_code == 200
    )


def test_court_seizure_on_a_case_stops_even_advance_notice(client, staff_headers):
    headers = staff_headers("clerk")
    case = case_at("友阿悦玺", "contract_filing")
    other = case_at("友阿悦玺", "contract_filing", 1)
    add_blocker(
        client,
        headers,
        case.project_id,
        kind="court_seizure",
        authority="汨罗市人民法院",
        case_id=case.id,
    )
    response = advance(client, headers, case.id, "advance_notice", case.version)
    assert response.status_code == 409 and response.get_json()["code"] == "case_blocked"
    # another case of the same project is not affected by a case-level blocker
    assert advance(client, headers, other.id, "advance_notice", other.version).status_code == 200


def test_blocker_resolution_is_single_and_audited(client, staff_headers):
    headers = staff_headers("clerk")
    pid = project("友阿悦玺").id
    bid = add_blocker(client, headers, pid).get_json()["id"]
    url = f"/api/v1/staff/handover/blockers/{bid}/resolve"
    assert client.post(url, json={"resolution": "已处理"}, headers=headers).status_code == 200
    again = client.post(url, json={"resolution": "再次"}, headers=headers)
    assert again.status_code == 409
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.object_type == "handover_blocker"
        )
    ).all()
    assert [a for a, _ in actions] == ["handover.blocker.add", "handover.blocker.resolve"]
    assert actions[1][1] == {
        "before": {"open": True, "kind": "other"},
        "after": {"open": False, "kind": "other"},
    }


@pytest.mark.parametrize(
    "body, code",
    [
        ({"kind": "meteor"}, 422),
        ({"authority": ""}, 422),
        ({"reason": ""}, 422),
        ({"case_id": 999999}, 422),
    ],
)
def test_blocker_validation(client, staff_headers, body, code):
    response = add_blocker(client, staff_headers("clerk"), project("友阿悦玺").id, **body)
    assert response.status_code == code


def test_blocker_for_a_case_of_another_project_is_refused(client, staff_headers):
    other = case_at("欢乐水岸", "deed_tax")
    response = add_blocker(client, staff_headers("clerk"), project("友阿悦玺").id, case_id=other.id)
    assert response.status_code == 422
    assert response.get_json()["code"] == "case_not_in_project"


# --- registry acts at 登簿 and 缮证发证 --------------------------------------------------------
def test_registered_creates_the_buyers_joint_right(client, staff_headers, demo):
    case = case_at("友阿悦玺", "transfer_application")
    li = next(c["person_id"] for c in demo["citizens"] if c["key"] == "li")
    case.co_buyer_id = li
    db.session.commit()
    response = advance(client, staff_headers("clerk"), case.id, "registered", case.version)
    assert response.status_code == 200
    rights = (
        db.session.execute(
            select(PropertyRight).where(
                PropertyRight.unit_id == case.unit_id, PropertyRight.current.is_(True)
            )
        )
        .scalars()
        .all()
    )
    assert len(rights) == 1
    assert rights[0].co_ownership == "joint"
    assert sorted(h.person_id for h in rights[0].holders) == sorted([case.buyer_id, li])


def test_certificate_issued_creates_certificate_license_and_token(client, staff_headers):
    case = case_at("友阿悦玺", "registered")
    version = case.version
    rights_before = db.session.execute(select(func.count(PropertyRight.id))).scalar_one()
    response = advance(client, staff_headers("clerk"), case.id, "certificate_issued", case.version)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["certificate_id"]
    assert body["version"] == version + 1  # one version step per move
    certificate = db.session.get(Certificate, body["certificate_id"])
    assert certificate.kind == "property" and certificate.status == "valid"
    assert certificate.license is not None
    from miniapp_api.domain.documents import certificate_document

    assert certificate_document(certificate) is not None
    # the seeded case was registered already: its right is reused, not duplicated
    assert db.session.execute(select(func.count(PropertyRight.id))).scalar_one() == rights_before


# --- versions and concurrency ------------------------------------------------------------------
def test_stale_version_is_409(client, staff_headers):
    headers = staff_headers("clerk")
    case = case_at("友阿悦玺", "contract_filing")
    version = case.version
    first = advance(client, headers, case.id, "advance_notice", version)
    assert first.status_code == 200
    stale = advance(client, staff_headers("admin"), case.id, "deed_tax", version, reason="x")
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["code"] == "version_conflict"
    assert body["current_version"] == version + 1
    assert fresh(case.id).stage == "advance_notice"


def test_two_sessions_updating_one_case_cannot_both_win(app):
    case_id = case_at("友阿悦玺", "contract_filing").id
    db.session.remove()
    with Session(db.engine) as first, Session(db.engine) as second:
        a = first.get(HandoverCase, case_id)
        b = second.get(HandoverCase, case_id)
        assert a.version == b.version == 1
        a.stage = "advance_notice"
        first.commit()
        b.stage = "advance_notice"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    db.session.expire_all()
    assert db.session.get(HandoverCase, case_id).version == 2


def test_service_maps_a_lost_race_to_409_and_writes_nothing(app):
    """Another session commits between the service's read and its write (real database)."""
    case = case_at("友阿悦玺", "contract_filing")
    case_id, version = case.id, case.version
    clerk = StaffUser(username="race-clerk", password_hash="!", role="clerk")
    db.session.add(clerk)
    db.session.commit()
    events_before = db.session.execute(select(func.count(HandoverStageEvent.id))).scalar_one()
    fired = []

    def concurrent_writer(session, _context, _instances):
        if fired:
            return
        fired.append(True)
        with Session(db.engine) as other:
            rival = other.get(HandoverCase, case_id)
            rival.stage = "advance_notice"
            other.commit()

    event.listen(db.session(), "before_flush", concurrent_writer)
    try:
        with pytest.raises(Problem) as caught:
            service.advance_case(case_id, stage="advance_notice", version=version, staff=clerk)
    finally:
        event.remove(db.session(), "before_flush", concurrent_writer)
    assert caught.value.status == 409
    assert caught.value.code == "version_conflict"
    db.session.expire_all()
    assert db.session.get(HandoverCase, case_id).version == version + 1  # only the rival's step
    # the loser's event, audit and outbox rows were rolled back
    events_after = db.session.execute(select(func.count(HandoverStageEvent.id))).scalar_one()
    assert events_after == events_before
    assert (
        db.session.execute(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "handover.case.advance")
        ).scalar_one()
        == 0
    )


# --- bulk --------------------------------------------------------------------------------------
def test_bulk_advance_moves_all(client, staff_headers):
    cases = [case_at("友阿悦玺", "contract_filing", n) for n in range(2)]
    items = [{"id": c.id, "stage": "advance_notice", "version": c.version} for c in cases]
    response = client.post(
        f"{CASES}/advance", json={"items": items}, headers=staff_headers("clerk")
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["count"] == 2
    assert {fresh(c.id).stage for c in cases} == {"advance_notice"}


def test_bulk_advance_is_all_or_nothing_and_lists_every_failure(client, staff_headers):
    good = case_at("友阿悦玺", "contract_filing")
    skipping = case_at("友阿悦玺", "contract_filing", 1)
    stale = case_at("友阿悦玺", "advance_notice")
    gated = case_at("屈子书香苑", "deed_tax")
    items = [
        {"id": good.id, "stage": "advance_notice", "version": good.version},
        {"id": skipping.id, "stage": "deed_tax", "version": skipping.version},
        {"id": stale.id, "stage": "deed_tax", "version": stale.version + 5},
        {"id": gated.id, "stage": "transfer_application", "version": gated.version},
        {"id": 999999, "stage": "deed_tax", "version": 1},
        {"id": good.id, "stage": "advance_notice", "version": good.version},
    ]
    response = client.post(
        f"{CASES}/advance", json={"items": items}, headers=staff_headers("clerk")
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "bulk_advance_failed"
    failures = {(f["index"], f["code"]) for f in body["failures"]}
    assert failures == {
        (1, "admin_required"),
        (2, "version_conflict"),
        (3, "project_not_ready"),
        (4, "case_not_found"),
        (5, "duplicate_item"),
    }
    assert fresh(good.id).stage == "contract_filing"  # the good item was not applied either


def test_bulk_with_only_version_conflicts_is_409(client, staff_headers):
    case = case_at("友阿悦玺", "contract_filing")
    items = [{"id": case.id, "stage": "advance_notice", "version": case.version + 1}]
    response = client.post(
        f"{CASES}/advance", json={"items": items}, headers=staff_headers("clerk")
    )
    assert response.status_code == 409
    assert response.get_json()["failures"][0]["code"] == "version_conflict"


def test_bulk_rolls_back_when_a_later_step_fails(app, monkeypatch):
    """A failure while applying (after validation) leaves the earlier items unchanged too."""
    cases = [case_at("友阿悦玺", "contract_filing", n) for n in range(2)]
    clerk = StaffUser(username="bulk-clerk", password_hash="!", role="clerk")
    db.session.add(clerk)
    db.session.commit()
    original = service._apply_move
    calls = []

    def flaky(move, staff, when):
        calls.append(move.case.id)
        if len(calls) == 2:
            raise StaleDataError("simulated lost race")
        return original(move, staff, when)

    monkeypatch.setattr(service, "_apply_move", flaky)
    items = [{"id": c.id, "stage": "advance_notice", "version": c.version} for c in cases]
    with pytest.raises(Problem) as caught:
        service.advance_cases(items, clerk)
    assert caught.value.status == 409
    assert {fresh(c.id).stage for c in cases} == {"contract_filing"}


# --- project stages ----------------------------------------------------------------------------
def project_advance(client, headers, project_id: int, **body: Any):
    return client.post(
        f"/api/v1/staff/handover/projects/{project_id}/advance", json=body, headers=headers
    )


def test_project_moves_in_order_and_unlocks_transfer(client, staff_headers):
    headers = staff_headers("clerk")
    p = project("屈子书香苑")
    version = p.version
    response = project_advance(
        client, headers, p.id, stage="developer_first_registration", version=version, note="首登"
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stage"] == "developer_first_registration" and body["ready_for_transfer"] is True
    assert body["version"] == version + 1
    assert body["timeline"][3]["note"] == "首登"
    case = case_at("屈子书香苑", "deed_tax")
    assert (
        advance(client, headers, case.id, "transfer_application", case.version).status_code == 200
    )
    audit_row = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "handover.project.advance")
    ).scalar_one()
    assert audit_row.detail["before"]["stage"] == "completion_survey"
    assert audit_row.detail["after"]["stage"] == "developer_first_registration"


def make_project(stage: str | None = "land_first_registration") -> HousingProject:
    p = HousingProject(name="测试新盘", developer="测试置业有限公司", location="汨罗市测试路1号")
    p.stage = stage
    db.session.add(p)
    db.session.flush()
    if stage:
        db.session.add(ProjectStageEvent(project_id=p.id, stage=stage, actor="test"))
    db.session.commit()
    return p


def test_project_without_construction_mortgage_may_skip_it(client, staff_headers):
    headers = staff_headers("clerk")
    p = make_project()
    response = project_advance(
        client, headers, p.id, stage="construction_mortgage", version=p.version, skipped=True
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stage"] == "construction_mortgage"
    assert body["timeline"][1]["status"] == "skipped"
    assert body["open_blockers"] == []
    nxt = project_advance(client, headers, p.id, stage="completion_survey", version=body["version"])
    assert nxt.status_code == 200
    assert [t["status"] for t in nxt.get_json()["timeline"]] == [
        "reached",
        "skipped",
        "reached",
        "pending",
    ]


def test_skipping_straight_past_the_construction_mortgage(client, staff_headers):
    p = make_project()
    response = project_advance(
        client,
        staff_headers("clerk"),
        p.id,
        stage="completion_survey",
        version=p.version,
        skipped=True,
    )
    assert response.status_code == 200
    assert response.get_json()["timeline"][1]["status"] == "skipped"


def test_only_the_construction_mortgage_is_skippable(client, staff_headers):
    p = project("屈子书香苑")
    response = project_advance(
        client,
        staff_headers("clerk"),
        p.id,
        stage="developer_first_registration",
        version=p.version,
        skipped=True,
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "not_skippable"


def test_clerk_cannot_jump_project_stages_without_skip(client, staff_headers):
    p = make_project()
    response = project_advance(
        client, staff_headers("clerk"), p.id, stage="completion_survey", version=p.version
    )
    assert response.status_code == 403


def test_construction_mortgage_opens_a_blocker_that_stops_first_registration(client, staff_headers):
    headers = staff_headers("clerk")
    p = make_project()
    body = project_advance(
        client,
        headers,
        p.id,
        stage="construction_mortgage",
        version=p.version,
        authority="中国建设银行汨罗支行",
    ).get_json()
    [blocker] = body["open_blockers"]
    assert blocker["kind"] == "construction_mortgage_unreleased"
    assert blocker["authority"] == "中国建设银行汨罗支行"
    body = project_advance(
        client, headers, p.id, stage="completion_survey", version=body["version"]
    ).get_json()
    refused = project_advance(
        client, headers, p.id, stage="developer_first_registration", version=body["version"]
    )
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "project_blocked"
    client.post(
        f"/api/v1/staff/handover/blockers/{blocker['id']}/resolve",
        json={"resolution": "在建工程抵押已注销"},
        headers=headers,
    )
    ok = project_advance(
        client, headers, p.id, stage="developer_first_registration", version=body["version"]
    )
    assert ok.status_code == 200


def test_planning_acceptance_failure_stops_completion_survey(client, staff_headers):
    headers = staff_headers("clerk")
    p = make_project("construction_mortgage")
    add_blocker(client, headers, p.id, kind="planning_acceptance_failed", authority="规划局")
    response = project_advance(client, headers, p.id, stage="completion_survey", version=p.version)
    assert response.status_code == 409


def test_project_stale_version_is_409(client, staff_headers):
    p = make_project()
    response = project_advance(
        client,
        staff_headers("clerk"),
        p.id,
        stage="construction_mortgage",
        version=p.version + 1,
        skipped=True,
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "version_conflict"


def test_project_cannot_go_back_once_units_are_transferred(client, staff_headers):
    p = project("友阿悦玺")
    response = project_advance(
        client,
        staff_headers("admin"),
        p.id,
        stage="completion_survey",
        version=p.version,
        reason="测绘成果有误",
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "cannot_go_back"


def test_blocker_rows_have_authority_and_reason(client, staff_headers):
    pid = project("友阿悦玺").id
    add_blocker(client, staff_headers("clerk"), pid, authority="汨罗市人民法院", reason="查封")
    row = db.session.execute(
        select(HandoverBlocker).where(HandoverBlocker.authority == "汨罗市人民法院")
    ).scalar_one()
    assert row.reason == "查封" and row.project_id == pid and row.resolved_at is None
    listed = client.get(
        f"/api/v1/staff/handover/projects/{pid}/blockers", headers=staff_headers("clerk")
    ).get_json()["items"]
    assert [b["id"] for b in listed] == [row.id]
