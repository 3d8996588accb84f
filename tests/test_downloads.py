"""Signed short-lived download links (miniapp_api/downloads.py, GET /api/v1/files/{signed}).

Rendering is not needed to test the links themselves: the refusals happen before it, and the
one test that opens a document stubs the renderer (real renders: test_downloads_render.py).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from miniapp_api import downloads, kinds
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, WechatAccount


@pytest.fixture
def fake_render(monkeypatch):
    """Replace the renderers with cheap stand-ins (counted)."""
    calls: list[tuple[str, str]] = []

    def copy(copy, fmt):
        calls.append(("copy", fmt))
        return b"\x89PNG fake" if fmt == "png" else b"%PDF-1.4 fake"

    def proof(proof, fmt):
        calls.append(("proof", fmt))
        return b"\x89PNG fake" if fmt == "png" else b"%PDF-1.4 fake"

    monkeypatch.setattr(kinds.LICENSE_COPY, "render", copy)
    monkeypatch.setattr(kinds.HOUSING_PROOF, "render", proof)
    downloads.render_cache.clear()
    return calls


def _path(url: str) -> str:
    return urlsplit(url).path


def _zhang_copy(client, headers) -> dict:
    licenses = client.get("/api/v1/me/licenses", headers=headers).json
    response = client.post(
        f"/api/v1/me/licenses/{licenses[0]['id']}/copies",
        headers=headers,
        json={"purpose": "子女入学", "valid_days": 5},
    )
    assert response.status_code == 201
    return response.json


def _proof(client, headers) -> dict:
    response = client.post(
        "/api/v1/me/housing-proofs", headers=headers, json={"scope": "personal", "purpose": "贷款"}
    )
    assert response.status_code == 201
    return response.json


def _account_id(demo, key: str) -> int:
    openid = next(c["openid"] for c in demo["citizens"] if c["key"] == key)
    return db.session.execute(
        select(WechatAccount.id).where(WechatAccount.openid == openid)
    ).scalar_one()


def test_link_opens_the_document_without_a_header(client, citizen_headers, fake_render):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    links = copy["download_links"]
    assert links["ttl_seconds"] == 300
    assert links["expires_at"] - time.time() <= 300
    png = client.get(_path(links["png"]))
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    disposition = png.headers["Content-Disposition"]
    assert disposition.startswith("inline; ")
    assert f'filename="license-copy-{copy["serial"]}.png"' in disposition
    assert "filename*=UTF-8''%E4%B8%8D%E5%8A%A8%E4%BA%A7%E6%9D%83" in disposition  # 不动产权
    pdf = client.get(_path(links["pdf"]))
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert fake_render == [("copy", "png"), ("copy", "pdf")]


def test_link_use_is_audited_as_the_citizen(client, citizen_headers, demo, fake_render):
    proof = _proof(client, citizen_headers("zhao"))
    client.get(_path(proof["download_links"]["pdf"]))
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "document.download")
    ).scalar_one()
    assert event.actor_kind == "citizen"
    assert event.actor_id == str(_account_id(demo, "zhao"))
    assert event.object_type == "housing_proof"
    assert event.object_id == proof["id"]
    assert event.result == "ok"
    assert event.detail == {"format": "pdf", "via": "link", "cache": "miss"}


def test_expired_link_is_403(app, client, citizen_headers, demo, fake_render):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    signed, _ = downloads.sign_link(
        "license_copy", copy["id"], "png", _account_id(demo, "zhang"), now=time.time() - 301
    )
    response = client.get(f"/api/v1/files/{signed}")
    assert response.status_code == 403
    assert response.json["code"] == "download_link_expired"
    assert fake_render == []


def _flip(text: str, index: int) -> str:
    char = text[index]
    return text[:index] + ("A" if char != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize(
    "alter",
    [
        lambda s: _flip(s, len(s) - 3),  # signature changed
        lambda s: _flip(s, 5),  # payload changed
        lambda s: s.split(".")[0],  # signature removed
        lambda s: s[:-1],  # truncated
        lambda s: s + "A",  # extended
        lambda s: "not-a-link",
        lambda s: "." + s.split(".")[1],  # payload removed
    ],
    ids=["signature", "payload", "no-signature", "truncated", "extended", "garbage", "no-payload"],
)
def test_altered_link_is_403(client, citizen_headers, fake_render, alter):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    signed = _path(copy["download_links"]["png"]).rsplit("/", 1)[1]
    response = client.get(f"/api/v1/files/{alter(signed)}")
    assert response.status_code == 403
    assert response.json["code"] == "download_link_invalid"
    assert fake_render == []
    refused = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "document.download")
    ).scalar_one()
    assert refused.result == "refused"


def test_link_payload_swapped_to_another_document_fails_the_signature(
    app, client, citizen_headers, fake_render
):
    zhang_copy = _zhang_copy(client, citizen_headers("zhang"))
    wang_proof = _proof(client, citizen_headers("wang"))
    zhang_signed = _path(zhang_copy["download_links"]["png"]).rsplit("/", 1)[1]
    wang_signed = _path(wang_proof["download_links"]["png"]).rsplit("/", 1)[1]
    # wang's document with zhang's signature, and the other way round
    for body, mac in ((wang_signed, zhang_signed), (zhang_signed, wang_signed)):
        mixed = body.split(".")[0] + "." + mac.split(".")[1]
        assert client.get(f"/api/v1/files/{mixed}").status_code == 403
    assert fake_render == []


def test_link_bound_to_another_citizen_does_not_open_the_document(
    app, client, citizen_headers, demo, fake_render
):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    citizen_headers("li")
    # Even a correctly signed link names the account: li's account cannot open zhang's copy.
    signed, _ = downloads.sign_link("license_copy", copy["id"], "png", _account_id(demo, "li"))
    response = client.get(f"/api/v1/files/{signed}")
    assert response.status_code == 403
    assert response.json["code"] == "download_link_invalid"
    assert fake_render == []


def test_link_stops_working_when_the_account_is_unbound(
    app, client, citizen_headers, demo, fake_render
):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    db.session.get(WechatAccount, _account_id(demo, "zhang")).person_id = None
    db.session.commit()
    assert client.get(_path(copy["download_links"]["png"])).status_code == 403


def test_other_citizen_cannot_get_links_for_a_document(client, citizen_headers, fake_render):
    copy = _zhang_copy(client, citizen_headers("zhang"))
    proof = _proof(client, citizen_headers("zhang"))
    li = citizen_headers("li")
    copy_links = f"/api/v1/me/licenses/{copy['license']}/copies/{copy['id']}/download-links"
    assert client.post(copy_links, headers=li).status_code == 404
    proof_links = f"/api/v1/me/housing-proofs/{proof['id']}/download-links"
    assert client.post(proof_links, headers=li).status_code == 404


def test_fresh_links_on_request(client, citizen_headers, fake_render):
    headers = citizen_headers("zhang")
    proof = _proof(client, headers)
    response = client.post(
        f"/api/v1/me/housing-proofs/{proof['id']}/download-links", headers=headers
    )
    assert response.status_code == 200
    assert set(response.json) == {"png", "pdf", "expires_at", "ttl_seconds"}
    assert client.get(_path(response.json["pdf"])).status_code == 200
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "download_link.issue" in actions


def test_link_lifetime_is_capped_at_ten_minutes(app):
    app.config["DOWNLOAD_LINK_TTL"] = 3600
    assert downloads.link_ttl() == 600
    app.config["DOWNLOAD_LINK_TTL"] = 60
    signed, expires = downloads.sign_link("housing_proof", "abc", "pdf", 7, now=1000)
    assert expires == 1060
    link = downloads.read_link(signed, now=1059)
    assert (link.kind, link.public_id, link.fmt, link.account_id) == (
        "housing_proof",
        "abc",
        "pdf",
        7,
    )
    with pytest.raises(downloads.Problem) as info:
        downloads.read_link(signed, now=1060)
    assert info.value.code == "download_link_expired"


def test_links_depend_on_the_secret_key(app):
    signed, _ = downloads.sign_link("housing_proof", "abc", "png", 7)
    app.config["SECRET_KEY"] = "another-secret-key-0123456789-abcdefghijklmnop"
    with pytest.raises(downloads.Problem) as info:
        downloads.read_link(signed)
    assert info.value.code == "download_link_invalid"


# --- ETag and cache (stubbed renderer) ---------------------------------------------------------
def test_repeated_download_is_served_from_the_cache(client, citizen_headers, fake_render):
    headers = citizen_headers("zhang")
    copy = _zhang_copy(client, headers)
    first = client.get(copy["png_url"], headers=headers)
    second = client.get(copy["png_url"], headers=headers)
    assert first.headers["X-Render-Cache"] == "miss"
    assert second.headers["X-Render-Cache"] == "hit"
    assert first.data == second.data
    assert fake_render == [("copy", "png")]


def test_matching_etag_is_304_without_rendering(client, citizen_headers, fake_render):
    headers = citizen_headers("zhang")
    proof = _proof(client, headers)
    first = client.get(proof["pdf_url"], headers=headers)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    downloads.render_cache.clear()
    again = client.get(proof["pdf_url"], headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert fake_render == [("proof", "pdf")]
    # The other format has its own ETag.
    png = client.get(proof["png_url"], headers={**headers, "If-None-Match": etag})
    assert png.status_code == 200
    assert png.headers["ETag"] != etag


def test_etag_depends_on_document_format_and_renderer_version(app):
    base = downloads.etag_for("license_copy", "abc", "png")
    assert downloads.etag_for("license_copy", "abc", "pdf") != base
    assert downloads.etag_for("license_copy", "abd", "png") != base
    assert downloads.etag_for("housing_proof", "abc", "png") != base
    assert len(downloads.renderer_version()) == 16


def test_render_cache_is_bounded():
    cache = downloads.RenderCache(max_entries=2, max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")
    assert cache.get("b") is None
    assert len(cache) == 2
    cache.put("d", b"12345678")
    assert cache.size <= 10
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None
