"""Partner webhooks (Standard Webhooks) and application materials."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from applications_support import citizen, partner_headers, sole_unit, transfer_body
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from miniapp_api.applications import webhooks
from miniapp_api.errors import Problem
from miniapp_api.extensions import db
from miniapp_api.models import WebhookDelivery, WebhookEndpoint

URL = "/api/v1/partner/applications"
RECEIVER_PORT = 18210  # i12's port range


@pytest.fixture
def agency(app):
    return partner_headers("agency")


@pytest.fixture
def unit(app, demo):
    return sole_unit(citizen(demo, "zhang")["person_id"])


def _set(client, headers, url="http://127.0.0.1:18210/hook"):
    response = client.put("/api/v1/partner/webhook", json={"url": url}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["secret"]


def _capture():
    sent = []

    def post(url, headers, payload):
        sent.append((url, headers, payload))
        return 204

    return sent, post


def test_secret_is_whsec_and_answered_once(client, agency):
    secret = _set(client, agency)
    assert secret.startswith("whsec_")
    deliveries = client.get("/api/v1/partner/webhook/deliveries", headers=agency).get_json()
    assert secret not in json.dumps(deliveries)


def test_status_change_is_delivered_signed(client, demo, agency, unit):
    secret = _set(client, agency)
    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    sent, post = _capture()
    counts = webhooks.deliver_due(post=post)
    assert counts["delivered"] == 1
    _url, headers, payload = sent[0]
    event = Webhook(secret).verify(payload, headers)
    assert event["type"] == "application.status_changed"
    assert event["data"]["id"] == created["id"]
    assert event["data"]["status"] == "awaiting_confirmation"


def test_altered_payload_fails_verification(client, demo, agency, unit):
    secret = _set(client, agency)
    client.post(URL, json=transfer_body(demo, unit), headers=agency)
    sent, post = _capture()
    webhooks.deliver_due(post=post)
    _url, headers, payload = sent[0]
    from standardwebhooks.webhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload.replace("awaiting", "accepted"), headers)


def test_real_receiver_gets_it(client, demo, agency, unit):
    secret = _set(client, agency)
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((dict(self.headers.items()), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", RECEIVER_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client.post(URL, json=transfer_body(demo, unit), headers=agency)
        assert webhooks.deliver_due()["delivered"] == 1
    finally:
        server.shutdown()
        server.server_close()
    headers, body = received[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert Webhook(secret).verify(body, lowered)["data"]["kind"] == "transfer"


def test_failure_is_retried_with_backoff(client, demo, agency, unit):
    _set(client, agency)
    client.post(URL, json=transfer_body(demo, unit), headers=agency)
    counts = webhooks.deliver_due(post=lambda *a: 503)
    assert counts["retried"] == 1
    row = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert row.last_status == 503 and row.attempts == 1
    assert row.next_attempt_at - row.created_at >= timedelta(seconds=5)
    assert webhooks.deliver_due(post=lambda *a: 204)["delivered"] == 0  # not due yet


def test_backoff_spans_about_three_days():
    total = sum(webhooks.BACKOFF)
    assert 2.5 * 86400 <= total <= 3.5 * 86400


def test_410_disables_the_endpoint(client, demo, agency, unit):
    _set(client, agency)
    client.post(URL, json=transfer_body(demo, unit), headers=agency)
    assert webhooks.deliver_due(post=lambda *a: 410)["failed"] == 1
    endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
    assert endpoint.active is False
    items = client.get("/api/v1/partner/webhook/deliveries", headers=agency).get_json()["items"]
    assert items[0]["state"] == "failed" and items[0]["last_status"] == 410


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["192.168.1.1"],
        ["::1"],
        ["fe80::1"],
        ["8.8.8.8", "10.1.1.1"],
    ],
)
def test_production_refuses_private_addresses(addresses):
    with pytest.raises(Problem):
        webhooks.check_url(
            "https://hooks.example.com/x", production=True, resolve=lambda host: addresses
        )


def test_production_requires_https():
    with pytest.raises(Problem):
        webhooks.check_url(
            "http://hooks.example.com/x", production=True, resolve=lambda h: ["8.8.8.8"]
        )


def test_production_accepts_a_public_https_url():
    webhooks.check_url(
        "https://hooks.example.com/x", production=True, resolve=lambda h: ["8.8.8.8"]
    )


def test_rebinding_is_caught_at_delivery_time(app, client, demo, agency, unit):
    _set(client, agency)
    client.post(URL, json=transfer_body(demo, unit), headers=agency)
    app.config["APP_ENV"] = "production"
    endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
    endpoint.url = "https://hooks.example.com/x"
    db.session.commit()
    sent, post = _capture()
    try:
        counts = webhooks.deliver_due(post=post, resolve=lambda host: ["127.0.0.1"])
    finally:
        app.config["APP_ENV"] = "testing"
    assert sent == [] and counts["retried"] == 1
    row = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert row.last_error == "url_not_allowed_at_delivery"


# --- materials -----------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _upload(client, headers, app_id, data, name="a.pdf", kind="contract"):
    return client.post(
        f"{URL}/{app_id}/materials",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_pdf_is_accepted_with_its_sha256(client, demo, agency, unit):
    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    response = _upload(client, agency, created["id"], PDF)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_type_is_by_content_not_by_name(client, demo, agency, unit):
    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    assert (
        _upload(client, agency, created["id"], PNG, name="scan.pdf").get_json()["content_type"]
        == "image/png"
    )
    refused = _upload(client, agency, created["id"], b"MZ\x90\0 not a pdf", name="x.pdf")
    assert refused.status_code == 415
    assert refused.get_json()["code"] == "material_type_not_allowed"


def test_html_disguised_as_png_is_refused(client, demo, agency, unit):
    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    refused = _upload(client, agency, created["id"], b"<html><script>", name="x.png")
    assert refused.status_code == 415


class TestLargeMaterials:
    @pytest.fixture
    def config_overrides(self):
        return {"MAX_CONTENT_LENGTH": 12 * 1024 * 1024}

    def test_over_10_mb_is_413(self, client, demo, agency, unit):
        created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
        big = PDF + b"0" * (10 * 1024 * 1024)
        response = _upload(client, agency, created["id"], big)
        assert response.status_code == 413
        assert response.get_json()["code"] == "material_too_large"


MIB = 1024 * 1024


class TestMaterialBodyLimit:
    """The default MAX_CONTENT_LENGTH (6 MiB) holds everywhere but the material upload, which
    takes a body up to 11 MiB and a file up to 10 MiB."""

    def test_9_9_mb_is_accepted(self, app, client, demo, agency, unit):
        assert app.config["MAX_CONTENT_LENGTH"] == 6 * MIB
        created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
        data = PDF + b"0" * (int(9.9 * MIB) - len(PDF))
        response = _upload(client, agency, created["id"], data)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["size"] == len(data)
        assert response.get_json()["sha256"] == hashlib.sha256(data).hexdigest()

    def test_10_1_mb_is_413_problem(self, client, demo, agency, unit):
        created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
        response = _upload(client, agency, created["id"], PDF + b"0" * int(10.1 * MIB))
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "material_too_large"

    def test_body_over_11_mb_is_413_before_the_route(self, client, demo, agency, unit):
        created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
        response = _upload(client, agency, created["id"], PDF + b"0" * (12 * MIB))
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "payload_too_large"

    def test_other_routes_keep_6_mib(self, client):
        body = {"image": (io.BytesIO(PNG + b"\0" * (7 * MIB)), "a.png")}
        response = client.post(
            "/api/v1/verify/image", data=body, content_type="multipart/form-data"
        )
        assert response.status_code == 413
        assert response.get_json()["code"] == "payload_too_large"  # not the route's image_too_large


def test_materials_are_readable_by_filer_and_staff_only(client, demo, agency, unit, staff_headers):
    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    material = _upload(client, agency, created["id"], PDF).get_json()
    path = f"{URL}/{created['id']}/materials/{material['id']}"
    own = client.get(path, headers=agency)
    assert own.status_code == 200 and own.data == PDF
    assert own.headers["Content-Disposition"].startswith("attachment")
    other = partner_headers("agency", name="别家中介")
    assert client.get(path, headers=other).status_code == 404
    assert client.get(path).status_code == 401
    staff = client.get(
        f"/api/v1/staff/applications/{created['id']}/materials/{material['id']}",
        headers=staff_headers(),
    )
    assert staff.status_code == 200 and staff.data == PDF


def test_upload_with_idempotency_key_is_stored_once(client, demo, agency, unit):
    from miniapp_api.models import ApplicationMaterial

    created = client.post(URL, json=transfer_body(demo, unit), headers=agency).get_json()
    headers = {**agency, "Idempotency-Key": "upload-1"}
    first = _upload(client, headers, created["id"], PDF)
    second = _upload(client, headers, created["id"], PDF)
    assert first.status_code == second.status_code == 201, first.get_json()
    assert first.get_json() == second.get_json()
    assert len(db.session.execute(select(ApplicationMaterial)).scalars().all()) == 1


def test_send_webhooks_cli_delivers_once(app, client, demo, agency, unit, monkeypatch):
    _set(client, agency)
    client.post(URL, json=transfer_body(demo, unit), headers=agency)
    sent, post = _capture()
    monkeypatch.setattr(webhooks, "_post", post)
    monkeypatch.setattr(
        webhooks.deliver_due,
        "__defaults__",
        (webhooks.events.now_utc, post, webhooks._resolve, 100),
    )
    result = app.test_cli_runner().invoke(args=["send-webhooks", "--once"])
    assert result.exit_code == 0, result.output
    assert "delivered=1" in result.output and len(sent) == 1
