"""SARIF 2.1.0: validated against the official schema; results, rules and locations."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import pytest
from report_samples import FIXTURES, TEST_VERSION

from dealcheck.checker.results import AggregateVerdict, Report
from dealcheck.report.sarif import artifact_uri, render_sarif, sarif_log

SCHEMA_FILE = FIXTURES / "sarif-schema-2.1.0.json"


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def sarif_errors(document: Any) -> list[str]:
    errors = sarif_validator().iter_errors(document)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_the_fixture_is_the_official_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert len(schema["definitions"]) == 52
    assert schema["definitions"]["result"]["properties"]["level"]["enum"] == [
        "none",
        "note",
        "warning",
        "error",
    ]


def test_validates_against_sarif_schema(report: Report) -> None:
    document = json.loads(render_sarif(report))
    assert sarif_errors(document) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "fatal"),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].__setitem__("startLine", 0),
        lambda d: d["runs"][0]["results"][0].__setitem__("message", {"markdown": "x"}),
        lambda d: d.__setitem__("version", "2.0.0"),
    ],
    ids=["level", "driver-name", "start-line", "message-text", "version"],
)
def test_schema_check_is_not_vacuous(report: Report, mutate: Callable[[Any], object]) -> None:
    document = copy.deepcopy(sarif_log(report))
    mutate(document)
    assert sarif_errors(document) != []


def test_run_and_rules(report: Report) -> None:
    log = json.loads(render_sarif(report, version=TEST_VERSION))
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "dealcheck"
    assert driver["version"] == TEST_VERSION
    # the clauses referenced by results, sorted; satisfied/overridden-only clauses excluded
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["api_exclusive", "gpu_cap", "rofr", "stargate_cap"]


def test_results(report: Report) -> None:
    run = json.loads(render_sarif(report))["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("api_exclusive", "error"),
        ("rofr", "warning"),
        ("stargate_cap", "error"),
        ("gpu_cap", "warning"),
    ]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]

    violated = results[0]
    location = violated["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "examples/microsoft-openai/plan-2025.yaml"
    assert location["region"] == {"startLine": 4, "startColumn": 5}
    assert violated["locations"][0]["logicalLocations"] == [{"name": "aws-api", "kind": "object"}]
    related = violated["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "examples/microsoft-openai/terms.deal"
    assert related["region"] == {"startLine": 12, "startColumn": 3}
    assert "run on `Azure`" in violated["message"]["text"]
    assert violated["properties"]["fix"] == "run on `Azure`"

    unknown = results[1]
    assert unknown["properties"]["missing_facts"] == ["rofr_declined"]
    assert "`rofr_declined`" in unknown["message"]["text"]
    assert unknown["locations"][0]["physicalLocation"]["region"]["startLine"] == 14

    cap = results[2]
    cap_location = cap["locations"][0]["physicalLocation"]
    assert cap_location["artifactLocation"]["uri"] == "examples/microsoft-openai/terms.deal"
    assert cap_location["region"]["startLine"] == 44
    assert cap["properties"]["total"] == "520B USD"


def test_open_and_compliant_aggregates_are_not_results(report: Report) -> None:
    results = json.loads(render_sarif(report))["runs"][0]["results"]
    assert "azure_commitment" not in {r["ruleId"] for r in results}


def test_fingerprints_are_unique(report: Report) -> None:
    results = json.loads(render_sarif(report))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["dealcheck/v1"] for r in results]
    assert len(prints) == len(set(prints))


def test_artifacts_carry_hashes(report: Report) -> None:
    artifacts = json.loads(render_sarif(report))["runs"][0]["artifacts"]
    assert artifacts[0] == {
        "location": {"uri": "examples/microsoft-openai/terms.deal"},
        "hashes": {"sha-256": "3f1c" * 16},
    }


def test_deployment_without_source_points_at_clause(report: Report) -> None:
    report.deployments[0] = dataclasses.replace(report.deployments[0], source=None)
    document = json.loads(render_sarif(report))
    assert sarif_errors(document) == []
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "examples/microsoft-openai/terms.deal"
    assert location["region"]["startLine"] == 12


def test_odd_paths_are_valid_uris(report: Report) -> None:
    report.terms = dataclasses.replace(report.terms, path="/srv/deals/terms v2#1.deal")
    report.scenarios = [dataclasses.replace(report.scenarios[0], path="plans/q3:draft.yaml")]
    document = json.loads(render_sarif(report))
    assert sarif_errors(document) == []
    artifacts = [a["location"]["uri"] for a in document["runs"][0]["artifacts"]]
    assert artifacts == ["file:///srv/deals/terms%20v2%231.deal", "plans/q3%3Adraft.yaml"]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("terms.deal", "terms.deal"),
        ("deals/terms v2.deal", "deals/terms%20v2.deal"),
        ("/abs/terms.deal", "file:///abs/terms.deal"),
        ("C:\\deals\\terms.deal", "file:///C:/deals/terms.deal"),
        ("día/términos.deal", "d%C3%ADa/t%C3%A9rminos.deal"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri


def test_empty_report_is_valid(report: Report) -> None:
    report.deployments = []
    report.aggregates = []
    document = json.loads(render_sarif(report))
    assert sarif_errors(document) == []
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["tool"]["driver"]["rules"] == []


def test_golden_and_deterministic(report: Report, golden: Callable[[str, str], None]) -> None:
    text = render_sarif(report, version=TEST_VERSION)
    assert text == render_sarif(report, version=TEST_VERSION)
    golden("report.sarif", text)


def test_fingerprints_stay_unique_when_two_versions_share_a_window_start(report: Report) -> None:
    # Two reported versions of one clause whose windows start on the same day
    # (an amendment replaced the clause and kept its window): each keeps its own
    # fingerprint, the first one as it always was.
    first = dataclasses.replace(report.aggregates[0], verdict=AggregateVerdict.VIOLATION,
                                window_from=dt.date(2025, 3, 1),
                                window_through=dt.date(2025, 6, 30))
    second = dataclasses.replace(first, window_through=None)
    twins = dataclasses.replace(report, aggregates=[first, second])
    results = json.loads(render_sarif(twins))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["dealcheck/v1"] for r in results
              if r["ruleId"] == first.clause]
    assert prints == [f"aggregate:{first.clause}:2025-03-01",
                      f"aggregate:{first.clause}:2025-03-01#2"]
