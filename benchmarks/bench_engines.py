"""The two engines of `dealcheck check` on one JSON Lines inventory: Python against DuckDB.

Run: python benchmarks/bench_engines.py [--deployments 1000000] [--repeat 1] [--keep DIR]
     python benchmarks/bench_engines.py --quick     # 2,000 rows: checks that it works

Writes an inventory of Microsoft–OpenAI deployments (`common.sample_records`),
then runs, in turn and in fresh processes,
``dealcheck check TERMS FILE --format json -o REPORT --engine python --jobs 1``
and ``... --engine duckdb`` (DuckDB's threads: `--jobs`). Prints the best wall
time and the highest peak RSS (`wait4`) of each, the ratio, and whether the
two reports are byte-identical (a difference fails the run).
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
from pathlib import Path

from bench_cli import Run, best, timed
from common import MSFT_OPENAI, Row, print_table, work_directory


def run(count: int, directory: Path, jobs: int, repeat: int) -> tuple[list[Row], bool]:
    inventory = directory / f"inventory-{count}.jsonl"
    if not inventory.exists() or inventory.stat().st_size == 0:
        # Written by a child process, so that this launcher stays small (see bench_cli).
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_cli.py")),
                        "--write", str(inventory), str(count)], check=True)
    size_mb = inventory.stat().st_size / 1e6
    check = [sys.executable, "-m", "dealcheck.cli", "check", str(MSFT_OPENAI), str(inventory),
             "--format", "json"]
    reports = {"python": directory / "report-python.json",
               "duckdb": directory / "report-duckdb.json"}
    runs: dict[str, list[Run]] = {"python": [], "duckdb": []}
    for _ in range(max(1, repeat)):
        runs["python"].append(timed("--engine python --jobs 1", [
            *check, "-o", str(reports["python"]), "--engine", "python", "--jobs", "1"]))
        runs["duckdb"].append(timed(f"--engine duckdb --jobs {jobs}", [
            *check, "-o", str(reports["duckdb"]), "--engine", "duckdb", "--jobs", str(jobs)]))
    python, duck = best(runs["python"]), best(runs["duckdb"])
    ok = True
    for r in (python, duck):
        if r.status not in (0, 1):  # 1: the sample holds violations
            print(f"{r.label} failed with exit code {r.status}", file=sys.stderr)
            ok = False
    identical = ok and filecmp.cmp(reports["python"], reports["duckdb"], shallow=False)
    if ok and not identical:
        print("MISMATCH: the engines' reports differ", file=sys.stderr)
    rows = [Row("inventory", f"{count:,} deployments, {size_mb:.0f} MB of JSON Lines; "
                f"best of {max(1, repeat)} runs each")]
    rows += [Row(f"dealcheck check {r.label}", f"{r.seconds:.2f} s, peak RSS "
                 f"{r.peak_rss_mb:.0f} MB") for r in (python, duck)]
    speedup = python.seconds / duck.seconds
    rows.append(Row("duckdb speed-up over python", f"{speedup:.2f}x"))
    rows.append(Row("duckdb peak RSS", f"{duck.peak_rss_mb:.0f} MB", "< 500 MB",
                    duck.peak_rss_mb < 500))
    rows.append(Row("python and duckdb reports", "identical" if identical else "DIFFERENT",
                    "identical", identical))
    return rows, identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2, help="DuckDB's threads")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each command, in turn; the best is shown")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 deployments, one run each: checks that the script works")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and reports here (reused if present)")
    args = parser.parse_args(argv)
    count, repeat = (2000, 1) if args.quick else (args.deployments, args.repeat)
    with work_directory(args.keep) as directory:
        rows, ok = run(count, directory, args.jobs, repeat)
    print_table("Engines: python against duckdb (JSON Lines in, JSON report out)", rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
