"""The Spark engine gives the Python engine's report, byte for byte, and its diagnostics.

Spark runs in local mode, one session for the whole test session (a JVM
starts slowly; the `spark` fixture of the test-wide conftest, one per test
worker): the CLI is run in this process, where `--engine spark` takes the
active session. Each check costs Spark a few dozen jobs, and starting the
JVM alone costs more than the whole fast tier may: every test that needs the
session is in the slow tier (the full suite, as CI runs it). The fast tier
keeps the tests that need no JVM: the SQL pieces, and the message without
pyspark.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import (
    MSFT,
    _boundary_records,
    _sample_records,
    write_csv,
    write_jsonl,
    write_parquet,
)

import dealcheck
from dealcheck.cli import main
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.engines import spark as engine
from dealcheck.engines.spark import check_dataframe
from dealcheck.engines.spark_read import text_columns


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each Spark run checked the files itself (rather than handing them back)."""
    found: list[bool] = []
    files = engine._SparkCheck.files

    def spy(self: Any, paths: list[str]) -> Any:
        run = files(self, paths)
        found.append(run is not None)
        return run

    monkeypatch.setattr(engine._SparkCheck, "files", spy)
    return found


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _same_report(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """The JSON report of `--engine spark`, asserted equal to `--engine python`'s."""
    python = _cli(capsys, "check", MSFT, *args, "--format", "json", "--engine", "python")
    found = _cli(capsys, "check", MSFT, *args, "--format", "json", "--engine", "spark")
    assert found == python
    return python[1]


@pytest.mark.slow
def test_random_rows_in_two_files_give_the_python_report(
        spark: Any, tmp_path: Path, runs: list[bool],
        capsys: pytest.CaptureFixture[str]) -> None:
    records = _sample_records(300, seed=15)
    first = write_jsonl(tmp_path / "a.jsonl", records[:180])
    second = write_csv(tmp_path / "b.csv", records[180:])
    report = json.loads(_same_report(capsys, first, second))
    assert runs == [True]
    assert {d["verdict"] for d in report["deployments"]} == {"compliant", "violation",
                                                            "undetermined"}
    assert report["aggregates"]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "as_of"), [("jsonl", None), ("csv", "2025-10-28")])
def test_boundary_rows_give_the_python_report(spark: Any, tmp_path: Path, kind: str,
                                              as_of: str | None, runs: list[bool],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # Every epoch's first day and the day before, every provider and region,
    # each fact absent, null, true and false (or each of its values).
    records = _boundary_records(MSFT)
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"bounds.{kind}", records)
    report = json.loads(_same_report(capsys, path, *(("--as-of", as_of) if as_of else ())))
    assert runs == [True]
    assert {d["verdict"] for d in report["deployments"]} >= {"compliant", "undetermined"}


@pytest.mark.slow
def test_parquet_gives_the_json_lines_report(spark: Any, tmp_path: Path, runs: list[bool],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    records = _boundary_records(MSFT)
    parquet = write_parquet(tmp_path / "bounds.parquet", write_csv(tmp_path / "b.csv", records))
    jsonl = write_jsonl(tmp_path / "bounds.jsonl", records)
    code, out, err = _cli(capsys, "check", MSFT, parquet, "--format", "json", "--engine",
                          "spark")
    assert runs == [True]
    expected = _cli(capsys, "check", MSFT, jsonl, "--format", "json", "--engine", "python")
    report, wanted = json.loads(out), json.loads(expected[1])
    assert report.pop("scenarios")[0]["path"] == str(parquet)
    wanted.pop("scenarios")
    assert (code, err) == (expected[0], expected[2])
    assert json.dumps(report).replace(str(parquet), str(jsonl)) == json.dumps(wanted)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "field", "value"), [
    ("jsonl", "start", "2025-13-01"),
    ("csv", "id", "d3"),
])
def test_a_bad_row_reads_as_the_python_engine_says(spark: Any, tmp_path: Path, kind: str,
                                                   field: str, value: str, runs: list[bool],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    records = _sample_records(120, seed=3)
    records[70][field] = value
    path = (write_jsonl if kind == "jsonl" else write_csv)(tmp_path / f"bad.{kind}", records)
    python = _cli(capsys, "check", MSFT, path, "--engine", "python")
    found = _cli(capsys, "check", MSFT, path, "--engine", "spark")
    assert runs == [False]
    assert python[0] == 2
    assert found == python
    assert f"bad.{kind}:{71 if kind == 'jsonl' else 72}:" in found[2]


# ---------------------------------------------------------------- the DataFrame API


@pytest.mark.slow
def test_check_dataframe_gives_each_rows_python_result(spark: Any, tmp_path: Path) -> None:
    records = _boundary_records(MSFT)
    path = write_csv(tmp_path / "bounds.csv", records)
    frame = spark.read.csv(str(path), header=True)
    results = check_dataframe(dealcheck.load(MSFT), frame, as_of="2025-10-28")
    assert [f.name for f in results.schema.fields] == ["id", "verdict", "evaluated_on",
                                                       "not_covered", "findings"]
    found = [r.asDict(recursive=True) for r in results.collect()]
    report = dealcheck.check_files(MSFT, [path], as_of="2025-10-28", engine="python")
    assert len(found) == len(report.deployments) == len(records)
    for row, expected in zip(found, report.deployments, strict=True):
        assert row["id"] == expected.id
        assert row["verdict"] == expected.verdict.value
        assert row["evaluated_on"] == expected.evaluated_on == dt.date(2025, 10, 28)
        assert row["not_covered"] == expected.not_covered
        assert [(f["clause"], f["outcome"], f["message"], f["fix"]) for f in row["findings"]] \
            == [(f.clause, f.outcome.value, f.message, f.fix) for f in expected.findings]


@pytest.mark.slow
def test_check_dataframe_locates_a_bad_row(spark: Any) -> None:
    frame = spark.createDataFrame(
        [("a", "OpenAI", "api", "Azure", "2025-02-01"),
         ("b", "OpenAI", "api", "Azure", "2025-02-30")],
        "id STRING, party STRING, workload STRING, provider STRING, start STRING")
    with pytest.raises(DiagnosticsError) as raised:
        check_dataframe(dealcheck.load(MSFT), frame)
    [problem] = raised.value.diagnostics
    assert (problem.span.file, problem.span.line) == ("<dataframe>", 2)
    assert "invalid date `2025-02-30`" in problem.message


# ---------------------------------------------------------------- without Spark


def test_the_text_columns_are_the_fields_then_one_per_fact() -> None:
    terms = dealcheck.load(MSFT)
    columns = text_columns(terms.vocabulary)
    assert columns[:9] == ["id", "party", "workload", "provider", "region", "start", "end",
                           "capacity", "value"]
    assert columns[9:] == [f"fact:{name}" for name in terms.vocabulary.facts]
    assert "fact:microsoft_consent" in columns


def test_spark_sql_quotes_names_and_text() -> None:
    assert engine._ident("fact:a`b") == "`fact:a``b`"
    assert engine._string("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert (engine._spark_type("VARCHAR"), engine._spark_type("DATE")) == ("STRING", "DATE")


def test_without_pyspark_the_engine_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # `import pyspark.sql` fails
    path = write_jsonl(tmp_path / "a.jsonl", _sample_records(3, seed=1))
    code, out, err = _cli(capsys, "check", MSFT, path, "--engine", "spark")
    assert (code, out) == (2, "")
    assert "error[DC911]: the spark engine needs pyspark, which is not installed" in err
    assert "help: install it: `pip install 'dealcheck[spark]'`" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- larger


@pytest.mark.slow
def test_many_rows_give_the_python_report(spark: Any, tmp_path: Path,
                                                        runs: list[bool],
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    # CI's smaller version: `benchmarks/bench_spark.py` compares 100,000 rows the same way.
    path = write_jsonl(tmp_path / "large.jsonl", _sample_records(5_000, seed=1028))
    _same_report(capsys, path)
    assert runs == [True]
