"""Citizen login against the fake WeChat server.

authorize → login → bind → /me → refresh → logout, and every refusal on the way.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, RefreshToken, WechatAccount

AUTHORIZE = "/api/v1/auth/wechat/authorize"
LOGIN = "/api/v1/auth/wechat"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
IDENTITY = "/api/v1/me/identity"
CALLBACK = "https://bdc.example.gov.cn/app/login-callback.html"


@pytest.fixture
def config_overrides(wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config}


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat: Any) -> None:
    fake_wechat.reset()


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    if code is not None:
        assert body["code"] == code
    return body


def citizen(demo: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in demo["citizens"] if c["key"] == key)


def authorize(client: Any, next_path: str = "/app/") -> tuple[str, str]:
    """Start a login; return (WeChat authorise URL, state)."""
    response = client.get(AUTHORIZE, query_string={"next": next_path})
    assert response.status_code == 302
    location = response.headers["Location"]
    state = parse_qs(urlsplit(location.split("#", 1)[0]).query)["state"][0]
    return location, state


def choose_on_fake(location: str, display_name: str) -> tuple[str, str]:
    """Play the browser on the fake's authorise page; return (code, state) from the callback."""
    page = requests.get(location.split("#", 1)[0], timeout=5)
    assert page.status_code == 200
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page.text)
    link = next(html.unescape(href) for href, name in links if name == display_name)
    base = "{0.scheme}://{0.netloc}".format(urlsplit(location))
    answer = requests.get(base + link, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(callback).query)
    return query["code"][0], query["state"][0]


def login(client: Any, fake: Any, openid: str, next_path: str = "/app/") -> Any:
    _, state = authorize(client, next_path)
    code = fake.issue_code(openid)
    return client.post(LOGIN, json={"code": code, "state": state})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the whole path ---------------------------------------------------------------------
def test_full_path_login_bind_me_refresh_logout(client, fake_wechat, demo):
    zhang = citizen(demo, "zhang")
    location, _ = authorize(client, "/app/proofs")
    code, state = choose_on_fake(location, zhang["name"])

    logged_in = client.post(LOGIN, json={"code": code, "state": state})
    assert logged_in.status_code == 200
    session = logged_in.get_json()
    assert session["token_type"] == "Bearer"
    assert session["identity_bound"] is False
    assert session["next"] == "/app/proofs"
    assert 0 < session["expires_in"] <= 1800

    me = client.get(ME, headers=bearer(session["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["identity_bound"] is False

    bound = client.post(
        IDENTITY,
        json={"name": zhang["name"], "id_number": zhang["id_number"]},
        headers=bearer(session["access_token"]),
    )
    assert bound.status_code == 200
    assert bound.get_json()["identity_bound"] is True

    profile = client.get(ME, headers=bearer(session["access_token"])).get_json()
    assert profile["name"] == zhang["name"]
    assert (
        profile["id_number_masked"] == zhang["id_number"][:6] + "********" + zhang["id_number"][-4:]
    )
    assert profile["phone_masked"] == "138****1001"
    assert profile["bound_at"]

    refreshed = client.post(REFRESH, json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200
    pair = refreshed.get_json()
    assert pair["identity_bound"] is True
    assert pair["refresh_token"] != session["refresh_token"]
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200

    out = client.post(LOGOUT, headers=bearer(pair["access_token"]))
    assert out.status_code == 204
    assert_problem(client.get(ME, headers=bearer(pair["access_token"])), 401, "token_revoked")
    # the older access token of the same login and the refresh family stop too
    assert_problem(client.get(ME, headers=bearer(session["access_token"])), 401, "token_revoked")
    assert_problem(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}), 401, "token_revoked"
    )


def test_first_login_creates_the_account_once(client, fake_wechat, demo):
    openid = demo["unbound_openid"]
    assert login(client, fake_wechat, openid).status_code == 200
    assert login(client, fake_wechat, openid).status_code == 200
    count = db.session.scalar(
        select(func.count()).select_from(WechatAccount).where(WechatAccount.openid == openid)
    )
    assert count == 1
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == openid)
    ).scalar_one()
    assert account.last_login_at is not None
    assert account.person_id is None


def test_login_is_audited_without_tokens(client, fake_wechat, demo):
    assert login(client, fake_wechat, demo["unbound_openid"]).status_code == 200
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.result == "ok")
    ).scalar_one()
    assert event.actor_kind == "citizen"
    assert "token" not in str(event.detail or "")


# --- authorize ----------------------------------------------------------------------------
def test_authorize_redirects_to_wechat_with_snsapi_base(client, fake_wechat):
    location, state = authorize(client, "/app/me")
    assert location.startswith(fake_wechat.base_url + "/connect/oauth2/authorize?appid=")
    assert location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location.split("#", 1)[0]).query)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == ["snsapi_base"]
    assert query["response_type"] == ["code"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", state)


def test_authorize_sets_a_short_lived_httponly_lax_cookie(client):
    response = client.get(AUTHORIZE)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("bdc_login=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Path=/api/v1/auth/wechat" in cookie and "Max-Age=600" in cookie
    assert response.headers["Cache-Control"] == "no-store"


def test_authorize_states_are_unique(client):
    states = {authorize(client)[1] for _ in range(5)}
    assert len(states) == 5


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example.com/x",
        "https://evil.example.com/",
        "http:/evil.example.com",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "/app\r\nSet-Cookie: x=1",
        "/app/\x00",
        "javascript:alert(1)",
        "app/relative",
        "/" + "a" * 600,
    ],
    ids=[
        "protocol-relative",
        "absolute",
        "scheme-path",
        "slash-backslash",
        "backslashes",
        "crlf",
        "nul",
        "javascript",
        "relative",
        "too-long",
    ],
)
def test_authorize_refuses_foreign_next(client, next_path):
    body = assert_problem(client.get(AUTHORIZE, query_string={"next": next_path}), 422)
    assert "next" in body["errors"]


def test_login_returns_the_default_next_when_none_given(client, fake_wechat, demo):
    response = client.get(AUTHORIZE)
    state = parse_qs(urlsplit(response.headers["Location"].split("#")[0]).query)["state"][0]
    code = fake_wechat.issue_code(demo["unbound_openid"])
    assert client.post(LOGIN, json={"code": code, "state": state}).get_json()["next"] == "/app/"


# --- login refusals ---------------------------------------------------------------------
def test_unknown_state_is_refused(client, fake_wechat, demo):
    code = fake_wechat.issue_code(demo["unbound_openid"])
    body = assert_problem(
        client.post(LOGIN, json={"code": code, "state": "A" * 32}), 400, "login_state_invalid"
    )
    assert body["detail"]
    assert fake_wechat.calls["/sns/oauth2/access_token"] == 0


def test_state_is_single_use(client, fake_wechat, demo):
    _, state = authorize(client)
    first = client.post(
        LOGIN, json={"code": fake_wechat.issue_code(demo["unbound_openid"]), "state": state}
    )
    assert first.status_code == 200
    again = client.post(
        LOGIN, json={"code": fake_wechat.issue_code(demo["unbound_openid"]), "state": state}
    )
    assert_problem(again, 400, "login_state_invalid")


def test_malformed_state_is_a_validation_problem(client):
    body = assert_problem(client.post(LOGIN, json={"code": "abc", "state": "bad-state!"}), 422)
    assert "state" in body["errors"]


def test_expired_state_is_refused(client, fake_wechat, demo, monkeypatch):
    from miniapp_api.auth import service

    _, state = authorize(client)
    real_now = service._now()
    monkeypatch.setattr(service, "_now", lambda: real_now + 601)
    code = fake_wechat.issue_code(demo["unbound_openid"])
    assert_problem(
        client.post(LOGIN, json={"code": code, "state": state}), 400, "login_state_invalid"
    )


def test_state_from_another_browser_is_refused(app, client, fake_wechat, demo):
    _, state = authorize(client)
    other_browser = app.test_client()
    other_browser.get(AUTHORIZE)  # has its own, different login cookie
    code = fake_wechat.issue_code(demo["unbound_openid"])
    assert_problem(
        other_browser.post(LOGIN, json={"code": code, "state": state}), 400, "login_state_invalid"
    )


def test_state_without_the_cookie_still_works(app, client, fake_wechat, demo):
    """The front end may post code and state from a context without our cookie."""
    _, state = authorize(client)
    code = fake_wechat.issue_code(demo["unbound_openid"])
    fresh = app.test_client()
    assert fresh.post(LOGIN, json={"code": code, "state": state}).status_code == 200


def test_login_clears_the_binding_cookie(client, fake_wechat, demo):
    response = login(client, fake_wechat, demo["unbound_openid"])
    assert "bdc_login=;" in response.headers["Set-Cookie"]


def test_replayed_code_is_refused_without_a_session(client, fake_wechat, demo):
    code = fake_wechat.issue_code(demo["unbound_openid"])
    _, state = authorize(client)
    assert client.post(LOGIN, json={"code": code, "state": state}).status_code == 200
    _, state2 = authorize(client)
    body = assert_problem(
        client.post(LOGIN, json={"code": code, "state": state2}), 400, "wechat_code_used"
    )
    assert "access_token" not in body
    assert fake_wechat.calls["/sns/oauth2/access_token"] == 1  # refused before asking WeChat


def test_code_already_used_at_wechat_is_refused(client, fake_wechat, demo):
    code = fake_wechat.issue_code(demo["unbound_openid"])
    requests.get(
        fake_wechat.base_url + "/sns/oauth2/access_token",
        params={
            "appid": fake_wechat.appid,
            "secret": fake_wechat.secret,
            "code": code,
            "grant_type": "authorization_code",
        },
        timeout=5,
    )
    _, state = authorize(client)
    assert_problem(client.post(LOGIN, json={"code": code, "state": state}), 400, "wechat_code_used")


def test_invalid_code_is_refused(client):
    _, state = authorize(client)
    assert_problem(
        client.post(LOGIN, json={"code": "nosuchcode", "state": state}), 400, "wechat_code_invalid"
    )


def test_expired_code_is_refused(client, fake_wechat, demo):
    code = fake_wechat.issue_code(demo["unbound_openid"])
    fake_wechat.advance(301)
    _, state = authorize(client)
    assert_problem(
        client.post(LOGIN, json={"code": code, "state": state}), 400, "wechat_code_expired"
    )


def test_snapshot_user_gets_no_session(client, fake_wechat, demo):
    zhao = citizen(demo, "zhao")
    _, state = authorize(client)
    code = fake_wechat.issue_code(zhao["openid"], snapshot=True)
    body = assert_problem(
        client.post(LOGIN, json={"code": code, "state": state}), 403, "wechat_snapshot_user"
    )
    assert "access_token" not in body
    assert db.session.scalar(select(func.count()).select_from(RefreshToken)) == 0
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == zhao["openid"])
    ).scalar_one_or_none()
    assert account is None


def test_wechat_unreachable_is_503(app, client, fake_wechat, demo):
    app.extensions.pop("wechat_client", None)
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    _, state = authorize(client)
    assert_problem(
        client.post(LOGIN, json={"code": "somecode", "state": state}), 503, "wechat_unavailable"
    )


def test_failed_logins_are_audited(client, fake_wechat, demo):
    code = fake_wechat.issue_code(demo["unbound_openid"])
    client.post(LOGIN, json={"code": code, "state": "B" * 32})
    results = db.session.scalars(
        select(AuditEvent.result).where(AuditEvent.action == "auth.login")
    ).all()
    assert results == ["state_invalid"]


# --- refresh ------------------------------------------------------------------------------
def test_refresh_token_is_single_use_and_reuse_revokes_the_family(client, fake_wechat, demo):
    session = login(client, fake_wechat, demo["unbound_openid"]).get_json()
    second = client.post(REFRESH, json={"refresh_token": session["refresh_token"]}).get_json()

    reused = client.post(REFRESH, json={"refresh_token": session["refresh_token"]})
    assert_problem(reused, 401, "refresh_token_reused")

    # the whole family is gone: the rotated refresh token and every access token of the login
    assert_problem(
        client.post(REFRESH, json={"refresh_token": second["refresh_token"]}), 401, "token_revoked"
    )
    assert_problem(client.get(ME, headers=bearer(second["access_token"])), 401, "token_revoked")
    rows = db.session.scalars(select(RefreshToken)).all()
    assert rows and all(row.revoked_at is not None for row in rows)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "auth.refresh_reuse")
    ).scalar_one()
    assert event.result == "family_revoked"
    assert event.detail == {"revoked_tokens": 2}


def test_reuse_does_not_touch_other_logins(client, fake_wechat, demo):
    openid = demo["unbound_openid"]
    phone = login(client, fake_wechat, openid).get_json()
    laptop = login(client, fake_wechat, openid).get_json()
    client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    assert client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]}).status_code == 200


def test_access_token_is_not_a_refresh_token(client, fake_wechat, demo):
    session = login(client, fake_wechat, demo["unbound_openid"]).get_json()
    assert_problem(
        client.post(REFRESH, json={"refresh_token": session["access_token"]}), 401, "token_invalid"
    )


def test_refresh_token_is_not_an_access_token(client, fake_wechat, demo):
    session = login(client, fake_wechat, demo["unbound_openid"]).get_json()
    assert_problem(client.get(ME, headers=bearer(session["refresh_token"])), 401, "token_invalid")


def test_refresh_with_garbage_is_401(client):
    assert_problem(client.post(REFRESH, json={"refresh_token": "garbage"}), 401, "token_invalid")


def test_refresh_of_unknown_jti_is_401(client, fake_wechat, demo):
    from miniapp_api.auth import tokens

    token, _ = tokens.issue("1", tokens.AUD_REFRESH, 3600, fam="nofamily")
    assert_problem(client.post(REFRESH, json={"refresh_token": token}), 401, "token_invalid")


# --- logout and /me -----------------------------------------------------------------------
def test_logout_requires_a_token(client):
    response = client.post(LOGOUT)
    assert_problem(response, 401, "login_required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_logout_revokes_the_refresh_rows(client, fake_wechat, demo):
    session = login(client, fake_wechat, demo["unbound_openid"]).get_json()
    assert client.post(LOGOUT, headers=bearer(session["access_token"])).status_code == 204
    row = db.session.scalars(select(RefreshToken)).one()
    assert row.revoked_at is not None
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "auth.logout")
    ).scalar_one()


def test_me_of_unbound_account_has_no_personal_data(client, fake_wechat, demo):
    session = login(client, fake_wechat, demo["unbound_openid"]).get_json()
    assert client.get(ME, headers=bearer(session["access_token"])).get_json() == {
        "identity_bound": False,
        "name": None,
        "id_number_masked": None,
        "phone_masked": None,
        "bound_at": None,
    }


def test_me_is_audited_and_never_shows_the_full_id_number(client, citizen_headers, demo):
    zhang = citizen(demo, "zhang")
    response = client.get(ME, headers=citizen_headers("zhang"))
    assert zhang["id_number"] not in response.get_data(as_text=True)
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "profile.view")
    ).scalar_one()


def test_me_requires_login(client):
    assert_problem(client.get(ME), 401, "login_required")


def test_openapi_documents_the_auth_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        AUTHORIZE,
        LOGIN,
        REFRESH,
        LOGOUT,
        ME,
        IDENTITY,
        "/api/v1/wechat/jssdk-config",
        "/api/v1/staff/login",
        "/api/v1/staff/logout",
        "/wechat/callback",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
