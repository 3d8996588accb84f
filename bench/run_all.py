"""`make bench`: run every benchmark in bench/ one after the other and print their reports.

    python bench/run_all.py [--only NAME ...] [--large]

Each `bench/bench_*.py` is run as its own process (with the repository on PYTHONPATH) and
writes its JSON figures under bench/results/. `--large` adds the verification benchmark at
1,000,000 certificates (seeding it takes a while the first time; the database is cached in
bench/results/cache/). Set BENCH_DATABASE_URL=postgresql+psycopg://… to run the verification
benchmark on PostgreSQL instead of SQLite. `bench_memory.py` (memory per gunicorn worker against a
bare Flask worker) is one of the scripts. Figures and targets: docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def scripts() -> list[Path]:
    return sorted(BENCH.glob("bench_*.py"))


def run(script: Path, extra: list[str]) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    print(f"\n=== {script.name} {' '.join(extra)}".rstrip(), flush=True)
    started = time.perf_counter()
    code = subprocess.call([sys.executable, str(script), *extra], cwd=ROOT, env=env)
    print(f"=== {script.name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="script names, e.g. bench_verification")
    parser.add_argument(
        "--large", action="store_true", help="also verification at 1,000,000 certificates"
    )
    args = parser.parse_args()
    failed = 0
    for script in scripts():
        if args.only and script.stem not in args.only:
            continue
        failed += run(script, []) != 0
        if args.large and script.stem == "bench_verification":
            failed += run(script, ["--scale", "1000000", "--compare", "100000"]) != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
