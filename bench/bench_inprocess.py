"""Per-request CPU in process: bare Flask, the minimal check, the app's frame and checks.

    PYTHONPATH=. python bench/bench_inprocess.py [--scale 3000] [--requests 3000]
        [--rounds 5] [--profile api|page|healthz|minimal|bare] [--out FILE]

Each target's WSGI callable is called directly with a prepared environ (no HTTP, no server),
``--requests`` times per round, and the process CPU (``time.process_time``) per request is
reported (median and best of ``--rounds``). Process CPU barely moves with other load on the
machine, so this is the figure to compare changes with; ``bench_verification.py`` measures
the same targets under gunicorn and wrk (throughput, latency, worker CPU).

Targets: ``bare`` (bench/baseline_app.py ``GET /``), ``minimal`` (bench/minimal_check_app.py
over its own ``--scale`` rows), ``healthz`` (the app's frame plus one ``SELECT 1``), ``api``
(``GET /api/v1/verify/{TOKEN}``) and ``page`` (``GET /v/{TOKEN}``) over 500 different tokens of
a demo registry seeded at ``--scale`` (SQLite, audit rows written, rate limits off).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_verification as bv  # noqa: E402 (the same app settings as the gunicorn bench)


def targets(work: Path, scale: int) -> dict[str, tuple[Any, list[dict[str, Any]]]]:
    """name → (WSGI app, environs to cycle through)."""
    from werkzeug.test import EnvironBuilder

    url = f"sqlite:///{work / 'app.sqlite3'}"
    keys = work / "keys"
    env = bv.app_env(url, keys)
    bv.seed_database(url, keys, scale, seed=1)
    os.environ.update(env)
    tokens = bv.sample_tokens(url, keys, 500)

    import minimal_check_app as minimal_check

    built = minimal_check.build(str(work / "minimal.sqlite3"), scale, 500)
    os.environ["MINIMAL_DB"] = str(work / "minimal.sqlite3")
    os.environ["MINIMAL_PUBLIC_KEY"] = built["public_key"]
    minimal = minimal_check.create_app()
    from baseline_app import app as bare

    from miniapp_api import create_app

    app = create_app()

    def environs(paths: list[str]) -> list[dict[str, Any]]:
        return [EnvironBuilder(path=p).get_environ() for p in paths]

    return {
        "bare": (bare, environs(["/"])),
        "minimal": (minimal, environs([f"/check/{t}" for t in built["tokens"]])),
        "healthz": (app, environs(["/healthz"])),
        "api": (app, environs([f"/api/v1/verify/{t}" for t in tokens])),
        "page": (app, environs([f"/v/{t}" for t in tokens])),
    }


def _start_response(status: str, headers: Any, exc_info: Any = None) -> None:
    if not status.startswith("200"):
        raise AssertionError(status)


def _call(app: Any, environ: dict[str, Any]) -> None:
    body = app(dict(environ), _start_response)
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()


def measure(app: Any, environs: list[dict[str, Any]], requests: int, rounds: int) -> list[float]:
    """µs of process CPU per request, one figure per round (after a warm-up)."""
    for i in range(300):
        _call(app, environs[i % len(environs)])
    figures = []
    for _ in range(rounds):
        start = time.process_time()
        for i in range(requests):
            _call(app, environs[i % len(environs)])
        figures.append((time.process_time() - start) / requests * 1e6)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="print a cProfile of one target instead")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-inprocess-") as tmp:
        found = targets(Path(tmp), args.scale)
        if args.profile:
            app, environs = found[args.profile]
            measure(app, environs, 100, 1)
            profile = cProfile.Profile()
            profile.runcall(measure, app, environs, args.requests, 1)
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)
            return
        results: dict[str, Any] = {}
        for name, (app, environs) in found.items():
            figures = measure(app, environs, args.requests, args.rounds)
            results[name] = {
                "median_us": round(statistics.median(figures), 1),
                "best_us": round(min(figures), 1),
            }
            print(f"{name:8s} median {results[name]['median_us']:7.1f} µs/request  "
                  f"best {results[name]['best_us']:7.1f}", flush=True)  # fmt: skip
    bare, minimal = results["bare"]["median_us"], results["minimal"]["median_us"]
    results["frame_us_above_bare"] = round(results["healthz"]["median_us"] - bare, 1)
    for name in ("api", "page"):
        results[f"minimal_cpu_over_{name}"] = round(minimal / results[name]["median_us"], 2)
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
