"""Every dealcheck benchmark, one after the other, each in a fresh process.

Run: python benchmarks/run.py            # the full suite (about 4 minutes on 2 cores)
     python benchmarks/run.py --quick    # tiny inputs: checks that the scripts work

Prints each benchmark's table: figures, ratios and whether each target of the
performance issue is met. Exits non-zero if a benchmark fails (for instance
when two engines disagree on a verdict).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL: list[list[str]] = [
    ["bench_decide.py"],
    ["bench_check.py"],
    ["bench_cli.py"],
    ["bench_memory.py"],
    ["bench_parse.py"],
    ["bench_lint.py"],
    ["bench_stages.py"],
    ["bench_diagnostics.py", "--no-limit-run"],
    ["bench_bounds.py"],
    ["bench_row_files.py"],
    ["bench_engines.py"],
    ["bench_startup.py"],
    ["bench_keys.py", "--rows", "200000"],
]
QUICK: list[list[str]] = [
    ["bench_decide.py", "--quick"],
    ["bench_check.py", "--deployments", "300", "--repeat", "1", "--cedar-sample", "100",
     "--cedar-sample-unrelated", "20", "--zen-sample", "100", "--unrelated", "10"],
    ["bench_cli.py", "--deployments", "2000", "--repeat", "1"],
    ["bench_memory.py", "--deployments", "500"],
    ["bench_parse.py", "--clauses", "50", "--repeat", "1"],
    ["bench_lint.py", "--lines", "100", "--repeat", "2"],
    ["bench_stages.py", "--deployments", "300", "--rows", "300", "--repeat", "1"],
    ["bench_diagnostics.py", "--errors", "300", "--word-mb", "0.1", "--line-mb", "0.5",
     "--no-limit-run"],
    ["bench_bounds.py", "--amendments", "50", "--waivers", "20"],
    ["bench_row_files.py", "--quick"],
    ["bench_engines.py", "--quick"],
    ["bench_startup.py", "--repeat", "1", "--rows", "50"],
    ["bench_keys.py", "--quick"],
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny inputs (a smoke test)")
    args = parser.parse_args(argv)
    failed = []
    started = time.perf_counter()
    cores = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {cores} cores, load average {load} at the start; "
          "figures are best-of runs measured side by side in this one session")
    for command in QUICK if args.quick else FULL:
        print()
        sys.stdout.flush()
        status = subprocess.call([sys.executable, str(HERE / command[0]), *command[1:]])
        if status:
            failed.append(command[0])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s; load average {load} at the end"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
