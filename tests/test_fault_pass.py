"""The fault pass (`make test-faults`, issue #11): the real production shape, broken on purpose.

A private PostgreSQL cluster and a private Redis (both started here, on i11's ports, so they
can be killed and restarted without touching the machine's own), gunicorn with two sync
workers, and Debian's nginx with the configuration printed in docs/deployment.md. For each
fault it asserts: no 500 (a 503 with Retry-After while a dependency is down is fine),
/healthz tells the truth, service is back within 5 s of the dependency's return without
restarting anything, and no answered write is lost (kill -9 of a worker during an import or
a stage move leaves the database as before or as after, never between).

Run as root (CI) or as a user who may run PostgreSQL's initdb; needs redis-server, nginx and
PostgreSQL 15's server binaries. The tests run in file order and share one stack.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT, REDIS_PORT, APP_PORT, NGINX_PORT = 18110, 18111, 18112, 18113
APP = f"http://127.0.0.1:{APP_PORT}"
EDGE = f"http://127.0.0.1:{NGINX_PORT}"
DB_URL = f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/bdc"
RECOVERY_SECONDS = 5.0
SECRET = "faults-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

sys.path.insert(0, str(ROOT / "bench"))


# --- the stack ---------------------------------------------------------------------------------
def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _wait(check: Any, timeout: float, what: str) -> float:
    """Poll `check()` until it is true; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout} s")


class Stack:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.pgdata = base / "pg"
        self.pg_options = (
            f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {self.pgdata} -c fsync=off"
        )
        self.redis: subprocess.Popen[bytes] | None = None
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": DB_URL,
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "PUBLIC_BASE_URL": "https://bdc.example.gov.cn",
            "KEYS_DIR": str(base / "keys"),
            "PROXY_COUNT": "1",
            "VERIFY_RATE_LIMIT": "100000 per minute",
            "VERIFY_STRICT_RATE_LIMIT": "100000 per minute",
            "STAFF_LOGIN_RATE_LIMIT": "1000 per minute",
            "AUTH_RATE_LIMIT": "1000 per minute",
            "WEB_CONCURRENCY": "2",
            "BIND": f"127.0.0.1:{APP_PORT}",
            "RENDER_WARM_UP": "false",
            "LOG_LEVEL": "WARNING",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "8192",
            "ARGON2_PARALLELISM": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("TEST_DATABASE_URL", None)

    # PostgreSQL
    def pg_ctl(self, *args: str) -> None:
        """pg_ctl with the server's output in its log file (a started server keeps its
        stdout open: never a pipe we wait on)."""
        subprocess.run(
            _as_postgres(
                [
                    *(str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata)),
                    *("-l", str(self.pgdata / "log"), "-o", self.pg_options, *args),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start_pg(self) -> None:
        self.pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.pgdata, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    *(str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres"),
                    *("-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C"),
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.pg_ctl("-w", "start")

    def admin(self, sql: str, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        url = f"postgresql://postgres@127.0.0.1:{PG_PORT}/{dbname}"
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    # Redis
    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                *("redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.base)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(
            lambda: socket.create_connection(("127.0.0.1", REDIS_PORT), 0.2).close() or True,
            10,
            "redis",
        )

    def kill_redis(self) -> None:
        assert self.redis is not None
        self.redis.kill()
        self.redis.wait()

    # the app
    def flask(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            text=True,
            check=True,
            capture_output=True,
            timeout=300,
        ).stdout

    def python(self, code: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=self.env,
            text=True,
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def start_gunicorn(self) -> None:
        self.gunicorn_log = open(self.base / "gunicorn.log", "ab")  # noqa: SIM115
        self.gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.gunicorn_log,
            stderr=subprocess.STDOUT,
        )
        _wait(lambda: requests.get(APP + "/healthz", timeout=1).status_code == 200, 60, "gunicorn")

    def workers(self) -> list[int]:
        assert self.gunicorn is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.gunicorn.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split()]

    # nginx, with the documented configuration
    def start_nginx(self) -> None:
        prefix = self.base / "nginx"
        for sub in ("logs", "tmp"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_test_config(prefix), encoding="utf-8")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        subprocess.run(
            [nginx, "-t", "-p", str(prefix), "-c", str(conf)], check=True, capture_output=True
        )
        self.nginx = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # it logs to logs/error.log
        )
        _wait(lambda: requests.get(EDGE + "/healthz", timeout=1).status_code == 200, 10, "nginx")

    def stop(self) -> None:
        for proc in (self.nginx, self.gunicorn, self.redis):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if getattr(self, "gunicorn_log", None) is not None:
            self.gunicorn_log.close()
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "immediate", "stop"]
                ),
                capture_output=True,
                check=False,
            )


def nginx_test_config(prefix: Path) -> str:
    """docs/deployment.md's nginx configuration, verbatim but for: plain HTTP on the test
    port instead of TLS on 443, the test's upstream port, and files under `prefix`."""
    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", doc, re.DOTALL)
    assert len(blocks) == 1, "docs/deployment.md has one ```nginx block"
    site = blocks[0]
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{APP_PORT}")
    site = re.sub(r"listen 443 ssl[^;]*;", f"listen 127.0.0.1:{NGINX_PORT};", site)
    site = re.sub(r"\n\s*(ssl_\w+|http2)\b[^;]*;", "", site)
    site = re.sub(r"\n\s*listen \[::\]:443[^;]*;", "", site)
    assert "listen 443" not in site and "ssl_certificate" not in site
    return (
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log warn;\n"
        "worker_processes 1;\nevents { worker_connections 256; }\n"
        "http {\n"
        f"  access_log {prefix}/logs/access.log;\n"
        f"  client_body_temp_path {prefix}/tmp/body;\n  proxy_temp_path {prefix}/tmp/proxy;\n"
        f"  fastcgi_temp_path {prefix}/tmp/fcgi;\n  uwsgi_temp_path {prefix}/tmp/uwsgi;\n"
        f"  scgi_temp_path {prefix}/tmp/scgi;\n"
        f"{site}\n}}\n"
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    for tool in ("redis-server", "nginx"):
        if not (shutil.which(tool) or Path("/usr/sbin", tool).exists()):
            pytest.fail(f"the fault pass needs {tool} (make test-faults installs it)")
    base = Path(tempfile.mkdtemp(prefix="bdc-faults-"))
    os.chmod(base, 0o755)  # noqa: S103 - the postgres user must reach its data directory
    stack = Stack(base)
    try:
        stack.start_pg()
        stack.admin("CREATE DATABASE bdc")
        stack.start_redis()
        stack.flask("db", "upgrade")
        stack.flask("seed-demo", "--scale", "40", "--seed", "7")
        stack.flask(
            "create-staff",
            "faults-clerk",
            "--role",
            "clerk",
            "--password-stdin",
            stdin="faults-password-123456\n",
        )
        stack.info = stack.python(_INFO_SCRIPT)  # type: ignore[attr-defined]
        stack.start_gunicorn()
        stack.start_nginx()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(base, ignore_errors=True)


_INFO_SCRIPT = r"""
import json
from sqlalchemy import select
from miniapp_api import create_app
from miniapp_api.auth import service, tokens
from miniapp_api.demo.info import demo_info
from miniapp_api.extensions import db
from miniapp_api.models import WechatAccount, utcnow
app = create_app()
with app.app_context():
    info = demo_info()
    samples = info["verification"]["samples"]
    pairs = []
    for citizen in info["citizens"][:2]:
        account = WechatAccount(
            openid=citizen["openid"], person_id=citizen["person_id"], bound_at=utcnow()
        )
        db.session.add(account)
        db.session.commit()
        pairs.append(service._session_pair(account, "faults-" + citizen["key"]))
        db.session.commit()
    authentic = samples["authentic"]
    print(json.dumps({
        "token": authentic["url"].rsplit("/", 1)[1],
        "by_number": {"certificate_number": authentic["certificate_number"],
                      "print_serial": authentic["print_serial"]},
        "citizens": pairs,
    }))
"""


# --- load and answers --------------------------------------------------------------------------
class Load:
    """`threads` clients requesting `paths` in a loop; every answer is kept (time, status)."""

    def __init__(self, paths: list[str], threads: int = 6, base: str = APP) -> None:
        self.paths, self.base = paths, base
        self.answers: list[tuple[float, int, str]] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def _run(self, i: int) -> None:
        session = requests.Session()
        n = i
        while not self._stop.is_set():
            path = self.paths[n % len(self.paths)]
            n += 1
            try:
                status = session.get(self.base + path, timeout=10).status_code
            except requests.RequestException:
                status = 0  # no answer (a connection reset): never a 500
            self.answers.append((time.monotonic(), status, path))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)

    def statuses(self, since: float = 0.0) -> dict[int, int]:
        counts: dict[int, int] = {}
        for at, status, _ in self.answers:
            if at >= since:
                counts[status] = counts.get(status, 0) + 1
        return counts


def _verify_paths(stack: Stack) -> list[str]:
    token = stack.info["token"]  # type: ignore[attr-defined]
    return [f"/api/v1/verify/{token}", f"/v/{token}", f"/v/{token}.png", "/healthz"]


def _all_ok(stack: Stack) -> bool:
    return all(requests.get(APP + p, timeout=3).status_code == 200 for p in _verify_paths(stack))


def _assert_no_500(load: Load) -> None:
    bad = [(s, p) for _, s, p in load.answers if s >= 500 and s != 503]
    assert not bad, f"{len(bad)} answers were 5xx other than 503: {bad[:5]}"


def _recovery(stack: Stack, since: float) -> float:
    """Seconds from `since` until every checked endpoint answers 200."""
    _wait(lambda: _all_ok(stack), 30, "recovery")
    return time.monotonic() - since


# --- 1. lost PostgreSQL connections ------------------------------------------------------------
def test_terminated_backends_under_load(stack: Stack) -> None:
    with Load(_verify_paths(stack), threads=8) as load:
        time.sleep(1.0)
        for _ in range(3):
            stack.admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'bdc' AND pid <> pg_backend_pid()"
            )
            time.sleep(0.7)
        last = time.monotonic()
        time.sleep(3.0)
    _assert_no_500(load)
    after = load.statuses(since=last + 1.0)
    assert set(after) == {200}, after
    print(f"terminations: answers {load.statuses()}")


def test_postgres_restart_and_failover(stack: Stack) -> None:
    with Load(_verify_paths(stack), threads=6) as load:
        time.sleep(0.5)
        stack.pg_ctl("-m", "fast", "-w", "restart")
        back = time.monotonic()
        took = _recovery(stack, back)
        time.sleep(1.0)
    _assert_no_500(load)
    assert took <= RECOVERY_SECONDS, f"recovered {took:.1f} s after PostgreSQL returned"
    assert set(load.statuses(since=back + took + 0.2)) == {200}
    print(f"pg restart: recovered in {took:.2f} s; answers {load.statuses()}")


def test_postgres_down_is_503_and_heals(stack: Stack) -> None:
    token = stack.info["token"]  # type: ignore[attr-defined]
    access = stack.info["citizens"][0]["access_token"]  # type: ignore[attr-defined]
    stack.pg_ctl("-m", "fast", "-w", "stop")
    try:
        health = requests.get(APP + "/healthz", timeout=5)
        assert health.status_code == 503
        assert health.json()["dependency"] == "database"
        for path, headers in (
            (f"/api/v1/verify/{token}", {}),
            ("/api/v1/me", {"Authorization": f"Bearer {access}"}),
        ):
            response = requests.get(APP + path, headers=headers, timeout=5)
            assert response.status_code == 503, (path, response.text[:200])
            assert response.json()["code"] == "database_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        page = requests.get(APP + f"/v/{token}", timeout=5)
        assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    finally:
        stack.pg_ctl("-w", "start")
    back = time.monotonic()
    took = _recovery(stack, back)
    assert took <= RECOVERY_SECONDS, f"recovered {took:.1f} s after PostgreSQL returned"
    print(f"pg down: recovered in {took:.2f} s")


# --- 2. Redis ----------------------------------------------------------------------------------
def _staff_login() -> requests.Response:
    return requests.post(
        APP + "/api/v1/staff/login",
        json={"username": "faults-clerk", "password": "faults-password-123456"},
        timeout=10,
    )


def test_redis_outage(stack: Stack) -> None:
    info = stack.info  # type: ignore[attr-defined]
    token = info["token"]
    me = {"Authorization": f"Bearer {info['citizens'][0]['access_token']}"}
    gone = {"Authorization": f"Bearer {info['citizens'][1]['access_token']}"}
    staff = _staff_login()
    assert staff.status_code == 200, staff.text
    staff_auth = {"Authorization": f"Bearer {staff.json()['access_token']}"}
    assert requests.post(APP + "/api/v1/auth/logout", headers=gone, timeout=5).status_code == 204

    stack.kill_redis()
    started = time.monotonic()
    for path in (f"/api/v1/verify/{token}", f"/v/{token}"):
        assert requests.get(APP + path, timeout=5).status_code == 200
    by_number = requests.post(APP + "/api/v1/verify/by-number", json=info["by_number"], timeout=5)
    assert by_number.status_code == 200
    assert requests.get(APP + "/api/v1/me", headers=me, timeout=5).status_code == 200
    assert requests.get(APP + "/api/v1/me", headers=gone, timeout=5).status_code == 401
    cases = requests.get(APP + "/api/v1/staff/handover/cases", headers=staff_auth, timeout=5)
    assert cases.status_code == 503 and cases.json()["code"] == "service_unavailable"
    assert int(cases.headers["Retry-After"]) > 0
    assert _staff_login().status_code == 503
    health = requests.get(APP + "/healthz", timeout=5)
    assert health.status_code == 503 and health.json()["dependency"] == "redis"
    assert time.monotonic() - started < 10  # every Redis call gives up quickly

    stack.start_redis()  # an empty Redis comes back
    took = _wait(
        lambda: (
            requests.get(APP + "/healthz", timeout=2).status_code == 200
            and _staff_login().status_code == 200
        ),
        30,
        "recovery after Redis",
    )
    assert took <= RECOVERY_SECONDS, f"recovered {took:.1f} s after Redis returned"
    # The logout outlived the Redis restart.
    assert requests.get(APP + "/api/v1/me", headers=gone, timeout=5).status_code == 401
    assert requests.get(APP + "/api/v1/me", headers=me, timeout=5).status_code == 200
    print(f"redis: recovered in {took:.2f} s")


def test_paused_redis_does_not_hang_verification(stack: Stack) -> None:
    token = stack.info["token"]  # type: ignore[attr-defined]
    assert stack.redis is not None
    os.kill(stack.redis.pid, signal.SIGSTOP)
    try:
        times = []
        for _ in range(3):
            started = time.monotonic()
            response = requests.get(APP + f"/api/v1/verify/{token}", timeout=10)
            times.append(time.monotonic() - started)
            assert response.status_code == 200
        print(f"redis paused: verification took {', '.join(f'{t:.2f}' for t in times)} s")
        assert max(times) < 2.0, f"verification took {max(times):.1f} s with Redis paused"
    finally:
        os.kill(stack.redis.pid, signal.SIGCONT)
    _wait(lambda: requests.get(APP + "/healthz", timeout=2).status_code == 200, 10, "healthz")


# --- kill -9 of a worker during writes ---------------------------------------------------------
def _staff_headers() -> dict[str, str]:
    response = _staff_login()
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _count(stack: Stack, sql: str) -> int:
    return int(stack.admin(sql, "bdc")[0][0])


def _kill_workers(stack: Stack) -> None:
    for pid in stack.workers():
        os.kill(pid, signal.SIGKILL)


def test_kill_9_during_an_import_leaves_before_or_after(stack: Stack) -> None:
    from bench_import import build_csv

    rows = 4000
    data = build_csv(rows, tag="K")
    headers = _staff_headers()
    answer: dict[str, Any] = {}

    def upload() -> None:
        try:
            answer["response"] = requests.post(
                APP + "/api/v1/staff/import/handover",
                files={"file": ("k.csv", io.BytesIO(data), "text/csv")},
                headers=headers,
                timeout=60,
            )
        except requests.RequestException as exc:
            answer["error"] = exc

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.8)
    _kill_workers(stack)
    thread.join(60)
    _wait(lambda: requests.get(APP + "/healthz", timeout=2).status_code == 200, 30, "respawn")
    imported = _count(stack, "SELECT count(*) FROM handover_case WHERE contract_number LIKE 'K%'")
    events = _count(
        stack,
        "SELECT count(*) FROM handover_stage_event e JOIN handover_case c ON c.id = e.case_id "
        "WHERE c.contract_number LIKE 'K%'",
    )
    response = answer.get("response")
    if response is not None and response.status_code == 200:
        assert imported == rows  # answered: it must all be there
    assert imported in (0, rows), f"{imported} of {rows} rows: a half-written import"
    assert events == imported
    print(
        f"import killed: answer {getattr(response, 'status_code', answer.get('error'))!s:.60},"
        f" rows {imported}"
    )
    if imported == 0:  # the import itself works once the workers are back
        again = requests.post(
            APP + "/api/v1/staff/import/handover",
            files={"file": ("k.csv", io.BytesIO(data), "text/csv")},
            headers=_staff_headers(),
            timeout=60,
        )
        assert again.status_code == 200, again.text[:300]


def test_kill_9_during_stage_moves_loses_no_answered_move(stack: Stack) -> None:
    ids = [
        r[0]
        for r in stack.admin(
            "SELECT id FROM handover_case WHERE contract_number LIKE 'K%' "
            "AND stage = 'contract_filing' ORDER BY id LIMIT 400",
            "bdc",
        )
    ]
    assert len(ids) >= 300
    answered: list[int] = []
    batches = [ids[i : i + 100] for i in range(0, len(ids), 100)]
    stop = threading.Event()

    headers = _staff_headers()

    def mover() -> None:
        session = requests.Session()
        for batch in batches:
            if stop.is_set():
                return
            items = [{"id": i, "stage": "advance_notice", "version": 1} for i in batch]
            try:
                response = session.post(
                    APP + "/api/v1/staff/handover/cases/advance",
                    json={"items": items},
                    headers=headers,
                    timeout=30,
                )
            except requests.RequestException:
                continue
            if response.status_code == 200:
                answered.extend(batch)

    thread = threading.Thread(target=mover)
    thread.start()
    time.sleep(0.3)
    _kill_workers(stack)
    thread.join(60)
    stop.set()
    _wait(lambda: requests.get(APP + "/healthz", timeout=2).status_code == 200, 30, "respawn")
    moved = {
        r[0]
        for r in stack.admin(
            "SELECT id FROM handover_case WHERE stage = 'advance_notice' AND id = ANY(ARRAY["  # noqa: S608 - integers from the database
            + ",".join(str(int(i)) for i in ids)
            + "])",
            "bdc",
        )
    }
    assert set(answered) <= moved, "an answered stage move was lost"
    for batch in batches:  # all or nothing per request
        assert set(batch) <= moved or not (set(batch) & moved), "a half-applied bulk move"
    with_event = {
        r[0]
        for r in stack.admin(
            "SELECT case_id FROM handover_stage_event WHERE stage = 'advance_notice'", "bdc"
        )
    }
    assert moved <= with_event, "a stage moved without its timeline event"
    print(f"stage moves killed: {len(answered)} answered, {len(moved)} moved")


# --- slow clients and nginx --------------------------------------------------------------------
def _slow_clients(port: int, n: int = 4) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    return socks


def _drip(socks: list[socket.socket], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in socks:
            with contextlib.suppress(OSError):
                s.sendall(b"X-Drip: 1\r\n")
        time.sleep(2.0)


def _healthy_within(base: str, seconds: float) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=seconds).status_code == 200
    except requests.RequestException:
        return False


def test_four_slow_clients_do_not_stop_a_fifth_behind_nginx(stack: Stack) -> None:
    # Directly on gunicorn's two sync workers, four slow clients do stop a fifth one ...
    socks = _slow_clients(APP_PORT)
    dripper = threading.Thread(target=_drip, args=(socks, 4.5))
    dripper.start()
    time.sleep(0.5)
    direct = _healthy_within(APP, 2.5)
    dripper.join()
    for s in socks:
        s.close()
    assert not direct, (
        "the slow-client attack did not block gunicorn: this test would prove nothing"
    )
    _wait(lambda: _healthy_within(APP, 1), 40, "gunicorn after the slow clients")
    # ... behind nginx (request buffering) they do not.
    socks = _slow_clients(NGINX_PORT)
    dripper = threading.Thread(target=_drip, args=(socks, 6.5))
    dripper.start()
    try:
        time.sleep(0.5)
        timings = []
        for _ in range(5):
            started = time.monotonic()
            assert _healthy_within(EDGE, 2.0), "a normal client was stopped behind nginx"
            timings.append(time.monotonic() - started)
            time.sleep(0.8)
    finally:
        dripper.join()
        for s in socks:
            s.close()
    assert max(timings) < 1.0, timings
    print(f"slow clients behind nginx: normal requests took {max(timings) * 1000:.0f} ms at most")


def test_nginx_answers_its_own_errors_as_problems_with_a_request_id(stack: Stack) -> None:
    long = requests.get(EDGE + "/api/v1/verify/" + "A" * 9000, timeout=5)
    assert long.status_code == 414
    assert long.headers["Content-Type"].startswith("application/problem+json")
    body = long.json()
    assert body["code"] == "uri_too_long" and body["status"] == 414
    assert body["request_id"] and body["request_id"] == long.headers["X-Request-ID"]
    normal = requests.get(EDGE + "/healthz", timeout=5)
    assert re.fullmatch(r"[0-9a-f]{32}", normal.headers["X-Request-ID"])  # nginx's $request_id
    big = requests.post(
        EDGE + "/api/v1/verify/by-number",
        data=b"x" * (7 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert big.status_code == 413 and big.json()["code"] == "payload_too_large"


def test_a_worker_lost_behind_nginx_is_a_503_problem_with_a_request_id(stack: Stack) -> None:
    """What a client sees when its worker dies (kill -9, or gunicorn's 30 s timeout): not
    gunicorn's or nginx's HTML, but a problem with Retry-After and nginx's request id."""
    from bench_import import build_csv

    # other units than the K import of the kill-during-import test (which may have completed)
    data = build_csv(4000, start=20000, tag="N")
    headers = _staff_headers()
    answer: dict[str, Any] = {}

    def upload() -> None:
        answer["response"] = requests.post(
            EDGE + "/api/v1/staff/import/handover",
            files={"file": ("n.csv", io.BytesIO(data), "text/csv")},
            headers=headers,
            timeout=60,
        )

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.8)
    _kill_workers(stack)
    thread.join(60)
    response = answer["response"]
    imported = _count(stack, "SELECT count(*) FROM handover_case WHERE contract_number LIKE 'N%'")
    if response.status_code == 200:  # the import beat the kill: then it is all there
        assert imported == 4000
        return
    assert imported == 0
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["Retry-After"] == "5"
    _wait(lambda: requests.get(APP + "/healthz", timeout=2).status_code == 200, 30, "respawn")
