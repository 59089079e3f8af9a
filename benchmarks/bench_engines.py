"""The two engines of `dealcheck check` on one JSON Lines inventory: Python against DuckDB.

Run: python benchmarks/bench_engines.py [--deployments 1000000] [--repeat 1] [--keep DIR]
     python benchmarks/bench_engines.py --quick     # 2,000 rows: checks that it works

Writes an inventory of Microsoft–OpenAI deployments (`common.sample_records`),
then runs, in turn and in fresh processes,
``dealcheck check TERMS FILE --format json -o REPORT --engine python --jobs 1``
and ``... --engine duckdb`` (DuckDB's threads: `--jobs`), and the peer: a
hand-written DuckDB query computing the same verdicts (`engines.duckdb_peer_query`,
no findings). Prints the best wall time and the highest peak RSS (`wait4`) of
each, the ratios, whether the two reports are byte-identical and whether the
query's verdicts are the report's (row for row with --quick, counted otherwise);
a difference fails the run.
"""

from __future__ import annotations

import argparse
import filecmp
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


def run(count: int, directory: Path, jobs: int, repeat: int,
        rows: bool) -> tuple[list[Row], bool]:
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
    runs: dict[str, list[Run]] = {"python": [], "duckdb": [], "peer": []}
    here = str(Path(__file__).resolve().parent)
    counts, rows_file = directory / "peer-counts.txt", directory / "peer-rows.csv"
    peer = [sys.executable, "-c", _PEER, here, str(inventory), str(jobs), str(counts)]
    if rows:
        peer.append(str(rows_file))
    for _ in range(max(1, repeat)):
        runs["peer"].append(timed(f"hand-written DuckDB query (threads {jobs})", peer))
        runs["python"].append(timed("--engine python --jobs 1", [
            *check, "-o", str(reports["python"]), "--engine", "python", "--jobs", "1"]))
        runs["duckdb"].append(timed(f"--engine duckdb --jobs {jobs}", [
            *check, "-o", str(reports["duckdb"]), "--engine", "duckdb", "--jobs", str(jobs)]))
    python, duck, query = best(runs["python"]), best(runs["duckdb"]), best(runs["peer"])
    ok = True
    for r in (python, duck, query):
        if r.status not in (0, 1):  # 1: the sample holds violations
            print(f"{r.label} failed with exit code {r.status}", file=sys.stderr)
            ok = False
    identical = ok and filecmp.cmp(reports["python"], reports["duckdb"], shallow=False)
    if ok and not identical:
        print("MISMATCH: the engines' reports differ", file=sys.stderr)
    agree = ok and _peer_agrees(reports["python"], counts, rows_file if rows else None)
    table = [Row("inventory", f"{count:,} deployments, {size_mb:.0f} MB of JSON Lines; "
                 f"best of {max(1, repeat)} runs each")]
    table.append(Row(query.label, f"{query.seconds:.2f} s, peak RSS "
                     f"{query.peak_rss_mb:.0f} MB"))
    table += [Row(f"dealcheck check {r.label}", f"{r.seconds:.2f} s, peak RSS "
                  f"{r.peak_rss_mb:.0f} MB") for r in (python, duck)]
    speedup = python.seconds / duck.seconds
    table.append(Row("duckdb speed-up over python", f"{speedup:.2f}x"))
    ratio = duck.seconds / query.seconds
    table.append(Row("duckdb (--format json) / the query", f"{ratio:.1f}x", "<= 5x",
                     ratio <= 5))
    table.append(Row("duckdb peak RSS", f"{duck.peak_rss_mb:.0f} MB", "< 500 MB",
                     duck.peak_rss_mb < 500))
    table.append(Row("python and duckdb reports", "identical" if identical else "DIFFERENT",
                     "identical", identical))
    table.append(Row("the query's verdicts and the report's", "agree" if agree else "DIFFER",
                     "agree", agree))
    return table, identical and agree


def _peer_agrees(report: Path, counts: Path, rows: Path | None) -> bool:
    """Whether the query's verdicts are the report's: row for row with `rows`, else counted."""
    import ast
    import json

    document = json.loads(report.read_text(encoding="utf-8")) if rows else None
    if document is not None and rows is not None:
        with rows.open(encoding="utf-8") as lines:
            peer = [tuple(line.rstrip("\n").split(",")) for line in lines]
        mine = [(d["id"], d["verdict"]) for d in document["deployments"]]
        if peer != mine:
            print("MISMATCH: the query's verdicts differ from the report's", file=sys.stderr)
        return peer == mine
    found = dict(ast.literal_eval(counts.read_text(encoding="utf-8")))
    summary = _summary(report)
    same = all(found.get(k, 0) == summary.get(k, 0)
               for k in ("compliant", "violation", "undetermined"))
    if not same:
        print(f"MISMATCH: the query counts {found}, the report {summary}", file=sys.stderr)
    return same


def _summary(report: Path) -> dict[str, int]:
    """The deployment counts of a JSON report's summary, read without loading the report."""
    import json
    import re

    with report.open(encoding="utf-8") as text:
        head = text.read(4096)
    found = re.search(r'"summary": (\{[^{}]*)', head)
    if found is None:
        return {}
    counts: dict[str, int] = json.loads(found.group(1).rsplit(",", 1)[0] + "}")
    return counts


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
        table, ok = run(count, directory, args.jobs, repeat, rows=args.quick)
    print_table("Engines: python against duckdb (JSON Lines in, JSON report out)", table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
