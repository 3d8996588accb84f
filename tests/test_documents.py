"""Issuing signed documents (miniapp_api/domain/documents.py)."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import verify
from miniapp_api.domain import documents, keys
from miniapp_api.domain.validators import (
    is_valid_certificate_number,
    is_valid_license_id,
    is_valid_print_serial,
)
from miniapp_api.extensions import db
from miniapp_api.models import Certificate, IssuedDocument, PropertyRight


def _verdict(token: str) -> verify.Verdict:
    return verify.check_token(token, documents.current_keyset(), now=datetime.now(UTC).timestamp())


def test_seed_issued_a_token_for_every_certificate(app):
    certificates = db.session.execute(select(func.count(Certificate.id))).scalar_one()
    covered = db.session.execute(
        select(func.count(func.distinct(IssuedDocument.certificate_id)))
    ).scalar_one()
    assert certificates > 60
    assert covered == certificates


def test_seeded_token_verifies_and_matches_the_record(app):
    doc = db.session.execute(select(IssuedDocument).limit(1)).scalar_one()
    verdict = _verdict(doc.token)
    assert verdict.ok
    assert verdict.claims.document_id == doc.document_id
    assert verdict.claims.kind.code_name == doc.kind.split("_")[0]
    assert verdict.claims.number == verify.compact_number(doc.certificate.number)
    fields = documents.canonical_fields(doc.kind, certificate=doc.certificate)
    assert verify.digest_matches(verdict.claims, fields)
    assert doc.content_digest == verdict.claims.digest


def test_keystore_creates_a_private_first_key(app, tmp_path):
    app.config["KEYS_DIR"] = str(tmp_path / "fresh-keys")
    app.extensions.pop("verify_keystore", None)
    store = documents.keystore()
    infos = list(store.keyset())
    assert [i.status for i in infos] == [verify.KeyStatus.ACTIVE]
    for path in (tmp_path / "fresh-keys").iterdir():
        if path.is_file():
            assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, path
    assert documents.keystore() is store


def test_keyset_cache_follows_rotation(app, monkeypatch):
    monkeypatch.setattr(keys, "KEYSET_RECHECK_SECONDS", 0.0)  # another process rotates
    before = documents.current_keyset()
    assert documents.current_keyset() is before
    new_kid = documents.keystore().rotate()
    after = documents.current_keyset()
    assert new_kid in after
    assert len(after) == len(before) + 1


def test_issue_certificate_creates_number_serial_license_and_token(app):
    right = db.session.execute(select(PropertyRight).limit(1)).scalar_one()
    now = datetime(2026, 11, 26, 8, tzinfo=UTC)
    first = documents.issue_certificate(right, now=now)
    second = documents.issue_certificate(right, now=now)
    db.session.commit()
    for cert in (first, second):
        doc = documents.certificate_document(cert)
        assert is_valid_certificate_number(cert.number)
        assert is_valid_print_serial(cert.print_serial)
        assert is_valid_license_id(cert.license.license_id)
        assert doc.certificate_id == cert.id
        assert doc.kind == "property_certificate"
        assert _verdict(doc.token).ok
    assert first.number.startswith("湘(2026)汨罗市不动产权第")
    seq = [int(re.search(r"第(\d{7})号", c.number)[1]) for c in (first, second)]
    assert seq[1] == seq[0] + 1
    assert int(second.print_serial) == int(first.print_serial) + 1
    doc = documents.certificate_document(first)
    assert documents.document_url(doc) == f"https://bdc.example.gov.cn/v/{doc.token}"


def test_issue_document_does_not_commit(app):
    cert = db.session.execute(select(Certificate).limit(1)).scalar_one()
    count = db.session.execute(select(func.count(IssuedDocument.id))).scalar_one()
    doc = documents.issue_document("property_certificate", certificate=cert)
    assert len(doc.document_id) * 8 >= 96
    db.session.rollback()
    assert db.session.execute(select(func.count(IssuedDocument.id))).scalar_one() == count


def test_expiring_document_carries_exp(app):
    cert = db.session.execute(select(Certificate).limit(1)).scalar_one()
    now = datetime.now(UTC) - timedelta(days=2)
    doc = documents.issue_document(
        "property_certificate", certificate=cert, now=now, expires_at=now + timedelta(days=1)
    )
    assert _verdict(doc.token).reason is verify.Reason.EXPIRED
    with pytest.raises(ValueError):
        documents.issue_document("property_certificate", certificate=cert, expires_at=now)
    with pytest.raises(ValueError):
        documents.issue_document("nonsense", certificate=cert)


def test_qr_images_hold_the_link(app):
    doc = db.session.execute(select(IssuedDocument).limit(1)).scalar_one()
    url = documents.document_url(doc)
    png = documents.qr_png(url, scale=4)
    assert png.startswith(b"\x89PNG")
    texts = verify.read_qr(png)
    assert [verify.extract_token(t) for t in texts] == [doc.token]
    assert documents.qr_svg(url).lstrip().startswith("<svg")
