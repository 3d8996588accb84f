"""Helpers shared by the citizen document tests (licenses, copies, housing proofs)."""

from __future__ import annotations

from typing import Any

from miniapp_api.extensions import db
from miniapp_api.models import Person


def link_token(url: str) -> str:
    """The signed token at the end of a download link."""
    return url.rstrip("/").rsplit("/", 1)[1]


def demo_person(demo: dict[str, Any], key: str) -> Person:
    citizen = next(c for c in demo["citizens"] if c["key"] == key)
    return db.session.get(Person, citizen["person_id"])


def verify_issued(client: Any, issued: dict[str, Any], kind: str, purpose: str) -> Any:
    """Open an issued document's QR link; assert it is authentic and names this document of
    `kind` for `purpose`; answer the response."""
    response = client.get(f"/api/v1/verify/{link_token(issued['verification_url'])}")
    assert response.status_code == 200
    body = response.json
    assert body["verdict"] == "authentic"
    assert body["document"]["kind"] == kind
    assert body["document"]["number"] == issued["serial"]
    assert body["document"]["purpose"] == purpose
    return response
