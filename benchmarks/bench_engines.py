"""`dealcheck check` on one JSON Lines inventory against a hand-written DuckDB query.

Run: python benchmarks/bench_engines.py [--rows 1000000] [--repeat 1] [--python] [--keep DIR]
     python benchmarks/bench_engines.py --rows 10000000   # and the 1,000,000-row run, for 11x
     python benchmarks/bench_engines.py --quick           # 2,000 rows: checks that it works

Writes an inventory of Microsoft–OpenAI deployments (`common.sample_records`),
then runs, in turn and in fresh processes, on that one file:

- the peer: a hand-written DuckDB query computing the same verdicts
  (`engines.duckdb_peer_query`, no findings), counted;
- ``dealcheck check TERMS FILE --format jsonl -o REPORT`` (the DuckDB engine,
  `--jobs` threads);
- ``... --format json -o REPORT``;
- with ``--python`` (slow), ``... --format json --engine python``.

Prints the best wall time and the highest peak RSS (`wait4`) of each, the
ratios against the query with their targets (jsonl within 2x, json within 5x,
peak RSS under 500 MB), whether the JSON Lines summary is the JSON report's,
whether the engines' JSON reports are byte-identical (with ``--python``) and
whether the query's verdicts are the report's (row for row with --quick,
counted otherwise); a difference fails the run. With ``--rows`` above
1,000,000 the first 1,000,000 rows are checked too, and the time of
``--format jsonl`` compared (at most 11x for ten times the rows).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

from bench_cli import Run, best, timed
from common import MSFT_OPENAI, Row, print_table, work_directory

# The peer: `engines.floor_verdict` as one DuckDB query, its verdicts counted (written
# with --rows), in a process of its own as dealcheck's runs are.
_PEER = """
import sys, duckdb
sys.path.insert(0, sys.argv[1])
from engines import duckdb_peer_query
con = duckdb.connect(config={"threads": int(sys.argv[3])})
query = duckdb_peer_query(sys.argv[2])
if len(sys.argv) > 5:
    con.execute(f"COPY ({query}) TO '{sys.argv[5]}' (FORMAT csv, HEADER false)")
counts = con.execute(f"SELECT verdict, count(*) FROM ({query}) GROUP BY verdict").fetchall()
with open(sys.argv[4], "w") as out:
    out.write(repr(sorted(counts)))
"""

#: The targets on 1,000,000 rows, against the query; and for ten times the rows.
JSONL_TARGET, JSON_TARGET, RSS_TARGET_MB, TEN_TIMES_TARGET = 2.0, 5.0, 500.0, 11.0


def inventory(directory: Path, count: int) -> Path:
    """The inventory of `count` rows in `directory` (written once, by a child process)."""
    path = directory / f"inventory-{count}.jsonl"
    if not path.exists() or path.stat().st_size == 0:
        # Written by a child process, so that this launcher stays small (see bench_cli).
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_cli.py")),
                        "--write", str(path), str(count)], check=True)
    return path


def run(count: int, directory: Path, jobs: int, repeat: int, rows: bool,
        python: bool, formats: tuple[str, ...] = ("jsonl", "json")) -> tuple[list[Row], bool, Run]:
    """The table for one inventory, whether everything agreed, and the `--format jsonl` run."""
    path = inventory(directory, count)
    size_mb = path.stat().st_size / 1e6
    check = [sys.executable, "-m", "dealcheck.cli", "check", str(MSFT_OPENAI), str(path),
             "--jobs", str(jobs)]
    reports = {"jsonl": directory / "report.jsonl", "json": directory / "report.json",
               "python": directory / "report-python.json"}
    runs: dict[str, list[Run]] = {"peer": [], "jsonl": [], "json": [], "python": []}
    here = str(Path(__file__).resolve().parent)
    counts, rows_file = directory / "peer-counts.txt", directory / "peer-rows.csv"
    peer = [sys.executable, "-c", _PEER, here, str(path), str(jobs), str(counts)]
    if rows:
        peer.append(str(rows_file))
    for _ in range(max(1, repeat)):
        runs["peer"].append(timed(f"hand-written DuckDB query (threads {jobs})", peer))
        for fmt in formats:
            runs[fmt].append(timed(f"--format {fmt} --jobs {jobs}", [
                *check, "--format", fmt, "-o", str(reports[fmt])]))
        if python:
            runs["python"].append(timed("--format json --engine python", [
                *check, "--format", "json", "-o", str(reports["python"]), "--engine", "python"]))
    done = {name: best(found) for name, found in runs.items() if found}
    ok = True
    for r in done.values():
        if r.status not in (0, 1):  # 1: the sample holds violations
            print(f"{r.label} failed with exit code {r.status}", file=sys.stderr)
            ok = False
    query, jsonl = done["peer"], done["jsonl"]
    table = [Row("inventory", f"{count:,} deployments, {size_mb:.0f} MB of JSON Lines; "
                 f"best of {max(1, repeat)} runs each")]
    table += [Row(r.label if r is query else f"dealcheck check {r.label}",
                  f"{r.seconds:.2f} s ({r.cpu_seconds:.2f} s CPU), peak RSS "
                  f"{r.peak_rss_mb:.0f} MB") for r in done.values()]
    targets = {"jsonl": JSONL_TARGET, "json": JSON_TARGET}
    for fmt in formats:
        r = done[fmt]
        ratio = r.seconds / query.seconds
        table.append(Row(f"--format {fmt} / the query", f"{ratio:.1f}x "
                         f"(CPU time: {r.cpu_seconds / query.cpu_seconds:.1f}x)",
                         f"<= {targets[fmt]:.0f}x", ratio <= targets[fmt]))
    for fmt in formats:
        r = done[fmt]
        table.append(Row(f"--format {fmt} peak RSS", f"{r.peak_rss_mb:.0f} MB",
                         f"< {RSS_TARGET_MB:.0f} MB", r.peak_rss_mb < RSS_TARGET_MB))
    if "json" in done:
        same_summary = ok and _jsonl_summary(reports["jsonl"]) == _summary(reports["json"])
        table.append(Row("the jsonl and json summaries", "equal" if same_summary
                         else "DIFFERENT", "equal", same_summary))
        ok = ok and same_summary
    if python and "json" in done:
        whole = done["json"]
        py = done["python"]
        table.append(Row("duckdb speed-up over python (json)",
                         f"{py.seconds / whole.seconds:.1f}x"))
        identical = ok and filecmp.cmp(reports["python"], reports["json"], shallow=False)
        if ok and not identical:
            print("MISMATCH: the engines' reports differ", file=sys.stderr)
        table.append(Row("python and duckdb reports", "identical" if identical else "DIFFERENT",
                         "identical", identical))
        ok = identical
    agree = ok and (_peer_agrees(reports["json"], counts, rows_file if rows else None)
                    if "json" in done else _peer_counts_agree(counts, _jsonl_summary(
                        reports["jsonl"])))
    table.append(Row("the query's verdicts and the report's", "agree" if agree else "DIFFER",
                     "agree", agree))
    return table, agree, jsonl


def _peer_agrees(report: Path, counts: Path, rows: Path | None) -> bool:
    """Whether the query's verdicts are the report's: row for row with `rows`, else counted."""

    document = json.loads(report.read_text(encoding="utf-8")) if rows else None
    if document is not None and rows is not None:
        with rows.open(encoding="utf-8") as lines:
            peer = [tuple(line.rstrip("\n").split(",")) for line in lines]
        mine = [(d["id"], d["verdict"]) for d in document["deployments"]]
        if peer != mine:
            print("MISMATCH: the query's verdicts differ from the report's", file=sys.stderr)
        return peer == mine
    return _peer_counts_agree(counts, _summary(report))


def _peer_counts_agree(counts: Path, summary: dict[str, int]) -> bool:
    """Whether the query counts each verdict as often as the report's summary."""
    import ast

    found = dict(ast.literal_eval(counts.read_text(encoding="utf-8")))
    same = all(found.get(k, 0) == summary.get(k, 0)
               for k in ("compliant", "violation", "undetermined"))
    if not same:
        print(f"MISMATCH: the query counts {found}, the report {summary}", file=sys.stderr)
    return same


def _summary(report: Path) -> dict[str, int]:
    """The deployment counts of a JSON report's summary, read without loading the report."""
    import re

    with report.open(encoding="utf-8") as text:
        head = text.read(4096)
    found = re.search(r'"summary": (\{[^{}]*)', head)
    if found is None:
        return {}
    counts: dict[str, int] = json.loads(found.group(1).rsplit(",", 1)[0] + "}")
    return counts


def _jsonl_summary(report: Path) -> dict[str, int]:
    """The deployment counts of a JSON Lines report's last line, as `_summary` gives them."""
    with report.open("rb") as data:
        data.seek(max(0, report.stat().st_size - 4096))
        last = data.read().decode("utf-8").rstrip("\n").rsplit("\n", 1)[-1]
    summary = json.loads(last)["summary"]
    return {k: v for k, v in summary.items() if k != "aggregates"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", "--deployments", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2, help="DuckDB's threads")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each command, in turn; the best is shown")
    parser.add_argument("--python", action="store_true",
                        help="also check with the python engine (slow) and compare the reports")
    parser.add_argument("--formats", default="jsonl,json",
                        help="the report formats to time, of jsonl and json")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 deployments, one run each: checks that the script works")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and reports here (reused if present)")
    args = parser.parse_args(argv)
    count, repeat = (2000, 1) if args.quick else (args.rows, args.repeat)
    if count > 1_000_000:  # over dealcheck's default limit on deployments
        os.environ.setdefault("DEALCHECK_MAX_DEPLOYMENTS", str(count))
    python = args.python or args.quick
    with work_directory(args.keep) as directory:
        formats = tuple(f for f in ("jsonl", "json") if f in args.formats.split(","))
        table, ok, jsonl = run(count, directory, args.jobs, repeat, rows=args.quick,
                               python=python, formats=formats)
        print_table("Engines: dealcheck against a hand-written DuckDB query "
                    "(JSON Lines in, JSON Lines and JSON out)", table)
        if count > 1_000_000:
            small, small_ok, one = run(1_000_000, directory, args.jobs, repeat, rows=False,
                                       python=False, formats=formats)
            ratio = jsonl.seconds / one.seconds
            small.append(Row(f"--format jsonl on {count:,} rows / on 1,000,000",
                             f"{ratio:.1f}x", f"<= {TEN_TIMES_TARGET * count / 1e7:.0f}x",
                             ratio <= TEN_TIMES_TARGET * count / 1e7))
            print_table("The same on 1,000,000 rows", small)
            ok = ok and small_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
