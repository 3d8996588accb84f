"""Housing proofs (有房/无房证明): issuing, scope, validity, listing, verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from documents_support import demo_person as _person
from documents_support import link_token as _token
from documents_support import verify_issued
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.kinds import HOUSING_PROOF
from miniapp_api.kinds.housing_proof import masked_view as proof_masked_view
from miniapp_api.models import AuditEvent, HousingProof, IssuedDocument
from miniapp_api.proofs import service
from miniapp_api.verification.schemas import VerificationAnswerSchema


def _issue(client, headers, scope="personal", purpose="子女入学"):
    return client.post(
        "/api/v1/me/housing-proofs", headers=headers, json={"scope": scope, "purpose": purpose}
    )


def test_zhao_owns_nothing_no_property_proof(client, citizen_headers):
    response = _issue(client, citizen_headers("zhao"))
    assert response.status_code == 201
    proof = response.json
    assert proof["has_property"] is False
    assert proof["result_label"] == "无房"
    assert proof["units"] == []
    assert "未查询到" in proof["result_text"]
    assert proof["applicant"]["name"] == "赵敏"
    assert proof["applicant"]["id_masked"].count("*") == 8
    assert proof["serial"].startswith("FW") and len(proof["serial"]) == 18
    assert proof["verification_url"].startswith("https://bdc.example.gov.cn/v/")


def test_personal_proof_lists_each_unit(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhang")).json
    assert proof["has_property"] is True
    assert proof["scope_label"] == "个人"
    assert proof["members"] == []
    assert len(proof["units"]) == 2
    for unit in proof["units"]:
        assert set(unit) >= {"location", "area_m2", "use", "certificate_number", "holders"}
        assert unit["certificate_number"].startswith("湘(")


def test_family_proof_covers_spouse_and_minor_child_joint_flat_once(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhang"), scope="family").json
    assert proof["scope"] == "family"
    assert [(m["relation"], m["name"]) for m in proof["members"]] == [
        ("配偶", "李秀英"),
        ("子女", "张子涵"),
    ]
    locations = [u["location"] for u in proof["units"]]
    assert len(locations) == 2
    assert len(set(locations)) == 2
    joint = next(u for u in proof["units"] if u["co_ownership"] == "共同共有")
    assert joint["holders"] == ["张建国", "李秀英"]


def test_spouse_family_proof_finds_the_same_two_flats(client, citizen_headers):
    li_personal = _issue(client, citizen_headers("li")).json
    assert len(li_personal["units"]) == 1
    li_family = _issue(client, citizen_headers("li"), scope="family").json
    assert [m["name"] for m in li_family["members"]] == ["张建国", "张子涵"]
    assert len(li_family["units"]) == 2


def test_family_proof_of_someone_without_family_is_personal_in_substance(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhao"), scope="family").json
    assert proof["members"] == []
    assert proof["has_property"] is False


@pytest.mark.parametrize(
    ("purpose", "days"),
    [("子女入学", 30), ("落户", 30), ("购房资格审核", 15), ("贷款", 15), ("出国签证", 30)],
)
def test_validity_depends_on_the_purpose(client, citizen_headers, purpose, days):
    proof = _issue(client, citizen_headers("zhao"), purpose=purpose).json
    issued = datetime.fromisoformat(proof["issued_at"])
    assert datetime.fromisoformat(proof["queried_at"]) == issued
    assert datetime.fromisoformat(proof["valid_until"]) - issued == timedelta(days=days)


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "personal", "purpose": ""},
        {"scope": "personal", "purpose": "长" * 31},
        {"scope": "personal", "purpose": "<script>"},
        {"scope": "personal"},
        {"scope": "everyone", "purpose": "贷款"},
        {"purpose": "贷款"},
    ],
    ids=["empty-purpose", "long-purpose", "html", "no-purpose", "bad-scope", "no-scope"],
)
def test_bad_request_is_422_and_writes_nothing(client, citizen_headers, body):
    response = client.post("/api/v1/me/housing-proofs", headers=citizen_headers("zhao"), json=body)
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    assert set(response.json["errors"]) & {"scope", "purpose"}
    assert db.session.execute(select(HousingProof)).first() is None


def test_snapshot_is_kept_when_the_register_changes(client, citizen_headers, demo):
    headers = citizen_headers("zhang")
    proof = _issue(client, headers).json
    _person(demo, "zhang").name = "张建民"
    db.session.commit()
    again = client.get(f"/api/v1/me/housing-proofs/{proof['id']}", headers=headers).json
    assert again["applicant"]["name"] == "张建国"
    assert again["units"] == proof["units"]


def test_list_newest_first_with_links(client, citizen_headers):
    headers = citizen_headers("zhang")
    first = _issue(client, headers).json
    second = _issue(client, headers, scope="family", purpose="落户").json
    listed = client.get("/api/v1/me/housing-proofs", headers=headers).json
    assert {p["id"] for p in listed} == {first["id"], second["id"]}
    assert listed[0]["issued_at"] >= listed[1]["issued_at"]
    assert all(p["download_links"]["png"] for p in listed)
    assert client.get("/api/v1/me/housing-proofs", headers=citizen_headers("li")).json == []


def test_issue_list_and_view_are_audited(client, citizen_headers):
    headers = citizen_headers("zhao")
    proof = _issue(client, headers, purpose="购房资格审核").json
    client.get("/api/v1/me/housing-proofs", headers=headers)
    client.get(f"/api/v1/me/housing-proofs/{proof['id']}", headers=headers)
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    actions = [(e.action, e.result) for e in events]
    assert ("housing_proof.issue", "ok") in actions
    assert ("housing_proofs.list", "ok") in actions
    assert ("housing_proof.view", "ok") in actions
    issue = next(e for e in events if e.action == "housing_proof.issue")
    assert issue.detail == {
        "scope": "personal",
        "has_property": False,
        "units": 0,
        "members": 0,
        "common_purpose": True,
    }
    assert "赵敏" not in str([e.detail for e in events])


# --- verification --------------------------------------------------------------------------
def test_proof_verifies_with_result_purpose_and_masked_names(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhang"), scope="family", purpose="子女入学").json
    response = verify_issued(client, proof, "housing_proof", purpose="子女入学")
    body = response.json
    document = body["document"]
    assert document["result"] == "has_property"
    assert document["applicant"] == "张*国"
    assert [m["name"] for m in document["members"]] == ["李*英", "张*涵"]
    assert len(document["units"]) == 2
    for unit in document["units"]:
        assert set(unit) == {"location", "area_m2", "use", "certificate_number", "holders"}
    assert VerificationAnswerSchema().validate(body) == {}
    text = response.get_data(as_text=True)
    for name in ("张建国", "李秀英", "张子涵"):
        assert name not in text


def test_no_property_proof_verifies(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhao"), purpose="落户").json
    document = client.get(f"/api/v1/verify/{_token(proof['verification_url'])}").json["document"]
    assert document["result"] == "no_property"
    assert document["result_label"] == "无房"
    assert document["applicant"] == "赵*"
    assert document["units"] == []


def test_expired_proof_verifies_as_expired(client, citizen_headers, demo):
    past = datetime.now(UTC) - timedelta(days=40)
    proof = service.issue_proof(_person(demo, "zhang"), "personal", "子女入学", now=past)
    token = HOUSING_PROOF.document_of(proof).token
    body = client.get(f"/api/v1/verify/{token}").json
    assert body["verdict"] == "expired"
    assert body["document"]["validity"] == "expired"
    listed = client.get("/api/v1/me/housing-proofs", headers=citizen_headers("zhang")).json
    assert listed[0]["expired"] is True


def test_scanning_the_qr_link_shows_the_verdict_page(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhang"), scope="family", purpose="贷款").json
    page = client.get(_token_path(proof["verification_url"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "贷款" in html
    assert "有房" in html
    assert "张*国" in html and "李*英" in html
    assert "张建国" not in html


def test_scanning_an_expired_proof_shows_expired(client, citizen_headers, demo):
    past = datetime.now(UTC) - timedelta(days=40)
    proof = service.issue_proof(_person(demo, "zhao"), "personal", "落户", now=past)
    html = client.get(_token_path(HOUSING_PROOF.verification_url(proof))).get_data(as_text=True)
    assert "已过期" in html
    assert "无房" in html


def test_masked_view_for_proof(app, client, citizen_headers):
    proof_json = _issue(client, citizen_headers("zhang"), scope="family").json
    proof = HOUSING_PROOF.load(proof_json["id"])
    view = proof_masked_view(proof)
    assert view["valid"] is True and view["status"] == "valid"
    assert view["result"] == "has_property"
    assert view["applicant"] == "张*国"
    assert view["members"] == [
        {"relation": "配偶", "name": "李*英"},
        {"relation": "子女", "name": "张*涵"},
    ]
    assert all("*" in name for u in view["units"] for name in u["holders"])
    expired = proof_masked_view(proof, now=proof.valid_until)
    assert expired["valid"] is False and expired["status"] == "expired"


def test_each_proof_has_one_signed_document(client, citizen_headers):
    proof = _issue(client, citizen_headers("zhao")).json
    row = HOUSING_PROOF.load(proof["id"])
    docs = (
        db.session.execute(select(IssuedDocument).where(IssuedDocument.proof_id == row.id))
        .scalars()
        .all()
    )
    assert len(docs) == 1
    assert docs[0].kind == "housing_proof"
    assert docs[0].expires_at == row.valid_until


def _token_path(url: str) -> str:
    return "/v/" + _token(url)
