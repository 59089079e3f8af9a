"""The DuckDB engine's report rows: written by COPY in parts at once, then copied into the report.

Run: python benchmarks/bench_row_files.py [--rows 1000000] [--threads 2] [--repeat 3]
     python benchmarks/bench_row_files.py --quick    # 2,000 rows: checks that it works

On a synthetic table ``keyed`` of `--rows` rows in input order (``rn``), as
the engine holds it, each row's JSON Lines text (about 340 bytes, as the
report's rows) is written:

- by one ``COPY`` on one thread, and by `--threads` ``COPY`` s of ranges of
  ``rn`` at once (`engines.render._write_parts`, as the engine writes them),
  whose files must hold, end to end, the one file's bytes;
- then into a report file, as text (decoded and encoded again: `FilePart.texts`)
  and as bytes (`FilePart.copy_to`), and, for the record, by the kernel's
  ``copy_file_range`` (on Linux).

Prints the best wall and CPU time of each (CPU: every thread of this process).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import Row, print_table

from dealcheck.engines import render
from dealcheck.io_text import FilePart

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


def _copies(directory: Path, repeat: int, rows: Path) -> list[Row]:
    part = FilePart(str(rows), rows.stat().st_size)
    target = directory / "report.txt"

    # After the report's head, as in a report: the rows do not begin at a page.
    def text() -> None:
        with open(target, "w", encoding="utf-8", newline="") as out:
            out.write(_HEAD)
            for piece in part.texts():
                out.write(piece)

    def copied() -> None:
        with open(target, "wb") as out:
            out.write(_HEAD.encode())
            out.flush()
            part.copy_to(out.fileno())

    def kernel() -> None:
        with open(target, "wb") as out, open(rows, "rb") as source:
            out.write(_HEAD.encode())
            out.flush()
            done = 0
            while done < part.length:
                done += os.copy_file_range(source.fileno(), out.fileno(), part.length - done)

    found = [Row(f"{part.length / 1e6:.0f} MB into a report: as text",
                 _figure(_best(repeat, text))),
             Row("... as bytes (FilePart.copy_to)", _figure(_best(repeat, copied)))]
    if hasattr(os, "copy_file_range"):
        found.append(Row("... by copy_file_range", _figure(_best(repeat, kernel))))
    same = target.read_bytes()[len(_HEAD):] == rows.read_bytes()
    return [*found, Row("the report's rows and the file", "equal" if same else "DIFFERENT",
                        "equal", same)]


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
        render.SPLIT_ROWS = 1  # in parts whatever the rows' count (--quick too)
        bounds = render._bounds(con, count, args.threads, True)
        one, parts = directory / "one", directory / "parts"
        one.mkdir()
        parts.mkdir()
        written: list[FilePart] = []

        def at_once(where: Path, cut: list[int]) -> None:
            written[:] = render._write_parts(con, query, cut, str(where), leading=False)

        table = [Row(f"{count:,} rows by one COPY (1 thread)",
                     _figure(_best(repeat, lambda: at_once(one, [])))),
                 Row(f"... by {len(bounds) + 1} COPYs at once",
                     _figure(_best(repeat, lambda: at_once(parts, bounds))))]
        joined = directory / "joined.txt"
        with open(joined, "wb") as out:
            for part in written:
                part.copy_to(out.fileno())
        same = filecmp.cmp(one / "rows-0.txt", joined, shallow=False)
        table.append(Row("the parts end to end and the one file", "equal" if same else "DIFFERENT",
                         "equal", same))
        table += _copies(directory, repeat, joined)
        con.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print_table(f"Report rows: COPY in parts, then into the report (load {load})", table)
    return 0 if all(row.met is not False for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())
