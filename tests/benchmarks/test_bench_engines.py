"""The engines benchmark runs on a tiny inventory: identical reports, the peer query agreeing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Starts three processes of its own: the slow tier.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_engines_benchmark_quick_mode_compares_the_reports() -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_engines.py"), "--quick"],
                          capture_output=True, text=True, timeout=600, cwd=BENCHMARKS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Engines: dealcheck against a hand-written DuckDB query" in done.stdout
    verdict = next(line for line in done.stdout.splitlines()
                   if line.startswith("python and duckdb reports"))
    assert verdict.split()[4:] == ["identical", "identical", "met"], done.stdout
    agree = next(line for line in done.stdout.splitlines()
                 if line.startswith("the query's verdicts and the report's"))
    assert agree.split()[-3:] == ["agree", "agree", "met"], done.stdout
    assert "hand-written DuckDB query" in done.stdout
    assert "--format jsonl --jobs 2" in done.stdout and "peak RSS" in done.stdout
    summaries = next(line for line in done.stdout.splitlines()
                     if line.startswith("the jsonl and json summaries"))
    assert summaries.split()[-3:] == ["equal", "equal", "met"], done.stdout
