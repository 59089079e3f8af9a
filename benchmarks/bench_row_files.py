"""The DuckDB engine's report rows: written by one COPY into a pipe, as the report takes them.

Run: python benchmarks/bench_row_files.py [--rows 1000000] [--threads 2] [--repeat 3]
     python benchmarks/bench_row_files.py --quick    # 2,000 rows: checks that it works

On a synthetic table ``keyed`` of `--rows` rows in input order (``rn``), as
the engine holds it, each row's JSON Lines text (about 340 bytes, as the
report's rows) is written, after a report's head:

- through a named pipe straight into the report, by one ``COPY`` on one
  thread (`engines.render._copy` and `io_text.PipedText`, as the engine
  writes them);
- for comparison, by one ``COPY`` to a file of its own, on one thread and on
  `--threads` (DuckDB keeps the rows' order), then that file's bytes copied
  into the report: the rows written twice.

The report's rows must be the file's, byte for byte. Prints the best wall
and CPU time of each (CPU: every thread of this process).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import Row, print_table

from dealcheck.engines import render
from dealcheck.io_text import PipedText

#: A row's text: about as long as a JSON Lines row of the Microsoft–OpenAI report.
_ROW = ("concat('{\"id\":\"dep-', rn, '\",\"verdict\":\"violation\",\"evaluated_on\":\"', "
        "CAST(DATE '2025-01-01' + (rn % 300)::INTEGER AS VARCHAR), '\",\"not_covered\":false,"
        "\"findings\":[{\"clause\":\"api_exclusive\",\"outcome\":\"violated\",\"message\":\"`api` "
        "by `OpenAI` runs on `AWS`, but `api_exclusive` allows only `Azure`\",\"location\":"
        "{\"file\":\"terms.deal\",\"line\":45,\"column\":10}}],\"source\":{\"file\":\"inv.jsonl\","
        "\"line\":', rn, '}}')")


_HEAD = '{\n  "summary": {"deployments": 1000000},\n  "deployments": ['


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _best(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best CPU time of `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus)


def _figure(times: tuple[float, float]) -> str:
    return f"{times[0]:.3f} s ({times[1]:.3f} s CPU)"


_OPTIONS = ("(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', "
            "NEW_LINE '\\n')")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one run each")
    args = parser.parse_args(argv)
    count, repeat = (2000, 1) if args.quick else (args.rows, args.repeat)
    import duckdb

    with tempfile.TemporaryDirectory(prefix="dealcheck-bench-rows-") as temp:
        directory = Path(temp)
        con = duckdb.connect(config={"threads": args.threads, "preserve_insertion_order": True})
        con.execute(f"CREATE TABLE keyed AS SELECT range AS rn FROM range({count})")
        query = f"SELECT {_ROW} FROM keyed k"
        report, rows = directory / "report.txt", directory / "rows.txt"

        def piped() -> None:
            with open(report, "wb") as out:
                out.write(_HEAD.encode())
                out.flush()
                PipedText(render._copy(con, query), temp).copy_to(out.fileno())

        def twice(threads: int) -> None:
            con.execute(f"SET threads = {threads}")
            con.execute(f"COPY ({query}) TO '{rows}' {_OPTIONS}")
            con.execute(f"SET threads = {args.threads}")
            with open(report, "wb") as out, open(rows, "rb") as source:
                out.write(_HEAD.encode())
                while block := source.read(1 << 20):
                    out.write(block)

        table = [Row(f"{count:,} rows into a report through a pipe (one COPY, 1 thread)",
                     _figure(_best(repeat, piped)))]
        written = report.read_bytes()[len(_HEAD):]
        for threads in sorted({1, args.threads}):
            table.append(Row(f"... to a file (one COPY, {threads} thread"
                             f"{'s' * (threads > 1)}), then into the report",
                             _figure(_best(repeat, lambda t=threads: twice(t)))))
        same = written == rows.read_bytes()
        table.append(Row("the piped rows and the file's", "equal" if same else "DIFFERENT",
                         "equal", same))
        con.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print_table(f"Report rows: through a pipe, or written twice (load {load})", table)
    return 0 if all(row.met is not False for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())
