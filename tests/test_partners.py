"""Partner API: API keys, bulk verification, developers' own project progress."""

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Certificate, HousingProject, IssuedDocument, Partner
from miniapp_api.partners.service import create_partner


@pytest.fixture
def bank_key(app):
    _partner, key = create_partner("中国建设银行汨罗支行", "bank")
    return key


@pytest.fixture
def developer_key(app):
    _partner, key = create_partner("友阿置业", "developer", "湖南友阿置业有限公司")
    return key


def valid_token():
    doc = db.session.execute(
        select(IssuedDocument)
        .join(Certificate, IssuedDocument.certificate_id == Certificate.id)
        .where(Certificate.status == "valid", Certificate.kind == "property")
        .limit(1)
    ).scalar_one()
    return doc.token


def test_key_is_stored_only_as_hash(app, bank_key):
    partner = db.session.execute(select(Partner)).scalar_one()
    assert bank_key.startswith(f"bdcp_{partner.key_prefix}_")
    assert bank_key not in partner.key_hash
    assert len(partner.key_hash) == 64


@pytest.mark.parametrize("key", [None, "", "bdcp_nothing_here", "Bearer x", "bdcp__"])
def test_missing_or_wrong_key_is_401(client, bank_key, key):
    headers = {"X-API-Key": key} if key is not None else {}
    response = client.post("/api/v1/partner/verify", json={"tokens": ["X"]}, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "api_key_invalid"


def test_altered_key_is_401(client, bank_key):
    altered = bank_key[:-1] + ("A" if bank_key[-1] != "A" else "B")
    response = client.post(
        "/api/v1/partner/verify", json={"tokens": ["X"]}, headers={"X-API-Key": altered}
    )
    assert response.status_code == 401


def test_inactive_partner_is_401(client, bank_key):
    partner = db.session.execute(select(Partner)).scalar_one()
    partner.active = False
    db.session.commit()
    response = client.post(
        "/api/v1/partner/verify", json={"tokens": [valid_token()]}, headers={"X-API-Key": bank_key}
    )
    assert response.status_code == 401


def test_bulk_verify_answers_each_token_in_order(client, bank_key):
    token = valid_token()
    response = client.post(
        "/api/v1/partner/verify",
        json={"tokens": [token, "NOT-A-TOKEN", "https://bdc.example.gov.cn/v/" + token.lower()]},
        headers={"X-API-Key": bank_key},
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[0]["verdict"] == "authentic"
    assert results[1]["verdict"] == "malformed"
    assert results[2]["verdict"] == "authentic"
    assert "document" in results[0] and "document" not in results[1]


def test_bulk_verify_is_audited_as_partner(client, bank_key):
    partner = db.session.execute(select(Partner)).scalar_one()
    client.post(
        "/api/v1/partner/verify", json={"tokens": [valid_token()]}, headers={"X-API-Key": bank_key}
    )
    events = (
        db.session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "verification.check", AuditEvent.actor_kind == "partner"
            )
        )
        .scalars()
        .all()
    )
    assert len(events) == 1
    assert events[0].actor_id == str(partner.id)


def test_bulk_verify_limits_batch_size(client, bank_key):
    response = client.post(
        "/api/v1/partner/verify", json={"tokens": ["X"] * 101}, headers={"X-API-Key": bank_key}
    )
    assert response.status_code == 422
    assert "tokens" in response.get_json()["errors"]


def test_bulk_by_number(client, bank_key):
    cert = db.session.execute(
        select(Certificate).where(Certificate.status == "valid").limit(1)
    ).scalar_one()
    response = client.post(
        "/api/v1/partner/verify/by-number",
        json={
            "items": [
                {"certificate_number": cert.number, "print_serial": cert.print_serial},
                {"certificate_number": cert.number, "print_serial": "43000000000"},
            ]
        },
        headers={"X-API-Key": bank_key},
    )
    results = response.get_json()["results"]
    assert results[0]["verdict"] == "authentic"
    assert results[1]["verdict"] == "unknown_document"


def test_developer_sees_only_own_projects(client, developer_key):
    response = client.get("/api/v1/partner/handover/projects", headers={"X-API-Key": developer_key})
    assert response.status_code == 200
    names = [p["name"] for p in response.get_json()["items"]]
    assert names == ["友阿悦玺"]


def test_developer_reads_own_cases_masked(client, developer_key):
    project = db.session.execute(
        select(HousingProject).where(HousingProject.name == "友阿悦玺")
    ).scalar_one()
    response = client.get(
        f"/api/v1/partner/handover/projects/{project.id}/cases?per_page=5",
        headers={"X-API-Key": developer_key},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 7 and len(body["items"]) == 5
    for item in body["items"]:
        assert "*" in item["contract_number"]
        assert "*" in item["buyer_name"]


def test_other_developers_project_is_404(client, developer_key):
    other = db.session.execute(
        select(HousingProject).where(HousingProject.name == "欢乐水岸")
    ).scalar_one()
    response = client.get(
        f"/api/v1/partner/handover/projects/{other.id}/cases", headers={"X-API-Key": developer_key}
    )
    assert response.status_code == 404


def test_bank_cannot_read_project_progress(client, bank_key):
    response = client.get("/api/v1/partner/handover/projects", headers={"X-API-Key": bank_key})
    assert response.status_code == 403


def test_create_partner_command_prints_key_once(app):
    result = app.test_cli_runner().invoke(
        args=["create-partner", "某某房产中介", "--kind", "agency"]
    )
    assert result.exit_code == 0
    key = result.output.strip()
    assert key.startswith("bdcp_")
    partner = db.session.execute(select(Partner).where(Partner.name == "某某房产中介")).scalar_one()
    assert key not in (partner.key_hash, partner.key_prefix)


def test_developer_partner_needs_organisation(app):
    result = app.test_cli_runner().invoke(args=["create-partner", "X", "--kind", "developer"])
    assert result.exit_code != 0
