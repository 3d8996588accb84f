"""The benchmark scripts still run against the code they measure (a tiny run each; the
figures themselves are in docs/performance.md, never asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run_bench(script: str, *args: str) -> None:
    """Run a benchmark script on SQLite, as `make bench` does; fail with its stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_applications_benchmark_runs_the_whole_flow(tmp_path):
    out = tmp_path / "applications.json"
    run_bench(
        "bench_applications.py",
        "-n",
        "3",
        "--stats-rows",
        "300",
        "--db",
        "sqlite",
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    assert result["applications"] == 3
    assert set(result["cpu_ms_per_application"]) == {
        "filing", "confirming", "accepting", "registering",
    }  # fmt: skip
    assert result["rows"] >= 300
    assert result["stats_one_year"]["median_ms"] > 0


def test_the_documents_benchmark_renders_and_downloads(tmp_path):
    out = tmp_path / "documents.json"
    run_bench("bench_documents.py", "-n", "2", "--db", "sqlite", "--out", str(out))
    result = json.loads(out.read_text())
    assert set(result["render"]) == {"license_png", "license_pdf", "proof_png", "proof_pdf"}
    for figures in result["download"].values():
        assert figures["repeat_cpu_us"] > 0 and figures["me_cpu_us"] > 0


def test_the_in_process_benchmark_measures_every_target(tmp_path):
    out = tmp_path / "inprocess.json"
    run_bench(
        "bench_inprocess.py",
        "--scale",
        "200",
        "--requests",
        "50",
        "--rounds",
        "1",
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    for name in ("bare", "minimal", "healthz", "api", "page"):
        assert result[name]["median_us"] > 0


def test_the_gunicorn_benchmark_picks_a_real_port(monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_verification import free_port

    monkeypatch.delenv("BENCH_PORTS", raising=False)
    assert free_port() > 0
    monkeypatch.setenv("BENCH_PORTS", "19990-19999")
    assert 19990 <= free_port() <= 19999
