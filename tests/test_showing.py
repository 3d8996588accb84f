"""亮证 (issue #15 item 4): POST /api/v1/me/licenses/{id}/show and the picture it links to."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

import verify


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
