"""`flask keys list|rotate|compromise` and `issue-documents`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from miniapp_api.domain import documents
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Certificate, IssuedDocument


def run(app: Any, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def token(demo: dict[str, Any]) -> str:
    return demo["verification"]["samples"]["authentic"]["url"].rsplit("/", 1)[1]


def test_list_shows_the_active_key(app):
    kid = documents.keystore().signer().kid.hex()
    output = run(app, "keys", "list").output
    assert kid in output
    assert "active" in output


def test_rotate_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(app, client, demo):
    old_kid = documents.keystore().signer().kid.hex()
    output = run(app, "keys", "rotate").output
    new_kid = documents.keystore().signer().kid.hex()
    assert new_kid != old_kid and new_kid in output
    assert client.get(f"/api/v1/verify/{token(demo)}").get_json()["verdict"] == "authentic"
    cert = db.session.execute(select(Certificate).limit(1)).scalar_one()
    doc = documents.issue_document("property_certificate", certificate=cert)
    db.session.commit()
    assert doc.kid == new_kid
    assert client.get(f"/api/v1/verify/{doc.token}").get_json()["verdict"] == "authentic"
    listing = run(app, "keys", "list").output
    assert "retired" in listing


def test_compromise_makes_its_tokens_forged_at_once_and_rotates(app, client, demo):
    kid = documents.keystore().signer().kid.hex()
    run(app, "keys", "compromise", kid[:10], "--reason", "key file leaked")
    body = client.get(f"/api/v1/verify/{token(demo)}").get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "compromised_key")
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert [k["status"] for k in jwks["keys"]] == ["active"]
    assert len(jwks["compromised_keys"]) == 1
    assert documents.keystore().signer().kid.hex() != kid
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"keys.compromise", "keys.rotate"} <= actions


def test_compromise_of_an_unknown_key_fails(app):
    result = app.test_cli_runner().invoke(args=["keys", "compromise", "00000000"])
    assert result.exit_code != 0


def test_issue_documents_fills_gaps(app):
    db.session.execute(IssuedDocument.__table__.delete().where(IssuedDocument.certificate_id <= 3))
    db.session.commit()
    output = run(app, "issue-documents").output
    assert "Issued 3 documents" in output
    certificates = db.session.execute(select(func.count(Certificate.id))).scalar_one()
    covered = db.session.execute(
        select(func.count(func.distinct(IssuedDocument.certificate_id)))
    ).scalar_one()
    assert covered == certificates
