"""Facts of the whole scenario: `facts:` at the top of a YAML or JSON scenario, `--fact`,
`terms.check(facts=…)`; a deployment's own value wins, then `--fact`, then the file's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import dealcheck
from dealcheck.checker.results import Verdict
from dealcheck.report.model import parse_report_json
from dealcheck.scenario.schema import scenario_json_schema
from helpers import run_dealcheck, validate_json

TERMS = """\
agreement "World" effective 2025-01-01
party Acme
provider Cloud operated by Acme
workload training
fact ipo: bool
fact price: number USD
fact notice: date

clause gated:
  Acme runs training only if ipo or price >= 10 USD

clause noticed:
  Acme runs training only if notice <= 2025-03-01
"""

YAML = """\
scenario: world
facts:
  ipo: false
  price: 12 USD
  notice: 2025-02-01
deployments:
  - {id: a, party: Acme, workload: training, provider: Cloud, start: 2025-02-01}
  - {id: b, party: Acme, workload: training, provider: Cloud, start: 2025-02-01,
     facts: {price: 5 USD}}
"""


def _row(ident: str, **facts: object) -> dict[str, Any]:
    row: dict[str, Any] = {"id": ident, "party": "Acme", "workload": "training",
                           "provider": "Cloud", "start": "2025-02-01"}
    if facts:
        row["facts"] = facts
    return row


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "terms.deal").write_text(TERMS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(YAML, encoding="utf-8")
    return tmp_path


def _verdicts(stdout: str) -> dict[str, str]:
    return {d["id"]: d["verdict"] for d in json.loads(stdout)["deployments"]}


def _check(where: Path, *args: str) -> Any:
    return run_dealcheck("check", "terms.deal", *args, "--format", "json", cwd=where)


def test_scenario_facts_hold_for_deployments_without_their_own(files: Path) -> None:
    run = _check(files, "plan.yaml")
    # a: price 12 USD from the scenario; b: its own 5 USD wins over it
    assert _verdicts(run.stdout) == {"a": "compliant", "b": "violation"}
    assert "facts" not in json.loads(run.stdout)  # none given on the command line


def test_the_same_scenario_in_json(files: Path) -> None:
    document = {"facts": {"ipo": False, "price": "12 USD", "notice": "2025-02-01"},
                "deployments": [_row("a"), _row("b", price="5 USD")]}
    (files / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    assert _verdicts(_check(files, "plan.json").stdout) == {"a": "compliant", "b": "violation"}


def test_fact_on_the_command_line_overrides_the_file_but_not_a_deployment(files: Path) -> None:
    run = _check(files, "plan.yaml", "--fact", "price=1 USD", "--fact", "notice=2025-04-01")
    # a now takes price 1 USD and the later notice; b keeps its own price
    report = json.loads(run.stdout)
    assert _verdicts(run.stdout) == {"a": "violation", "b": "violation"}
    a = next(d for d in report["deployments"] if d["id"] == "a")
    assert {f["clause"] for f in a["findings"] if f["outcome"] == "violated"} == {
        "gated", "noticed"}
    assert report["facts"] == {"price": "1 USD", "notice": "2025-04-01"}
    # the report records them, and still reads back as a report
    assert parse_report_json(run.stdout).to_json() == run.stdout
    ipo = _check(files, "plan.yaml", "--fact", "ipo=true")
    assert _verdicts(ipo.stdout) == {"a": "compliant", "b": "compliant"}


def test_fact_holds_for_bulk_rows_read_by_python_under_engine_auto(files: Path) -> None:
    rows = [_row("a"), _row("b", ipo=False)]
    (files / "plan.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                      encoding="utf-8")
    (files / "plan.csv").write_text("id,party,workload,provider,start,facts.ipo\n"
                                    "a,Acme,training,Cloud,2025-02-01,\n"
                                    "b,Acme,training,Cloud,2025-02-01,false\n", encoding="utf-8")
    for name in ("plan.jsonl", "plan.csv"):
        for extra in ((), ("--jobs", "2")):
            run = _check(files, name, "--fact", "ipo=true", "--fact", "notice=2025-01-01",
                         *extra)
            assert _verdicts(run.stdout) == {"a": "compliant", "b": "undetermined"}, name
            assert json.loads(run.stdout)["facts"] == {"ipo": True, "notice": "2025-01-01"}
            python = _check(files, name, "--fact", "ipo=true", "--fact", "notice=2025-01-01",
                            "--engine", "python")
            assert run.stdout == python.stdout


def test_fact_with_engine_duckdb_is_taken_for_any_scenario(files: Path) -> None:
    # A YAML scenario is read by the Python reader whatever the engine; the facts hold alike.
    run = _check(files, "plan.yaml", "--fact", "ipo=true", "--engine", "duckdb")
    assert (run.returncode, run.stderr) == (0, "")
    assert _verdicts(run.stdout) == {"a": "compliant", "b": "compliant"}
    report = dealcheck.check_files(files / "terms.deal", [files / "plan.yaml"],
                                   engine="duckdb", facts={"ipo": True})
    assert report.facts == {"ipo": True}


def test_a_bad_fact_argument_is_located_in_it(files: Path) -> None:
    run = _check(files, "plan.yaml", "--fact", "ipo=true", "--fact", "pric=3 USD",
                 "--fact", "notice", "--fact", "price=3 MW")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    err = run.stderr
    assert "--fact:2:1: error[DC303]: undeclared fact `pric`" in err
    assert "help: did you mean `price`?" in err
    assert "--fact:3:1: error[DC955]: `--fact` takes NAME=VALUE, found `notice`" in err
    assert "help: e.g. `ipo=true`" in err
    assert "--fact:4:7: error[DC309]: fact `price` is in USD (money), found power `3 MW`" in err


def test_a_bad_scenario_fact_is_located_in_the_file(files: Path) -> None:
    (files / "bad.yaml").write_text(YAML.replace("  ipo: false", "  ipoo: false")
                                    .replace("price: 12 USD", "price: yes"), encoding="utf-8")
    run = _check(files, "bad.yaml")
    assert run.returncode == 2
    assert "bad.yaml:3:3: error[DC303]: undeclared fact `ipoo`" in run.stderr
    assert "help: did you mean `ipo`?" in run.stderr
    assert "bad.yaml:4:10: error" in run.stderr
    (files / "list.json").write_text('{"facts": [1], "deployments": []}', encoding="utf-8")
    listed = _check(files, "list.json")
    assert "list.json:1:11: error[DC311]: `facts` must be a mapping, found a list" in listed.stderr


def test_explain_reads_facts_too(files: Path) -> None:
    run = run_dealcheck("explain", "terms.deal", "plan.yaml", "--id", "a", "--fact", "ipo=true",
                        cwd=files)
    assert run.returncode == 0, run.stderr
    assert "gated" in run.stdout and "verdict: compliant" in run.stdout


def test_the_text_report_lists_the_facts_given(files: Path) -> None:
    run = run_dealcheck("check", "terms.deal", "plan.yaml", "--fact", "ipo=true",
                        "--fact", "notice=2025-01-01", cwd=files)
    assert "\nfacts: ipo = true, notice = 2025-01-01\n" in run.stdout


def test_library_check_takes_facts_under_the_deployments_own() -> None:
    terms = dealcheck.loads(TERMS, "terms.deal")
    report = terms.check([_row("a"), _row("b", ipo=False)],
                         facts={"ipo": True, "notice": "2025-01-01"})
    assert [d.verdict for d in report.deployments] == [Verdict.COMPLIANT, Verdict.UNDETERMINED]
    assert report.facts == {"ipo": True, "notice": "2025-01-01"}
    assert json.loads(report.to_json())["facts"] == {"ipo": True, "notice": "2025-01-01"}
    with pytest.raises(dealcheck.DiagnosticsError, match="undeclared fact `ipoo`"):
        terms.check([_row("a")], facts={"ipoo": True})


def test_the_scenario_schema_has_facts() -> None:
    terms = dealcheck.loads(TERMS, "terms.deal")
    schema = scenario_json_schema(terms.vocabulary)
    assert "facts" in schema["properties"]
    validate_json({"facts": {"ipo": True, "notice": "2025-01-01"}, "deployments": []},
                        schema)
    with pytest.raises(jsonschema.ValidationError):
        validate_json({"facts": {"ipoo": True}, "deployments": []}, schema)
