"""Memory per gunicorn worker, against a bare Flask worker (a plain script, not a test).

    PYTHONPATH=. python bench/bench_memory.py [--db sqlite|URL] [--requests 1000]
        [--compare-ref REF] [--latency-rounds 3] [--no-photo]

In one run, on loopback ports 18400-18499 only:

1. seeds a demo registry (``seed_demo(scale=200)``) in a temporary SQLite file or in the
   PostgreSQL database ``bench_memory`` next to ``--db URL`` (dropped and created again);
2. serves the bare Flask app (``bench/baseline_app.py``) and the real app (``wsgi:app``) with the
   app's ``gunicorn.conf.py`` and 2 workers — with ``--compare-ref`` also the app as it is at
   that git commit (``git archive`` into a temporary directory, same virtualenv, same database),
   so the old and the new code are measured side by side;
3. reads ``/proc/<pid>/smaps_rollup`` (Pss, Private_Dirty, Private_Clean, Rss) of every worker
   after warm-up (workers idle after start-up), then after ``--requests`` mixed requests:
   verification checks, WeChat logins (against the fake WeChat server, in this process),
   license lists, issuing copies and proofs, and downloading them as PNG and PDF (fresh renders
   and repeats from the render cache);
4. first-render latency: a fresh single-worker server per round (after its warm-up) and the
   time of its first copy PNG, copy PDF, proof PNG and proof PDF download (each a render), per
   code version, median of ``--latency-rounds``;
5. the photo-verification upload (``POST /api/v1/verify/image``): peak memory of the worker
   for the largest images the upload accepts (VmHWM after ``clear_refs``), per image kind.

Targets (docs/performance.md, "Memory"): private memory per worker after warm-up ≤ 60 MB above
the bare Flask worker; after the mixed requests within 1.5× of the post-warm-up value; first
render of a copy or proof not more than 10 % slower than before; photo upload peak < 100 MB.
Figures go to bench/results/memory-<db>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (benchmark only)
BASE_URL = "https://bdc.example.gov.cn"
SERVER_PORTS = range(18400, 18450)  # this bench's loopback range; the fake WeChat: 18450-18499
WECHAT_PORTS = range(18450, 18500)
WECHAT_APPID = "wxbenchmemory000001"
WECHAT_SECRET = "bench-memory-wechat-secret-0123456789"  # noqa: S105 (benchmark only)
MB = 1024 * 1024


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


def bind_port(ports: range) -> socket.socket:
    """A socket listening on the first free port of ``ports``."""
    for port in ports:
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            continue
        listener.listen(2048)
        return listener
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def free_port(ports: range) -> int:
    """The first port of ``ports`` nothing listens on (two runs can share the range)."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


# --- /proc ------------------------------------------------------------------------------------
def smaps(pid: int) -> dict[str, float]:
    """Rss, Pss, Private_Dirty, Private_Clean of a process in MB (smaps_rollup)."""
    wanted = {"Rss", "Pss", "Private_Dirty", "Private_Clean", "Shared_Clean", "Shared_Dirty"}
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        if key in wanted:
            out[key] = round(int(rest.split()[0]) / 1024, 1)
    return out


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(t) for t in text)
    return sorted(found)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_idle(pids: list[int], quiet: float = 1.0, timeout: float = 60) -> None:
    """Wait until none of ``pids`` uses CPU for ``quiet`` seconds (warm-up finished)."""
    deadline = time.time() + timeout
    last = [cpu_ticks(p) for p in pids]
    while time.time() < deadline:
        time.sleep(quiet)
        now = [cpu_ticks(p) for p in pids]
        if now == last:
            return
        last = now


# --- database and accounts --------------------------------------------------------------------
def pg_url(db: str) -> str:
    return re.sub(r"/[^/?]*(\?|$)", r"/bench_memory\1", db, count=1)


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    admin = re.sub(r"/[^/]*$", "/postgres", url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def app_env(database_url: str, keys: Path, code_dir: Path, wechat_base: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "KEYS_DIR": str(keys),
            "PUBLIC_BASE_URL": BASE_URL,
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "WECHAT_OPEN_BASE": wechat_base,
            "WECHAT_API_BASE": wechat_base,
            "WECHAT_APPID": WECHAT_APPID,
            "WECHAT_SECRET": WECHAT_SECRET,
            "PYTHONPATH": str(code_dir),
            "WEB_CONCURRENCY": "2",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def prepare(database_url: str, keys: Path, people: int) -> dict[str, Any]:
    """Seed the registry; bind ``people`` WeChat accounts to holders; mint their tokens."""
    code = """
import json, random, sys
from flask_migrate import upgrade
from sqlalchemy import select
from miniapp_api import create_app
from miniapp_api.auth import tokens
from miniapp_api.demo.seed import seed_demo
from miniapp_api.extensions import db
from miniapp_api.models import IssuedDocument, RightHolder, WechatAccount
app = create_app()
with app.app_context():
    upgrade()
    seed_demo(scale=200, seed=7)
    ids = db.session.execute(select(RightHolder.person_id).distinct()
                             .order_by(RightHolder.person_id)).scalars().all()
    headers = []
    for person_id in ids[:int(sys.argv[1])]:
        account = WechatAccount(openid=f"bench-memory-{person_id}", person_id=person_id)
        db.session.add(account)
        db.session.commit()
        token, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, 7200)
        headers.append({"Authorization": f"Bearer {token}"})
    rows = db.session.execute(select(IssuedDocument.token)).scalars().all()
    checks = random.Random(7).sample(rows, min(500, len(rows)))
    print(json.dumps({"headers": headers, "tokens": checks}))
"""
    env = app_env(database_url, keys, ROOT, "http://127.0.0.1:1")
    out = subprocess.run(
        [sys.executable, "-c", code, str(people)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def export_ref(ref: str, into: Path) -> Path:
    """The tree of ``ref`` as plain files (the old code, for a side-by-side comparison)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


# --- servers ----------------------------------------------------------------------------------
class Server:
    def __init__(self, proc: subprocess.Popen[bytes], base: str) -> None:
        self.proc = proc
        self.base = base

    @property
    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def memory(self) -> dict[str, Any]:
        return {
            "master": smaps(self.proc.pid),
            "workers": [smaps(pid) for pid in self.workers],
        }


@contextmanager
def serve(
    target: str, env: dict[str, str], code_dir: Path, workers: int, probe: str
) -> Iterator[Server]:
    # Bound here and handed over as a file descriptor: no other run can take the port between
    # choosing it and gunicorn listening on it.
    listener = bind_port(SERVER_PORTS)
    port = listener.getsockname()[1]
    args = [
        str(BIN / "gunicorn"),
        "--config",
        str(code_dir / "gunicorn.conf.py"),
        "--workers",
        str(workers),
        "--bind",
        f"fd://{listener.fileno()}",
        "--log-level",
        "warning",
        target,
    ]
    proc = subprocess.Popen(
        args, env=env, cwd=code_dir, start_new_session=True, pass_fds=(listener.fileno(),)
    )
    listener.close()
    base = f"http://127.0.0.1:{port}"
    import requests

    try:
        deadline = time.time() + 120
        while True:
            try:
                if requests.get(base + probe, timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"gunicorn for {target} did not start")
            time.sleep(0.2)
        server = Server(proc, base)
        while len(server.workers) < workers:
            time.sleep(0.1)
        wait_idle(server.workers)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- traffic ----------------------------------------------------------------------------------
class Traffic:
    """The mixed requests of a citizen service: checks, logins, lists, issues, downloads."""

    def __init__(self, base: str, prepared: dict[str, Any], fake: Any) -> None:
        import requests

        self.http = requests.Session()
        self.base = base
        self.headers: list[dict[str, str]] = prepared["headers"]
        self.tokens: list[str] = prepared["tokens"]
        self.fake = fake
        self.rng = random.Random(19)
        self.count = 0
        self.kinds: dict[str, int] = {}
        self.licenses: dict[int, list[int]] = {}
        self.issued: list[tuple[dict[str, str], dict[str, str]]] = []  # (document, headers)
        self.purposes: list[str] = []
        self.renders = 0

    def request(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        self.count += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if response.status_code >= 500:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def check(self) -> None:
        token = self.rng.choice(self.tokens)
        body = self.request("check", "GET", f"/api/v1/verify/{token}").json()
        if body.get("verdict") in ("forged", "malformed", "unknown_document"):
            raise RuntimeError(f"check answered {body.get('verdict')}")

    def login(self) -> None:
        from miniapp_api.demo.info import wechat_users

        openid = self.rng.choice(sorted(wechat_users()))
        self.http.cookies.clear()
        response = self.request(
            "login",
            "GET",
            "/api/v1/auth/wechat/authorize",
            params={"next": "/app/"},
            allow_redirects=False,
        )
        location = response.headers["Location"]
        state = parse_qs(urlsplit(location.split("#", 1)[0]).query)["state"][0]
        code = self.fake.issue_code(openid)
        answer = self.request(
            "login", "POST", "/api/v1/auth/wechat", json={"code": code, "state": state}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"login failed: {answer.status_code} {answer.text[:300]}")
        self.http.cookies.clear()

    def list_licenses(self, who: int) -> None:
        response = self.request(
            "list", "GET", "/api/v1/me/licenses", headers=self.headers[who]
        ).json()
        self.licenses[who] = [item["id"] for item in response]

    def purpose(self) -> str:
        if not self.purposes:
            listed = self.request("list", "GET", "/api/v1/purposes").json()
            self.purposes = [p["label"] for p in listed if not p["free_text"]]
        return self.rng.choice(self.purposes)

    def issue_copy(self, who: int) -> dict[str, str] | None:
        if who not in self.licenses:
            self.list_licenses(who)
        if not self.licenses[who]:
            return None
        license_id = self.licenses[who][0]
        response = self.request(
            "issue",
            "POST",
            f"/api/v1/me/licenses/{license_id}/copies",
            headers=self.headers[who],
            json={"purpose": self.purpose(), "valid_days": 30},
        )
        if response.status_code != 201:
            raise RuntimeError(f"copy: {response.status_code} {response.text[:300]}")
        return response.json()

    def issue_proof(self, who: int) -> dict[str, str]:
        response = self.request(
            "issue",
            "POST",
            "/api/v1/me/housing-proofs",
            headers=self.headers[who],
            json={"scope": self.rng.choice(["personal", "family"]), "purpose": self.purpose()},
        )
        if response.status_code != 201:
            raise RuntimeError(f"proof: {response.status_code} {response.text[:300]}")
        return response.json()

    def download(
        self, document: dict[str, str], headers: dict[str, str], fmt: str
    ) -> tuple[float, str]:
        path = document[f"{fmt}_url"].replace(BASE_URL, "")
        started = time.perf_counter()
        response = self.request("download", "GET", path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"download {path}: {response.status_code} {response.text[:300]}")
        state = response.headers.get("X-Render-Cache", "")
        self.renders += state == "miss"
        return elapsed, state

    def run(self, total: int) -> None:
        """``total`` requests, in cycles of about 20 (60 % light requests, 40 % documents)."""
        who = 0
        while self.count < total:
            for _ in range(8):
                self.check()
            self.login()
            self.list_licenses(who)
            copy = self.issue_copy(who)
            proof = self.issue_proof(who)
            for document in filter(None, (copy, proof)):
                self.issued.append((document, self.headers[who]))
                self.download(document, self.headers[who], "png")
                self.download(document, self.headers[who], "pdf")
            for _ in range(2):  # repeats: cache hits, or renders again once evicted
                document, headers = self.rng.choice(self.issued)
                self.download(document, headers, self.rng.choice(["png", "pdf"]))
            for _ in range(max(0, 20 - (self.count % 20))):
                if self.count >= total:
                    break
                self.check()
            who = (who + 1) % len(self.headers)


def on_cpu_ns(pid: int) -> int:
    """Nanoseconds the process's main thread has run on a CPU (/proc/<pid>/schedstat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def first_renders(
    server: Server, prepared: dict[str, Any], fake: Any, who: int
) -> dict[str, float]:
    """Wall and worker-CPU times of the first download (a render) of each kind and format in a
    fresh single worker. The CPU time hardly depends on what else runs on the machine."""
    traffic = Traffic(server.base, prepared, fake)
    worker = server.workers[0]
    out: dict[str, float] = {}
    copy = traffic.issue_copy(who)
    while copy is None:  # an account whose person has an e-license
        who += 1
        copy = traffic.issue_copy(who)
    proof = traffic.issue_proof(who)
    for name, document in (("copy", copy), ("proof", proof)):
        for fmt in ("png", "pdf"):
            cpu = on_cpu_ns(worker)
            elapsed, state = traffic.download(document, prepared["headers"][who], fmt)
            cpu = on_cpu_ns(worker) - cpu
            assert state == "miss", state
            out[f"{name}_{fmt}"] = round(elapsed, 1)
            out[f"{name}_{fmt}_cpu"] = round(cpu / 1e6, 1)
    return out


# --- photo upload -----------------------------------------------------------------------------
MAX_PIXELS = 50_000_000  # miniapp_api/verification/imaging.py (the largest image accepted)
MAX_BYTES = 5 * MB


def accepted_pixels() -> int:
    """The pixel cap of the photo upload as the code under test has it."""
    try:
        from miniapp_api.verification import imaging

        return int(imaging.MAX_PIXELS)
    except (ImportError, AttributeError):
        return MAX_PIXELS


def photo_cases(max_pixels: int) -> Iterator[tuple[str, str, bytes]]:
    """The largest square images under ``max_pixels``, one per decoding path (name, MIME
    type, bytes): mostly white pages, so that even 50 megapixels fit in the 5 MB limit."""
    from PIL import Image, ImageDraw

    side = int(max_pixels**0.5)
    while side * side > max_pixels:
        side -= 1

    def page(mode: str) -> Image.Image:
        white = {"L": 255, "RGB": (255, 255, 255), "RGBA": (255, 255, 255, 255)}
        image = Image.new(mode, (side, side), white.get(mode, 0))
        ImageDraw.Draw(image).rectangle((side // 4, side // 4, side // 2, side // 2), fill=0)
        return image

    def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
        out = io.BytesIO()
        image.save(out, format=fmt, **params)
        return out.getvalue()

    rotated = Image.Exif()
    rotated[0x0112] = 6  # orientation: rotate 90° (exif_transpose copies the image)
    yield f"PNG L {side}x{side}", "image/png", encode(page("L"), "PNG", compress_level=9)
    yield f"PNG RGBA {side}x{side}", "image/png", encode(page("RGBA"), "PNG", compress_level=9)
    rgba = page("RGBA")
    data = encode(rgba, "PNG", compress_level=9, exif=rotated)
    yield f"PNG RGBA {side}x{side}, EXIF rotated", "image/png", data
    del rgba
    rgb = page("RGB")
    yield f"JPEG baseline 4:2:0 {side}x{side}", "image/jpeg", encode(rgb, "JPEG", quality=85)
    data = encode(rgb, "JPEG", quality=85, progressive=True, subsampling=0)
    yield f"JPEG progressive 4:4:4 {side}x{side}", "image/jpeg", data
    cmyk = rgb.convert("CMYK")
    del rgb
    data = encode(cmyk, "JPEG", quality=85, progressive=True)
    yield f"JPEG progressive CMYK {side}x{side}", "image/jpeg", data


def photo_peaks(server: Server, max_pixels: int) -> list[dict[str, Any]]:
    import requests

    results = []
    for name, mime, data in photo_cases(max_pixels):
        if len(data) > MAX_BYTES:
            log(f"skipping {name}: {len(data)} bytes is over the upload limit")
            continue
        pids = server.workers
        before = {}
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to VmRSS
            before[pid] = status_kb(pid, "VmRSS")
        started = time.perf_counter()
        response = requests.post(
            server.base + "/api/v1/verify/image",
            files={"image": ("photo", data, mime)},
            timeout=120,
        )
        elapsed = time.perf_counter() - started
        peaks = {pid: status_kb(pid, "VmHWM") - before[pid] for pid in pids}
        worker = max(peaks, key=lambda pid: peaks[pid])
        results.append(
            {
                "image": name,
                "bytes": len(data),
                "status": response.status_code,
                "code": response.json().get("code") if response.content else None,
                "pixels": max_pixels,
                "peak_mb": round(peaks[worker] / 1024, 1),
                "retained_mb": round((status_kb(worker, "VmRSS") - before[worker]) / 1024, 1),
                "seconds": round(elapsed, 2),
            }
        )
        log("photo:", results[-1])
    return results


# --- the run ----------------------------------------------------------------------------------
def summarise(memory: dict[str, Any]) -> dict[str, float]:
    workers = memory["workers"]
    return {
        key: round(statistics.mean(w[key] for w in workers), 1)
        for key in ("Pss", "Private_Dirty", "Rss")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (temporary file) or a database URL")
    parser.add_argument("--requests", type=int, default=1000, help="mixed requests per app")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--people", type=int, default=24, help="citizen accounts used")
    parser.add_argument(
        "--compare-ref", default="", help="also measure the app at this git ref (e.g. main)"
    )
    parser.add_argument("--latency-rounds", type=int, default=3)
    parser.add_argument("--no-photo", action="store_true", help="skip the photo-upload peaks")
    args = parser.parse_args()

    from miniapp_api.demo.info import wechat_users
    from miniapp_api.dev.fake_wechat import FakeWeChat

    db_name = "sqlite" if args.db == "sqlite" else "postgresql"
    results: dict[str, Any] = {"db": db_name, "requests": args.requests, "workers": args.workers}
    fake = FakeWeChat(
        users=wechat_users(), appid=WECHAT_APPID, secret=WECHAT_SECRET, port=free_port(WECHAT_PORTS)
    )
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp_name, fake:
        tmp = Path(tmp_name)
        keys = tmp / "keys"
        if args.db == "sqlite":
            url = f"sqlite:///{tmp / 'memory.sqlite3'}"
        else:
            url = pg_url(args.db)
            _pg_admin(url, "DROP DATABASE IF EXISTS bench_memory WITH (FORCE)")
            _pg_admin(url, "CREATE DATABASE bench_memory")
        log(f"seeding {url} ...")
        prepared = prepare(url, keys, args.people)
        versions = {"current": ROOT}
        if args.compare_ref:
            sha = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", args.compare_ref],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            versions[f"{args.compare_ref} ({sha})"] = export_ref(args.compare_ref, tmp / "ref")
            results["compare_ref"] = f"{args.compare_ref} ({sha})"
        results["head"] = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
        ).stdout.strip()

        # 1. the bare Flask worker, same gunicorn settings (no document warm-up: nothing to warm)
        base_env = app_env(url, keys, ROOT, fake.base_url)
        base_env["PYTHONPATH"] = str(ROOT / "bench")
        base_env["RENDER_WARM_UP"] = "false"
        with serve("baseline_app:app", base_env, ROOT, args.workers, "/") as server:
            import requests

            for _ in range(20):
                requests.get(server.base + "/", timeout=5)
            results["baseline"] = server.memory()
        baseline = summarise(results["baseline"])
        log("baseline:", baseline)

        # 2. the app, per code version: after warm-up, after the mixed requests, photo peaks
        results["apps"] = {}
        for version, code_dir in versions.items():
            env = app_env(url, keys, code_dir, fake.base_url)
            with serve("wsgi:app", env, code_dir, args.workers, "/healthz") as server:
                entry: dict[str, Any] = {"after_warm_up": server.memory()}
                log(version, "after warm-up:", summarise(entry["after_warm_up"]))
                traffic = Traffic(server.base, prepared, fake)
                started = time.perf_counter()
                traffic.run(min(100, args.requests))
                wait_idle(server.workers, quiet=0.5)
                entry["after_100"] = server.memory()
                traffic.run(args.requests)
                entry["traffic"] = {
                    "requests": traffic.count,
                    "by_kind": traffic.kinds,
                    "renders": traffic.renders,
                    "seconds": round(time.perf_counter() - started, 1),
                }
                wait_idle(server.workers, quiet=0.5)
                entry["after_requests"] = server.memory()
                log(version, "after requests:", summarise(entry["after_requests"]))
                if version == "current" and not args.no_photo:
                    cap = accepted_pixels()
                    results["photo"] = peaks = photo_peaks(server, cap)
                    # Over 100 MB: look for the pixel cap that keeps every kind under it.
                    for _ in range(3):
                        worst = max(item["peak_mb"] for item in peaks)
                        if worst < 100:
                            break
                        cap = int(cap * 95 / worst / 500_000) * 500_000
                        results["photo_cap_proposed"] = cap
                        peaks = photo_peaks(server, cap)
                        results["photo"] += peaks
            results["apps"][version] = entry

        # 3. first-render latency: a fresh worker per round, versions alternating
        latency: dict[str, list[dict[str, float]]] = {v: [] for v in versions}
        for round_no in range(args.latency_rounds):
            for version, code_dir in versions.items():
                env = app_env(url, keys, code_dir, fake.base_url)
                with serve("wsgi:app", env, code_dir, 1, "/healthz") as server:
                    times = first_renders(server, prepared, fake, round_no % 3)
                    latency[version].append(times)
                    log(version, "first renders:", times)
        results["first_render_ms"] = {
            version: {key: round(statistics.median(r[key] for r in rounds), 1) for key in rounds[0]}
            for version, rounds in latency.items()
        }
        results["first_render_rounds"] = latency
    if args.db != "sqlite":
        with contextlib.suppress(Exception):
            _pg_admin(url, "DROP DATABASE IF EXISTS bench_memory WITH (FORCE)")

    from miniapp_api import downloads

    results["render_cache_budget"] = {
        "entries": downloads.render_cache.max_entries,
        "bytes": downloads.render_cache.max_bytes,
    }
    report(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"memory-{db_name}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out.relative_to(ROOT)}")


def report(results: dict[str, Any]) -> None:
    base = summarise(results["baseline"])
    print(f"\nmemory per gunicorn worker, MB ({results['db']}, {results['workers']} workers)")
    header = (
        f"{'server':<26} {'phase':<16} {'Pss':>7} {'Priv_Dirty':>11} {'Rss':>7} "
        f"{'Δ bare (PD)':>12} {'× warm-up':>10}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{'bare Flask':<26} {'after warm-up':<16} {base['Pss']:>7.1f} "
        f"{base['Private_Dirty']:>11.1f} {base['Rss']:>7.1f}"
    )
    for version, entry in results["apps"].items():
        warm = summarise(entry["after_warm_up"])
        for phase in ("after_warm_up", "after_100", "after_requests"):
            fig = summarise(entry[phase])
            print(
                f"{'app ' + version:<26} {phase.replace('_', ' '):<16} {fig['Pss']:>7.1f} "
                f"{fig['Private_Dirty']:>11.1f} {fig['Rss']:>7.1f} "
                f"{fig['Private_Dirty'] - base['Private_Dirty']:>+12.1f} "
                f"{fig['Private_Dirty'] / warm['Private_Dirty']:>9.2f}x"
            )
        late = summarise(entry["after_requests"])
        early = summarise(entry["after_100"])
        print(
            f"    growth from request 100 to {results['requests']}: Private_Dirty "
            f"{late['Private_Dirty'] / early['Private_Dirty']:.2f}x, "
            f"Pss {late['Pss'] / early['Pss']:.2f}x"
        )
        for i, worker in enumerate(entry["after_requests"]["workers"]):
            print(f"    worker {i} after requests: {worker}")
        print(f"    traffic: {entry['traffic']}")
    budget = results["render_cache_budget"]
    print(
        f"render cache budget per worker: {budget['entries']} entries / "
        f"{budget['bytes'] / MB:.0f} MiB"
    )
    print(
        "(after 100: the worker has served every kind of request once; after requests: "
        f"{results['requests']} mixed requests)"
    )
    print("\nfirst render in a fresh worker after warm-up, ms (median of rounds; _cpu: worker CPU)")
    versions = list(results["first_render_ms"])
    print(f"{'download':<12}" + "".join(f"{v:>26}" for v in versions))
    for key in results["first_render_ms"][versions[0]]:
        row = "".join(f"{results['first_render_ms'][v][key]:>26.1f}" for v in versions)
        print(f"{key:<12}{row}")
    if "photo" in results:
        print("\nphoto upload (POST /api/v1/verify/image), worker peak above its resident size")
        if "photo_cap_proposed" in results:
            print(
                f"  (over 100 MB at the current cap: smaller caps tried down to "
                f"{results['photo_cap_proposed'] / 1e6:.1f} megapixels)"
            )
        for item in results["photo"]:
            print(
                f"  {item['image']:<42} {item['bytes'] / MB:>5.2f} MB file -> "
                f"{item['status']} {item['code'] or ''}: peak {item['peak_mb']:.1f} MB "
                f"(kept {item['retained_mb']:.1f} MB, {item['seconds']} s)"
            )
    print(
        "\ntargets: warm-up Private_Dirty <= bare + 60 MB; after requests <= 1.5x warm-up; "
        "first render <= 1.1x before; photo peak < 100 MB"
    )


if __name__ == "__main__":
    main()
