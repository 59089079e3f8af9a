"""The Spark engine of `dealcheck check` on one JSON Lines inventory, against the Python engine.

Run: python benchmarks/bench_spark.py [--deployments 100000] [--repeat 1] [--keep DIR]
     python benchmarks/bench_spark.py --quick     # 2,000 rows: checks that it works

Needs the ``spark`` extra (``pip install 'dealcheck[spark]'``) and Java 17 or later.
Writes an inventory of Microsoft–OpenAI deployments (`common.sample_records`),
then runs, in turn and in fresh processes,
``dealcheck check TERMS FILE --format json -o REPORT --engine python --jobs 1``,
``... --engine duckdb`` and ``... --engine spark`` (local mode, ``local[2]``;
its time includes starting the JVM). Prints the best wall time and the
highest peak RSS (`wait4`, the Python process: Spark's JVM is its child and
not counted) of each, and whether the three reports are byte-identical; a
difference fails the run.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
from pathlib import Path

from bench_cli import Run, best, timed
from common import MSFT_OPENAI, Row, print_table, work_directory

ENGINES = ("python", "duckdb", "spark")


def run(count: int, directory: Path, repeat: int) -> tuple[list[Row], bool]:
    inventory = directory / f"inventory-{count}.jsonl"
    if not inventory.exists() or inventory.stat().st_size == 0:
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_cli.py")),
                        "--write", str(inventory), str(count)], check=True)
    check = [sys.executable, "-m", "dealcheck.cli", "check", str(MSFT_OPENAI), str(inventory),
             "--format", "json"]
    reports = {engine: directory / f"report-{engine}.json" for engine in ENGINES}
    runs: dict[str, list[Run]] = {engine: [] for engine in ENGINES}
    for _ in range(max(1, repeat)):
        for engine in ENGINES:
            runs[engine].append(timed(f"--engine {engine}", [
                *check, "-o", str(reports[engine]), "--engine", engine, "--jobs", "1"]))
    found = {engine: best(runs[engine]) for engine in ENGINES}
    ok = True
    for r in found.values():
        if r.status not in (0, 1):  # 1: the sample holds violations
            print(f"{r.label} failed with exit code {r.status}", file=sys.stderr)
            ok = False
    identical = ok and all(filecmp.cmp(reports["python"], reports[e], shallow=False)
                           for e in ENGINES[1:])
    if ok and not identical:
        print("MISMATCH: the engines' reports differ", file=sys.stderr)
    table = [Row("inventory", f"{count:,} deployments of JSON Lines; "
                 f"best of {max(1, repeat)} runs each")]
    table += [Row(f"dealcheck check {r.label}", f"{r.seconds:.2f} s, peak RSS "
                  f"{r.peak_rss_mb:.0f} MB") for r in found.values()]
    table.append(Row("python, duckdb and spark reports", "identical" if identical
                     else "DIFFERENT", "identical", identical))
    return table, identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each command, in turn; the best is shown")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 deployments, one run each: checks that the script works")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and reports here (reused if present)")
    args = parser.parse_args(argv)
    count, repeat = (2000, 1) if args.quick else (args.deployments, args.repeat)
    with work_directory(args.keep) as directory:
        table, ok = run(count, directory, repeat)
    print_table("Engines: python, duckdb and spark (JSON Lines in, JSON report out)", table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
