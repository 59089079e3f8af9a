"""Diagnostics of hostile inputs: bytes written, peak memory and time, each in a fresh process.

Run: python benchmarks/bench_diagnostics.py [--errors 3000] [--word-mb 1] [--line-mb 5]

The inputs of the bounded-cost table:

- a minified JSON scenario, one line, with one error per deployment (an
  undeclared party): `--errors` of them, then as many as fit in the 8 MiB
  input limit. Every diagnostic used to echo the whole line (266 KiB of input
  gave 1.2 GiB of standard error); the target is under 2 MiB for 3,000;
- a terms file whose last line is one word of `--word-mb` megabytes, linted
  (68 s before the did-you-mean search skipped words of other lengths);
- a terms file of one `--line-mb` megabyte line, linted: exit 2 in under 2 s.

The time targets are judged on CPU time (user + system), which other work on
a shared machine does not inflate; wall time is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import MSFT_OPENAI, ROOT, Row, print_table, work_directory

MIB = 1024 * 1024
#: The largest file dealcheck reads by default (DEALCHECK_MAX_FILE_BYTES).
FILE_LIMIT = 8 * MIB


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stderr_bytes: int
    stderr_lines: int


def run_cli(argv: list[str], directory: Path) -> Outcome:
    """`python -m dealcheck ARGV`: exit status, wall time, peak RSS (wait4), standard error."""
    env = {**os.environ, "NO_COLOR": "1"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    errors = directory / "stderr.txt"
    with errors.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "dealcheck", *argv], env=env,
                                   stdout=subprocess.DEVNULL, stderr=sink)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    data = errors.read_bytes()
    return Outcome(os.waitstatus_to_exitcode(status), seconds, usage.ru_utime + usage.ru_stime,
                   usage.ru_maxrss / 1024, len(data), data.count(b"\n"))


def minified(path: Path, count: int | None) -> int:
    """One JSON line of deployments naming an undeclared party; as many as fit if `count` is
    None. Returns how many were written."""
    one = {"id": "d0000000", "party": "Nobody", "workload": "api", "provider": "Azure",
           "start": "2025-01-01"}
    size = len(json.dumps(one, separators=(",", ":"))) + 1
    if count is None:
        count = (FILE_LIMIT - 64) // size
    rows = ",".join(json.dumps({**one, "id": f"d{i:07d}"}, separators=(",", ":"))
                    for i in range(count))
    path.write_text('{"deployments":[' + rows + "]}")
    return count


def describe(outcome: Outcome) -> str:
    return (f"exit {outcome.status}, {outcome.stderr_bytes:,} bytes / {outcome.stderr_lines:,} "
            f"lines of stderr, peak RSS {outcome.peak_rss_mb:.0f} MB, {outcome.seconds:.2f} s "
            f"({outcome.cpu_seconds:.2f} s of CPU)")


def run(errors: int, word_mb: float, line_mb: float, directory: Path,
        limit_run: bool = True) -> list[Row]:
    rows: list[Row] = []
    terms = str(MSFT_OPENAI)

    scenario = directory / "minified.json"
    minified(scenario, errors)
    kib = scenario.stat().st_size / 1024
    out = run_cli(["check", terms, str(scenario)], directory)
    rows.append(Row(f"{errors:,} errors on one minified line ({kib:.0f} KiB)", describe(out),
                    "exit 2, < 2 MiB of stderr",
                    out.status == 2 and out.stderr_bytes < 2 * MIB))

    if limit_run:
        count = minified(scenario, None)
        mib = scenario.stat().st_size / MIB
        out = run_cli(["check", terms, str(scenario)], directory)
        rows.append(Row(f"{count:,} errors on one line ({mib:.1f} MiB, the input limit)",
                        describe(out), "exit 2, < 2 MiB of stderr",
                        out.status == 2 and out.stderr_bytes < 2 * MIB))

    word = directory / "last-word.deal"
    word.write_text(MSFT_OPENAI.read_text() + "x" * int(word_mb * 1e6) + "\n")
    out = run_cli(["lint", str(word)], directory)
    rows.append(Row(f"lint, last line one {word_mb:g} MB word", describe(out),
                    "exit 2, < 2 s of CPU (was 68 s)", out.status == 2 and out.cpu_seconds < 2))

    line = directory / "one-line.deal"
    line.write_text("y" * int(line_mb * 1e6))
    out = run_cli(["lint", str(line)], directory)
    rows.append(Row(f"lint, one line of {line_mb:g} MB", describe(out), "exit 2, < 2 s of CPU",
                    out.status == 2 and out.cpu_seconds < 2))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", type=int, default=3000,
                        help="errors on the minified line of the first run")
    parser.add_argument("--word-mb", type=float, default=1.0, help="size of the last word")
    parser.add_argument("--line-mb", type=float, default=5.0, help="size of the one-line file")
    parser.add_argument("--limit-run", action=argparse.BooleanOptionalAction, default=True,
                        help="also fill the 8 MiB input limit with errors (slow: minutes)")
    parser.add_argument("--keep", metavar="DIR", help="write the inputs here and keep them")
    args = parser.parse_args(argv)
    with work_directory(args.keep) as directory:
        rows = run(args.errors, args.word_mb, args.line_mb, directory, args.limit_run)
    print_table("Diagnostics of hostile inputs (one process per run)", rows)
    # Exit status: only a crash fails the script; figures off target are printed as such.
    return 0 if all("exit 2" in row.figure for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
