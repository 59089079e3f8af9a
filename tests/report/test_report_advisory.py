"""Advisory clauses in every report format: marked, listed apart, never a failure."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from html_page import read_page
from test_report_sarif import sarif_errors

import dealcheck
from dealcheck.report.html import render_html
from dealcheck.report.json import render_json
from dealcheck.report.junit import render_junit
from dealcheck.report.markdown import render_markdown
from dealcheck.report.model import ReportDocument, report_json_schema
from dealcheck.report.sarif import sarif_log
from dealcheck.report.text import render_text
from helpers import run_dealcheck

TERMS = """\
agreement "Letter of intent" effective 2025-01-01
party Acme, Cloudco
provider Main operated by Cloudco
provider Other operated by Cloudco
workload api, training
fact consent: bool

clause api_main "2.1":
  Acme runs api only on Main

clause training_target "3.1" advisory:
  Acme runs training only on Main

clause consent_target advisory:
  Acme runs training only if consent

clause spend_target advisory:
  total value of deployments by Acme on Main reaches 10M USD by 2025-12-31
"""

SCENARIO = """\
deployments:
  - id: train-other
    party: Acme
    workload: training
    provider: Other
    start: 2025-03-01
  - id: api-main
    party: Acme
    workload: api
    provider: Main
    value: 1M USD
    start: 2025-03-01
"""


@pytest.fixture
def advisory_report() -> dealcheck.Report:
    terms = dealcheck.loads(TERMS, "loi.deal")
    deployments = [
        {"id": "train-other", "party": "Acme", "workload": "training", "provider": "Other",
         "start": "2025-03-01"},
        {"id": "api-main", "party": "Acme", "workload": "api", "provider": "Main",
         "value": "1M USD", "start": "2025-03-01"},
    ]
    return terms.check(deployments)


def test_json_marks_advisory_findings_and_aggregates_only(
        advisory_report: dealcheck.Report) -> None:
    document = json.loads(render_json(advisory_report))
    assert document["verdict"] == "compliant"
    assert document["summary"]["aggregates"]["violation"] == 0
    [train, api] = document["deployments"]
    assert [(f["clause"], f.get("advisory")) for f in train["findings"]] == [
        ("training_target", True), ("consent_target", True)]
    assert [f.get("advisory") for f in api["findings"]] == [None]  # binding: no key at all
    [aggregate] = document["aggregates"]
    assert (aggregate["verdict"], aggregate["advisory"]) == ("violation", True)
    schema = report_json_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    parsed = ReportDocument.from_json(render_json(advisory_report))
    assert parsed.to_json() == render_json(advisory_report)
    assert parsed.to_report() == advisory_report


def test_json_of_binding_clauses_has_no_advisory_key() -> None:
    terms = dealcheck.loads(TERMS.replace(" advisory:", ":"), "loi.deal")
    report = terms.check([{"id": "d", "party": "Acme", "workload": "training",
                           "provider": "Other", "start": "2025-03-01"}])
    assert "advisory" not in render_json(report)


def test_text_lists_the_targets_apart(advisory_report: dealcheck.Report) -> None:
    text = render_text(advisory_report, version="0")
    head, apart = text.split("advisory targets (they never change a verdict)\n")
    assert "all 2 deployments comply\n" in head
    assert "training_target" not in head and "spend_target" not in head
    assert "train-other (compliant)\n  violated training_target  loi.deal:11:8\n" in apart
    assert "  unknown consent_target  loi.deal:14:8\n" in apart
    assert "advisory aggregates" in apart and "spend_target   commitment   violation" in apart


def test_markdown_lists_the_targets_apart(advisory_report: dealcheck.Report) -> None:
    text = render_markdown(advisory_report, version="0")
    assert text.startswith("## dealcheck: compliant\n")
    assert "1 advisory aggregate" in text
    assert "### Deployments that do not comply" not in text
    apart = text.split("### Advisory targets\n")[1]
    assert "| `train-other` | violated | `training_target` |" in apart
    assert "| `spend_target` | commitment | violation |" in apart


def test_junit_never_fails_on_a_target(advisory_report: dealcheck.Report) -> None:
    root = ET.fromstring(render_junit(advisory_report, fail_on="undetermined"))
    assert root.get("failures") == "0" and root.get("skipped") == "0"
    outs = [e.text or "" for e in root.iter("system-out")]
    assert any("violated (advisory): training_target" in o for o in outs)
    assert any("commitment spend_target: violation (advisory)" in o for o in outs)


def test_sarif_reports_targets_as_notes(advisory_report: dealcheck.Report) -> None:
    log = sarif_log(advisory_report, version="0")
    assert sarif_errors(log) == []
    results = log["runs"][0]["results"]  # type: ignore[index]
    assert [(r["ruleId"], r["level"], r["kind"], r["properties"]["advisory"])
            for r in results] == [
        ("training_target", "note", "informational", True),
        ("consent_target", "note", "informational", True),
        ("spend_target", "note", "informational", True),
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif", "markdown"])
def test_the_exit_code_ignores_targets(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "loi.deal").write_text(TERMS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(SCENARIO, encoding="utf-8")
    run = run_dealcheck("check", "loi.deal", "plan.yaml", "--format", fmt,
                        "--fail-on", "undetermined", cwd=tmp_path)
    assert (run.returncode, run.stderr) == (0, "")
    assert "advisory" in run.stdout.lower()


def test_duckdb_reports_targets_as_python_does(tmp_path: Path) -> None:
    """Bulk inventories keyed in SQL: findings and aggregates judged once per case, marked alike."""
    (tmp_path / "loi.deal").write_text(TERMS, encoding="utf-8")
    (tmp_path / "plan.csv").write_text(
        "id,party,workload,provider,value,start,facts.consent\n"
        "t1,Acme,training,Other,,2025-03-01,\n"
        "t2,Acme,training,Main,,2025-03-02,true\n"
        "a1,Acme,api,Main,1M USD,2025-03-01,\n"
        "a2,Acme,api,Other,2M USD,2025-03-05,false\n", encoding="utf-8")
    outputs = {}
    for engine in ("python", "duckdb"):
        run = run_dealcheck("check", "loi.deal", "plan.csv", "--format", "json",
                            "--engine", engine, cwd=tmp_path)
        assert (run.returncode, run.stderr) == (1, "")  # a2 breaks the binding api_main
        outputs[engine] = run.stdout
    assert outputs["duckdb"] == outputs["python"]
    document = json.loads(outputs["python"])
    assert [d["verdict"] for d in document["deployments"]] == [
        "compliant", "compliant", "compliant", "violation"]
    assert sum(f.get("advisory", False) for d in document["deployments"]
               for f in d["findings"]) == 4  # t1: two targets, t2: two targets met


def test_html_lists_missed_targets_apart(advisory_report: dealcheck.Report) -> None:
    page = read_page(render_html(advisory_report))
    assert "advisory" in page.ids()
    text = "".join(page.text)
    assert "Advisory targets missed or undecided" in text
    assert page.fields["verdict"] == ["compliant"] * 2  # a missed target is not a failure
    listed = [a for tag, a in page.tags if tag == "li"]
    assert len(listed) == 2  # training_target violated, consent_target unknown
