"""亮证 (issue #15 item 4): POST /api/v1/me/licenses/{id}/show and the picture it links to."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cbor2
import pytest
import zxingcpp
from PIL import Image

import verify
from miniapp_api.database import db


def test_shown_picture_says_view_only_and_its_qr_verifies(app, client, citizen_headers, demo):
    headers = citizen_headers("zhang")
    licenses = client.get("/api/v1/me/licenses", headers=headers).json
    answer = client.post(f"/api/v1/me/licenses/{licenses[0]['id']}/show", headers=headers)
    assert answer.status_code == 200
    assert answer.json["refresh_seconds"] == 60
    path = answer.json["png"].split("://", 1)[1].split("/", 1)[1]
    with client.get("/" + path) as png:  # no header
        assert png.status_code == 200 and png.mimetype == "image/png"
        image = Image.open(io.BytesIO(png.data))
    codes = [c.text for c in zxingcpp.read_barcodes(image)]
    assert len(codes) == 1
    token = verify.extract_token(codes[0])
    page = client.get("/v/" + token)
    assert page.status_code == 200 and "真实有效" in page.get_data(as_text=True)


def test_show_needs_the_holder(client, citizen_headers):
    zhang = client.get("/api/v1/me/licenses", headers=citizen_headers("zhang")).json
    other = client.post(
        f"/api/v1/me/licenses/{zhang[0]['id']}/show", headers=citizen_headers("zhao")
    )
    assert other.status_code == 404
    assert client.post(f"/api/v1/me/licenses/{zhang[0]['id']}/show").status_code == 401


# --- the 亮证 picture's own short-lived QR -----------------------------------------------------
def shown_license(app: Any, client: Any, headers: dict[str, str]) -> tuple[int, str]:
    """The first license of a citizen and its certificate's permanent token."""
    from miniapp_api.domain import documents
    from miniapp_api.models import ElectronicLicense

    first = client.get("/api/v1/me/licenses", headers=headers).json[0]
    with app.app_context():
        lic = db.session.get(ElectronicLicense, first["id"])
        doc = documents.certificate_document(lic.certificate)
        return first["id"], doc.token


def picture_qr(client: Any, link: str) -> str:
    path = link.split("://", 1)[1].split("/", 1)[1]
    with client.get("/" + path) as png:
        assert png.status_code == 200 and png.mimetype == "image/png"
        image = Image.open(io.BytesIO(png.data))
    codes = [c.text for c in zxingcpp.read_barcodes(image)]
    assert len(codes) == 1
    return verify.extract_token(codes[0])


def claims_of(token: str) -> verify.Claims:
    raw = verify.token_from_url(token)
    return verify.Claims.from_payload(cbor2.loads(raw).value[2])


def test_showing_token_is_the_certificate_for_two_minutes(app, client, citizen_headers, demo):
    from miniapp_api.domain import documents
    from miniapp_api.licenses import showing
    from miniapp_api.models import ElectronicLicense
    from miniapp_api.verification import service

    license_id, permanent = shown_license(app, client, citizen_headers("zhang"))
    now = int(time.time())
    with app.app_context():
        lic = db.session.get(ElectronicLicense, license_id)
        doc = documents.certificate_document(lic.certificate)
        token = documents.showing_token(doc, iat=now, exp=now + showing.qr_lifetime())
        keyset = documents.current_keyset()
        assert showing.qr_lifetime() == 120
        fresh = verify.verify(verify.token_from_url(token), keyset, now=now)
        stale = verify.verify(verify.token_from_url(token), keyset, now=now + 121)
        assert fresh.reason is verify.Reason.VALID and verify.is_showing(fresh.claims)
        assert stale.reason is verify.Reason.EXPIRED and verify.is_showing(stale.claims)
        at = datetime.fromtimestamp(now, UTC)
        ok = service.check_token(token, now=at)
        late = service.check_token(token, now=at + timedelta(seconds=121))
        kept = service.check_token(permanent, now=at + timedelta(days=3650))
    # the same certificate as the permanent QR: document id, kind, number, digest
    mine, paper = claims_of(token), claims_of(permanent)
    assert (mine.document_id, mine.kind, mine.number, mine.digest) == (
        paper.document_id, paper.kind, paper.number, paper.digest,
    )  # fmt: skip
    assert paper.exp is None and not verify.is_showing(paper)
    assert (mine.iat, mine.exp) == (now, now + 120)
    assert (ok.verdict, ok.reason) == ("authentic", "valid") and ok.document is not None
    assert (late.verdict, late.reason) == ("expired", "showing_expired")
    assert late.document is None and late.display == []
    body = late.to_json()
    assert body["headline"] == "亮证码已过期" and "重新亮证" in body["advice"]
    assert "不代表证书无效" in body["advice"]
    assert kept.verdict == "authentic"  # the paper's QR never expires


def test_showing_token_only_for_certificates(app):
    from miniapp_api.domain import documents
    from miniapp_api.models import IssuedDocument

    with app.app_context():
        copy = IssuedDocument(kind="license_copy", document_id=b"x" * 12, content_digest=b"d" * 16)
        with pytest.raises(ValueError):
            documents.showing_token(copy, iat=1, exp=2)


def test_pictures_a_minute_apart_carry_different_live_qrs(
    app, client, citizen_headers, demo, monkeypatch
):
    from miniapp_api.licenses import showing

    headers = citizen_headers("zhang")
    license_id, permanent = shown_license(app, client, headers)
    now = time.time()
    tokens = []
    for second in (now, now + 60):
        monkeypatch.setattr(showing, "time", SimpleNamespace(time=lambda second=second: second))
        answer = client.post(f"/api/v1/me/licenses/{license_id}/show", headers=headers).json
        assert answer["qr_expires_at"] == int(second) + 120
        tokens.append(picture_qr(client, answer["png"]))
    monkeypatch.undo()
    assert tokens[0] != tokens[1] and permanent not in tokens
    for token in tokens:
        body = client.get(f"/api/v1/verify/{token}").json
        assert (body["verdict"], body["reason"]) == ("authentic", "valid")
        assert claims_of(token).document_id == claims_of(permanent).document_id
    assert claims_of(tokens[1]).iat - claims_of(tokens[0]).iat == 60
    # No row per picture: the certificate's documents are the same before and after.
    with app.app_context():
        from miniapp_api.models import IssuedDocument

        ids = {claims_of(t).document_id for t in tokens}
        rows = db.session.query(IssuedDocument).filter(IssuedDocument.document_id.in_(ids))
        assert rows.count() == 1


def test_a_forwarded_showing_says_expired_not_invalid(app, client, citizen_headers, demo):
    from miniapp_api.domain import documents
    from miniapp_api.models import ElectronicLicense

    license_id, _ = shown_license(app, client, citizen_headers("zhang"))
    now = int(time.time())
    with app.app_context():
        lic = db.session.get(ElectronicLicense, license_id)
        doc = documents.certificate_document(lic.certificate)
        token = documents.showing_token(doc, iat=now - 600, exp=now - 480)
    body = client.get(f"/api/v1/verify/{token}").json
    assert (body["verdict"], body["reason"]) == ("expired", "showing_expired")
    assert body["headline"] == "亮证码已过期" and "document" not in body
    page = client.get(f"/v/{token}", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "亮证码已过期" in html
        and "请权利人重新亮证" in html
        and 'data-reason="showing_expired"' in html
    )
    assert "无法验证" not in html and "已不是现势状态" not in html and "已注销" not in html


def test_the_js_verifier_agrees_on_showing_tokens(app, client, citizen_headers, demo, tmp_path):
    node_bin = shutil.which("node")
    assert node_bin is not None, "node is required (make setup installs it)"
    from miniapp_api.domain import documents
    from miniapp_api.models import ElectronicLicense
    from verify.cli import main

    license_id, _ = shown_license(app, client, citizen_headers("zhang"))
    now = int(time.time())
    with app.app_context():
        lic = db.session.get(ElectronicLicense, license_id)
        doc = documents.certificate_document(lic.certificate)
        token = documents.showing_token(doc, iat=now, exp=now + 120)
        jwks = tmp_path / "jwks.json"
        jwks.write_text(json.dumps(documents.current_keyset().to_jwks()), encoding="utf-8")
    cli = Path(__file__).resolve().parent.parent / "static" / "js" / "verify-cli.mjs"
    for at, expected in ((now, 0), (now + 119, 0), (now + 120, 7), (now + 121, 7)):
        args = ["--keys", str(jwks), "--now", str(at), "--json", token]
        node = subprocess.run(
            [node_bin, str(cli), *args], capture_output=True, text=True, timeout=60
        )
        assert node.returncode == expected == main(args), node.stderr
        answer = json.loads(node.stdout)
        assert answer["claims"]["kind"] == "property" and answer["claims"]["exp"] == now + 120
    script = (
        "import { isShowing, KeySet, verify } from " + json.dumps(str(cli.parent / "verify.mjs"))
        + "; import { readFileSync } from 'node:fs';"
        + f"const jwks = JSON.parse(readFileSync({json.dumps(str(jwks))}, 'utf-8'));"
        + "const keys = KeySet.fromJwks(jwks);"
        + f"const v = await verify({json.dumps(token)}, keys, {{ now: {now + 121} }});"
        + "console.log(JSON.stringify([v.reason, isShowing(v.claims)]));"
    )  # fmt: skip
    out = subprocess.run(
        [node_bin, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert json.loads(out.stdout) == ["expired", True], out.stderr


def test_is_showing_only_for_short_lived_certificate_tokens():
    def claims(kind: verify.DocumentKind, exp: int | None) -> verify.Claims:
        return verify.Claims(
            iss="12430100MB1C23456X", iat=1000, kind=kind, document_id=b"i" * 12,
            number=verify.compact_number("湘(2022)汨罗市不动产权第0001234号"), digest=b"d" * 16,
            exp=exp,
        )  # fmt: skip

    kinds = verify.DocumentKind
    assert verify.is_showing(claims(kinds.PROPERTY, 1120))
    assert verify.is_showing(claims(kinds.REGISTRATION, 1000 + verify.SHOWING_MAX_SECONDS))
    assert not verify.is_showing(claims(kinds.PROPERTY, 1001 + verify.SHOWING_MAX_SECONDS))
    assert not verify.is_showing(claims(kinds.PROPERTY, None))  # the paper's own QR
    assert not verify.is_showing(claims(kinds.ELICENSE_COPY, 1120))
    assert not verify.is_showing(claims(kinds.HOUSING_PROOF, 1120))
