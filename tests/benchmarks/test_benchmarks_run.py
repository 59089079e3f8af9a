"""The benchmark scripts run, on tiny inputs (no timing is asserted: only that they work).

Each script of `benchmarks/run.py --quick` is its own test, so that the test
workers share them out; `run.py` itself is tested without running them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Runs every benchmark script in its own process: the slow tier.
pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
try:
    import run  # benchmarks/run.py
finally:
    sys.path.pop(0)

#: What each script prints when it works (`bench_engines.py` has a test file of its own).
HEADINGS = {
    "bench_decide.py": ["Embedding: dict rows and single decisions", "verdict mismatches"],
    "bench_check.py": ["In-process throughput", "verdict mismatches"],
    "bench_cli.py": ["CLI end to end", "--jobs 1 and --jobs 2 reports  identical"],
    "bench_memory.py": ["Memory of a check as the inventory grows"],
    "bench_parse.py": ["parse + resolve + compile"],
    "bench_lint.py": ["editor-speed lint of real files"],
    "bench_stages.py": ["Where the time goes: reading a JSON Lines inventory"],
    "bench_diagnostics.py": ["Diagnostics of hostile inputs"],
    "bench_bounds.py": ["Bounded cost of inputs within the limits"],
    "bench_row_files.py": ["Report rows: through a pipe", "the piped rows and the file's"],
    "bench_startup.py": ["Start-up: fresh processes of dealcheck",
                         "over the floor: dealcheck --version"],
    "bench_keys.py": ["Keys: judging each distinct key and rendering its row's template",
                      "outcomes judged again, templates rendered again"],
}
SCRIPTS = [c for c in run.QUICK if c[0] in HEADINGS]


def test_every_quick_script_is_tested() -> None:
    assert sorted(c[0] for c in run.QUICK) == sorted([*HEADINGS, "bench_engines.py"])


@pytest.mark.parametrize("command", SCRIPTS, ids=[c[0] for c in SCRIPTS])
def test_benchmark_runs_on_tiny_inputs(command: list[str]) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / command[0]), *command[1:]],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for heading in HEADINGS[command[0]]:
        assert heading in done.stdout, done.stdout
    # Every engine that ran agreed with dealcheck on every verdict.
    assert "MISMATCH" not in done.stderr


def test_run_runs_every_script_and_says_which_failed(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    called: list[list[str]] = []

    def call(argv: list[str]) -> int:
        called.append(argv[1:])
        return 1 if argv[1].endswith("bench_lint.py") else 0

    monkeypatch.setattr(run.subprocess, "call", call)
    assert run.main(["--quick"]) == 1
    assert [[Path(a[0]).name, *a[1:]] for a in called] == run.QUICK
    assert "FAILED: bench_lint.py" in capsys.readouterr().out
