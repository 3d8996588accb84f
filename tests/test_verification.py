"""Verification by token: every verdict, tampering, live status, audit, privacy, the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import verify
from miniapp_api.domain import documents
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Certificate, Encumbrance, IssuedDocument
from miniapp_api.verification.schemas import VerificationAnswerSchema

BASE = "https://bdc.example.gov.cn"


@pytest.fixture
def samples(demo: dict[str, Any]) -> dict[str, Any]:
    return demo["verification"]["samples"]


def token_of(sample: dict[str, Any]) -> str:
    return sample["url"].rsplit("/", 1)[1]


def api(client: Any, token: str) -> Any:
    return client.get(f"/api/v1/verify/{token}")


def page(client: Any, token: str) -> str:
    response = client.get(f"/v/{token}")
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def doc_for(token: str) -> IssuedDocument:
    return db.session.execute(
        select(IssuedDocument).where(IssuedDocument.token == token)
    ).scalar_one()


def sign(document_id: bytes, number: str, *, store: Any = None, **extra: Any) -> str:
    """A token signed by the registry's key (or ``store``) for arbitrary claims."""
    return verify.issue_token(
        store or documents.keystore(),
        issuer="12430681MB1D5443XD",
        kind=extra.pop("kind", "property"),
        document_id=document_id,
        number=number,
        digest=extra.pop("digest", b"\0" * 16),
        iat=extra.pop("iat", int(datetime.now(UTC).timestamp()) - 60),
        **extra,
    )


# --- verdicts --------------------------------------------------------------------------------
def test_authentic_certificate(client, samples):
    body = api(client, token_of(samples["authentic"])).get_json()
    assert body["verdict"] == "authentic"
    assert body["reason"] == "valid"
    assert body["content_changed"] is False
    assert body["encumbrances"] == []
    document = body["document"]
    assert document["number"] == samples["authentic"]["certificate_number"]
    assert document["kind"] == "property_certificate"
    assert document["holders"] == ["张*国"]
    assert re.fullmatch(r"\d+\.\d{2}", document["area_m2"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", body["as_of"])
    assert VerificationAnswerSchema().validate(body) == {}


@pytest.mark.parametrize(
    ("sample", "kind"),
    [("mortgaged", "mortgage"), ("seized", "seizure"), ("under_objection", "objection")],
)
def test_encumbered_certificate_is_authentic_with_live_encumbrance(client, samples, sample, kind):
    body = api(client, token_of(samples[sample])).get_json()
    assert body["verdict"] == "authentic"
    assert [e["kind"] for e in body["encumbrances"]] == [kind]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["encumbrances"][0]["started_on"])


def test_objection_does_not_name_the_applicant(client, samples):
    body = api(client, token_of(samples["under_objection"])).get_json()
    assert "holder" not in body["encumbrances"][0]


def test_cancelled_certificate(client, samples):
    body = api(client, token_of(samples["cancelled"])).get_json()
    assert (body["verdict"], body["reason"]) == ("cancelled", "cancelled")
    assert body["document"]["status"] == "cancelled"


def test_superseded_certificate_names_the_new_number(client, samples):
    body = api(client, token_of(samples["superseded"])).get_json()
    assert body["verdict"] == "superseded"
    new = body["document"]["superseded_by"]
    assert new and new != body["document"]["number"]


def test_registration_certificate_shows_mortgagee_and_masked_obligor(client, samples):
    body = api(client, token_of(samples["registration_certificate"])).get_json()
    assert body["verdict"] == "authentic"
    assert body["document"]["kind"] == "registration_certificate"
    assert body["document"]["rights_holder"].endswith(("行", "公司"))
    assert body["document"]["obligors"] == ["王*强"]


def test_expired_document(client, app):
    cert = db.session.execute(select(Certificate).limit(1)).scalar_one()
    issued = datetime.now(UTC) - timedelta(days=40)
    doc = documents.issue_document(
        "property_certificate", certificate=cert, now=issued, expires_at=issued + timedelta(days=30)
    )
    db.session.commit()
    body = api(client, doc.token).get_json()
    assert (body["verdict"], body["reason"]) == ("expired", "expired")
    assert "document" in body  # the signature checked out


def test_tampered_token_is_forged_without_document(client, samples):
    body = api(client, token_of(samples["tampered"])).get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "bad_signature")
    assert "document" not in body


def test_token_with_a_byte_changed_in_the_payload_is_forged(client, samples):
    raw = bytearray(verify.text_to_token(token_of(samples["authentic"])))
    raw[len(raw) // 2] ^= 0x40
    response = api(client, verify.token_to_text(bytes(raw)))
    body = response.get_json()
    # Either the CBOR no longer parses (400 malformed) or the signature fails (forged).
    assert (response.status_code, body.get("verdict")) in ((200, "forged"), (400, None))
    assert "document" not in body


def test_truncated_token_is_malformed_400(client, samples):
    token = token_of(samples["authentic"])
    response = api(client, token[:-16])
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "malformed_token"


def test_garbage_is_malformed_400(client):
    for bad in ("not-a-token", "ABC", "A" * 5000, "0189"):
        response = api(client, bad)
        assert response.status_code == 400, bad
        assert response.get_json()["code"] == "malformed_token"


def test_wrong_key_token_is_forged(client, samples):
    doc = doc_for(token_of(samples["authentic"]))
    other = verify.FileKeyStore(documents.keystore().directory.parent / "other-keys")
    other.rotate()
    token = sign(doc.document_id, doc.certificate.number, store=other, digest=doc.content_digest)
    body = api(client, token).get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "unknown_key")
    assert "document" not in body


def test_compromised_key_token_is_forged(client, samples):
    token = token_of(samples["authentic"])
    store = documents.keystore()
    store.mark_compromised(bytes.fromhex(doc_for(token).kid))
    documents.forget_keyset()
    body = api(client, token).get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "compromised_key")


def test_signature_cache_follows_the_key_set(client, samples):
    """A token verified once (its signature cached per worker) is forged at the very next
    check after its key is marked compromised: the cache is only used under the key set it
    was verified with."""
    from miniapp_api.verification import service

    token = token_of(samples["authentic"])
    assert api(client, token).get_json()["verdict"] == "authentic"
    assert api(client, token).get_json()["verdict"] == "authentic"  # served from the cache
    assert any(
        entry[0] is documents.current_keyset() for entry in service._SIGNATURE_CACHE.values()
    )
    documents.keystore().mark_compromised(bytes.fromhex(doc_for(token).kid))
    documents.forget_keyset()
    body = api(client, token).get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "compromised_key")


def test_unknown_document(client):
    token = sign(verify.new_document_id(), "湘(2020)汨罗市不动产权第0000001号")
    body = api(client, token).get_json()
    assert (body["verdict"], body["reason"]) == ("unknown_document", "not_found")
    assert "document" not in body


def test_signed_number_that_does_not_match_the_record_is_forged(client, samples):
    doc = doc_for(token_of(samples["authentic"]))
    token = sign(doc.document_id, "湘(2016)汨罗市不动产权第0999999号", digest=doc.content_digest)
    body = api(client, token).get_json()
    assert (body["verdict"], body["reason"]) == ("forged", "number_mismatch")
    assert "document" not in body


def test_content_changed_after_issuance_is_flagged(client, samples):
    token = token_of(samples["authentic"])
    cert = doc_for(token).certificate
    cert.right.unit.area_m2 = cert.right.unit.area_m2 + 1
    db.session.commit()
    body = api(client, token).get_json()
    assert body["verdict"] == "authentic"
    assert body["reason"] == "content_changed"
    assert body["content_changed"] is True
    html = page(client, token)
    assert "notice--changed" in html
    assert "以登记簿记载" in html


def test_a_correction_after_a_check_is_seen_at_the_next_scan(client, samples):
    """The digest comparison is remembered per record state (kinds/certificate.py): a
    correction after a check is a new state, so the very next scan reports it."""
    token = token_of(samples["authentic"])
    assert api(client, token).get_json()["content_changed"] is False
    assert api(client, token).get_json()["content_changed"] is False  # remembered
    cert = doc_for(token).certificate
    cert.right.unit.location = cert.right.unit.location + "（更正）"
    db.session.commit()
    body = api(client, token).get_json()
    assert (body["reason"], body["content_changed"]) == ("content_changed", True)
    cert.right.unit.location = cert.right.unit.location.removesuffix("（更正）")
    db.session.commit()
    assert api(client, token).get_json()["content_changed"] is False


def test_status_is_not_part_of_the_digest(client, samples):
    token = token_of(samples["authentic"])
    cert = doc_for(token).certificate
    cert.status, cert.status_reason = "cancelled", "测试"
    db.session.commit()
    body = api(client, token).get_json()
    assert body["verdict"] == "cancelled"
    assert body["content_changed"] is False


def test_token_case_and_url_prefix_do_not_matter(client, samples):
    token = token_of(samples["authentic"])
    assert api(client, token.lower()).get_json()["verdict"] == "authentic"
    response = client.get(f"/V/{token.lower()}")
    assert response.status_code == 200
    assert "verdict--authentic" in response.get_data(as_text=True)


# --- live status ----------------------------------------------------------------------------
def test_status_changes_show_at_the_next_check(client, samples):
    token = token_of(samples["authentic"])
    cert = doc_for(token).certificate
    assert api(client, token).get_json()["encumbrances"] == []
    seizure = Encumbrance(
        unit_id=cert.right.unit_id, kind="seizure", holder="汨罗市人民法院", reason="测试"
    )
    db.session.add(seizure)
    db.session.commit()
    assert [e["kind"] for e in api(client, token).get_json()["encumbrances"]] == ["seizure"]
    seizure.ended_at = datetime.now(UTC)
    db.session.commit()
    assert api(client, token).get_json()["encumbrances"] == []
    cert.status = "cancelled"
    db.session.commit()
    assert api(client, token).get_json()["verdict"] == "cancelled"


# --- audit and privacy ------------------------------------------------------------------------
def test_every_check_is_audited_without_personal_data(client, samples):
    token = token_of(samples["authentic"])
    api(client, token)
    client.get(f"/v/{token}")
    api(client, token_of(samples["tampered"]))
    api(client, "garbage")
    events = (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "verification.check")
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [(e.result, e.detail["channel"]) for e in events] == [
        ("authentic", "api"),
        ("authentic", "page"),
        ("forged", "api"),
        ("malformed", "api"),
    ]
    doc = doc_for(token)
    assert events[0].object_id == doc.document_id.hex()
    for event in events:
        assert event.actor_kind == "public"
        assert event.client_hash and "127.0.0.1" not in event.client_hash
        assert set(event.detail) <= {"channel", "reason", "kind"}


def test_answers_never_carry_full_names_or_id_numbers(client, samples, demo):
    for name in ("authentic", "mortgaged", "registration_certificate", "superseded"):
        token = token_of(samples[name])
        text = api(client, token).get_data(as_text=True) + page(client, token)
        for citizen in demo["citizens"]:
            assert citizen["id_number"] not in text
            assert citizen["name"] not in text


# --- the page --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sample", "verdict", "label"),
    [
        ("authentic", "authentic", "真实有效"),
        # issue #15: green 真实有效 only for a clean document; encumbered ones warn in words
        ("mortgaged", "authentic", "证书真实，但该房产已抵押"),
        ("seized", "authentic", "证书真实，但该房产已被查封"),
        ("under_objection", "authentic", "证书真实，但该房产存在异议登记"),
        ("cancelled", "cancelled", "已注销"),
        ("superseded", "superseded", "已换证"),
        ("tampered", "forged", "无法验证"),
    ],
)
def test_page_renders_the_verdict(client, samples, sample, verdict, label):
    html = page(client, token_of(samples[sample]))
    assert f'class="verdict verdict--{verdict}' in html
    assert f'<h1 class="verdict__title">{label}</h1>' in html
    assert "核验时间" in html
    assert html.index("verdict__title") < html.index("verify__footer")


def test_page_shows_masked_details_and_live_status(client, samples):
    html = page(client, token_of(samples["seized"]))
    assert samples["seized"]["certificate_number"] in html
    assert "刘*" in html
    assert "平方米" in html
    assert "encumbrance--seizure" in html
    assert "查封" in html
    html = page(client, token_of(samples["authentic"]))
    assert "status__clear" in html


def test_forged_page_shows_no_document_data_only_a_warning(client, samples, app):
    html = page(client, token_of(samples["tampered"]))
    assert "verdict--unverifiable" in html
    assert samples["authentic"]["certificate_number"] not in html
    assert 'class="card details"' not in html
    assert app.config["REGISTRY_PHONE"] in html
    assert app.config["REGISTRY_NAME"] in html


def test_malformed_page_is_400_with_warning(client):
    response = client.get("/v/NOT-A-TOKEN")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "verdict--malformed" in html
    assert "无法验证" in html


def test_page_is_small_and_csp_clean(client, samples):
    response = client.get(f"/v/{token_of(samples['mortgaged'])}")
    html = response.get_data(as_text=True)
    assert len(response.data) < 8 * 1024
    # Issue #18: one external module script from our origin (progressive enhancement: the
    # on-phone signature check), never an inline one; the page is complete without it.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="module" src="/static/js/v-page.mjs">'
    ]
    assert "</script>" in html and "<script>" not in html
    assert "style=" not in html and "<style" not in html
    assert '<link rel="stylesheet" href="/static/css/verify.css">' in html
    assert 'name="viewport"' in html
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    with client.get("/static/css/verify.css") as css:
        assert css.status_code == 200
        assert b".verdict--authentic" in css.data


def test_large_type_mode_without_javascript(client, samples):
    token = token_of(samples["authentic"])
    assert f'href="/v/{token}?large=1"' in page(client, token)
    html = client.get(f"/v/{token}?large=1").get_data(as_text=True)
    assert '<html lang="zh-CN" class="large">' in html


# --- QR images, keys, OpenAPI ---------------------------------------------------------------------
def test_qr_png_and_svg_for_a_verifying_token(client, samples):
    token = token_of(samples["authentic"])
    png = client.get(f"/v/{token}.png")
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    assert [verify.extract_token(t) for t in verify.read_qr(png.data)] == [token]
    svg = client.get(f"/V/{token.lower()}.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert "max-age" in png.headers["Cache-Control"]


def test_no_qr_image_for_a_forged_token(client, samples):
    assert client.get(f"/v/{token_of(samples['tampered'])}.png").status_code == 404
    assert client.get("/v/GARBAGE.svg").status_code == 404


def test_qr_encodes_the_upper_case_link(app, samples):
    token = token_of(samples["authentic"])
    assert documents.qr_text(f"{BASE}/v/{token}") == f"{BASE.upper()}/V/{token}"


def test_jwks_lists_every_verification_key(client):
    store = documents.keystore()
    old = store.signer().kid
    store.rotate()
    documents.forget_keyset()
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Cache-Control"]
    body = response.get_json()
    kids = {k["kid"] for k in body["keys"]}
    assert verify.keys.b64url_encode(old) in kids
    assert len(kids) == 2
    assert {k["status"] for k in body["keys"]} == {"active", "retired"}
    assert verify.KeySet.from_jwks(body).get(old) is not None


def test_openapi_describes_the_verification_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/verify/{token}",
        "/api/v1/verify/by-number",
        "/api/v1/verify/image",
        "/v/{token}",
        "/v/{token}.png",
        "/.well-known/jwks.json",
        "/api/v1/staff/certificates",
        "/api/v1/staff/certificates/{certificate_id}/encumbrances",
        "/api/v1/staff/certificates/{certificate_id}/cancel",
        "/api/v1/staff/certificates/{certificate_id}/supersede",
    ):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/verify/image"]["post"]["requestBody"]["content"]


def test_demo_info_lists_a_url_for_each_outcome(samples):
    assert {
        "authentic",
        "mortgaged",
        "seized",
        "under_objection",
        "cancelled",
        "superseded",
        "tampered",
    } <= set(samples)
    for sample in samples.values():
        assert sample["url"].startswith(f"{BASE}/v/")


def test_a_check_on_a_broken_pooled_connection_is_retried_once(app, samples, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    from miniapp_api.verification import service

    calls = []

    def flaky(text: str) -> Any:
        calls.append(text)
        if len(calls) == 1:
            broken = Exception("server closed the connection")
            raise DBAPIError("SELECT 1", {}, broken, connection_invalidated=True)
        return service.check_token(text)

    with app.test_request_context("/"):
        answer = service.run_check("api", flaky, token_of(samples["authentic"]))
    assert answer.verdict == "authentic"
    assert len(calls) == 2


def test_raw_hot_path_query_returns_what_sqlalchemy_returns(app):
    from miniapp_api.kinds import certificate as service  # the certificate kind's view SQL

    ids = db.session.execute(select(IssuedDocument.document_id).limit(40)).scalars().all()
    conn = db.session.connection()
    for document_id in ids:
        params = {"document_id": document_id}
        expected = [tuple(r) for r in conn.execute(service._BY_DOCUMENT, params).all()]
        assert [tuple(r) for r in service._RAW_BY_DOCUMENT.all(conn, params)] == expected


def test_raw_audit_row_reads_back_through_the_orm(client, samples):
    client.get(samples["mortgaged"]["api"])
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "verification.check")
    ).scalar_one()
    assert event.at.tzinfo is not None
    assert abs((datetime.now(UTC) - event.at).total_seconds()) < 60
    assert event.detail == {"channel": "api", "reason": "valid", "kind": "property_certificate"}
    assert event.result == "authentic"
