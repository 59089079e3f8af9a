"""The DuckDB engine's report rows written in parts, one file by range of rows and thread:
the report is the Python engine's, byte for byte, whether it goes to a file (which takes the
parts' bytes as they are) or to standard output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import MSFT, _boundary_records, write_csv, write_jsonl

from dealcheck.engines import render
from helpers import run_dealcheck


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The lengths of the files each DuckDB run wrote its rows to, in order; every
    inventory is split (one row is enough)."""
    found: list[list[int]] = []
    file_rows = render._file_rows

    def spy(*args: Any, **kwargs: Any) -> Any:
        rows = file_rows(*args, **kwargs)
        found.append([part.length for part in rows.files])
        return rows

    monkeypatch.setattr(render, "SPLIT_ROWS", 1)
    monkeypatch.setattr(render, "_file_rows", spy)
    return found


def _inventories(tmp_path: Path, shape: str) -> list[Path]:
    """`shape`: ``one`` file of the boundary records, ``two`` files of them (JSON Lines,
    then CSV), or ``single`` row."""
    records = _boundary_records(MSFT)
    if shape == "single":
        return [write_jsonl(tmp_path / "single.jsonl", records[:1])]
    if shape == "one":
        return [write_jsonl(tmp_path / "one.jsonl", records)]
    half = len(records) // 2
    return [write_jsonl(tmp_path / "first.jsonl", records[:half]),
            write_csv(tmp_path / "second.csv", records[half:])]


def _report(tmp_path: Path, engine: str, fmt: str, jobs: int, files: list[Path],
            to_file: bool) -> bytes:
    out = tmp_path / f"report-{engine}.{fmt}"
    args = ["check", MSFT, *files, "--format", fmt, "--engine", engine, "--jobs", str(jobs)]
    done = run_dealcheck(*args, *(("-o", out) if to_file else ()), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    return out.read_bytes() if to_file else done.stdout.encode("utf-8")


@pytest.mark.parametrize("to_file", [True, pytest.param(False, marks=pytest.mark.slow)],
                         ids=["file", "stdout"])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(("shape", "jobs", "expected"), [
    ("one", 1, "one part"),
    ("one", 2, "two parts"),
    ("two", 2, "two parts"),
    ("single", 2, "an empty part"),
    ("single", 3, "an empty part"),
])
def test_rows_written_in_parts_make_the_python_engines_report(
        tmp_path: Path, parts: list[list[int]], opened: list[bool], fmt: str, shape: str,
        jobs: int, expected: str, to_file: bool) -> None:
    files = _inventories(tmp_path, shape)
    reference = _report(tmp_path, "python", fmt, jobs, files, to_file)
    got = _report(tmp_path, "duckdb", fmt, jobs, files, to_file)
    assert opened == [True]
    assert len(parts) == 1 and len(parts[0]) == jobs
    if expected == "an empty part":
        assert 0 in parts[0] and parts[0][-1] > 0
    else:
        assert all(parts[0])  # the rows are shared out: each part holds some
    assert got == reference


def test_few_rows_are_written_in_one_part(tmp_path: Path, opened: list[bool],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[int] = []
    copy_at_once = render._copy_at_once

    def spy(con: Any, queries: list[str]) -> None:
        written.append(len(queries))
        copy_at_once(con, queries)

    monkeypatch.setattr(render, "_copy_at_once", spy)
    files = _inventories(tmp_path, "one")
    assert _report(tmp_path, "duckdb", "jsonl", 2, files, True) == _report(
        tmp_path, "python", "jsonl", 2, files, True)
    assert (opened, written) == ([True], [1])  # under `SPLIT_ROWS`: one part


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(("shape", "order"), [
    pytest.param("one", "shuffled", marks=pytest.mark.slow), ("two", "shuffled"),
    pytest.param("single", "shuffled", marks=pytest.mark.slow), ("two", "no slots")])
def test_joined_rows_written_in_parts_make_the_python_engines_report(
        tmp_path: Path, parts: list[list[int]], opened: list[bool],
        monkeypatch: pytest.MonkeyPatch, fmt: str, shape: str, order: str) -> None:
    # The rows are joined with their templates, then sorted, each part its own: when
    # `keyed` does not hold them in order (its parts cut at quantiles of `rn`), or when
    # its keys find no slots (cut at offsets of a scan).
    if order == "shuffled":
        monkeypatch.setattr(render, "_in_order", lambda con: False)
    else:
        monkeypatch.setattr(render, "_slotted", lambda numbered: None)
    files = _inventories(tmp_path, shape)
    reference = _report(tmp_path, "python", fmt, 2, files, True)
    assert _report(tmp_path, "duckdb", fmt, 2, files, True) == reference
    assert opened == [True] and len(parts) == 1 and len(parts[0]) == 2
    assert all(parts[0]) == (shape != "single")
