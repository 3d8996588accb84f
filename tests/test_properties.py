"""GET /api/v1/me/properties and the shared register queries (domain/properties.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from miniapp_api.domain import properties
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Encumbrance, Person


def _person(demo, key: str) -> Person:
    citizen = next(c for c in demo["citizens"] if c["key"] == key)
    return db.session.get(Person, citizen["person_id"])


def test_zhang_sees_his_flat_and_the_flat_he_co_owns(client, citizen_headers):
    response = client.get("/api/v1/me/properties", headers=citizen_headers("zhang"))
    assert response.status_code == 200
    items = response.json
    assert len(items) == 2
    by_ownership = {item["co_ownership"]: item for item in items}
    joint = by_ownership["joint"]
    assert joint["co_ownership_label"] == "共同共有"
    assert [h["name"] for h in joint["holders"]] == ["张建国", "李秀英"]
    assert [h["is_me"] for h in joint["holders"]] == [True, False]
    assert joint["unit"]["location"].endswith("滨江花园7栋502室")
    assert len(joint["unit"]["unit_number"]) == 28
    assert joint["certificate"]["status"] == "valid"
    assert joint["certificate"]["status_label"] == "现势"
    assert joint["certificate"]["number"].startswith("湘(2021)汨罗市不动产权第")
    assert isinstance(joint["license_id"], int)
    sole = by_ownership["sole"]
    assert sole["unit"]["location"].endswith("屈子花园3栋1201室")
    assert (
        sole["unit"]["area_m2"].count(".") == 1 and len(sole["unit"]["area_m2"].split(".")[1]) == 2
    )


def test_co_owner_sees_the_shared_flat(client, citizen_headers):
    items = client.get("/api/v1/me/properties", headers=citizen_headers("li")).json
    assert len(items) == 1
    assert items[0]["co_ownership"] == "joint"
    assert [h["is_me"] for h in items[0]["holders"]] == [False, True]


def test_mortgage_is_listed_as_active_encumbrance(client, citizen_headers):
    items = client.get("/api/v1/me/properties", headers=citizen_headers("wang")).json
    assert len(items) == 1
    (encumbrance,) = items[0]["encumbrances"]
    assert encumbrance["kind"] == "mortgage"
    assert encumbrance["kind_label"] == "抵押"
    assert "银行" in encumbrance["holder"]


def test_objection_applicant_is_masked_court_is_not(client, citizen_headers):
    items = client.get("/api/v1/me/properties", headers=citizen_headers("liu")).json
    kinds = {e["kind"]: e for item in items for e in item["encumbrances"]}
    assert kinds["seizure"]["holder"] == "汨罗市人民法院"
    assert kinds["objection"]["holder"] == "陈*某"


def test_only_current_rights_and_the_valid_certificate(client, citizen_headers):
    items = client.get("/api/v1/me/properties", headers=citizen_headers("sun")).json
    # The cancelled right (transferred away) is gone; the replaced certificate shows the new one.
    assert len(items) == 1
    assert items[0]["certificate"]["status"] == "valid"
    assert items[0]["certificate"]["number"].startswith("湘(2024)")


def test_citizen_with_nothing_gets_an_empty_list(client, citizen_headers):
    response = client.get("/api/v1/me/properties", headers=citizen_headers("zhao"))
    assert response.status_code == 200
    assert response.json == []


def test_listing_is_audited(client, citizen_headers, demo):
    client.get("/api/v1/me/properties", headers=citizen_headers("zhang"))
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "properties.list")
    ).scalar_one()
    assert event.actor_kind == "citizen"
    assert event.object_id == str(_person(demo, "zhang").id)
    assert event.result == "ok"
    assert event.detail == {"count": 2}


def test_login_and_bound_identity_are_required(client, citizen_headers):
    assert client.get("/api/v1/me/properties").status_code == 401
    response = client.get("/api/v1/me/properties", headers=citizen_headers("zhao", bound=False))
    assert response.status_code == 403
    assert response.json["code"] == "identity_not_bound"


def test_family_is_spouse_then_minor_children(app, demo):
    zhang = _person(demo, "zhang")
    family = properties.family_of(zhang, date(2026, 11, 26))
    assert [(relation, p.name) for relation, p in family] == [
        ("配偶", "李秀英"),
        ("子女", "张子涵"),
    ]
    # Once the child is of age, a family proof no longer covers her.
    later = properties.family_of(zhang, date(2034, 1, 1))
    assert [p.name for _, p in later] == ["李秀英"]


def test_current_rights_of_a_family_list_a_shared_flat_once(app, demo):
    ids = [_person(demo, key).id for key in ("zhang", "li")]
    rights = properties.current_rights(ids)
    assert len(rights) == 2
    assert len({r.unit_id for r in rights}) == 2


def test_ended_encumbrance_is_not_active(app, demo):
    wang = _person(demo, "wang")
    (right,) = properties.current_rights([wang.id])
    mortgage = next(e for e in right.unit.encumbrances if e.kind == "mortgage")
    assert properties.active_encumbrances(right.unit) == [mortgage]
    mortgage.ended_at = datetime.now(UTC)
    db.session.flush()
    assert properties.active_encumbrances(right.unit) == []
    assert db.session.get(Encumbrance, mortgage.id).ended_at is not None


def test_encumbrance_note_reads_like_a_register_entry(app, demo):
    wang = _person(demo, "wang")
    (right,) = properties.current_rights([wang.id])
    note = properties.encumbrance_note(right.unit.encumbrances[0])
    assert note.startswith("抵押：")
    assert "（个人住房贷款抵押）" in note
    assert note.endswith("2019年09月20日起")
