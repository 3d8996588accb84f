"""Error pages for browsers (issue #15 item 1) — content negotiation, no browser needed."""

from __future__ import annotations

import time

from miniapp_api import downloads

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_a_browser_gets_a_page_everyone_else_the_problem(client):
    page = client.get("/app/nope.html", headers={"Accept": BROWSER})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "页面不存在" in text and "返回首页" in text and "咨询电话" in text
    assert '"code"' not in text
    for accept in (None, "*/*", "application/json", "application/problem+json"):
        headers = {"Accept": accept} if accept else {}
        answer = client.get("/app/nope.html", headers=headers)
        assert answer.status_code == 404
        assert answer.mimetype == "application/problem+json"
        assert answer.json["code"] == "not_found"


def test_only_navigations_get_pages(client):
    answer = client.post("/api/v1/verify/by-number", data="x", headers={"Accept": BROWSER})
    assert answer.mimetype == "application/problem+json"


def test_405_keeps_its_allow_header(client):
    page = client.get("/api/v1/auth/logout", headers={"Accept": BROWSER})
    assert page.status_code == 405
    assert page.mimetype == "text/html"
    assert "POST" in page.headers["Allow"]


def test_expired_link_page_offers_a_fresh_one(app, client, citizen_headers, demo):
    headers = citizen_headers("zhang")
    licenses = client.get("/api/v1/me/licenses", headers=headers).json
    copy = client.post(
        f"/api/v1/me/licenses/{licenses[0]['id']}/copies",
        headers=headers,
        json={"purpose": "贷款", "valid_days": 5},
    ).json
    account = next(c for c in demo["citizens"] if c["key"] == "zhang")
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount

    account_id = db.session.execute(
        select(WechatAccount.id).where(WechatAccount.openid == account["openid"])
    ).scalar_one()
    signed, _ = downloads.sign_link(
        "license_copy", copy["id"], "pdf", account_id, now=time.time() - 3600
    )
    page = client.get(f"/api/v1/files/{signed}", headers={"Accept": BROWSER})
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "下载链接已过期" in text
    relink = (
        f"/app/relink.html?kind=c&amp;id={copy['id']}&amp;fmt=pdf&amp;license={licenses[0]['id']}"
    )
    assert relink in text
    tampered = client.get(f"/api/v1/files/{signed[:-2]}AA", headers={"Accept": BROWSER})
    assert tampered.status_code == 403
    assert "下载链接无效" in tampered.get_data(as_text=True)
    assert "relink.html" not in tampered.get_data(as_text=True)
    # the app's fetch and any API client: the problem as before
    assert client.get(f"/api/v1/files/{signed}").json["code"] == "download_link_expired"
