"""Peak memory of `dealcheck check` as a JSON Lines inventory grows tenfold.

Run: python benchmarks/bench_memory.py [--deployments 100000] [--keep DIR]

Writes two inventories of Microsoft–OpenAI deployments, N and 10 N rows, and
runs ``dealcheck check TERMS FILE --format json -o REPORT`` on each in a fresh
process. Prints each run's peak RSS (from wait4), their ratio, and what each
added deployment cost. Finding duplicate ids in a stream needs some memory
per id: dealcheck keeps an 8-byte hash of each while it validates, so the
target is under 16 bytes per added deployment (the rest stays flat).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench_cli import timed
from common import MSFT_OPENAI, Row, print_table, work_directory

#: The most one more deployment may add to the peak RSS, in bytes.
PER_DEPLOYMENT = 16


def run(count: int, directory: Path) -> tuple[list[Row], bool]:
    rows: list[Row] = []
    peaks: list[float] = []
    ok = True
    for size in (count, 10 * count):
        inventory = directory / f"inventory-{size}.jsonl"
        if not inventory.exists() or inventory.stat().st_size == 0:
            # In a child process, like the runs, so that this launcher stays small.
            here = Path(__file__).resolve().parent
            subprocess.run([sys.executable, str(here / "bench_cli.py"), "--write", str(inventory),
                            str(size)], check=True)
        check = timed(f"{size:,} deployments", [
            sys.executable, "-m", "dealcheck.cli", "check", str(MSFT_OPENAI), str(inventory),
            "--format", "json", "-o", str(directory / f"report-{size}.json")])
        if check.status not in (0, 1):  # 1: the sample holds violations
            print(f"{check.label} failed with exit code {check.status}", file=sys.stderr)
            ok = False
        peaks.append(check.peak_rss_mb)
        size_mb = inventory.stat().st_size / 1e6
        rows.append(Row(check.label, f"peak RSS {check.peak_rss_mb:.0f} MB "
                                     f"({size_mb:.0f} MB of JSON Lines, {check.seconds:.1f} s)"))
    rows.append(Row("peak RSS, 10x the rows", f"{peaks[1] / peaks[0]:.2f}x"))
    added = (peaks[1] - peaks[0]) * 1024 * 1024 / (9 * count)
    rows.append(Row("peak RSS per added deployment", f"{added:.1f} bytes",
                    f"< {PER_DEPLOYMENT} bytes", added < PER_DEPLOYMENT))
    return rows, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=100_000,
                        help="the smaller inventory (the larger has ten times as many)")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventories and reports here (reused if present)")
    args = parser.parse_args(argv)
    with work_directory(args.keep) as directory:
        rows, ok = run(args.deployments, directory)
    print_table("Memory of a check as the inventory grows (JSON Lines in, JSON report out)",
                rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
