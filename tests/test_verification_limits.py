"""Rate limits of the verification endpoints: per client, stricter for number and photo."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent

LOW_LIMITS = {
    "VERIFY_RATE_LIMIT": "4 per minute",
    "VERIFY_STRICT_RATE_LIMIT": "2 per minute",
    "PROXY_COUNT": 1,
}


@pytest.fixture
def config_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return getattr(request, "param", LOW_LIMITS)


@pytest.fixture
def token(demo: dict[str, Any]) -> str:
    return demo["verification"]["samples"]["authentic"]["url"].rsplit("/", 1)[1]


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def by_number(client: Any, ip: str = "198.51.100.7") -> Any:
    return client.post(
        "/api/v1/verify/by-number",
        json={"certificate_number": "湘(2016)汨罗市不动产权第0000001号", "print_serial": "1"},
        headers=from_ip(ip),
    )


def test_by_number_is_limited_per_client(client):
    assert [by_number(client).status_code for _ in range(3)] == [200, 200, 429]
    limited = by_number(client)
    assert limited.mimetype == "application/problem+json"
    assert limited.get_json()["code"] == "rate_limited"
    assert "Retry-After" in limited.headers
    assert by_number(client, "203.0.113.9").status_code == 200  # another client


def test_token_checks_share_one_more_generous_bucket(client, token):
    ip = from_ip("198.51.100.8")
    codes = [
        client.get(f"/api/v1/verify/{token}", headers=ip).status_code,
        client.get(f"/v/{token}", headers=ip).status_code,
        client.get(f"/api/v1/verify/{token}", headers=ip).status_code,
        client.get(f"/V/{token}", headers=ip).status_code,
        client.get(f"/api/v1/verify/{token}", headers=ip).status_code,
        client.get(f"/v/{token}", headers=ip).status_code,
    ]
    assert codes == [200, 200, 200, 200, 429, 429]
    # the strict endpoints have their own, smaller budget
    assert by_number(client, "198.51.100.8").status_code == 200


def test_image_endpoint_is_limited(client):
    def post() -> int:
        return client.post(
            "/api/v1/verify/image",
            data=b'--b\r\nContent-Disposition: form-data; name="image"; filename="a.gif"'
            b"\r\n\r\nGIF89a\r\n--b--\r\n",
            content_type="multipart/form-data; boundary=b",
            headers=from_ip("198.51.100.10"),
        ).status_code

    assert [post(), post(), post()] == [415, 415, 429]


def test_client_address_behind_the_proxy_is_hashed_in_the_audit(client, token):
    client.get(f"/api/v1/verify/{token}", headers=from_ip("198.51.100.20"))
    client.get(f"/api/v1/verify/{token}", headers=from_ip("198.51.100.21"))
    hashes = (
        db.session.execute(
            select(AuditEvent.client_hash)
            .where(AuditEvent.action == "verification.check")
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert len(set(hashes)) == 2
    assert all("198.51" not in h for h in hashes)


@pytest.mark.parametrize(
    "config_overrides",
    [{**LOW_LIMITS, "RATELIMIT_EXEMPT_NETWORKS": ["198.51.100.0/24"]}],
    indirect=True,
)
def test_trusted_partner_network_is_exempt(client):
    assert {by_number(client).status_code for _ in range(5)} == {200}
    assert [by_number(client, "203.0.113.5").status_code for _ in range(3)][-1] == 429


@pytest.mark.parametrize(
    "config_overrides", [{**LOW_LIMITS, "RATELIMIT_ENABLED": False}], indirect=True
)
def test_limits_can_be_switched_off(client):
    assert {by_number(client).status_code for _ in range(5)} == {200}


def test_the_page_answers_a_phone_camera_429_as_html(client, token):
    """A phone camera opens /v/: over the limit it gets a readable page, not problem JSON."""
    ip = from_ip("198.51.100.77")
    codes = [client.get(f"/v/{token}", headers=ip).status_code for _ in range(4)]
    assert codes == [200] * 4
    limited = client.get(f"/v/{token}", headers=ip)
    assert limited.status_code == 429
    assert limited.mimetype == "text/html"
    assert "频繁" in limited.get_data(as_text=True)
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-Request-ID"] in limited.get_data(as_text=True)
    api = client.get(f"/api/v1/verify/{token}", headers=ip)
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
