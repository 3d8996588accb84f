"""Real renders of annotated copies and housing proofs, done once for the whole module.

A module-scoped app on its own copy of the demo database issues three documents (a copy of
王志强's mortgaged flat, 张建国's family proof, 赵敏's 无房 proof), downloads each as PNG and
PDF once, and the tests check those bytes: the QR decodes with zxing-cpp to a link that
verifies, the PDF text has the holder, number and purpose, every character has a glyph.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest
import zxingcpp
from conftest import cloned_database, running_app
from PIL import Image
from sqlalchemy import select

import verify
from miniapp_api import rendering

CITIZENS = ("zhang", "wang", "zhao")


@contextmanager
def module_app(template_db: dict[str, Any], tmp: Path, citizens: tuple[str, ...]):
    """An app on a private copy of the demo database for a whole test module (app context
    pushed), with bearer headers for the given demo citizens. Shared by the modules whose
    tests only read, so that one database (and one render of each document) serves them all.
    """
    from miniapp_api.auth import tokens
    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount

    with cloned_database(template_db, tmp) as uri, running_app(uri, template_db, tmp, {}) as app:
        headers = {}
        for key in citizens:
            citizen = next(c for c in template_db["demo"]["citizens"] if c["key"] == key)
            account = db.session.execute(
                select(WechatAccount).where(WechatAccount.openid == citizen["openid"])
            ).scalar_one_or_none() or WechatAccount(openid=citizen["openid"])
            account.person_id = citizen["person_id"]
            db.session.add(account)
            db.session.commit()
            token, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, 3600)
            headers[key] = {"Authorization": f"Bearer {token}"}
        yield app, app.test_client(), headers


@pytest.fixture(scope="module")
def world(template_db, tmp_path_factory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("render")
    with module_app(template_db, tmp, CITIZENS) as (app, client, headers):
        license_id = client.get("/api/v1/me/licenses", headers=headers["wang"]).json[0]["id"]
        copy = client.post(
            f"/api/v1/me/licenses/{license_id}/copies",
            headers=headers["wang"],
            json={"purpose": "贷款", "valid_days": 20},
        ).json
        family = client.post(
            "/api/v1/me/housing-proofs",
            headers=headers["zhang"],
            json={"scope": "family", "purpose": "子女入学"},
        ).json
        none = client.post(
            "/api/v1/me/housing-proofs",
            headers=headers["zhao"],
            json={"scope": "personal", "purpose": "购房资格审核"},
        ).json
        docs = {"copy": (copy, "wang"), "family": (family, "zhang"), "none": (none, "zhao")}
        files: dict[tuple[str, str], Any] = {}
        for name, (doc, key) in docs.items():
            for fmt in ("png", "pdf"):
                files[(name, fmt)] = client.get(doc[f"{fmt}_url"], headers=headers[key])
        yield {"app": app, "client": client, "headers": headers, "docs": docs, "files": files}


def _qr_texts(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("name", ["copy", "family", "none"])
def test_png_is_an_a4_image_whose_qr_verifies(world, name):
    response = world["files"][(name, "png")]
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    doc, _ = world["docs"][name]
    (text,) = _qr_texts(response.data)
    assert verify.extract_token(text) == verify.extract_token(doc["verification_url"])
    answer = world["client"].get(urlsplit(text).path.replace("/V/", "/api/v1/verify/", 1))
    assert answer.status_code == 200
    assert answer.json["verdict"] == "authentic"
    assert answer.json["document"]["number"] == doc["serial"]


def test_qr_token_checks_offline_with_the_published_keys(world):
    from miniapp_api.domain import documents

    (text,) = _qr_texts(world["files"][("copy", "png")].data)
    with world["app"].app_context():
        keyset = documents.current_keyset()
    verdict = verify.check_token(text, keyset, now=datetime.now(UTC).timestamp())
    assert verdict.ok
    assert verdict.claims.kind is verify.DocumentKind.ELICENSE_COPY
    assert verdict.claims.exp is not None


def test_copy_pdf_text_has_holder_number_purpose_and_notes(world):
    copy, _ = world["docs"]["copy"]
    response = world["files"][("copy", "pdf")]
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "王志强" in text
    assert copy["certificate_number"] in text
    assert copy["serial"] in text
    assert "贷款" in text
    assert "仅供办理贷款使用" in text.replace("\n", "")
    assert "抵押" in text  # 附记: the mortgage at copy time
    assert "加注" in text


def test_family_proof_pdf_text(world):
    proof, _ = world["docs"]["family"]
    text = _pdf_text(world["files"][("family", "pdf")].data)
    for expected in ("张建国", "李秀英", "张子涵", proof["serial"], "子女入学", "有房"):
        assert expected in text, expected
    flat = text.replace("\n", "")
    for unit in proof["units"]:
        # Table cells wrap and are extracted row by row: the number's head stays together.
        assert unit["certificate_number"][:12] in flat


def test_no_property_proof_pdf_text(world):
    proof, _ = world["docs"]["none"]
    text = _pdf_text(world["files"][("none", "pdf")].data)
    for expected in ("赵敏", proof["serial"], "购房资格审核", "无房"):
        assert expected in text, expected


def test_every_character_of_our_documents_has_a_glyph(world):
    from miniapp_api.kinds import HOUSING_PROOF, LICENSE_COPY, printing

    fonts = rendering.get_fonts()
    with world["app"].app_context():
        copy = LICENSE_COPY.load(world["docs"]["copy"][0]["id"])
        pages = [rendering.license_page(printing.license_document(copy, "HTTPS://X/V/A"))]
        for name in ("family", "none"):
            proof = HOUSING_PROOF.load(world["docs"][name][0]["id"])
            pages.append(rendering.proof_page(printing.proof_document(proof, "HTTPS://X/V/A")))
    for page in pages:
        assert page.missing_glyphs(fonts) == set()
        assert any("仅供办理" in text for text in page.texts())  # the watermark is drawn


def test_downloads_carry_etag_and_chinese_filename(world):
    response = world["files"][("family", "pdf")]
    assert response.headers["ETag"].startswith('"')
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline; filename=")
    assert "filename*=UTF-8''%E6%88%BF%E5%B1%8B%E8%AF%81%E6%98%8E_FW" in disposition  # 房屋证明_


def test_repeat_is_a_cache_hit_and_conditional_repeat_is_304(world):
    client, headers = world["client"], world["headers"]["wang"]
    copy, _ = world["docs"]["copy"]
    first = world["files"][("copy", "png")]
    again = client.get(copy["png_url"], headers=headers)
    assert again.headers["X-Render-Cache"] == "hit"
    assert again.data == first.data
    conditional = client.get(
        copy["png_url"], headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert conditional.status_code == 304


def test_download_link_serves_the_same_bytes_without_a_header(world):
    client = world["client"]
    proof, _ = world["docs"]["none"]
    response = client.get(urlsplit(proof["download_links"]["png"]).path)
    assert response.status_code == 200
    assert response.data == world["files"][("none", "png")].data
