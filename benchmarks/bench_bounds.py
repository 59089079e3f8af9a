"""Bounded cost: inputs within the documented limits that used to exhaust time or memory.

Run: python benchmarks/bench_bounds.py [--amendments 3000] [--waivers 800] [--keep DIR]

Each command runs in a fresh process; prints its wall time, peak RSS (from
wait4) and exit code, against the bound it is held to:

* terms amended N times (each amendment adds a clause, in force from a day
  of its own) checked on N rows with N distinct dates: memory used to grow
  with amendments x dates (1.9 GB at 3,000);
* ``dealcheck lint`` of N restrictions each with its own waiver: DC204 used
  to warn once per pair (639,200 warnings, 162 s at 800), and 4 N pairs;
* ``/dev/zero`` as a CSV and a JSON Lines scenario, and a 2 GiB sparse CSV
  without a line break: the whole input used to be hashed before any limit
  applied (forever, and 8-26 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from bench_cli import Run, timed
from common import ROOT, Row, print_table, work_directory

VOCABULARY = """\
agreement "Bounds" effective 2019-01-01
party OpenAI, Microsoft
provider Azure operated by Microsoft
provider AWS operated by Microsoft
workload api, training
region US, EU
"""
FIRST_DAY = dt.date(2019, 1, 2)
#: The bounds held to (issue "bounded cost"): peak RSS and wall time.
AMENDED_MB = 300
LINT_SECONDS = 10
#: A process may wait this long for an input that never ends before it counts as hung.
HUNG_SECONDS = 60


def amended_terms(count: int) -> str:
    """Terms amended `count` times; each amendment adds a clause on deployments the rows are not."""
    return VOCABULARY + "".join(
        f'\namendment a{i:05d} "Amendment number {i} of the partnership" effective '
        f"{FIRST_DAY + dt.timedelta(days=i)}:\n"
        f'  clause c{i:05d} "Clause {i}":\n    source "azure for the api"\n'
        "    Microsoft runs training only on Azure\n"
        for i in range(count))


def dated_rows(count: int) -> str:
    """`count` CSV rows, each starting on a day of its own (so each falls in its own epoch)."""
    return "id,party,workload,provider,region,start\n" + "".join(
        f"d{i},OpenAI,api,Azure,US,{FIRST_DAY + dt.timedelta(days=i)}\n" for i in range(count))


def waivers(count: int) -> str:
    """`count` restrictions on the same deployments, each with its own waiver."""
    return VOCABULARY + "".join(
        f"\nclause r{i:04d}:\n  OpenAI runs api only on Azure\n"
        f"clause w{i:04d} notwithstanding r{i:04d}:\n  OpenAI may run api on AWS\n"
        for i in range(count))


def dealcheck(*argv: str) -> list[str]:
    return [sys.executable, "-m", "dealcheck.cli", *argv]


def _row(run: Run, what: str, target: str = "", met: bool | None = None) -> Row:
    return Row(run.label, f"{what}, {run.seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB, "
                          f"exit {run.status}", target, met)


def amendments(count: int, directory: Path) -> list[Row]:
    terms, rows = directory / f"amended-{count}.deal", directory / f"dated-{count}.csv"
    terms.write_text(amended_terms(count), encoding="utf-8")
    rows.write_text(dated_rows(count), encoding="utf-8")
    run = timed(f"check: {count:,} amendments x {count:,} dates",
                dealcheck("check", str(terms), str(rows), "--format", "json",
                          "-o", str(directory / "amended-report.json")))
    size = f"{terms.stat().st_size / 1024:.0f} KiB of terms"
    ok = run.status == 0 and run.peak_rss_mb < AMENDED_MB
    return [_row(run, size, f"< {AMENDED_MB} MB", ok)]


def lint(count: int, directory: Path) -> list[Row]:
    found: list[Row] = []
    for pairs, bounded in ((count, True), (4 * count, False)):
        terms = directory / f"waivers-{pairs}.deal"
        terms.write_text(waivers(pairs), encoding="utf-8")
        argv = dealcheck("lint", str(terms), "--error-format", "json")
        run = timed(f"lint: {pairs:,} waiver pairs", argv)
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        codes = [d["code"] for d in json.loads(done.stdout)["diagnostics"]] if done.stdout else []
        # One DC204 a waiver; the identical restrictions are also `analyze`'s
        # redundant clauses (DC234), for terms small enough that lint analyzes them.
        waived = codes.count("DC204")
        what = (f"{waived:,} DC204 warnings of {len(codes):,} "
                f"({terms.stat().st_size / 1000:.0f} KB)")
        if bounded:
            ok = run.status == 0 and run.seconds < LINT_SECONDS and waived == pairs
            found.append(_row(run, what, f"< {LINT_SECONDS} s, one warning a waiver", ok))
        else:
            found.append(_row(run, what, "finishes", run.status == 0))
    return found


def endless(directory: Path) -> list[Row]:
    terms = directory / "vocabulary.deal"
    terms.write_text(VOCABULARY, encoding="utf-8")
    inputs: list[tuple[str, Path]] = []
    if os.path.exists("/dev/zero"):
        for name in ("zero.jsonl", "zero.csv"):
            link = directory / name
            if not link.is_symlink():
                link.symlink_to("/dev/zero")
            inputs.append((f"check: /dev/zero as {name}", link))
    sparse = directory / "sparse.csv"
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used
    inputs.append(("check: a 2 GiB sparse CSV", sparse))
    found: list[Row] = []
    for label, path in inputs:
        argv = ["timeout", str(HUNG_SECONDS), *dealcheck("check", str(terms), str(path),
                                                          "--error-format", "json")]
        run = timed(label, argv)
        what = "hung" if run.status == 124 else ("DC905" if run.status == 2 else "?")
        found.append(_row(run, what, "exit 2 (DC905)", run.status == 2))
    sparse.unlink()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amendments", type=int, default=3000,
                        help="amendments, and rows on as many dates")
    parser.add_argument("--waivers", type=int, default=800,
                        help="restrictions each with its own waiver (and 4x as many)")
    parser.add_argument("--keep", metavar="DIR", help="write the inputs and reports here")
    args = parser.parse_args(argv)
    with work_directory(args.keep) as directory:
        rows = [*amendments(args.amendments, directory), *lint(args.waivers, directory),
                *endless(directory)]
    print_table("Bounded cost of inputs within the limits (each a fresh process)", rows)
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
