"""Two workers (two app instances) share logout and WeChat caches through the kv store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from miniapp_api import create_app
from miniapp_api.extensions import kv

ME = "/api/v1/me"
LOGOUT = "/api/v1/auth/logout"
JSSDK = "/api/v1/wechat/jssdk-config"
SHARED_KEYS = (
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "KEYS_DIR",
    "LOG_LEVEL",
    "APP_ENV",
    "TESTING",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "WECHAT_OPEN_BASE",
    "WECHAT_API_BASE",
    "WECHAT_APPID",
    "WECHAT_SECRET",
    "WECHAT_TOKEN",
)


@pytest.fixture
def config_overrides(wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config}


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat: Any) -> None:
    fake_wechat.reset()


@pytest.fixture
def second_worker(app: Any) -> Iterator[Any]:
    """Another app instance on the same database and REDIS_URL (as a second gunicorn worker)."""
    from miniapp_api.extensions import db

    other = create_app({key: app.config[key] for key in SHARED_KEYS})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def login_session(app: Any, demo: dict[str, Any], fake: Any) -> dict[str, Any]:
    client = app.test_client()
    response = client.get("/api/v1/auth/wechat/authorize")
    state = response.headers["Location"].split("state=")[1].split("#")[0]
    code = fake.issue_code(demo["unbound_openid"])
    answer = client.post("/api/v1/auth/wechat", json={"code": code, "state": state})
    assert answer.status_code == 200
    return answer.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _logout_in_one_refused_in_other(app: Any, other: Any, demo: dict[str, Any], fake: Any) -> None:
    session = login_session(app, demo, fake)
    headers = bearer(session["access_token"])
    with other.app_context():
        assert other.test_client().get(ME, headers=headers).status_code == 200
    assert app.test_client().post(LOGOUT, headers=headers).status_code == 204
    with other.app_context():
        refused = other.test_client().get(ME, headers=headers)
        assert refused.status_code == 401
        assert refused.get_json()["code"] == "token_revoked"
        also = other.test_client().post(
            "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert also.status_code == 401


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_logout_on_one_worker_is_seen_by_another_through_redis(
    app, second_worker, demo, fake_wechat
):
    import redis

    assert kv.backend == "redis"
    _logout_in_one_refused_in_other(app, second_worker, demo, fake_wechat)
    # the denylist entry really lives in Redis, where every machine sees it
    raw = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    assert any(key.startswith("bdc:deny:") for key in raw.scan_iter("bdc:deny:*"))


def test_logout_is_shared_by_workers_on_the_same_store(app, second_worker, demo, fake_wechat):
    """Without Redis the kv store is the shared database: the same guarantee holds."""
    _logout_in_one_refused_in_other(app, second_worker, demo, fake_wechat)


def test_workers_share_the_jsapi_ticket(app, second_worker, fake_wechat):
    url = {"url": "https://bdc.example.gov.cn/app/"}
    assert app.test_client().get(JSSDK, query_string=url).status_code == 200
    with second_worker.app_context():
        assert second_worker.test_client().get(JSSDK, query_string=url).status_code == 200
    assert fake_wechat.calls["/cgi-bin/token"] == 1
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 1


def test_login_state_started_on_one_worker_finishes_on_another(
    app, second_worker, demo, fake_wechat
):
    response = app.test_client().get("/api/v1/auth/wechat/authorize")
    state = response.headers["Location"].split("state=")[1].split("#")[0]
    code = fake_wechat.issue_code(demo["unbound_openid"])
    with second_worker.app_context():
        answer = second_worker.test_client().post(
            "/api/v1/auth/wechat", json={"code": code, "state": state}
        )
        assert answer.status_code == 200
