"""`--format jsonl` and `--format parquet`: the JSON report's objects, a line or a row each."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from test_engine_duckdb import (
    MSFT,
    ROOT,
    STARGATE,
    _boundary_records,
    _records_of,
    write_csv,
    write_jsonl,
)

from helpers import run_dealcheck

if TYPE_CHECKING:
    from dealcheck.checker.results import DeploymentResult

ENGINES = ["python", "duckdb"]


def _json_report(terms: Path, scenario: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """The JSON report of the Python engine, the reference."""
    done = run_dealcheck("check", terms, scenario, "--format", "json", "--engine", "python",
                         *extra, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _jsonl_lines(report: dict[str, Any]) -> list[Any]:
    """What `--format jsonl` must say for a JSON report: its objects, in order."""
    return [*report["deployments"], *({"aggregate": a} for a in report["aggregates"]),
            {"summary": report["summary"], "verdict": report["verdict"]}]


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    """A Parquet report's rows read back with DuckDB, as JSON objects (dates as text)."""
    con = duckdb.connect()
    try:
        cursor = con.execute(f"SELECT * FROM read_parquet('{path}')")
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    for row in rows:
        assert isinstance(row["evaluated_on"], dt.date)
        row["evaluated_on"] = row["evaluated_on"].isoformat()
    return rows


INVENTORIES = [
    pytest.param(MSFT, "bounds", None, id="bounds"),
    pytest.param(MSFT, "bounds", "2025-10-28", id="bounds-as-of", marks=pytest.mark.slow),
    pytest.param(STARGATE, ROOT / "examples" / "stargate" / "over-cap.yaml", None,
                 id="stargate-over-cap"),
]


def _inventory(terms: Path, source: str | Path, tmp_path: Path, kind: str) -> Path:
    records = (_boundary_records(terms) if source == "bounds"
               else _records_of(Path(source), terms))
    path = tmp_path / f"inventory.{kind}"
    (write_jsonl if kind == "jsonl" else write_csv)(path, records)
    return path


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("terms", "source", "as_of"), INVENTORIES)
def test_jsonl_lines_are_the_json_reports_objects(tmp_path: Path, engine: str, terms: Path,
                                                  source: str | Path, as_of: str | None,
                                                  opened: list[bool]) -> None:
    path = _inventory(terms, source, tmp_path, "jsonl")
    extra = ("--as-of", as_of) if as_of else ()
    report = _json_report(terms, path, tmp_path, *extra)
    done = run_dealcheck("check", terms, path, "--format", "jsonl", "--engine", engine, *extra,
                         cwd=tmp_path)
    assert opened == ([True] if engine == "duckdb" else [])  # DuckDB read the rows itself
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.endswith("\n") and "\n\n" not in done.stdout
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert report["deployments"] and report["aggregates"]  # something in every part
    assert lines == _jsonl_lines(report)


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_jsonl_is_byte_identical_across_engines(tmp_path: Path, kind: str) -> None:
    path = _inventory(MSFT, "bounds", tmp_path, kind)
    texts = {engine: run_dealcheck("check", MSFT, path, "--format", "jsonl", "--engine", engine,
                                   cwd=tmp_path) for engine in ENGINES}
    assert texts["duckdb"].stdout == texts["python"].stdout
    assert texts["duckdb"].returncode == texts["python"].returncode == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("terms", "source", "as_of"), INVENTORIES)
def test_parquet_rows_are_the_json_reports_deployments(tmp_path: Path, engine: str,
                                                       terms: Path, source: str | Path,
                                                       as_of: str | None,
                                                       opened: list[bool]) -> None:
    path = _inventory(terms, source, tmp_path, "csv")
    extra = ("--as-of", as_of) if as_of else ()
    report = _json_report(terms, path, tmp_path, *extra)
    out = tmp_path / "report.parquet"
    done = run_dealcheck("check", terms, path, "--format", "parquet", "-o", out,
                         "--engine", engine, *extra, cwd=tmp_path)
    assert opened == ([True] if engine == "duckdb" else [])  # DuckDB read the rows itself
    assert (done.returncode, done.stdout) == (1 if report["verdict"] == "violation" else 0, "")
    assert any(d["findings"] for d in report["deployments"])
    assert _parquet_rows(out) == report["deployments"]


def test_parquet_of_no_findings_keeps_its_columns(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", [
        {"id": "a", "party": "Microsoft", "workload": "training", "provider": "Azure",
         "start": "2025-01-01"}])
    out = tmp_path / "report.parquet"
    done = run_dealcheck("check", MSFT, path, "--format", "parquet", "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = _parquet_rows(out)
    assert [(r["id"], r["findings"]) for r in rows] == [("a", [])]
    con = duckdb.connect()
    kinds = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                             f"read_parquet('{out}'))").fetchall())
    con.close()
    assert kinds["findings"].startswith("STRUCT(") and kinds["findings"].endswith("[]")
    assert kinds["evaluated_on"] == "DATE"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_row_leaves_the_previous_output_as_it_was(tmp_path: Path, fmt: str,
                                                        engine: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    temp = tmp_path / "temp"  # the temporary files of the check: none is left
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    records = _boundary_records(MSFT)
    records[30]["start"] = "2025-02-30"
    path = write_jsonl(tmp_path / "bad.jsonl", records)
    out = tmp_path / f"report.{fmt}"
    out.write_bytes(b"before")
    done = run_dealcheck("check", MSFT, path, "--format", fmt, "-o", out, "--engine", engine,
                         cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.jsonl:31:" in done.stderr and "invalid date `2025-02-30`" in done.stderr
    assert out.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", out.name, "temp"]
    assert not list(temp.iterdir())


@pytest.mark.slow
def test_parquet_goes_to_a_pipe_as_bytes(tmp_path: Path) -> None:
    path = _inventory(MSFT, "bounds", tmp_path, "jsonl")
    done = subprocess.run([sys.executable, "-m", "dealcheck.cli", "check", str(MSFT), str(path),
                           "--format", "parquet"], capture_output=True, cwd=tmp_path,
                          check=False)
    assert done.returncode == 1, done.stderr
    (tmp_path / "piped.parquet").write_bytes(done.stdout)
    rows = _parquet_rows(tmp_path / "piped.parquet")
    assert [r["id"] for r in rows] == [r["id"] for r in _boundary_records(MSFT)]


class _BarRows:
    """Rows that are not lines (no line break before or after): the engine renders them in
    runs, not in a file."""

    joiner = "|"

    def __init__(self) -> None:
        from dealcheck.report.jsonl import JsonlRows

        self._rows = JsonlRows()

    def row(self, result: DeploymentResult) -> str:
        return "<" + self._rows.row(result).rstrip("\n") + ">"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "bars", "json-runs"])
def test_the_engine_renders_rows_as_the_format_renders_each(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import dealcheck
    from dealcheck import io_text
    from dealcheck.checker.files import check_files_into, collect_report
    from dealcheck.checker.results import RenderedRows, RowsRenderer, Verdict
    from dealcheck.engines.duckdb import duckdb_run
    from dealcheck.report.output import rows_renderer

    path = _inventory(MSFT, "bounds", tmp_path, "csv")
    terms = dealcheck.load(MSFT)
    if fmt == "json-runs":  # too many distinct templates for one COPY: runs
        monkeypatch.setattr("dealcheck.engines.render.MOST_LISTED", 0)
    make: Callable[[], RowsRenderer] | None = (_BarRows if fmt == "bars"
                                               else rows_renderer(fmt.removesuffix("-runs")))
    assert make is not None
    with duckdb_run(terms, [path], None, 2, make) as run:
        assert run is not None
        got = list(run.results)
        # A file of rows (JSON, JSON Lines) is read while the check lasts.
        texts = ["".join(io_text.texts(rows.pieces())) for rows in got
                 if isinstance(rows, RenderedRows)]
    assert got and all(isinstance(rows, RenderedRows) for rows in got)
    assert all((not rows.files) == (fmt in ("bars", "json-runs")) for rows in got
               if isinstance(rows, RenderedRows))
    expected = check_files_into(terms, [path], collect_report, engine="python").deployments
    renderer = make()
    # The renderer puts its joiner between runs, as between rows.
    assert renderer.joiner.join(texts) == renderer.joiner.join(map(renderer.row, expected))
    counted = [rows for rows in got if isinstance(rows, RenderedRows)]
    assert sum(r.deployments for r in counted) == len(expected)
    for verdict in Verdict:
        assert sum(getattr(r, verdict.value) for r in counted) == sum(
            d.verdict is verdict for d in expected)
    assert sum(r.not_covered for r in counted) == sum(d.not_covered for d in expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_jsonl_to_standard_output_shows_nothing_of_a_check_that_fails(tmp_path: Path,
                                                                     engine: str) -> None:
    # The python engine judges rows as it reads them: the lines written before
    # the bad last row is read are held back (in a spool), then dropped.
    records = _boundary_records(MSFT)
    records[-1]["provider"] = "Azur"
    path = write_jsonl(tmp_path / "late.jsonl", records)
    done = run_dealcheck("check", MSFT, path, "--format", "jsonl", "--engine", engine,
                         cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"late.jsonl:{len(records)}:" in done.stderr
    assert "undeclared provider `Azur`" in done.stderr
