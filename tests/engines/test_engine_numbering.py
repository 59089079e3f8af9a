"""The DuckDB engine numbers rows by their place, and reads representatives by their line.

`keyed` is written in parallel, without reading row numbers from the files:
each row's line comes from its place in the table, which must be the input
order (checked against a sum over the files taken with their lines). Each
key's representative is then read again from its line (`read_lines`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import (
    MSFT,
    _engine_reads,
    _sample_records,
    _terms,
    write_csv,
    write_jsonl,
)

from dealcheck.checker.results import DeploymentResult
from dealcheck.engines import duckdb as engine
from dealcheck.engines.sources import read_lines
from dealcheck.engines.values import ValueJudge
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


def test_rows_typed_by_a_join_are_numbered_by_their_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A join keeps no order: when a text's value is joined (no slots found), each row's
    line is read from the file, and the report is still the Python engine's."""
    records = _sample_records(300, seed=19)
    first = write_jsonl(tmp_path / "a.jsonl", records[:200])
    second = write_csv(tmp_path / "b.csv", records[200:])
    # The texts are judged first (no canonical scan), then typed by a join.
    monkeypatch.setattr(engine._Session, "_canonical", lambda *args: None)
    monkeypatch.setattr(ValueJudge, "lookup", lambda *args, **kwargs: None)
    joined: list[bool] = []
    keyed = engine._Session._keyed

    def spy(self: engine._Session, *args: Any, **kwargs: Any) -> int | None:
        found = keyed(self, *args, **kwargs)
        joined.append(self.joined)
        return found

    monkeypatch.setattr(engine._Session, "_keyed", spy)
    with engine.duckdb_run(_terms(MSFT), [first, second], None) as run:
        assert run is not None
        results = list(run.results)
    assert joined == [True]
    located = [(Path(r.source.file).name, r.source.line) for r in results
               if isinstance(r, DeploymentResult)]
    assert located == [("a.jsonl", n) for n in range(1, 201)] + [
        ("b.csv", n) for n in range(2, 102)]


def test_a_representative_no_longer_in_its_file_goes_to_the_python_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", _sample_records(30, seed=3))
    monkeypatch.setattr(engine, "read_lines", lambda path, wanted: [])
    assert not _engine_reads(MSFT, path)


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize(("bom", "newline"), [
    pytest.param(False, "\r\n", marks=pytest.mark.slow),
    pytest.param(True, "\n", marks=pytest.mark.slow), (True, "\r\n")])
def test_representatives_of_files_with_a_bom_or_crlf_read_as_the_python_engine_says(
        tmp_path: Path, kind: str, bom: bool, newline: str) -> None:
    """Each representative's line is copied as it is: its line break and a byte order
    mark at the start of the file read as in the file."""
    records = _sample_records(40, seed=13)
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"a.{kind}", records)
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", newline)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    reads = _engine_reads(MSFT, path)
    reports = [run_dealcheck("check", MSFT, path, "--format", "json", "--engine", name,
                             cwd=tmp_path) for name in ("python", "duckdb")]
    assert (reports[1].returncode, reports[1].stdout, reports[1].stderr) == (
        reports[0].returncode, reports[0].stdout, reports[0].stderr)
    assert json.loads(reports[0].stdout)["deployments"] or not reads


def test_a_blank_line_hands_the_file_back_after_keyed_is_written(tmp_path: Path) -> None:
    """Rows are numbered before the file's lines are counted: a blank line shifts every
    row after it from its line, and the file then goes to the Python reader."""
    records = _sample_records(60, seed=17)
    path = write_jsonl(tmp_path / "a.jsonl", records)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:30], "\n", *lines[30:]]), encoding="utf-8")
    assert not _engine_reads(MSFT, path)
    reports = [run_dealcheck("check", MSFT, path, "--format", "json", "--engine", name,
                             cwd=tmp_path) for name in ("python", "duckdb")]
    assert (reports[1].returncode, reports[1].stdout, reports[1].stderr) == (
        reports[0].returncode, reports[0].stdout, reports[0].stderr)
