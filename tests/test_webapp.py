"""Serving the citizen web app (miniapp_api/webapp.py) — no browser needed."""

from __future__ import annotations

import re

from miniapp_api.webapp import APP_DIR, asset_version

PAGES = sorted(p.stem for p in APP_DIR.glob("*.html"))


def test_root_redirects_to_the_app(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/"


def test_app_without_slash_redirects(client):
    response = client.get("/app")
    assert response.status_code == 301
    assert response.headers["Location"] == "/app/"


def test_home_page_is_served_uncached_with_the_registry_name(client, app):
    response = client.get("/app/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    assert app.config["REGISTRY_NAME"] in text
    assert "{{" not in text


def test_every_page_references_versioned_assets_that_exist(client):
    version = asset_version()
    for name in PAGES:
        text = client.get(f"/app/{name}.html").get_data(as_text=True)
        refs = re.findall(r'(?:src|href)="(/app/(?:css|js|img)/[^"?]+)\?v=([0-9a-f]+)"', text)
        assert refs, name
        for path, v in refs:
            assert v == version
            with client.get(path) as asset:
                assert asset.status_code == 200, path


def test_pages_have_no_inline_scripts_or_styles():
    for path in APP_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<style" not in text, path.name
        assert " style=" not in text, path.name
        for script in re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S):
            assert script.strip() == "", path.name
        assert not re.search(r"\son[a-z]+=", text), path.name


def test_scripts_never_use_inner_html_or_eval():
    for path in (APP_DIR / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "innerHTML" not in text, path.name
        assert "eval(" not in text, path.name
        assert ".style." not in text and 'setAttribute("style"' not in text, path.name


def test_versioned_asset_is_cached_for_a_long_time(client):
    with client.get(f"/app/css/app.css?v={asset_version()}") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert "immutable" in response.headers["Cache-Control"]


def test_unversioned_asset_is_cached_briefly(client):
    with client.get("/app/js/common.js") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=300"


def test_unknown_page_is_a_404_problem(client):
    response = client.get("/app/nothing-here.html")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_no_path_traversal_out_of_the_asset_folders(client):
    for path in ("/app/js/../../../miniapp_api/config.py", "/app/js/%2e%2e/index.html"):
        assert client.get(path).status_code == 404


def test_only_asset_types_are_served(client):
    assert client.get("/app/js/README.md").status_code == 404


def test_pages_carry_the_content_security_policy(client):
    csp = client.get("/app/scan.html").headers["Content-Security-Policy"]
    assert "script-src 'self' https://res.wx.qq.com" in csp
    assert "style-src 'self'" in csp


def test_favicon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/png"
