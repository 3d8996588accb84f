"""Another citizen gets 404 on every id route, exactly as for an id that does not exist.

A table of routes (license, copy, proof; JSON, PNG, PDF, links) × two other citizens: li (张建国's
wife, co-owner of the joint flat, so she may see that license but not his copies) and wang (no
relation). Nothing is rendered: the ownership check comes first. The requests only read
(a refused POST writes nothing but its audit event), so one database serves the module.
"""

from __future__ import annotations

import pytest
from test_downloads_render import module_app

ROUTES = [
    ("GET", "/api/v1/me/licenses/{sole}"),
    ("GET", "/api/v1/me/licenses/{sole}/copies"),
    ("POST", "/api/v1/me/licenses/{sole}/copies"),
    ("GET", "/api/v1/me/licenses/{sole}/copies/{sole_copy}"),
    ("GET", "/api/v1/me/licenses/{sole}/copies/{sole_copy}.png"),
    ("GET", "/api/v1/me/licenses/{sole}/copies/{sole_copy}.pdf"),
    ("POST", "/api/v1/me/licenses/{sole}/copies/{sole_copy}/download-links"),
    ("GET", "/api/v1/me/licenses/{joint}/copies/{joint_copy}"),
    ("GET", "/api/v1/me/licenses/{joint}/copies/{joint_copy}.png"),
    ("GET", "/api/v1/me/licenses/{joint}/copies/{joint_copy}.pdf"),
    ("POST", "/api/v1/me/licenses/{joint}/copies/{joint_copy}/download-links"),
    ("GET", "/api/v1/me/housing-proofs/{proof}"),
    ("GET", "/api/v1/me/housing-proofs/{proof}.png"),
    ("GET", "/api/v1/me/housing-proofs/{proof}.pdf"),
    ("POST", "/api/v1/me/housing-proofs/{proof}/download-links"),
]
MISSING = {
    "sole": 987654,
    "joint": 987655,
    "sole_copy": "AAAAAAAAAAAAAAAAAAAAAA",
    "joint_copy": "BBBBBBBBBBBBBBBBBBBBBB",
    "proof": "CCCCCCCCCCCCCCCCCCCCCC",
}


@pytest.fixture(scope="module")
def world(template_db, tmp_path_factory):
    """One database for the module: 张建国's two licenses, a copy of each, a family proof."""
    tmp = tmp_path_factory.mktemp("access")
    with module_app(template_db, tmp, ("zhang", "li", "wang")) as (_app, client, headers):
        zhang = headers["zhang"]
        licenses = client.get("/api/v1/me/licenses", headers=zhang).json
        ids: dict[str, object] = {i["co_ownership"]: i["id"] for i in licenses}
        for key in ("sole", "joint"):
            response = client.post(
                f"/api/v1/me/licenses/{ids[key]}/copies", headers=zhang, json={"purpose": "贷款"}
            )
            assert response.status_code == 201
            ids[f"{key}_copy"] = response.json["id"]
        response = client.post(
            "/api/v1/me/housing-proofs", headers=zhang, json={"scope": "family", "purpose": "贷款"}
        )
        assert response.status_code == 201
        ids["proof"] = response.json["id"]
        yield {"client": client, "headers": headers, "ids": ids}


def _call(client, method: str, path: str, headers: dict[str, str]):
    if method == "POST":
        return client.post(path, headers=headers, json={"purpose": "贷款"})
    return client.get(path, headers=headers)


def _problem(response) -> dict:
    body = dict(response.json)
    body.pop("request_id", None)
    body.pop("instance", None)
    return body


@pytest.mark.parametrize("other", ["li", "wang"])
@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_someone_elses_document_is_404_like_a_missing_one(world, other, method, route):
    client, headers = world["client"], world["headers"][other]
    theirs = _call(client, method, route.format(**world["ids"]), headers)
    missing = _call(client, method, route.format(**MISSING), headers)
    assert theirs.status_code == 404
    assert missing.status_code == 404
    assert theirs.headers["Content-Type"] == missing.headers["Content-Type"]
    assert _problem(theirs) == _problem(missing)
    assert "ETag" not in theirs.headers


def test_the_owner_reaches_every_json_route(world):
    client, headers = world["client"], world["headers"]["zhang"]
    for method, route in ROUTES:
        if route.endswith((".png", ".pdf")):
            continue  # rendering is covered in test_downloads_render.py
        response = _call(client, method, route.format(**world["ids"]), headers)
        assert response.status_code in (200, 201), (method, route, response.json)


def test_co_owner_sees_the_joint_license_but_not_its_copies(world):
    client, li = world["client"], world["headers"]["li"]
    joint = world["ids"]["joint"]
    assert client.get(f"/api/v1/me/licenses/{joint}", headers=li).status_code == 200
    assert client.get(f"/api/v1/me/licenses/{joint}/copies", headers=li).json == []
