"""App factory, configuration, error shape, health, security headers, logging."""

import json
import logging

import pytest
from sqlalchemy import select

from miniapp_api import create_app
from miniapp_api.config import ConfigError
from miniapp_api.domain import pii
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Person
from miniapp_api.verification.service import dispose_check_engine


def assert_problem(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].endswith(body["code"])
    assert body["request_id"] == response.headers["X-Request-ID"]
    if code:
        assert body["code"] == code
    return body


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "LOG_LEVEL": "CRITICAL",
            "KEYS_DIR": str(tmp_path),
        }
    )
    response = app.test_client().get("/healthz")
    assert_problem(response, 503, "database_unavailable")


def test_unknown_route_is_problem_404(client):
    body = assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert body["detail"] == "未找到您要访问的内容"


def test_wrong_method_is_problem_405(client):
    response = client.post("/healthz")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_wrong_content_type_is_problem_415(client):
    response = client.post("/api/v1/anything", data="a=b", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_oversized_json_is_problem_413(client):
    body = json.dumps({"x": "a" * 70_000})
    response = client.post("/api/v1/anything", data=body, content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


def test_oversized_upload_is_problem_413(client):
    response = client.post(
        "/api/v1/anything",
        data=b"x" * (7 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert_problem(response, 413)


def test_request_id_is_echoed_when_well_formed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc12345-test"})
    assert response.headers["X-Request-ID"] == "abc12345-test"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 24


def test_security_headers_present(client):
    headers = client.get("/healthz").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in headers


def test_hsts_in_production(database_uri, tmp_path):
    app = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "p" * 48,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "LOG_LEVEL": "CRITICAL",
            "KEYS_DIR": str(tmp_path),
        }
    )
    headers = app.test_client().get("/healthz").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    with app.app_context():
        db.engine.dispose()
    dispose_check_engine(app)  # /healthz also checks the verification engine's connection


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_openapi_document_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]


def test_openapi_browser_page_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_log_lines_are_json_without_id_numbers(app, client, caplog):
    from miniapp_api.observability import JsonFormatter

    caplog.set_level(logging.INFO)
    client.get("/healthz?x=430681198203140116")
    logging.getLogger("test").info("looked up 430681198203140116 with Bearer abc.def.ghi")
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert "430681198203140116" not in line
        assert "abc.def.ghi" not in line
        assert entry["level"]


def test_id_numbers_are_encrypted_at_rest(app):
    person = db.session.execute(select(Person).limit(1)).scalar_one()
    clear = pii.decrypt(person.id_number_enc)
    assert len(clear) == 18
    assert clear.encode() not in person.id_number_enc
    assert person.id_number_hash == pii.id_number_hash(clear)
    assert person.id_number_masked == clear[:6] + "********" + clear[-4:]


def test_audit_events_are_append_only(app):
    from miniapp_api.domain import audit

    event = audit.record("test.action", actor_kind="system", object_type="x", object_id=1)
    db.session.commit()
    event.result = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
