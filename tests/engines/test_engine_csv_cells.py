"""The DuckDB engine reads a CSV row only if it has the header's cells, as the Python reader.

DuckDB's CSV reader drops empty cells past a row's last (``a,b,c,`` under a
header of three), which the Python reader refuses (DC311): the engine counts
the file's commas, and when they are not the header's on every line (a quoted
cell holds some), counts each line's commas outside its quotes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine_duckdb import MSFT, _engine_reads, _reports, _sample_records, write_csv

from dealcheck.engines.sources import SourceSql


@pytest.mark.parametrize(("ident", "tail", "read"), [
    ("x1", ",", False),  # an empty cell past the last
    ("x1", ",,", False),  # two
    ("x1", ',""', False),  # ... quoted
    ("x,1", ",", False),  # ... in a file with a comma in a quoted cell
    ("x,1", "", True),  # a comma in a quoted cell: each line is looked at
    ('x",1', "", True),  # ... after a quote in it
])
def test_a_row_with_more_cells_than_the_header_is_the_readers_to_explain(
        tmp_path: Path, ident: str, tail: str, read: bool) -> None:
    records = _sample_records(50, seed=5)
    records[20]["id"] = ident
    path = write_csv(tmp_path / "cells.csv", records)
    lines = path.read_bytes().split(b"\r\n")
    lines[21] += tail.encode()  # the row of records[20], after the header
    path.write_bytes(b"\r\n".join(lines))
    assert _engine_reads(MSFT, path) is read
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


def test_the_commas_of_plain_csv_are_counted_not_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[str] = []
    as_read = SourceSql.csv_as_read

    def spy(self: SourceSql, index: int, path: str, lines: int, counted: list[int]) -> bool:
        found = as_read(self, index, path, lines, counted)
        looked.extend([path] if counted[0] != (self.widths[index] - 1) * lines else [])
        return found

    monkeypatch.setattr(SourceSql, "csv_as_read", spy)
    records = _sample_records(60, seed=7)
    path = write_csv(tmp_path / "plain.csv", records)
    assert _engine_reads(MSFT, path)
    assert looked == []
    records[6]["id"] = "x,6"
    write_csv(path, records)
    assert _engine_reads(MSFT, path)
    assert looked == [str(path)]
