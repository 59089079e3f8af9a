"""Checking files from Python: `dealcheck.check_files`, the check `dealcheck check` runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.explain import explain
from dealcheck.checker.files import CheckRun, NoSuchDeployment, check_files_into, explain_file
from dealcheck.cli import main
from dealcheck.engines import Engine

ROOT = Path(__file__).resolve().parents[1]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
DEALS = ROOT / "examples" / "microsoft-openai" / "deals.yaml"
HEADER = "id,party,workload,provider,region,start,facts.customer\n"


def test_a_yaml_scenario_gives_the_report_of_dealcheck_check(
        capsys: pytest.CaptureFixture[str]) -> None:
    report = dealcheck.check_files(TERMS, [DEALS])
    assert isinstance(report, dealcheck.Report)
    assert len(report.deployments) == 14
    assert report.verdict_of("stargate-abilene") is dealcheck.Verdict.UNDETERMINED
    assert [s.path for s in report.scenarios] == [str(DEALS)]
    code = main(["check", str(TERMS), str(DEALS), "--format", "json"])
    assert code == (1 if report.violations or report.aggregate_violations else 0)
    assert json.loads(report.to_json()) == json.loads(capsys.readouterr().out)


def test_as_of_is_read_as_the_cli_reads_it() -> None:
    report = dealcheck.check_files(TERMS, [DEALS], as_of="2025-03-10")
    assert report.as_of == dt.date(2025, 3, 10)
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.check_files(TERMS, [DEALS], as_of="2025-13-01")
    assert [d.code for d in caught.value.diagnostics] == ["DC910"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_csv_file_is_checked_row_by_row(tmp_path: Path, jobs: int) -> None:
    rows = tmp_path / "deals.csv"
    rows.write_text(HEADER + "aws-api,OpenAI,api,AWS,US,2025-11-03,commercial\n"
                    "azure-api,OpenAI,api,Azure,US,2025-11-03,commercial\n", "utf-8")
    report = dealcheck.check_files(str(TERMS), [str(rows)], jobs=jobs)
    assert [d.id for d in report.deployments] == ["aws-api", "azure-api"]
    assert report.verdict_of("aws-api") is dealcheck.Verdict.VIOLATION
    assert report.verdict_of("azure-api") is dealcheck.Verdict.COMPLIANT


@pytest.mark.parametrize(("args", "threads"), [((), 3), (("--jobs", "1"), 1),
                                               (("-j", "2"), 2)])
def test_the_duckdb_engine_runs_a_thread_a_core_unless_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: tuple[str, ...], threads: int) -> None:
    import duckdb

    from dealcheck.engines import duckdb as duckdb_engine

    connect, seen = duckdb.connect, []

    def spy(*given: object, **config: dict[str, object]) -> object:
        seen.append(config["config"]["threads"])
        return connect(*given, **config)  # type: ignore[arg-type]

    monkeypatch.setattr(duckdb, "connect", spy)
    monkeypatch.setattr(duckdb_engine, "usable_cores", lambda: 3)
    rows = tmp_path / "deals.csv"
    rows.write_text(HEADER + "aws-api,OpenAI,api,AWS,US,2025-11-03,commercial\n", "utf-8")
    assert main(["check", str(TERMS), str(rows), *args]) == 1
    assert "violation aws-api" in capsys.readouterr().out
    assert seen == [threads]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_bad_row_is_a_located_diagnostic_with_its_source(tmp_path: Path, jobs: int) -> None:
    rows = tmp_path / "deals.csv"
    text = (HEADER + "aws-api,OpenAI,api,AWS,US,2025-11-03,commercial\n"
            "typo,OpenAI,api,Azur,US,2025-11-03,commercial\n")
    rows.write_text(text, "utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.check_files(TERMS, [rows], jobs=jobs)
    [d] = caught.value.diagnostics
    assert (d.span.file, d.span.line) == (str(rows), 3)
    assert "`Azur`" in d.message
    assert "Azure" in (d.help or "")
    # The source kept for the excerpt holds the row at its line.
    assert caught.value.sources[str(rows)].splitlines()[2] == text.splitlines()[2]



def _parquet_of(tmp_path: Path, csv_text: str) -> Path:
    import duckdb

    rows = tmp_path / "deals.csv"
    rows.write_text(csv_text, "utf-8")
    path = tmp_path / "deals.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{rows}', all_varchar = true)) "
                f"TO '{path}' (FORMAT parquet)")
    con.close()
    return path


@pytest.mark.parametrize("engine", ["auto", "duckdb"])
def test_the_duckdb_engine_reads_parquet(tmp_path: Path, engine: Engine) -> None:
    parquet = _parquet_of(tmp_path, HEADER + "aws-api,OpenAI,api,AWS,US,2025-11-03,commercial\n"
                          "azure-api,OpenAI,api,Azure,US,2025-11-03,commercial\n")
    report = dealcheck.check_files(TERMS, [parquet], engine=engine)
    assert [d.id for d in report.deployments] == ["aws-api", "azure-api"]
    assert report.verdict_of("aws-api") is dealcheck.Verdict.VIOLATION
    assert report.verdict_of("azure-api") is dealcheck.Verdict.COMPLIANT


def test_the_python_engine_reads_no_parquet(tmp_path: Path) -> None:
    parquet = _parquet_of(tmp_path, HEADER + "aws-api,OpenAI,api,AWS,US,2025-11-03,commercial\n")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.check_files(TERMS, [parquet], engine="python")
    [d] = caught.value.diagnostics
    assert d.message == "the python engine does not read Parquet files like `deals.parquet`"
    assert (d.span.file, d.span.line, d.code) == (str(parquet), 1, "DC310")


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError,
                       match="unknown engine 'polars': one of auto, python, duckdb, spark"):
        dealcheck.check_files(TERMS, [DEALS], engine="polars")  # type: ignore[arg-type]


def test_bad_terms_are_a_located_diagnostic(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text('agreement "Broken" effective 2025-01-01\nparty\n', "utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.check_files(terms, [DEALS])
    assert {d.span.file for d in caught.value.diagnostics} == {str(terms)}
    assert caught.value.sources[str(terms)].startswith('agreement "Broken"')


def test_a_sink_gets_the_results_as_they_are_judged(tmp_path: Path) -> None:
    rows = tmp_path / "deals.jsonl"
    rows.write_text('{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
                    '"start": "2025-11-03"}\n', "utf-8")
    seen: list[tuple[bool, list[str]]] = []

    def sink(run: CheckRun) -> int:
        ids = [r.id for r in run.results if isinstance(r, dealcheck.DeploymentResult)]
        seen.append((run.pending, ids))
        return len(run.aggregates())

    assert check_files_into(dealcheck.load(TERMS), [rows], sink) == 1  # the terms' one aggregate
    # A bulk file is validated as its rows are judged: the run is pending.
    assert seen == [(True, ["a"])]


def test_explain_file_finds_the_deployment_by_id() -> None:
    terms = dealcheck.load(TERMS)
    found = explain_file(terms, DEALS, "stargate-abilene")
    scenario = dealcheck.load_scenario(DEALS, terms)
    [deployment] = [d for d in scenario.deployments if d.id == "stargate-abilene"]
    assert found == explain(terms.compiled(), deployment)


def test_explain_file_names_the_closest_id_when_none_matches(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(NoSuchDeployment) as caught:
        explain_file(dealcheck.load(TERMS), DEALS, "stargate-abilen")
    assert (caught.value.ident, caught.value.path, caught.value.close) == (
        "stargate-abilen", str(DEALS), "stargate-abilene")
    assert main(["explain", str(TERMS), str(DEALS), "--id", "stargate-abilen"]) == 2
    assert capsys.readouterr().err == (f"error: no deployment `stargate-abilen` in `{DEALS}`; "
                                       "did you mean `stargate-abilene`?\n")
