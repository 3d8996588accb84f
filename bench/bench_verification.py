"""Verification throughput and latency under gunicorn, driven by wrk (a plain script, not a test).

    PYTHONPATH=. python bench/bench_verification.py [--scale 100000] [--db sqlite|URL]
        [--connections 16] [--duration 15] [--workers 4]

What it does, in one run:

1. builds (or reuses, from bench/results/cache/) a demo registry seeded with
   ``seed_demo(scale=N)`` — every certificate with its signed QR token;
2. serves the real app (``wsgi:app``), a bare Flask endpoint (``bench/baseline_app.py``) and
   the minimal check (``bench/minimal_check_app.py``, its own N rows) with the same gunicorn
   settings, side by side (ports from BENCH_PORTS, e.g. ``19000-19099``, when set);
3. drives each with wrk, alternating: the baseline ``GET /``, the app's ``GET /healthz``, the
   minimal check, ``GET /api/v1/verify/{TOKEN}`` and ``GET /v/{TOKEN}`` over a few thousand
   different tokens (random per request), audit writes on, rate limits off;
4. prints requests/s, p50/p99 latency, worker CPU per request (/proc) and the ratios to the
   baseline and to the minimal check, checks that every check was audited, and writes the
   figures to bench/results/verification-<db>-<scale>.json.

Targets (docs/performance.md, "Verification"; issue #17): API and page ≥ 0.9× the minimal
check; /healthz ≤ 150 µs of worker CPU per request above the bare endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "cache"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (benchmark only)
BASE_URL = "https://bdc.example.gov.cn"
BIN = Path(sys.executable).parent


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- database ----------------------------------------------------------------------------------
def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    admin = re.sub(r"/[^/]*$", "/postgres", url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _pg_exists(url: str, name: str) -> bool:
    import psycopg

    admin = re.sub(r"/[^/]*$", "/postgres", url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()


def app_env(database_url: str, keys_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "KEYS_DIR": str(keys_dir),
            "PUBLIC_BASE_URL": BASE_URL,
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "RENDER_WARM_UP": "false",  # document fonts: not used by verification
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    return env


def seed_database(url: str, keys: Path, scale: int, seed: int) -> dict[str, Any]:
    """Migrate and seed the demo registry at ``scale`` in a process of its own (the app's
    environment); returns seed_demo's row counts."""
    code = (
        "import json\n"
        "from flask_migrate import upgrade\n"
        "from miniapp_api import create_app\n"
        "from miniapp_api.demo.seed import seed_demo\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        f"    print(json.dumps(seed_demo(scale={scale}, seed={seed})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(url, keys),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def prepare(scale: int, db: str, reseed: bool) -> tuple[str, Path, dict[str, Any]]:
    """A seeded database for `scale` (cached between runs) and its keys directory."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        path = CACHE / f"verify-{scale}.sqlite3"
        url = f"sqlite:///{path}"
        keys = CACHE / f"keys-sqlite-{scale}"
        exists = path.exists()
        if reseed and exists:
            for p in CACHE.glob(f"verify-{scale}.sqlite3*"):
                p.unlink()
            shutil.rmtree(keys, ignore_errors=True)
            exists = False
    else:
        name = f"bench_verify_{scale}"
        url = re.sub(r"/[^/]*$", f"/{name}", db)
        keys = CACHE / f"keys-pg-{scale}"
        exists = bool(_pg_exists(db, name))
        if reseed and exists:
            _pg_admin(db, f"DROP DATABASE {name} WITH (FORCE)")
            shutil.rmtree(keys, ignore_errors=True)
            exists = False
        if not exists:
            _pg_admin(db, f"CREATE DATABASE {name}")
    meta_path = CACHE / f"meta-{'sqlite' if db == 'sqlite' else 'pg'}-{scale}.json"
    if not exists or not meta_path.exists():
        log(f"seeding {scale} certificates into {url} (once; cached in {CACHE}) ...")
        started = time.perf_counter()
        seeded = seed_database(url, keys, scale, seed=20261126)
        seeded["seed_seconds"] = round(time.perf_counter() - started, 1)
        meta_path.write_text(json.dumps(seeded))
        log("seeded:", seeded)
    return url, keys, json.loads(meta_path.read_text())


def prepare_minimal(scale: int, db: str, sample: int) -> tuple[str, dict[str, Any]]:
    """The minimal check's own database (``scale`` rows), key and sample tokens (cached)."""
    from minimal_check_app import build

    if db == "sqlite":
        target = str(CACHE / f"minimal-{scale}.sqlite3")
    else:
        name = f"bench_minimal_{scale}"
        target = re.sub(
            r"/[^/]*$", f"/{name}", db.replace("postgresql+psycopg://", "postgresql://")
        )
        if not _pg_exists(db, name):
            _pg_admin(db, f"CREATE DATABASE {name}")
    meta = CACHE / f"minimal-{'sqlite' if db == 'sqlite' else 'pg'}-{scale}-{sample}.json"
    if not meta.exists():
        log(f"building the minimal check's {scale} rows in {target} ...")
        meta.write_text(json.dumps(build(target, scale, sample)))
    return target, json.loads(meta.read_text())


def sample_tokens(database_url: str, keys: Path, count: int) -> list[str]:
    code = (
        "import json,random\n"
        "from sqlalchemy import select, func\n"
        "from miniapp_api import create_app\n"
        "from miniapp_api.extensions import db\n"
        "from miniapp_api.models import IssuedDocument\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    top = db.session.execute(select(func.max(IssuedDocument.id))).scalar()\n"
        f"    ids = random.Random(7).sample(range(1, top + 1), min({count}, top))\n"
        "    rows = db.session.execute(select(IssuedDocument.token)"
        ".where(IssuedDocument.id.in_(ids))).scalars().all()\n"
        "    print(json.dumps(rows))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(database_url, keys),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def reset_audit(database_url: str, keys: Path) -> None:
    """Drop the audit rows earlier benchmark runs left (a benchmark database only), so every
    run starts with the same, small audit table."""
    code = (
        "from sqlalchemy import delete\n"
        "from miniapp_api import create_app\n"
        "from miniapp_api.extensions import db\n"
        "from miniapp_api.models import AuditEvent\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    t = AuditEvent.__table__\n"
        "    db.session.execute(delete(t).where(t.c.action == 'verification.check'))\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(database_url, keys),
        check=True,
        capture_output=True,
    )


def audit_count(database_url: str, keys: Path) -> int:
    code = (
        "from sqlalchemy import select, func\n"
        "from miniapp_api import create_app\n"
        "from miniapp_api.extensions import db\n"
        "from miniapp_api.models import AuditEvent\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    print(db.session.execute(select(func.count(AuditEvent.id))"
        ".where(AuditEvent.action == 'verification.check')).scalar())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(database_url, keys),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip().splitlines()[-1])


# --- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    """A free loopback port: from BENCH_PORTS ("19000-19099") when set (shared machines give
    each user a range), else any."""
    low, _, high = os.environ.get("BENCH_PORTS", "").partition("-")
    for port in range(int(low or 1), int(high or low or 0) + 1):
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_args(target: str, port: int, workers: int) -> list[str]:
    config = ROOT / "gunicorn.conf.py"  # the production settings, for both servers
    return [
        str(BIN / "gunicorn"),
        *(["--config", str(config)] if config.exists() else []),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        target,
    ]


MASTERS: dict[str, int] = {}  # served base URL → gunicorn master pid


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU time of a gunicorn master's worker processes (Linux /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(target: str, env: dict[str, str], workers: int, probe: str) -> Any:
    port = free_port()
    args = gunicorn_args(target, port, workers)
    proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(base + probe, timeout=2) as r:  # noqa: S310
                    if r.status < 500:
                        break
            except urllib.error.HTTPError as exc:  # e.g. 404: up all the same
                if exc.code < 500:
                    break
            except Exception:  # noqa: S110 - not up yet
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"gunicorn for {target} did not start")
            time.sleep(0.2)
        MASTERS[base + "/"] = proc.pid
        yield base
    finally:
        MASTERS.pop(base + "/", None)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_sample(base: str, tokens: list[str]) -> None:
    """The sampled tokens must be this server's (a genuine check, not a cheap 'forged')."""
    for token in tokens[:20]:
        url = f"{base}/api/v1/verify/{token}"
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - our own server
            verdict = json.loads(r.read())["verdict"]
        if verdict in ("forged", "unknown_document", "malformed"):
            raise RuntimeError(f"sample token answers {verdict} on {base}: wrong keys or data?")


# --- wrk ---------------------------------------------------------------------------------------
LUA = """
local tokens = {%s}
local prefix = "%s"
local suffix = "%s"
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(seed * 7919 + os.time())
end
function request()
  return wrk.format("GET", prefix .. tokens[math.random(#tokens)] .. suffix)
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match[1]) * _UNITS[match[2]]


def wrk(url: str, connections: int, duration: int, script: Path | None = None) -> dict[str, Any]:
    args = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    requests = int(re.search(r"(\d+) requests in", out)[1])
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": requests,
        "p50_ms": lat.get("50"),
        "p90_ms": lat.get("90"),
        "p99_ms": lat.get("99"),
        "non_2xx": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "",
    }


def write_script(tokens: list[str], prefix: str, suffix: str = "", name: str = "") -> Path:
    """A wrk script requesting prefix + random token + suffix; one file per (name, prefix)."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{name}{prefix}{suffix}".lower()).strip("-")
    path = RESULTS / f"wrk-{slug}.lua"
    path.write_text(LUA % (",".join(f'"{t}"' for t in tokens), prefix, suffix))
    return path


# --- main --------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    scales = [args.scale, *([args.compare] if args.compare else [])]
    apps: dict[int, dict[str, Any]] = {}
    for scale in scales:
        url, keys, seeded = prepare(scale, args.db, args.reseed)
        tokens = sample_tokens(url, keys, args.tokens)
        random.Random(1).shuffle(tokens)
        reset_audit(url, keys)
        apps[scale] = {"url": url, "keys": keys, "seeded": seeded, "tokens": tokens}
    log(f"{args.tokens} sample tokens per scale; workers={args.workers} conns={args.connections}")
    main = apps[args.scale]
    results: dict[str, Any] = {
        "scale": args.scale,
        "db": "sqlite" if args.db == "sqlite" else "postgresql",
        "certificates": main["seeded"].get("certificates"),
        "seed_seconds": main["seeded"].get("seed_seconds"),
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
    }
    before = {s: audit_count(a["url"], a["keys"]) for s, a in apps.items()}
    baseline_env = {**app_env(main["url"], main["keys"]), "PYTHONPATH": str(ROOT / "bench")}
    minimal_db, minimal = prepare_minimal(args.scale, args.db, args.tokens)
    minimal_env = {**baseline_env, "MINIMAL_DB": minimal_db}
    minimal_env["MINIMAL_PUBLIC_KEY"] = minimal["public_key"]
    runs: dict[str, list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as stack:
        baseline = stack.enter_context(serve("baseline_app:app", baseline_env, args.workers, "/"))
        mini = stack.enter_context(serve("minimal_check_app:app", minimal_env, args.workers, "/"))
        targets: dict[str, tuple[str, Path | None]] = {
            "baseline": (baseline + "/", None),
            "minimal": (mini + "/", write_script(minimal["tokens"], "/check/", name="minimal")),
        }
        for scale, info in apps.items():
            env = app_env(info["url"], info["keys"])
            base = stack.enter_context(serve("wsgi:app", env, args.workers, "/healthz"))
            suffix = "" if scale == args.scale else f"@{scale}"
            if not suffix:  # the frame every endpoint pays: /healthz against the bare `GET /`
                targets["healthz"] = (base + "/healthz", None)
            check_sample(base, info["tokens"])
            name = f"{scale}"
            targets["api" + suffix] = (
                base + "/",
                write_script(info["tokens"], "/api/v1/verify/", name=name),
            )
            targets["page" + suffix] = (base + "/", write_script(info["tokens"], "/v/", name=name))
        runs = {key: [] for key in targets}
        for target, script in targets.values():  # warm-up: imports, pools, caches
            wrk(target, args.connections, 2, script)
        # The machine may be shared: alternate short runs and keep the median of each, so
        # that a burst of outside load does not land on one endpoint only.
        for round_no in range(args.rounds):
            for key, (target, script) in targets.items():
                master = MASTERS[re.match(r"http://[^/]+/", target)[0]]
                cpu_before = workers_cpu_seconds(master)
                result = wrk(target, args.connections, args.duration, script)
                cpu = workers_cpu_seconds(master) - cpu_before
                # Worker CPU per request: what the endpoint costs, less sensitive to outside
                # load than requests/s (excludes wrk, the kernel's share and PostgreSQL).
                result["worker_cpu_us"] = round(cpu / max(result["requests"], 1) * 1e6)
                runs[key].append(result)
                log(f"round {round_no + 1} {key}", runs[key][-1])
    after = {s: audit_count(a["url"], a["keys"]) for s, a in apps.items()}
    for key, items in runs.items():
        ordered = sorted(items, key=lambda r: r["rps"])
        results[key] = dict(ordered[len(ordered) // 2])
        results[key]["all_rps"] = [r["rps"] for r in items]
        cpu = sorted(r["worker_cpu_us"] for r in items)
        results[key]["worker_cpu_us"] = cpu[len(cpu) // 2]
    results["audited_checks"] = sum(after[s] - before[s] for s in apps)
    results["checks_answered"] = sum(
        r["requests"] for k, items in runs.items() if k.startswith(("api", "page")) for r in items
    )
    base_rps = results["baseline"]["rps"]
    base_cpu = results["baseline"]["worker_cpu_us"]
    mini_rps, mini_cpu = results["minimal"]["rps"], results["minimal"]["worker_cpu_us"]
    for key in runs:
        if key != "baseline":
            results[key]["ratio"] = round(results[key]["rps"] / base_rps, 3)
            results[key]["cpu_ratio"] = round(base_cpu / max(results[key]["worker_cpu_us"], 1), 3)
            # against the minimal check (issue #17's yardstick): req/s and CPU per request
            results[key]["x_minimal"] = round(results[key]["rps"] / mini_rps, 3)
            cpu = max(results[key]["worker_cpu_us"], 1)
            results[key]["cpu_x_minimal"] = round(mini_cpu / cpu, 3)
    results["frame_us"] = results["healthz"]["worker_cpu_us"] - base_cpu
    if args.compare:
        results["compare"] = args.compare
        results["compare_certificates"] = apps[args.compare]["seeded"].get("certificates")
        for key in ("api", "page"):
            # how many times slower the main scale is than the comparison scale
            results[f"{key}_slowdown_vs_{args.compare}"] = round(
                results[f"{key}@{args.compare}"]["rps"] / results[key]["rps"], 3
            )
    name = f"verification-{results['db']}-{args.scale}"
    out = RESULTS / (name + (f"-vs-{args.compare}" if args.compare else "") + ".json")
    out.write_text(json.dumps(results, indent=2))
    return results


def report(results: dict[str, Any]) -> str:
    rows = [
        "| endpoint | req/s | p50 ms | p99 ms | × baseline | worker CPU µs/req | baseline CPU ÷ "
        "this | × minimal req/s | minimal CPU ÷ this | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = [
        ("baseline", "bare Flask `GET /`"),
        ("healthz", "app `GET /healthz`"),
        ("minimal", "minimal check `GET /check/{TOKEN}`"),
        ("api", f"`GET /api/v1/verify/{{TOKEN}}` ({results['certificates']} cert.)"),
        ("page", f"`GET /v/{{TOKEN}}` ({results['certificates']} cert.)"),
    ]
    if results.get("compare"):
        n = results["compare_certificates"]
        labels += [
            (f"api@{results['compare']}", f"`GET /api/v1/verify/{{TOKEN}}` ({n} cert.)"),
            (f"page@{results['compare']}", f"`GET /v/{{TOKEN}}` ({n} cert.)"),
        ]
    for key, label in labels:
        r = results[key]
        ratio = r.get("ratio", 1.0)
        rows.append(
            f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{ratio:.2f} | {r['worker_cpu_us']} | {r.get('cpu_ratio', 1.0):.2f} | "
            f"{r.get('x_minimal', 0):.2f} | {r.get('cpu_x_minimal', 0):.2f} | {r['non_2xx']} |"
        )
    head = (
        f"{results['db']}, scale {results['scale']} ({results['certificates']} certificates), "
        f"{results['workers']} sync workers, {results['connections']} connections, "
        f"median of {results['rounds']} alternating {results['duration_s']} s wrk runs, "
        f"{results['cpus']} CPUs; audit rows written: {results['audited_checks']} "
        f"(checks answered in measured runs: {results['checks_answered']})"
    )
    tail = (
        f"\n\nframe: `/healthz` costs {results['frame_us']} µs of worker CPU per request more "
        "than the bare endpoint"
    )
    if results.get("compare"):
        c = results["compare"]
        tail += (
            f"\n\nslower at {results['scale']} than at {c}: API "
            f"{results[f'api_slowdown_vs_{c}']:.2f}×, page {results[f'page_slowdown_vs_{c}']:.2f}×"
        )
    return head + "\n\n" + "\n".join(rows) + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument(
        "--db", default=os.environ.get("BENCH_DATABASE_URL", "sqlite"), help="sqlite or a URL"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per endpoint")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn.conf default"
    )
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--compare", type=int, default=0, help="also serve this scale and compare (e.g. 100000)"
    )
    args = parser.parse_args()
    results = run(args)
    print(report(results))


if __name__ == "__main__":
    main()
