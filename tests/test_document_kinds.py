"""Document kinds (miniapp_api/kinds/): one interface per kind, registered in create_app; every
channel shows the same server-made display rows; a check reads through one connection."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import event

from miniapp_api import kinds
from miniapp_api.database import db
from miniapp_api.kinds.base import DocumentKind
from miniapp_api.partners.service import create_partner
from miniapp_api.verification import service as verification

KIND_NAMES = {"property_certificate", "registration_certificate", "license_copy", "housing_proof"}


def _copy_token(client, headers) -> str:
    licenses = client.get("/api/v1/me/licenses", headers=headers).json
    copy = client.post(
        f"/api/v1/me/licenses/{licenses[0]['id']}/copies",
        headers=headers,
        json={"purpose": "子女入学", "valid_days": 5},
    ).json
    return urlsplit(copy["verification_url"]).path.rsplit("/", 1)[1]


def _proof_token(client, headers) -> str:
    proof = client.post(
        "/api/v1/me/housing-proofs", headers=headers, json={"scope": "family", "purpose": "落户"}
    ).json
    return urlsplit(proof["verification_url"]).path.rsplit("/", 1)[1]


def _page_rows(client, token: str) -> list[list[str]]:
    text = client.get(f"/v/{token}").get_data(as_text=True)
    pairs = re.findall(
        r'<dt class="field__label">(.*?)</dt><dd class="field__value">(.*?)</dd>', text
    )
    return [[html.unescape(label), html.unescape(value)] for label, value in pairs]


def test_every_kind_is_registered_by_create_app(app):
    with app.app_context():
        for name in KIND_NAMES:
            kind = kinds.get(name)
            assert isinstance(kind, DocumentKind)
            assert kind.name == name and kind.label
        assert kinds.get("no_such_kind") is None
    assert kinds.LICENSE_COPY.printable and kinds.HOUSING_PROOF.printable
    assert not kinds.PROPERTY_CERTIFICATE.printable


def test_page_json_and_partner_answer_show_the_same_rows(app, client, citizen_headers, demo):
    samples = demo["verification"]["samples"]
    _partner, key = create_partner("中国建设银行汨罗支行", "bank")
    tokens = [
        urlsplit(samples["mortgaged"]["url"]).path.rsplit("/", 1)[1],
        _copy_token(client, citizen_headers("zhang")),
        _proof_token(client, citizen_headers("zhang")),
    ]
    batch = client.post(
        "/api/v1/partner/verify", json={"tokens": tokens}, headers={"X-API-Key": key}
    ).json["results"]
    for token, partner_answer in zip(tokens, batch, strict=True):
        answer = client.get(f"/api/v1/verify/{token}").json
        rows = [[row["label"], row["value"]] for row in answer["display"]]
        assert len(rows) >= 5
        assert rows == _page_rows(client, token)
        assert partner_answer["display"] == answer["display"]


def test_one_check_of_a_copy_uses_one_connection(app, client, citizen_headers, monkeypatch):
    token = _copy_token(client, citizen_headers("wang"))
    check_connections: list[object] = []
    used: list[object] = []
    opened = verification.check_connection

    @contextmanager
    def spy() -> Iterator[object]:
        with opened() as conn:
            check_connections.append(conn.connection.dbapi_connection)
            yield conn

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        used.append(conn.connection.dbapi_connection)

    monkeypatch.setattr(verification, "check_connection", spy)
    engines = {db.engine, verification.check_engine()}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.get(f"/api/v1/verify/{token}")
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    assert response.json["document"]["kind"] == "license_copy"
    assert response.json["verdict"] == "authentic"
    assert len(check_connections) == 1
    assert used  # the copy's ORM reads (the raw certificate and audit statements fire no events)
    assert {id(c) for c in used} == {id(check_connections[0])}
