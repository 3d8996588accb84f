"""一窗办事 throughput: applications through the whole flow, and the report query at scale
(a plain script, not a test).

    PYTHONPATH=. python bench/bench_applications.py [-n 10000] [--stats-rows 1000000]
        [--db sqlite|postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

What it does, in one process, on a fresh database (``bdc_bench_apps`` on PostgreSQL):

1. migrates and seeds a demo registry with ``n`` certificates;
2. for each of ``n`` applications (transfers of sole-owned units, mortgages where a transfer
   is not possible) runs the service functions the views call, committing after each step as
   the view edge does: filing, every party confirming, accepting (working-day deadline,
   acceptance number, receipt), and registering (review, tracks, 登簿 with the register's
   changes and the new certificate's signed token); CPU seconds (``time.process_time``) are
   summed per step;
3. measures the CPU of a verification check (``check_token``) over tokens of the same run —
   the baseline each step is compared with;
4. fills ``application`` up to ``--stats-rows`` rows (bulk insert), rebuilds the daily rollup
   and times ``GET /api/v1/stats/applications`` for one year (target ≤ 200 ms) next to the
   same figures computed by scanning ``application`` directly.

Writes bench/results/applications-<db>.json. Figures: docs/performance.md, "Applications".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (benchmark only)
PG_NAME = "bdc_bench_apps"


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


def database(arg: str, tmp: Path) -> str:
    if arg == "sqlite":
        return f"sqlite:///{tmp / 'apps.sqlite3'}"
    import psycopg

    admin = arg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    return re.sub(r"/[^/]*$", f"/{PG_NAME}", arg)


def make_app(url: str, tmp: Path) -> Any:
    from miniapp_api import create_app

    return create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "KEYS_DIR": str(tmp / "keys"),
            "PUBLIC_BASE_URL": "https://bdc.example.gov.cn",
            "RATELIMIT_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "REDIS_URL": None,
        }
    )


def edge() -> None:
    """What the end of a request does: commit, and a fresh session for the next step (one
    long-lived session would expire an ever larger identity map at every commit)."""
    from miniapp_api.extensions import db

    db.session.commit()
    db.session.remove()


def flow(n: int) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from miniapp_api.applications import service, tracks, window
    from miniapp_api.domain import pii
    from miniapp_api.extensions import db
    from miniapp_api.models import HandoverCase, Partner, Person, PropertyRight
    from miniapp_api.partners.service import create_partner

    agency, _ = create_partner("基准中介", "agency")
    bank, _ = create_partner("基准银行", "bank")
    db.session.flush()
    filer_ids = {"agency": agency.id, "bank": bank.id}
    cased = set(db.session.execute(select(HandoverCase.unit_id)).scalars())
    rights = (
        db.session.execute(
            select(PropertyRight)
            .options(selectinload(PropertyRight.holders))
            .where(PropertyRight.current.is_(True))
        )
        .scalars()
        .all()
    )
    plans = []
    for index, right in enumerate(rights):
        unit = right.unit
        if unit.id in cased:
            continue
        active = {e.kind for e in unit.encumbrances if e.ended_at is None}
        if active & {"seizure", "objection"}:
            continue
        holders = [h.person for h in right.holders]
        obligors = [
            {"role": "obligor", "name": p.name, "id_number": pii.decrypt(p.id_number_enc)}
            for p in holders
        ]
        plans.append((unit.unit_number, [p.id for p in holders], obligors, index))
        if len(plans) == n:
            break
    del rights
    edge()
    from miniapp_api.demo.citizens import synthetic_id

    cpu = {"filing": 0.0, "confirming": 0.0, "accepting": 0.0, "registering": 0.0}
    done = 0
    for unit_number, holder_ids, obligors, index in plans:
        kind = "transfer" if index % 3 else "mortgage"
        if kind == "transfer":
            buyer = {
                "role": "obligee",
                "name": "基准买方",
                "id_number": synthetic_id(f"19{70 + index % 30:02d}0101", index % 999),
            }
            data = {
                "kind": kind,
                "unit_number": unit_number,
                "price": "500000.00",
                "contract_number": f"BENCH{index:08d}",
                "parties": [*obligors, buyer],
            }
            filer_kind = "agency"
        else:
            data = {
                "kind": kind,
                "unit_number": unit_number,
                "loan_amount": "300000.00",
                "term_months": 120,
                "parties": obligors,
            }
            filer_kind = "bank"
        t0 = time.process_time()
        partner = db.session.get(Partner, filer_ids[filer_kind])  # as the API key's lookup does
        filer = service.Filer(channel="partner", partner=partner, actor="bench")
        item = service.file_application(filer, data)
        app_id = item.id
        edge()
        t1 = time.process_time()
        for person_id in holder_ids:
            service.confirm(db.session.get(Person, person_id), app_id, "confirm", None)
            edge()
        item = service.load(app_id)
        if item.status == "awaiting_confirmation":  # the buyer (not a registry person yet)
            for party in item.parties:
                party.confirmed_at = party.confirmed_at or datetime.now(UTC)
            from miniapp_api.applications import events

            events.change_status(item, "submitted", actor="bench")
        edge()
        t2 = time.process_time()
        item = window.load_for_update(app_id, service.load(app_id).version)
        window.accept(item, "bench")
        edge()
        t3 = time.process_time()
        item = service.load(app_id)
        window.advance(item, "reviewed", "bench")
        if kind == "transfer":
            tracks.complete_track(item, "contract_filing", f"BA{app_id}", "bench")
            tracks.complete_track(item, "tax", f"WS{app_id}", "bench")
        window.advance(item, "registered", "bench")
        edge()
        t4 = time.process_time()
        cpu["filing"] += t1 - t0
        cpu["confirming"] += t2 - t1
        cpu["accepting"] += t3 - t2
        cpu["registering"] += t4 - t3
        done += 1
        if done % 1000 == 0:
            log(f"  {done} applications")
    return {
        "applications": done,
        "cpu_ms_per_application": {k: round(v / done * 1000, 3) for k, v in cpu.items()},
    }


def verification_baseline(samples: int = 2000) -> float:
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.models import IssuedDocument
    from miniapp_api.verification import service as verification

    tokens = list(db.session.execute(select(IssuedDocument.token).limit(samples)).scalars())
    db.session.commit()
    t0 = time.process_time()
    for token in tokens:
        verification.check_token(token)
    db.session.rollback()
    return (time.process_time() - t0) / len(tokens) * 1000


def fill(rows: int) -> int:
    """Bulk-insert closed applications (spread over 3 years) up to ``rows`` in the table."""
    import random

    from sqlalchemy import func, insert, select

    from miniapp_api.extensions import db
    from miniapp_api.models import Application, RealEstateUnit

    have = db.session.execute(select(func.count(Application.id))).scalar_one()
    units = list(db.session.execute(select(RealEstateUnit.id).limit(500)).scalars())
    if db.session.get_bind().dialect.name == "postgresql" and rows > have:
        # Server-side generation: the same spread as below, in seconds instead of minutes.
        db.session.execute(
            db.text(
                """
                INSERT INTO application (number, kind, channel, unit_id, status, filed_at,
                    updated_at, promised_date, completed_at, version)
                SELECT 'BN' || lpad(i::text, 12, '0'),
                       (ARRAY['transfer','mortgage','mortgage_release'])[i % 3 + 1],
                       (ARRAY['partner','window','citizen'])[(i / 3) % 3 + 1],
                       (CAST(:units AS integer[]))[i % CAST(:n AS integer) + 1],
                       CASE WHEN r < 0.9 THEN 'completed' ELSE 'rejected' END,
                       f, f, (f + interval '7 days')::date,
                       CASE WHEN r < 0.9 THEN f + (1 + (i % 9)) * interval '1 day' END,
                       1
                FROM (SELECT i, random() AS r,
                             timestamptz '2024-01-01 00:00:00+00'
                               + random() * interval '1095 days' AS f
                      FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS i) AS g
                """
            ),
            {"units": units, "n": len(units), "lo": have, "hi": rows - 1},
        )
        db.session.commit()
        return db.session.execute(select(func.count(Application.id))).scalar_one()
    rng = random.Random(12)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    kinds = ("transfer", "mortgage", "mortgage_release")
    channels = ("partner", "window", "citizen")
    batch: list[dict[str, Any]] = []
    for i in range(have, rows):
        filed = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        completed = rng.random() < 0.9
        promised = (filed + timedelta(days=7)).date()
        done_at = filed + timedelta(days=rng.randrange(1, 10)) if completed else None
        batch.append(
            {
                "number": f"BN{i:012d}",
                "kind": kinds[i % 3],
                "channel": channels[(i // 3) % 3],
                "unit_id": units[i % len(units)],
                "status": "completed" if completed else "rejected",
                "filed_at": filed,
                "updated_at": filed,
                "promised_date": promised,
                "completed_at": done_at,
                "version": 1,
            }
        )
        if len(batch) == 20000:
            db.session.execute(insert(Application), batch)
            db.session.commit()
            batch.clear()
            log(f"  {i + 1} rows")
    if batch:
        db.session.execute(insert(Application), batch)
        db.session.commit()
    return db.session.execute(select(func.count(Application.id))).scalar_one()


def time_stats(client: Any, start: date, end: date, runs: int = 20) -> dict[str, float]:
    query = {"from": start.isoformat(), "to": end.isoformat()}
    client.get("/api/v1/stats/applications", query_string=query)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get("/api/v1/stats/applications", query_string=query)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def time_scan(start: date, end: date) -> float:
    from sqlalchemy import func, select

    from miniapp_api.extensions import db
    from miniapp_api.models import Application

    lo = datetime.combine(start, datetime.min.time(), UTC)
    hi = datetime.combine(end, datetime.min.time(), UTC)
    t0 = time.perf_counter()
    db.session.execute(
        select(Application.kind, Application.channel, Application.status, func.count())
        .where(Application.filed_at >= lo, Application.filed_at < hi)
        .group_by(Application.kind, Application.channel, Application.status)
    ).all()
    db.session.rollback()
    return round((time.perf_counter() - t0) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--stats-rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", "sqlite"))
    parser.add_argument("--out", type=Path, help="result file (default bench/results/…)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = database(args.db, tmp)
        app = make_app(url, tmp)
        from flask_migrate import upgrade

        from miniapp_api.applications import rollup
        from miniapp_api.demo.seed import seed_demo
        from miniapp_api.extensions import db

        result: dict[str, Any] = {"db": "sqlite" if args.db == "sqlite" else "postgresql"}
        with app.app_context():
            upgrade()
            log(f"seeding {args.n + args.n // 5} certificates …")
            seed_demo(scale=args.n + args.n // 5, seed=12)
            log("flow …")
            result.update(flow(args.n))
            log(json.dumps(result, ensure_ascii=False))
            result["verification_check_cpu_ms"] = round(verification_baseline(), 3)
            log(f"verification check: {result['verification_check_cpu_ms']} ms CPU")
            base = result["verification_check_cpu_ms"]
            result["ratio_to_verification"] = {
                k: round(v / base, 1) for k, v in result["cpu_ms_per_application"].items()
            }
            log(f"filling to {args.stats_rows} rows …")
            result["rows"] = fill(args.stats_rows)
            t0 = time.perf_counter()
            rollup.rebuild()
            db.session.commit()
            result["rollup_rebuild_s"] = round(time.perf_counter() - t0, 1)
            if result["db"] == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            with app.test_client() as client:
                result["stats_one_year"] = time_stats(client, date(2025, 1, 1), date(2025, 12, 31))
                result["stats_three_years"] = time_stats(
                    client, date(2024, 1, 1), date(2026, 12, 31)
                )
            result["scan_one_year_ms"] = time_scan(date(2025, 1, 1), date(2026, 1, 1))
            db.session.remove()
            db.engine.dispose()
        out = args.out or RESULTS / f"applications-{result['db']}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
