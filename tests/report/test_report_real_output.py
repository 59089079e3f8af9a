"""Real CLI output on the shipped examples, validated against the published schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import run_dealcheck, validate_json

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"
CASES = [
    ("examples/microsoft-openai/terms.deal", "examples/microsoft-openai/deals.yaml", None),
    ("examples/microsoft-openai/terms.deal", "examples/microsoft-openai/deals.yaml",
     "2025-01-21"),
    ("examples/stargate/terms.deal", "examples/stargate/buildout.yaml", "2026-01-01"),
]


def dealcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dealcheck", *args], capture_output=True,
                          text=True, cwd=ROOT, check=False)


def run_check(terms: str, scenario: str, as_of: str | None, fmt: str,
              in_process: bool = True) -> str:
    """The report of `dealcheck check`, run in this process unless a process is the point."""
    extra = ["--as-of", as_of] if as_of else []
    args = ("check", terms, scenario, "--format", fmt, *extra)
    done = run_dealcheck(*args, cwd=ROOT) if in_process else dealcheck(*args)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


@pytest.mark.parametrize(("terms", "scenario", "as_of"), CASES)
def test_json_report_validates_against_dealcheck_schema_report(
        terms: str, scenario: str, as_of: str | None) -> None:
    schema = json.loads(run_dealcheck("schema", "report", cwd=ROOT).stdout)
    document = json.loads(run_check(terms, scenario, as_of, "json"))
    validate_json(document, schema)
    assert document["as_of"] == as_of
    assert document["deployments"], "the report has deployments"


@pytest.mark.parametrize(("terms", "scenario", "as_of"), CASES)
def test_sarif_report_validates_against_sarif_2_1_0(terms: str, scenario: str,
                                                    as_of: str | None) -> None:
    log = json.loads(run_check(terms, scenario, as_of, "sarif"))
    validate_json(log, json.loads(SARIF_SCHEMA.read_text("utf-8")))
    for result in log["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["region"]["startLine"] >= 1


def test_sarif_results_sit_at_the_deployment_line() -> None:
    log = json.loads(run_check(*CASES[0][:2], None, "sarif"))
    results = log["runs"][0]["results"]
    assert len(results) == 6   # the six undetermined ROFR deals
    lines = (ROOT / CASES[0][1]).read_text("utf-8").splitlines()
    for result in results:
        where = result["locations"][0]["physicalLocation"]
        assert where["artifactLocation"]["uri"].endswith("deals.yaml")
        line = lines[where["region"]["startLine"] - 1]
        assert line.strip().startswith("- id:") or line.strip().startswith("id:")


def test_junit_has_a_case_per_deployment_and_aggregate() -> None:
    root = ET.fromstring(run_check(*CASES[0][:2], None, "junit"))
    cases = root.findall(".//testcase")
    assert len(cases) == 14 + 1


@pytest.mark.slow
def test_same_inputs_give_byte_identical_json_across_processes() -> None:
    first = run_check(*CASES[0][:2], None, "json", in_process=False)
    second = run_check(*CASES[0][:2], None, "json", in_process=False)
    assert first == second
