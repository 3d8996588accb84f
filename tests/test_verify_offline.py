"""Verification on the phone (issue #18), server side: the service worker, the key-set version
header, the files the worker keeps, the /v/ page's optional script, and a signed payload that
does not parse (400 malformed_token, as docs/verification.md says)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2

import verify
from miniapp_api.domain import documents
from verify.cose import sig_structure

ROOT = Path(__file__).resolve().parent.parent
SW = ROOT / "static" / "js" / "sw.js"


def sample_token(demo: dict[str, Any], name: str = "authentic") -> str:
    return demo["verification"]["samples"][name]["url"].rsplit("/", 1)[1]


def test_service_worker_is_served_at_the_root(client: Any) -> None:
    with client.get("/sw.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Cache-Control"] == "no-cache"
        assert b"bdc-verify-shell" in response.data


def test_every_file_the_worker_keeps_is_served(client: Any) -> None:
    """One missing file would make the worker's install fail, and offline checks with it."""
    text = SW.read_text(encoding="utf-8")
    block = text[text.index("var SHELL_FILES") : text.index("];", text.index("var SHELL_FILES"))]
    paths = [*re.findall(r'"(/[^"]+)"', block), "/app/scan.html"]
    assert len(paths) >= 15
    for path in paths:
        with client.get(path) as response:
            # static/vendor/ is filled by `make setup` (npm ci, then copied from node_modules/).
            assert response.status_code == 200, f"{path} (did `make setup` run?)"
            if path.endswith((".js", ".mjs")):
                assert response.mimetype == "text/javascript", path
    # Every script and style the scan page loads is kept (its layout's shared scripts too).
    page = client.get("/app/scan.html").get_data(as_text=True)
    for ref in re.findall(r'(?:src|href)="(/(?:app|static)/[^"?]+\.(?:js|mjs|css))', page):
        assert ref in paths, ref


def test_keyset_version_header_follows_the_key_set(client: Any, demo: dict[str, Any]) -> None:
    token = sample_token(demo)
    jwks = client.get("/.well-known/jwks.json")
    version = jwks.headers["X-Keyset-Version"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert client.get(f"/api/v1/verify/{token}").headers["X-Keyset-Version"] == version
    assert client.get(f"/v/{token}").headers["X-Keyset-Version"] == version
    assert client.get("/api/v1/verify/NOTATOKEN1").headers["X-Keyset-Version"] == version
    documents.keystore().rotate()
    documents.forget_keyset()
    rotated = client.get("/.well-known/jwks.json")
    assert rotated.headers["X-Keyset-Version"] != version
    assert (
        client.get(f"/v/{token}").headers["X-Keyset-Version"]
        == (rotated.headers["X-Keyset-Version"])
    )


def test_page_works_without_javascript_and_offers_the_local_check(
    client: Any, demo: dict[str, Any]
) -> None:
    response = client.get(f"/v/{sample_token(demo)}")
    html = response.get_data(as_text=True)
    assert "真实有效" in html  # the verdict is in the HTML itself
    assert '<script type="module" src="/static/js/v-page.mjs"></script>' in html
    assert 'name="registry-name" content="汨罗市不动产登记中心"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in html  # no inline script


def test_scan_page_loads_the_local_checker(client: Any) -> None:
    html = client.get("/app/scan.html").get_data(as_text=True)
    assert re.search(r'<script type="module" src="/static/js/scan-offline\.mjs\?v=\w+">', html)
    assert 'id="link-form"' in html


def test_signed_payload_that_does_not_parse_is_malformed_token(client: Any) -> None:
    """docs/verification.md: the format's verdict is malformed whatever the signature."""
    signer = documents.keystore().signer()
    protected = cbor2.dumps({1: -8, 4: signer.kid})
    now = int(datetime.now(UTC).timestamp())
    payload = cbor2.dumps({1: "12430681MB1D5443XD", 6: now, 99: 1})
    signature = signer.sign(sig_structure(protected, payload))
    raw = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    text = verify.token_to_text(raw)
    assert verify.verify(raw, documents.current_keyset(), now=now).reason is verify.Reason.MALFORMED
    response = client.get(f"/api/v1/verify/{text}")
    assert response.status_code == 400
    assert response.get_json()["code"] == "malformed_token"
    page = client.get(f"/v/{text}")
    assert page.status_code == 400
    assert "verdict--malformed" in page.get_data(as_text=True)
