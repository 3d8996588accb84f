"""Shared fixtures: a fresh, seeded database per test on SQLite or PostgreSQL.

Isolation: the schema is built once per run with the real migrations and seeded with a small
demo registry; every test then gets its own copy (a file copy on SQLite, a database cloned
from a template on PostgreSQL), so tests can commit, use several connections and run real
servers without seeing each other's data.

Set TEST_DATABASE_URL=postgresql+psycopg://… to run on PostgreSQL and REDIS_URL=redis://…
to put rate limits, denylists and caches in Redis (CI does both in its second pass).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient

# Browser fixtures (live server, Chromium, phone page) for `pytest -m browser`; the partners,
# clerk and demo unit of the application tests.
pytest_plugins = ["browser_fixtures", "applications_support"]

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PUBLIC_BASE_URL = "https://bdc.example.gov.cn"
DEMO_SCALE = 60
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
_counter = itertools.count()


def base_config(database_uri: str, tmp: Path) -> dict[str, Any]:
    return {
        "APP_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "REDIS_URL": REDIS_URL or None,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "KEYS_DIR": str(tmp / "keys"),
        "LOG_LEVEL": "WARNING",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    }


# --- PostgreSQL helpers -------------------------------------------------------------------
def _pg_admin_exec(sql: str) -> None:
    import psycopg

    url = urlsplit(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(urlunsplit(url), autocommit=True) as conn:
        conn.execute(sql)


def _pg_url_for(dbname: str) -> str:
    url = urlsplit(PG_URL)
    return urlunsplit(url._replace(path="/" + dbname))


# --- the template database ----------------------------------------------------------------
@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Build the schema with the migrations and seed the demo registry, once per run."""
    from flask_migrate import upgrade

    from miniapp_api import create_app
    from miniapp_api.demo.info import demo_info
    from miniapp_api.demo.seed import seed_demo
    from miniapp_api.extensions import db

    tmp = tmp_path_factory.mktemp("template")
    if PG_URL:
        name = f"bdc_tmpl_{os.getpid()}"
        _pg_admin_exec(f"DROP DATABASE IF EXISTS {name}")
        _pg_admin_exec(f"CREATE DATABASE {name}")
        uri = _pg_url_for(name)
    else:
        name = str(tmp / "template.sqlite3")
        uri = f"sqlite:///{name}"
    app = create_app(base_config(uri, tmp))
    with app.app_context():
        upgrade()
        seed_demo(scale=DEMO_SCALE, seed=7)
        for hook in TEMPLATE_HOOKS:
            hook(app)
        info = demo_info()
        if not PG_URL:
            db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    yield {"name": name, "keys_dir": tmp / "keys", "demo": info}
    if PG_URL:
        _pg_admin_exec(f"DROP DATABASE IF EXISTS {name}")


# Features that must prepare the template (e.g. issue signed documents) append callables here.
TEMPLATE_HOOKS: list[Callable[[Any], None]] = []


@contextmanager
def cloned_database(template_db: dict[str, Any], tmp: Path) -> Iterator[str]:
    """A private copy of the seeded template: a file copy (SQLite) or a cloned database."""
    if PG_URL:
        name = f"bdc_t_{os.getpid()}_{next(_counter)}"
        _pg_admin_exec(f"CREATE DATABASE {name} TEMPLATE {template_db['name']}")
        try:
            yield _pg_url_for(name)
        finally:
            _pg_admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = tmp / "registry.sqlite3"
        shutil.copyfile(template_db["name"], path)
        yield f"sqlite:///{path}"


@contextmanager
def running_app(
    database_uri: str, template_db: dict[str, Any], tmp: Path, overrides: dict[str, Any]
) -> Iterator[Any]:
    """An app on `database_uri` with the template's signing keys, its context pushed; every
    connection pool is closed afterwards (an open one fails a later test under -W error)."""
    from miniapp_api import create_app
    from miniapp_api.extensions import db, kv
    from miniapp_api.verification.service import dispose_check_engine

    if template_db["keys_dir"].exists():
        shutil.copytree(template_db["keys_dir"], tmp / "keys")
    config = base_config(database_uri, tmp)
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = ClosingTestClient
    if REDIS_URL:
        kv.redis.flushdb()
    try:
        with application.app_context():
            yield application
            db.session.remove()
    finally:
        with application.app_context():
            db.engine.dispose()
        dispose_check_engine(application)  # its own pool on PostgreSQL


@pytest.fixture
def database_uri(template_db: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """A private copy of the seeded database for this test."""
    with cloned_database(template_db, tmp_path) as uri:
        yield uri


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a test module to change the app configuration for its tests."""
    return {}


class ClosingTestClient(FlaskClient):
    """werkzeug's test client spools a multipart body over 500 KB to a temporary file and
    never closes it (pallets/werkzeug#1785): a ResourceWarning that, under -W error, fails
    whichever later test the garbage collector happens to run in. Close it once the response
    is in, so tests can upload big files the plain way (`data={"file": (stream, name)}`)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        for answer in (*response.history, response):
            body = answer.request.environ.get("wsgi.input")
            if body is not None:
                body.close()
        return response


@pytest.fixture
def app(
    database_uri: str, template_db: dict[str, Any], tmp_path: Path, config_overrides: dict[str, Any]
) -> Iterator[Any]:
    with running_app(database_uri, template_db, tmp_path, config_overrides) as application:
        yield application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def demo(template_db: dict[str, Any]) -> dict[str, Any]:
    """What `flask demo-info` prints for the seeded test registry."""
    return template_db["demo"]


@pytest.fixture
def citizen_headers(app: Any, demo: dict[str, Any]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a demo citizen (by key, e.g. "zhang"), identity bound.

    Feature tests use this shortcut; the WeChat login flow itself is tested in test_auth*.
    """
    from sqlalchemy import select

    from miniapp_api.auth import tokens
    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount, utcnow

    def make(key: str = "zhang", bound: bool = True) -> dict[str, str]:
        citizen = next(c for c in demo["citizens"] if c["key"] == key)
        account = db.session.execute(
            select(WechatAccount).where(WechatAccount.openid == citizen["openid"])
        ).scalar_one_or_none()
        if account is None:
            account = WechatAccount(openid=citizen["openid"])
            db.session.add(account)
        if bound and account.person_id is None:
            account.person_id = citizen["person_id"]
            account.bound_at = utcnow()
        db.session.commit()
        token, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, app.config["ACCESS_TOKEN_TTL"])
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def staff_headers(app: Any) -> Callable[..., dict[str, str]]:
    """Authorization headers for a staff user with the given role ("clerk" or "admin")."""
    from sqlalchemy import select

    from miniapp_api.auth import tokens
    from miniapp_api.auth.guards import start_staff_session
    from miniapp_api.extensions import db
    from miniapp_api.models import StaffUser

    def make(role: str = "clerk", username: str | None = None) -> dict[str, str]:
        username = username or f"test-{role}"
        user = db.session.execute(
            select(StaffUser).where(StaffUser.username == username)
        ).scalar_one_or_none()
        if user is None:
            user = StaffUser(username=username, password_hash="!", role=role)
            db.session.add(user)
            db.session.commit()
        token, claims = tokens.issue(
            str(user.id), tokens.AUD_STAFF, app.config["STAFF_TOKEN_TTL"], role=role
        )
        start_staff_session(claims)
        return {"Authorization": f"Bearer {token}"}

    return make


# --- WeChat: the local fake server (miniapp_api/dev/fake_wechat.py) -----------------------
FAKE_WECHAT_APPID = "wxfaketest00000001"
FAKE_WECHAT_SECRET = "fake-wechat-secret-0123456789abcdef"
FAKE_WECHAT_TOKEN = "fakewechatpushtoken"


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[Any]:
    """One fake WeChat server per run, knowing the demo citizens (miniapp_api.demo.info).

    Shared by all tests: call `fake_wechat.reset()` (e.g. in an autouse fixture) when a test
    counts calls or messages. Point an app at it with the `wechat_config` overrides.
    """
    from miniapp_api.demo.info import wechat_users
    from miniapp_api.dev.fake_wechat import FakeWeChat

    server = FakeWeChat(users=wechat_users(), appid=FAKE_WECHAT_APPID, secret=FAKE_WECHAT_SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wechat_config(fake_wechat: Any) -> dict[str, Any]:
    """Config overrides that point the app at the fake WeChat server.

    A test module uses them by overriding ``config_overrides`` to return ``wechat_config``.
    """
    return {
        "WECHAT_OPEN_BASE": fake_wechat.base_url,
        "WECHAT_API_BASE": fake_wechat.base_url,
        "WECHAT_APPID": FAKE_WECHAT_APPID,
        "WECHAT_SECRET": FAKE_WECHAT_SECRET,
        "WECHAT_TOKEN": FAKE_WECHAT_TOKEN,
    }
