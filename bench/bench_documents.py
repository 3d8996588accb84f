"""Benchmark of e-license copies and housing proofs (a plain script, not a test).

    PYTHONPATH=. python bench/bench_documents.py [-n 20] [--db sqlite|URL]

Two parts, both on one core (the process is pinned to one CPU):

1. Rendering real documents built from the demo registry (王志强's annotated copy with its
   mortgage note, 张建国's family proof): median and p95 per output, and the ratio to the
   baseline of bench/bench_render.py (encoding a blank A4 PNG at the same resolution), so the
   figures compare across machines.
2. Downloads through the app (Flask test client, real database, audit writes on): for ``n``
   freshly issued documents, the first download (renders), a repeated download (served from
   the in-process render cache) and a conditional one (``If-None-Match`` → 304), per format.

Targets (docs/performance.md, "Documents"): license copy PNG ≤ 150 ms, PDF ≤ 250 ms on one
core; a repeated download must not render again. Figures go to
bench/results/documents-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import _blank_png  # noqa: E402  (the shared baseline)

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (a benchmark)


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _measure(fn: Callable[[int], object], n: int) -> dict[str, float]:
    return _stats([_time(lambda i=i: fn(i)) for i in range(n)])


def _app(db: str, tmp: Path) -> Any:
    from miniapp_api import create_app

    uri = f"sqlite:///{tmp / 'documents.sqlite3'}" if db == "sqlite" else db
    return create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": uri,
            "PUBLIC_BASE_URL": "https://bdc.example.gov.cn",
            "KEYS_DIR": str(tmp / "keys"),
            "RATELIMIT_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )


def _worker_cpu_us(app: Any, url: str, headers: dict[str, str], n: int) -> float:
    """Median process CPU (µs) of one request through the app's WSGI callable — what a
    gunicorn worker spends on it besides parsing HTTP (the database server's CPU is not
    included)."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=url, headers=headers).get_environ()
    times = []
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    for i in range(n + 5):
        status.clear()
        start = time.process_time()
        body = app(dict(environ), start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
        spent = time.process_time() - start
        assert status[0].startswith("200"), (url, status)
        if i >= 5:  # warm-up
            times.append(spent * 1e6)
    return round(statistics.median(times), 1)


def _headers(key: str) -> dict[str, str]:
    from sqlalchemy import select

    from miniapp_api.auth import tokens
    from miniapp_api.demo.info import demo_info
    from miniapp_api.extensions import db
    from miniapp_api.models import WechatAccount

    citizen = next(c for c in demo_info()["citizens"] if c["key"] == key)
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == citizen["openid"])
    ).scalar_one_or_none() or WechatAccount(openid=citizen["openid"])
    account.person_id = citizen["person_id"]
    db.session.add(account)
    db.session.commit()
    token, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, 3600)
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="documents / renders per measurement")
    parser.add_argument("--db", default="sqlite", help="sqlite (temporary file) or a database URL")
    parser.add_argument("--out", type=Path, help="result file (default bench/results/…)")
    args = parser.parse_args()
    n = args.n
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from flask_migrate import upgrade

    from miniapp_api import downloads, kinds, rendering
    from miniapp_api.demo.seed import seed_demo
    from miniapp_api.domain import documents
    from miniapp_api.kinds import printing as rendering_glue

    results: dict[str, Any] = {"n": n, "db": "sqlite" if args.db == "sqlite" else "postgresql"}
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp_name:
        tmp = Path(tmp_name)
        app = _app(args.db, tmp)
        with app.app_context():
            upgrade()
            seed_demo(scale=200, seed=7)
            client = app.test_client()
            wang, zhang = _headers("wang"), _headers("zhang")
            license_id = client.get("/api/v1/me/licenses", headers=wang).json[0]["id"]

            def issue_copy(i: int) -> dict[str, Any]:
                response = client.post(
                    f"/api/v1/me/licenses/{license_id}/copies",
                    headers=wang,
                    json={"purpose": "贷款", "valid_days": 30},
                )
                assert response.status_code == 201, response.json
                return response.json

            def issue_proof(i: int) -> dict[str, Any]:
                response = client.post(
                    "/api/v1/me/housing-proofs",
                    headers=zhang,
                    json={"scope": "family", "purpose": "子女入学"},
                )
                assert response.status_code == 201, response.json
                return response.json

            # --- 1. rendering ------------------------------------------------------------
            copy_json, proof_json = issue_copy(0), issue_proof(0)
            copy = kinds.LICENSE_COPY.load(copy_json["id"])
            proof = kinds.HOUSING_PROOF.load(proof_json["id"])
            license_doc = rendering_glue.license_document(
                copy, documents.qr_text(kinds.LICENSE_COPY.verification_url(copy))
            )
            proof_doc = rendering_glue.proof_document(
                proof, documents.qr_text(kinds.HOUSING_PROOF.verification_url(proof))
            )
            start = time.perf_counter()
            rendering.warm_up(app.config["REGISTRY_NAME"])
            rendering.render_license_png(license_doc)
            rendering.render_license_pdf(license_doc)
            rendering.render_proof_png(proof_doc)
            rendering.render_proof_pdf(proof_doc)
            results["first_renders_in_process_ms"] = round((time.perf_counter() - start) * 1000)
            baseline = _measure(lambda i: _blank_png(), n)
            results["baseline_blank_png"] = baseline
            render = {}
            for name, fn in (
                ("license_png", lambda i: rendering.render_license_png(license_doc)),
                ("license_pdf", lambda i: rendering.render_license_pdf(license_doc)),
                ("proof_png", lambda i: rendering.render_proof_png(proof_doc)),
                ("proof_pdf", lambda i: rendering.render_proof_pdf(proof_doc)),
            ):
                figures = _measure(fn, n)
                figures["x_baseline"] = round(figures["median_ms"] / baseline["median_ms"], 1)
                render[name] = figures
            results["render"] = render

            # --- 2. downloads --------------------------------------------------------------
            downloads.render_cache.clear()
            download: dict[str, Any] = {}
            for kind, issue, headers in (
                ("license_copy", issue_copy, wang),
                ("housing_proof", issue_proof, zhang),
            ):
                docs = [issue(i) for i in range(n)]
                for fmt in ("png", "pdf"):
                    first, repeat, conditional = [], [], []
                    for doc in docs:
                        url = doc[f"{fmt}_url"]
                        holder: dict[str, Any] = {}

                        def get(extra=None, holder=holder, url=url, headers=headers):
                            holder["r"] = client.get(url, headers={**headers, **(extra or {})})

                        first.append(_time(get))
                        assert holder["r"].headers["X-Render-Cache"] == "miss"
                        etag = holder["r"].headers["ETag"]
                        repeat.append(_time(get))
                        assert holder["r"].headers["X-Render-Cache"] == "hit"
                        conditional.append(
                            _time(lambda etag=etag, get=get: get({"If-None-Match": etag}))
                        )
                        assert holder["r"].status_code == 304
                    f, r, c = _stats(first), _stats(repeat), _stats(conditional)
                    # Worker CPU (issue #17): a repeated download against GET /api/v1/me with
                    # the same holder's token, each request as the worker runs it (WSGI call).
                    me_cpu = _worker_cpu_us(app, "/api/v1/me", headers, n)
                    repeat_cpu = _worker_cpu_us(app, docs[0][f"{fmt}_url"], headers, n)
                    download[f"{kind}_{fmt}"] = {
                        "first": f,
                        "repeat_cached": r,
                        "conditional_304": c,
                        "first_over_repeat": round(f["median_ms"] / r["median_ms"], 1),
                        "first_over_304": round(f["median_ms"] / c["median_ms"], 1),
                        "repeat_cpu_us": repeat_cpu,
                        "me_cpu_us": me_cpu,
                        "repeat_over_me_cpu": round(repeat_cpu / me_cpu, 2),
                    }
            results["download"] = download
            results["cache"] = {
                "entries": len(downloads.render_cache),
                "bytes": downloads.render_cache.size,
            }
            from miniapp_api.extensions import db

            db.session.remove()
            db.engine.dispose()

    _print(results)
    out = args.out or RESULTS / f"documents-{results['db']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out}")


def _print(results: dict[str, Any]) -> None:
    base = results["baseline_blank_png"]
    print(f"baseline: blank A4 PNG: median {base['median_ms']} ms (p95 {base['p95_ms']} ms)")
    print(
        f"first renders in process (fonts, warm-up, 4 documents): "
        f"{results['first_renders_in_process_ms']} ms\n"
    )
    header = f"{'render':<14} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}"
    print(header)
    print("-" * len(header))
    for name, fig in results["render"].items():
        med, p95, ratio = fig["median_ms"], fig["p95_ms"], fig["x_baseline"]
        print(f"{name:<14} {med:>10.1f} {p95:>8.1f} {ratio:>10.1f}x")
    print("\ntargets: license PNG <= 150 ms, license PDF <= 250 ms (one core)\n")
    header = (
        f"{'download':<20} {'first ms':>9} {'repeat ms':>10} {'304 ms':>8} "
        f"{'first/repeat':>13} {'first/304':>10} {'repeat CPU/me CPU':>18}"
    )
    print(header)
    print("-" * len(header))
    for name, fig in results["download"].items():
        first = fig["first"]["median_ms"]
        repeat = fig["repeat_cached"]["median_ms"]
        not_modified = fig["conditional_304"]["median_ms"]
        print(
            f"{name:<20} {first:>9.1f} {repeat:>10.1f} {not_modified:>8.1f} "
            f"{fig['first_over_repeat']:>12.1f}x {fig['first_over_304']:>9.1f}x "
            f"{fig['repeat_cpu_us']:>7.0f}/{fig['me_cpu_us']:<5.0f}µs "
            f"{fig['repeat_over_me_cpu']:>4.2f}x"
        )


if __name__ == "__main__":
    main()
