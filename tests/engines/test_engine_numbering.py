"""The DuckDB engine numbers rows by their place, and reads representatives by their line.

`keyed` is written in parallel, without reading row numbers from the files:
each row's line comes from its place in the table, which must be the input
order (checked against a sum over the files taken with their lines). Each
key's representative is then read again from its line (`read_lines`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_engine_duckdb import MSFT, _engine_reads, _sample_records, write_csv, write_jsonl

from dealcheck.engines import duckdb as engine
from dealcheck.engines.sources import read_lines
from helpers import run_dealcheck


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 20])
def test_read_lines_finds_each_wanted_line_across_blocks(tmp_path: Path, block: int) -> None:
    lines = [b"", b"first", b"a longer second line", b"x", b"\r", b"last, no line break"]
    path = tmp_path / "lines.txt"
    path.write_bytes(b"\n".join(lines))
    for wanted in ([1], [2, 3], [1, 2, 3, 4, 5, 6], [6], [4, 6], [3, 7], []):
        expected = [lines[n - 1] for n in wanted if n <= len(lines)]
        assert read_lines(str(path), wanted, block_bytes=block) == expected


def test_read_lines_of_a_file_ending_with_a_line_break(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\ntwo\n")
    assert read_lines(str(path), [1, 2, 3], block_bytes=2) == [b"one", b"two"]


def test_rows_of_several_files_keep_their_lines(tmp_path: Path) -> None:
    """Lines of a CSV file start after its header; each file's rows follow the ones before."""
    records = _sample_records(120, seed=11)
    first = write_csv(tmp_path / "a.csv", records[:50])
    second = write_jsonl(tmp_path / "b.jsonl", records[50:90])
    third = write_csv(tmp_path / "c.csv", records[90:])
    assert _engine_reads(MSFT, first, second, third)
    reports = [run_dealcheck("check", MSFT, first, second, third, "--format", "json",
                             "--engine", name, "--jobs", "2", cwd=tmp_path).stdout
               for name in ("python", "duckdb")]
    located = [(Path(d["source"]["file"]).name, d["source"]["line"])
               for d in json.loads(reports[1])["deployments"]]
    assert [located[i] for i in (0, 49, 50, 89, 90, 119)] == [
        ("a.csv", 2), ("a.csv", 51), ("b.jsonl", 1), ("b.jsonl", 40), ("c.csv", 2),
        ("c.csv", 31)]
    assert reports[0] == reports[1]


def test_rows_numbered_out_of_order_go_to_the_python_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", _sample_records(30, seed=3))
    assert _engine_reads(MSFT, path)
    monkeypatch.setattr(engine._Session, "_ordered", lambda self: {0: 1})
    assert not _engine_reads(MSFT, path)


def test_a_representative_no_longer_in_its_file_goes_to_the_python_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", _sample_records(30, seed=3))
    monkeypatch.setattr(engine, "read_lines", lambda path, wanted: [])
    assert not _engine_reads(MSFT, path)
