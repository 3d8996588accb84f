"""Faults and hostile input (issue #11), in process: a lost database connection, a Redis
outage, log redaction and the other small hardening rules. The same faults on real servers
(a private PostgreSQL and Redis that are killed and restarted, gunicorn, nginx) are in
tests/test_fault_pass.py (`make test-faults`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from miniapp_api.verification import service
from miniapp_api.verification.service import check_engine


def token_of(sample: dict[str, Any]) -> str:
    return sample["url"].rsplit("/", 1)[1]


@pytest.fixture
def samples(demo: dict[str, Any]) -> dict[str, Any]:
    return demo["verification"]["samples"]


# --- 1. a lost database connection on the verification hot path -----------------------------
def _kill_pooled_check_connections(app: Any, how_many: int) -> None:
    """Open `how_many` connections of the check engine, return them to its pool, then break
    every one underneath the pool — and the one the main thread keeps between checks — (the
    server ended the session, as pg_terminate_backend or a database restart does)."""
    engine = check_engine()
    conns = [engine.connect() for _ in range(how_many)]
    drivers = [c.connection.driver_connection for c in conns]
    for conn in conns:
        conn.close()
    held = service._HELD.conn
    if held is not None and service._HELD.engine is engine and not held.closed:
        drivers.append(held.connection.driver_connection)
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


# --- 2. a Redis outage -----------------------------------------------------------------------
DEAD_REDIS = "redis://127.0.0.1:18198/0"  # nothing listens there (i11's port range)


@pytest.fixture
def redis_down(template_db, tmp_path):
    """An app whose REDIS_URL points at a Redis that is down (connection refused)."""
    import conftest
    from conftest import cloned_database, running_app

    saved, conftest.REDIS_URL = conftest.REDIS_URL, ""  # no FLUSHDB of the dead one
    try:
        with (
            cloned_database(template_db, tmp_path) as uri,
            running_app(uri, template_db, tmp_path, {"REDIS_URL": DEAD_REDIS}) as application,
        ):
            yield application
    finally:
        conftest.REDIS_URL = saved


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    return body


def _citizen_token(app: Any, demo: dict[str, Any]) -> tuple[str, str]:
    """An access and a refresh token of a bound demo citizen (a real login's pair)."""
    from sqlalchemy import select

    from miniapp_api.auth import service
    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount, utcnow

    citizen = next(c for c in demo["citizens"] if c["key"] == "zhang")
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == citizen["openid"])
    ).scalar_one_or_none()
    if account is None:
        account = WechatAccount(openid=citizen["openid"])
        db.session.add(account)
    account.person_id = citizen["person_id"]
    account.bound_at = utcnow()
    db.session.commit()
    pair = service._session_pair(account, "fam-" + citizen["openid"][-8:])
    db.session.commit()
    return pair["access_token"], pair["refresh_token"]


def test_redis_outage_public_verification_keeps_working(redis_down, samples):
    client = redis_down.test_client()
    token = token_of(samples["authentic"])
    for _ in range(3):
        assert client.get(f"/api/v1/verify/{token}").status_code == 200
        assert client.get(f"/v/{token}").status_code == 200
    number = samples["authentic"]
    response = client.post(
        "/api/v1/verify/by-number",
        json={
            "certificate_number": number["certificate_number"],
            "print_serial": number["print_serial"],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_redis_outage_healthz_names_redis(redis_down):
    body = _problem(redis_down.test_client().get("/healthz"), 503, "service_unavailable")
    assert body["dependency"] == "redis"


def test_redis_outage_sessions_fail_closed_with_503(redis_down, demo):
    from miniapp_api.auth import tokens
    from miniapp_api.extensions import db
    from miniapp_api.models import StaffUser

    client = redis_down.test_client()
    # Starting a WeChat login needs the single-use login state (Redis).
    response = client.get("/api/v1/auth/wechat/authorize?next=/app/")
    body = _problem(response, 503, "service_unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert body["request_id"]
    # Staff login (lockout counters) and staff sessions (idle timeout) live in Redis.
    response = client.post("/api/v1/staff/login", json={"username": "x", "password": "y"})
    _problem(response, 503, "service_unavailable")
    user = StaffUser(username="redis-down", password_hash="!", role="clerk")
    db.session.add(user)
    db.session.commit()
    staff_token, _ = tokens.issue(str(user.id), tokens.AUD_STAFF, 600, role="clerk")
    response = client.get(
        "/api/v1/staff/handover/cases", headers={"Authorization": f"Bearer {staff_token}"}
    )
    _problem(response, 503, "service_unavailable")
    assert response.headers["Retry-After"]


def test_redis_outage_citizen_session_checks_use_the_durable_denylist(redis_down, demo):
    """The logout denylist is in the database: a citizen's valid token keeps working while
    Redis is down, and logout, refresh and a revoked token are answered correctly."""
    client = redis_down.test_client()
    access, refresh = _citizen_token(redis_down, demo)
    bearer = {"Authorization": f"Bearer {access}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    _problem(client.get("/api/v1/me", headers=bearer), 401, "token_revoked")


class _FlakyRedis:
    """A dict with Redis's commands that the key-value store uses; `restart()` loses every
    key, as a Redis without persistence does when it restarts."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str, ex: int = 0, nx: bool = False) -> bool:
        if nx and key in self.data:
            return False
        self.data[key] = value
        return True

    def getdel(self, key: str) -> str | None:
        return self.data.pop(key, None)

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def ping(self) -> bool:
        return True

    def restart(self) -> None:
        self.data.clear()


def test_logout_survives_a_redis_restart(app, client, demo, monkeypatch):
    from miniapp_api.extensions import kv

    fake = _FlakyRedis()
    monkeypatch.setattr(kv, "_redis", fake)
    access, _ = _citizen_token(app, demo)
    bearer = {"Authorization": f"Bearer {access}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    _problem(client.get("/api/v1/me", headers=bearer), 401, "token_revoked")
    fake.restart()  # an empty Redis comes back
    _problem(client.get("/api/v1/me", headers=bearer), 401, "token_revoked")


# --- 6. database outage, logs, small hardening rules -------------------------------------------
def test_database_outage_is_503_with_retry_after(tmp_path):
    from miniapp_api import create_app
    from miniapp_api.auth import tokens
    from miniapp_api.verification.service import dispose_check_engine

    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:18197/none",
            "LOG_LEVEL": "CRITICAL",
            "KEYS_DIR": str(tmp_path),
        }
    )
    client = app.test_client()
    with app.app_context():
        access, _ = tokens.issue("1", tokens.AUD_CITIZEN, 600)
    answers = [
        client.post(
            "/api/v1/verify/by-number", json={"certificate_number": "x", "print_serial": "1"}
        ),
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"}),
        client.post("/api/v1/staff/login", json={"username": "x", "password": "y"}),
    ]
    dispose_check_engine(app)
    for response in answers:
        body = _problem(response, 503, "database_unavailable")
        assert body["dependency"] == "database"
        assert int(response.headers["Retry-After"]) > 0


def test_access_log_paths_never_carry_tokens_or_signed_links(app, client, samples, caplog):
    import logging

    from miniapp_api import downloads
    from miniapp_api.observability import JsonFormatter

    token = token_of(samples["authentic"])
    signed, _ = downloads.sign_link("license_copy", "abc", "png", 1)
    caplog.set_level(logging.INFO, logger="miniapp_api.access")
    for path in (
        f"/v/{token}",
        f"/V/{token.lower()}",
        f"/v/{token}.png",
        f"/api/v1/verify/{token}",
        f"/api/v1/files/{signed}",
    ):
        client.get(path)
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records if r.name == "miniapp_api.access"]
    assert len(lines) == 5
    for line in lines:
        assert token not in line and token.lower() not in line
        assert signed not in line and signed.split(".")[0] not in line
    paths = [json.loads(line)["path"] for line in lines]
    assert paths[0] == "/v/[token]"
    assert paths[2] == "/v/[token].png"
    assert paths[3] == "/api/v1/verify/[token]"
    assert paths[4] == "/api/v1/files/[link]"


# One rule for all printed text: no bidi controls, zero-width characters or emoji.
UNPRINTABLE = {
    "bidi-override": "汨罗市人民法院\u202e院法",
    "bidi-isolate": "法院\u2067x\u2069",
    "zero-width-space": "汨罗\u200b法院",
    "zero-width-joiner": "法院\u200d",
    "bom": "\ufeff法院",
    "emoji": "汨罗法院🏠",
    "emoji-bmp": "法院☎",
    "variation-selector": "法院\ufe0f",
}


@pytest.mark.parametrize("name", sorted(UNPRINTABLE))
def test_staff_text_fields_refuse_unprintable_characters(client, staff_headers, samples, name):
    headers = staff_headers("clerk")
    number = samples["authentic"]["certificate_number"]
    cid = client.get(
        "/api/v1/staff/certificates", query_string={"number": number}, headers=headers
    ).get_json()["id"]
    response = client.post(
        f"/api/v1/staff/certificates/{cid}/encumbrances",
        json={"kind": "seizure", "holder": UNPRINTABLE[name], "reason": "(2026)湘0681执保7号"},
        headers=headers,
    )
    body = _problem(response, 422, "validation_failed")
    assert "holder" in body["errors"]
    assert client.get(samples["authentic"]["api"]).get_json()["encumbrances"] == []


def test_printed_text_rule_keeps_ordinary_chinese_text(client, staff_headers, samples):
    """Rare CJK characters outside the BMP (names), full-width punctuation, ※ ℃ № are fine."""
    headers = staff_headers("clerk")
    number = samples["authentic"]["certificate_number"]
    cid = client.get(
        "/api/v1/staff/certificates", query_string={"number": number}, headers=headers
    ).get_json()["id"]
    response = client.post(
        f"/api/v1/staff/certificates/{cid}/encumbrances",
        json={"kind": "seizure", "holder": "𠀾罗市人民法院（执行局）", "reason": "№7※，℃"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_citizen_purpose_refuses_unprintable_characters(client, citizen_headers):
    response = client.post(
        "/api/v1/me/housing-proofs",
        json={"scope": "personal", "purpose": "子女\u200b入学"},
        headers=citizen_headers("zhang"),
    )
    body = _problem(response, 422, "validation_failed")
    assert "purpose" in body["errors"]


def test_csv_import_refuses_unprintable_characters(client, staff_headers):
    import io
    from pathlib import Path

    good = (Path(__file__).parent / "data" / "handover_good.csv").read_text("utf-8")
    header, first, *_ = good.splitlines()
    row = first.replace("汨江新城", "汨江新城\u202e", 1)
    response = client.post(
        "/api/v1/staff/import/handover",
        data={"file": (io.BytesIO(f"{header}\n{row}\n".encode()), "a.csv")},
        headers=staff_headers("clerk"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["code"] == "import_invalid"


# Photo checks: a big PNG under the old pixel cap cost 2 s CPU and 370 MB per request.
_PEAK_SCRIPT = r"""
import io, resource, sys, time
from PIL import Image
from miniapp_api.verification import imaging
import verify
mode, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
buf = io.BytesIO()
from PIL import ImageDraw
img = Image.new(mode, (w, h), "white")
draw = ImageDraw.Draw(img)
for x in range(0, w, 97):
    draw.line([(x, 0), (w - x, h)], fill="black", width=3)
fmt, _, variant = sys.argv[4].partition("-")
jpeg = {"quality": 60, "progressive": variant == "progressive"}
options = jpeg if fmt == "JPEG" else {"compress_level": 1}
img.save(buf, fmt, **options)
data = buf.getvalue()
del img, buf
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
try:
    verify.read_qr(imaging.load_image(data))
    outcome = "decoded"
except Exception as exc:
    outcome = getattr(exc, "code", type(exc).__name__)
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome, len(data), (peak - before) / 1024, cpu)
"""


def _photo_cost(mode: str, width: int, height: int, fmt: str) -> tuple[str, float, float]:
    """(outcome, extra peak memory in MB, CPU seconds) of reading one photo, in a fresh
    process (Pillow's buffers are outside Python's allocator)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, mode, str(width), str(height), fmt],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    return out[0], float(out[2]), float(out[3])


def test_a_7000_px_png_is_refused_before_decoding(client):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (7000, 7000), 1).save(buf, "PNG")  # 49 megapixels, a tiny file
    response = client.post(
        "/api/v1/verify/image",
        data={"image": (io.BytesIO(buf.getvalue()), "big.png")},
        content_type="multipart/form-data",
    )
    body = _problem(response, 422, "image_unreadable")
    assert "过大" in body["detail"]


@pytest.mark.parametrize(
    ("mode", "width", "height", "fmt"),
    [
        ("RGBA", 3264, 2448, "PNG"),
        ("L", 6000, 5500, "PNG"),
        ("RGB", 8000, 6000, "JPEG"),
        ("RGB", 4000, 3000, "JPEG"),
        ("CMYK", 3264, 2448, "JPEG-progressive"),
        ("CMYK", 4000, 3000, "JPEG-progressive"),
    ],
    ids=[
        "rgba-png-8mp",
        "grey-png-33mp",
        "phone-jpeg-48mp",
        "phone-jpeg-12mp",
        "progressive-cmyk-jpeg-8mp",
        "progressive-cmyk-jpeg-12mp-refused",
    ],
)
def test_a_photo_at_the_limits_costs_under_100_mb(mode, width, height, fmt):
    outcome, peak_mb, cpu = _photo_cost(mode, width, height, fmt)
    expected = (
        {"image_unreadable"}
        if width * height > 8_000_000 and "progressive" in fmt
        else {
            "no_qr_found",
            "decoded",
        }
    )
    assert outcome in expected, outcome
    assert peak_mb < 100, f"{peak_mb:.0f} MB peak for one {width}x{height} {fmt} ({cpu:.2f} s CPU)"


# An annotated copy made in the same second as a new encumbrance must list it.
def test_copy_made_in_the_same_second_as_an_encumbrance_lists_it(
    client, citizen_headers, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from miniapp_api.extensions import db
    from miniapp_api.licenses import service
    from miniapp_api.models import ElectronicLicense, Encumbrance

    headers = citizen_headers("zhang")
    items = client.get("/api/v1/me/licenses", headers=headers).get_json()
    item = next(
        i for i in items if i["certificate"]["status"] == "valid" and i["co_ownership"] == "sole"
    )
    unit = db.session.get(ElectronicLicense, item["id"]).certificate.right.unit
    second = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    db.session.add(
        Encumbrance(
            unit=unit,
            kind="seizure",
            holder="汨罗市人民法院",
            reason="(2026)湘0681执保9号",
            started_at=second.replace(microsecond=300_000),
        )
    )
    db.session.commit()

    class SameSecond(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return second.replace(microsecond=700_000)

    monkeypatch.setattr(service, "datetime", SameSecond)
    response = client.post(
        f"/api/v1/me/licenses/{item['id']}/copies", headers=headers, json={"purpose": "贷款"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    copy = response.get_json()
    assert [n[:3] for n in copy["notes"]] == ["查封："], copy["notes"]


# A big import: its cost must not grow by statements per row (the 20,000-row maximum ran into
# gunicorn's 30 s timeout). Timed figures: bench/bench_import.py; here, the statement count.
def test_an_import_costs_a_few_statements_per_thousand_rows(app, client, staff_headers):
    import io
    import sys
    from pathlib import Path

    from sqlalchemy import event

    from miniapp_api.extensions import db

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from bench_import import build_csv

    rows = 1000
    data = build_csv(rows, tag="S")
    headers = staff_headers("clerk")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.post(
            "/api/v1/staff/import/handover",
            data={"file": (io.BytesIO(data), "s.csv")},
            headers=headers,
            content_type="multipart/form-data",
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["created"] == rows
    assert len(statements) < 80, f"{len(statements)} statements for {rows} rows"
