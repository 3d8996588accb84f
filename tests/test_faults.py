"""Faults and hostile input (issue #11), in process: a lost database connection, a Redis
outage, log redaction and the other small hardening rules. The same faults on real servers
(a private PostgreSQL and Redis that are killed and restarted, gunicorn, nginx) are in
tests/test_fault_pass.py (`make test-faults`)."""

from __future__ import annotations

from typing import Any

import pytest

from miniapp_api.verification.service import check_engine


def token_of(sample: dict[str, Any]) -> str:
    return sample["url"].rsplit("/", 1)[1]


@pytest.fixture
def samples(demo: dict[str, Any]) -> dict[str, Any]:
    return demo["verification"]["samples"]


# --- 1. a lost database connection on the verification hot path -----------------------------
def _kill_pooled_check_connections(app: Any, how_many: int) -> None:
    """Open `how_many` connections of the check engine, return them to its pool, then break
    every one underneath the pool (the server ended the session, as pg_terminate_backend or
    a database restart does)."""
    engine = check_engine()
    conns = [engine.connect() for _ in range(how_many)]
    drivers = [c.connection.driver_connection for c in conns]
    for conn in conns:
        conn.close()
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        from miniapp_api.extensions import db

        pids = [d.info.backend_pid for d in drivers]
        with db.engine.connect() as admin:
            for pid in pids:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
    else:
        for driver in drivers:
            driver.close()


@pytest.mark.parametrize("broken", [1, 3])
def test_verification_survives_connections_lost_under_it(app, client, samples, broken):
    token = token_of(samples["authentic"])
    assert client.get(f"/api/v1/verify/{token}").status_code == 200
    for path in (f"/api/v1/verify/{token}", f"/v/{token}", f"/v/{token}.png", f"/v/{token}.svg"):
        _kill_pooled_check_connections(app, broken)
        for _ in range(broken + 1):
            response = client.get(path)
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    assert client.get("/healthz").status_code == 200


def test_healthz_uses_the_hot_path_connection(app, client):
    """/healthz checks out a connection of the verification engine: a dead pooled one is
    found, replaced and the answer is truthful (200: the database is up)."""
    _kill_pooled_check_connections(app, 2)
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_hot_path_cannot_reach_the_database(app, client, tmp_path):
    """The health check tells the truth about the connection verification uses, not just
    about the ORM's: with the check engine unable to connect, /healthz is 503."""
    from sqlalchemy import create_engine

    dead = create_engine(f"sqlite:///{tmp_path}/missing-dir/none.sqlite3")
    saved = app.extensions.get("verification_engine")
    app.extensions["verification_engine"] = (dead, True)
    try:
        response = client.get("/healthz")
    finally:
        dead.dispose()
        if saved is None:
            app.extensions.pop("verification_engine")
        else:
            app.extensions["verification_engine"] = saved
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "database_unavailable"
    assert body["dependency"] == "database"
    assert response.headers["Retry-After"]
