"""The CLI end to end on a JSON Lines inventory, against merely parsing its lines.

Run: python benchmarks/bench_cli.py [--deployments 1000000] [--repeat 3] [--keep DIR]

Writes an inventory of Microsoft–OpenAI deployments, then runs, one after the
other in fresh processes: a script that only reads the file and parses each
line with `json` (the library dealcheck reads JSON Lines with), and
``dealcheck check TERMS FILE --format json -o REPORT`` with ``--jobs 1`` and
``--jobs 2``, `--repeat` times in turn. Prints the best wall time and the
highest peak RSS of each, the ratios, and checks that the reports are
byte-identical. (The machines are shared: another tenant can take a core for
a whole run, which best-of-runs filters out.)
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import MSFT_OPENAI, ROOT, Row, print_table, sample_records, work_directory

_PARSE_ONLY = """
import json, sys
with open(sys.argv[1], "rb") as lines:
    for line in lines:
        json.loads(line)
"""


@dataclass(slots=True)
class Run:
    label: str
    seconds: float
    peak_rss_mb: float
    status: int
    #: User and system CPU time: on a shared machine, what the command cost.
    cpu_seconds: float = 0.0


def write_inventory(path: Path, count: int) -> None:
    chunk = 50_000
    with path.open("w", encoding="utf-8") as out:
        for first in range(0, count, chunk):
            records = sample_records(min(chunk, count - first), seed=first)
            for offset, record in enumerate(records):
                record["id"] = f"d{first + offset}"
                out.write(json.dumps(record, separators=(",", ":")) + "\n")


def timed(label: str, argv: list[str]) -> Run:
    """Run a command; its wall time and peak resident memory (from wait4)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(label, seconds, usage.ru_maxrss / 1024, process.returncode,
               usage.ru_utime + usage.ru_stime)


def best(runs: list[Run]) -> Run:
    """The fastest of repeated runs of one command, with the highest peak RSS of them all."""
    fastest = min(runs, key=lambda r: r.seconds)
    failed = [r.status for r in runs if r.status not in (0, 1)]
    return Run(fastest.label, fastest.seconds, max(r.peak_rss_mb for r in runs),
               failed[0] if failed else fastest.status, fastest.cpu_seconds)


def run(count: int, directory: Path, jobs: int = 2,
        repeat: int = 1) -> tuple[list[Row], bool]:
    inventory = directory / "inventory.jsonl"
    if not inventory.exists() or inventory.stat().st_size == 0:
        # In a child process, so that this launcher stays small: a child's peak RSS
        # as wait4 reports it is at least its parent's size when it was started.
        subprocess.run([sys.executable, __file__, "--write", str(inventory), str(count)],
                       check=True)
    size_mb = inventory.stat().st_size / 1e6
    python = sys.executable
    check = [python, "-m", "dealcheck.cli", "check", str(MSFT_OPENAI), str(inventory),
             "--format", "json"]
    runs: dict[str, list[Run]] = {"parse": [], "one": [], "many": []}
    for _ in range(max(1, repeat)):
        runs["parse"].append(timed("parse the lines with json",
                                   [python, "-c", _PARSE_ONLY, str(inventory)]))
        runs["one"].append(timed("dealcheck check --jobs 1",
                                 [*check, "-o", str(directory / "report1.json")]))
        runs["many"].append(timed(f"dealcheck check --jobs {jobs}",
                                  [*check, "-o", str(directory / "report2.json"),
                                   "--jobs", str(jobs)]))
    parse, one, many = best(runs["parse"]), best(runs["one"]), best(runs["many"])
    ok = True
    for r in (one, many):
        if r.status not in (0, 1):  # 1: the sample holds violations
            print(f"{r.label} failed with exit code {r.status}", file=sys.stderr)
            ok = False
    identical = ok and filecmp.cmp(directory / "report1.json", directory / "report2.json",
                                   shallow=False)
    rows = [Row(f"{r.label}", f"{r.seconds:.2f} s, peak RSS {r.peak_rss_mb:.0f} MB")
            for r in (parse, one, many)]
    rows.insert(0, Row("inventory", f"{count:,} deployments, {size_mb:.0f} MB of JSON Lines; "
                       f"best of {max(1, repeat)} runs each"))
    ratio = one.seconds / parse.seconds
    rows.append(Row("CLI --jobs 1 / parsing", f"{ratio:.1f}x", "< 3x", ratio < 3))
    rows.append(Row("CLI peak RSS", f"{max(one.peak_rss_mb, many.peak_rss_mb):.0f} MB",
                    "< 300 MB", max(one.peak_rss_mb, many.peak_rss_mb) < 300))
    speedup = one.seconds / many.seconds
    rows.append(Row(f"--jobs {jobs} speed-up", f"{speedup:.2f}x", ">= 1.6x", speedup >= 1.6))
    rows.append(Row(f"--jobs 1 and --jobs {jobs} reports", "identical" if identical
                    else "DIFFERENT", "identical", identical))
    return rows, identical


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["--write"]:
        write_inventory(Path(arguments[1]), int(arguments[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each command, in turn; the best is shown")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and reports here (reused if present)")
    args = parser.parse_args(argv)
    with work_directory(args.keep) as directory:
        rows, ok = run(args.deployments, directory, args.jobs, args.repeat)
    print_table("CLI end to end (JSON Lines in, JSON report out)", rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
