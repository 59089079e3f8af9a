"""The DuckDB engine's report rows, written by one ``COPY`` into a pipe as the report takes
them (`engines.render`): the report is the Python engine's, byte for byte, whether it goes to
a file (which takes the rows' bytes as they are) or to standard output, and whether the
table of rows holds them in order or a join finds their templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import MSFT, _boundary_records, write_csv, write_jsonl

from dealcheck.engines import render
from helpers import run_dealcheck


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries whose rows each DuckDB run piped into its report, in order."""
    found: list[str] = []
    copy = render._copy

    def spy(con: Any, query: str) -> Any:
        produce = copy(con, query)

        def counted(path: str) -> None:
            produce(path)
            found.append(query)

        return counted

    monkeypatch.setattr(render, "_copy", spy)
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
@pytest.mark.parametrize(("shape", "jobs"), [
    ("one", 1), ("two", 2), ("single", 2), pytest.param("one", 3, marks=pytest.mark.slow)])
def test_piped_rows_make_the_python_engines_report(
        tmp_path: Path, copies: list[str], opened: list[bool], fmt: str, shape: str,
        jobs: int, to_file: bool) -> None:
    files = _inventories(tmp_path, shape)
    reference = _report(tmp_path, "python", fmt, jobs, files, to_file)
    got = _report(tmp_path, "duckdb", fmt, jobs, files, to_file)
    assert opened == [True]
    assert len(copies) == 1  # one COPY wrote every row
    assert got == reference


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(("shape", "order"), [
    pytest.param("one", "shuffled", marks=pytest.mark.slow), ("two", "shuffled"),
    pytest.param("single", "shuffled", marks=pytest.mark.slow), ("two", "no slots")])
def test_joined_piped_rows_make_the_python_engines_report(
        tmp_path: Path, copies: list[str], opened: list[bool],
        monkeypatch: pytest.MonkeyPatch, fmt: str, shape: str, order: str) -> None:
    # The rows are joined with their templates, then sorted: when `keyed` does not hold
    # them in order, or when its keys find no slots.
    if order == "shuffled":
        monkeypatch.setattr(render, "_in_order", lambda con: False)
    else:
        monkeypatch.setattr(render, "_slotted", lambda numbered: None)
    files = _inventories(tmp_path, shape)
    reference = _report(tmp_path, "python", fmt, 2, files, True)
    assert _report(tmp_path, "duckdb", fmt, 2, files, True) == reference
    assert opened == [True] and len(copies) == 1 and "ORDER BY k.rn" in copies[0]


def test_the_engines_threads_are_kept_after_the_rows_are_written(tmp_path: Path) -> None:
    import duckdb

    from dealcheck.io_text import PipedText

    con = duckdb.connect(config={"threads": 3})
    con.execute("CREATE TABLE keyed AS SELECT range AS rn FROM range(5)")
    piped = PipedText(render._copy(con, "SELECT rn::VARCHAR FROM keyed ORDER BY rn"),
                      str(tmp_path))
    assert "".join(piped.texts()) == "0\n1\n2\n3\n4\n"
    assert con.execute("SELECT current_setting('threads')").fetchone() == (3,)
