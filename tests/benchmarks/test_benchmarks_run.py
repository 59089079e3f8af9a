"""The benchmark scripts run, on tiny inputs (no timing is asserted: only that they work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Runs every benchmark script in its own process: the slow tier.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_benchmark_suite_runs_on_tiny_inputs() -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--quick"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for heading in ("Embedding: dict rows and single decisions",
                    "In-process throughput", "CLI end to end", "parse + resolve + compile",
                    "editor-speed lint of real files",
                    "Memory of a check as the inventory grows",
                    "Where the time goes: reading a JSON Lines inventory",
                    "Diagnostics of hostile inputs",
                    "Bounded cost of inputs within the limits"):
        assert heading in out, out
    # Every engine that ran agreed with dealcheck on every verdict, and the
    # parallel report is the sequential one.
    assert "verdict mismatches" in out and "MISMATCH" not in done.stderr
    assert "--jobs 1 and --jobs 2 reports  identical" in out, out
