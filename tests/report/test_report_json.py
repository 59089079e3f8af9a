"""JSON report: schema, determinism, golden file, model round trips and streaming."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_samples import TEST_VERSION, build_bulk, build_report

import dealcheck
from dealcheck.checker.results import DeploymentResult, Report
from dealcheck.report.json import (
    JsonStreamRenderer,
    iter_json_chunks,
    pretty,
    render_json,
    report_to_dict,
)
from dealcheck.report.model import (
    ReportDocument,
    parse_report_json,
    report_json_schema,
)
from dealcheck.report.output import ReportMeta
from helpers import json_validator
from hypothesis_profiles import examples

# The documented report, the contract: these keys, this nesting.
CONTRACT_TOP = [
    "dealcheck_version",
    "terms",
    "scenarios",
    "as_of",
    "verdict",
    "summary",
    "deployments",
    "aggregates",
]
CONTRACT_SUMMARY = ["deployments", "compliant", "violation", "undetermined", "not_covered",
                    "aggregates"]
CONTRACT_SUMMARY_AGGREGATES = ["compliant", "violation", "open", "undetermined"]
CONTRACT_DEPLOYMENT = ["id", "verdict", "evaluated_on", "not_covered", "findings"]
CONTRACT_FINDING = ["clause", "outcome", "message", "location", "missing_facts", "fix"]
CONTRACT_AGGREGATE = ["clause", "verdict", "total", "limit", "contributors", "projected"]
CONTRACT_PROJECTED = ["total", "verdict", "crossed_on"]


def validator() -> jsonschema.protocols.Validator:
    validator: jsonschema.protocols.Validator = json_validator(report_json_schema(),
                                                               formats=True)
    return validator


def test_output_validates_against_report_schema(report: Report) -> None:
    document = json.loads(render_json(report))
    errors = list(validator().iter_errors(document))
    assert errors == []


def test_schema_is_draft_2020_12_and_requires_the_contract_keys() -> None:
    schema = report_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == CONTRACT_TOP
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["deployments"][0].__setitem__("verdict", "maybe"),
        lambda d: d["deployments"][0]["findings"][0].__setitem__("outcome", "breached"),
        lambda d: d["deployments"][0].pop("not_covered"),
        lambda d: d["summary"].__setitem__("violation", -1),
        lambda d: d["aggregates"][0].__setitem__("verdict", "closed"),
        lambda d: d.__setitem__("verdict", "open"),
        lambda d: d["summary"]["aggregates"].pop("open"),
        lambda d: d["aggregates"][0]["projected"].__setitem__("crossed_on", "soon"),
        lambda d: d.__setitem__("as_of", "3 November 2025"),
        lambda d: d["terms"].__setitem__("extra", 1),
        lambda d: d["deployments"][0]["findings"][0].__setitem__("overridden_by", None),
    ],
    ids=[
        "verdict",
        "outcome",
        "missing-key",
        "negative-count",
        "aggregate-verdict",
        "report-verdict",
        "aggregate-counts",
        "crossed-on",
        "date-format",
        "extra-key",
        "overridden-by-null",
    ],
)
def test_schema_rejects_malformed_documents(
    report: Report, mutate: Callable[[dict[str, Any]], object]
) -> None:
    document = json.loads(render_json(report))
    mutate(document)
    assert list(validator().iter_errors(document)) != []
    with pytest.raises(pydantic.ValidationError):
        ReportDocument.model_validate(document)


def test_contract_keys_nesting_and_order(report: Report) -> None:
    document = json.loads(render_json(report))
    assert list(document) == CONTRACT_TOP
    assert list(document["terms"]) == ["path", "sha256"]
    assert [list(s) for s in document["scenarios"]] == [["path", "sha256"]]
    assert list(document["summary"]) == CONTRACT_SUMMARY
    assert list(document["summary"]["aggregates"]) == CONTRACT_SUMMARY_AGGREGATES
    deployment = document["deployments"][0]
    assert list(deployment)[: len(CONTRACT_DEPLOYMENT)] == CONTRACT_DEPLOYMENT
    finding = deployment["findings"][0]
    assert list(finding)[: len(CONTRACT_FINDING)] == CONTRACT_FINDING
    assert list(finding["location"]) == ["file", "line", "column"]
    aggregate = document["aggregates"][0]
    assert list(aggregate)[: len(CONTRACT_AGGREGATE)] == CONTRACT_AGGREGATE
    assert list(aggregate["projected"]) == CONTRACT_PROJECTED


def test_values(report: Report) -> None:
    document = json.loads(render_json(report, version=TEST_VERSION))
    assert document["dealcheck_version"] == TEST_VERSION
    assert document["as_of"] is None
    assert document["verdict"] == "violation"
    assert document["summary"] == {
        "deployments": 4,
        "compliant": 2,
        "violation": 1,
        "undetermined": 1,
        "not_covered": 1,
        "aggregates": {"compliant": 0, "violation": 1, "open": 1, "undetermined": 1},
    }
    aws, coreweave, natsec, stargate = document["deployments"]
    assert aws["verdict"] == "violation"
    assert aws["evaluated_on"] == "2025-11-03"
    assert aws["findings"][0]["fix"] == "run on `Azure`"
    assert aws["findings"][0]["location"] == {
        "file": "examples/microsoft-openai/terms.deal",
        "line": 12,
        "column": 3,
    }
    assert aws["source"] == {
        "file": "examples/microsoft-openai/plan-2025.yaml",
        "line": 4,
        "column": 5,
    }
    assert coreweave["findings"][0]["missing_facts"] == ["rofr_declined"]
    assert natsec["findings"][0]["outcome"] == "overridden"
    assert natsec["findings"][0]["overridden_by"] == ["national_security"]
    assert natsec["findings"][1]["overridden_by"] == []
    assert stargate["not_covered"] is True and stargate["findings"] == []
    verdicts = [(a["clause"], a["verdict"]) for a in document["aggregates"]]
    assert verdicts == [
        ("azure_commitment", "open"),
        ("stargate_cap", "violation"),
        ("gpu_cap", "undetermined"),
    ]
    commitment = document["aggregates"][0]
    assert commitment["deadline"] == "2032-12-31"
    assert commitment["total"] == "38B USD" and commitment["limit"] == "250B USD"
    assert document["aggregates"][2]["missing_quantity"] == ["coreweave-training"]
    assert document["aggregates"][2]["unknown_scope"] == ["aws-api"]


def test_as_of_is_iso(report: Report) -> None:
    report.as_of = dt.date(2025, 11, 3)
    assert json.loads(render_json(report))["as_of"] == "2025-11-03"


def test_format_details(report: Report) -> None:
    text = render_json(report)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "dealcheck_version": ' in text  # two-space indent
    assert "Microsoft–OpenAI" in text  # UTF-8 kept, not \u2013
    assert "\\u2013" not in text


def test_byte_identical_for_equal_reports() -> None:
    first = render_json(build_report())
    second = render_json(build_report())
    assert first == second
    assert first.encode("utf-8") == second.encode("utf-8")
    report = build_report()
    assert render_json(report) == render_json(report)


def test_report_to_json_delegates(report: Report) -> None:
    held = dealcheck.Report.of(report)
    assert held.to_json() == render_json(report)
    # The report users hold and the checker's report that says the same are
    # equal both ways (a JSON report read back gives the checker's).
    assert held == report and report == held
    assert parse_report_json(held.to_json()).to_report() == held


def test_golden(report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report.json", render_json(report, version=TEST_VERSION))


def test_same_as_plain_json_dumps(report: Report) -> None:
    # The fast path builds its own text; the reference is json.dumps of the same data.
    expected = json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
    assert render_json(report) == expected


# --------------------------------------------------------------------------- pydantic model


def test_model_validates_output_and_dumps_identically(report: Report) -> None:
    text = render_json(report)
    parsed = parse_report_json(text)
    assert parsed == ReportDocument.from_report(report)
    assert parsed.to_json() == text
    assert ReportDocument.from_report(report).to_json() == text


def test_round_trip_to_report(report: Report) -> None:
    back = parse_report_json(render_json(report)).to_report()
    assert back == report  # DeploymentResult.source is excluded from ==
    assert [d.source for d in back.deployments] == [d.source for d in report.deployments]
    assert render_json(back) == render_json(report)


def test_model_rejects_unknown_keys(report: Report) -> None:
    document = json.loads(render_json(report))
    document["deployments"][0]["colour"] = "red"
    with pytest.raises(pydantic.ValidationError, match="colour"):
        ReportDocument.model_validate(document)


def test_deployment_without_source(report: Report) -> None:
    report.deployments[0] = dataclasses.replace(report.deployments[0], source=None)
    text = render_json(report)
    assert json.loads(text)["deployments"][0]["source"] is None
    assert list(validator().iter_errors(json.loads(text))) == []
    assert parse_report_json(text).to_json() == text


# --------------------------------------------------------------------------- streaming


def _empty_report() -> Report:
    report = build_report()
    report.deployments = []
    report.aggregates = []
    return report


def test_empty_report() -> None:
    report = _empty_report()
    text = render_json(report)
    assert json.loads(text)["deployments"] == []
    assert text == json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
    assert list(validator().iter_errors(json.loads(text))) == []


@pytest.mark.parametrize("spool_chars", [1, 200, 10_000_000])
def test_streaming_equals_render_json(spool_chars: int) -> None:
    deployments = build_bulk(300)
    report = build_report()
    report.deployments = deployments
    expected = render_json(report)

    calls: list[str] = []

    def aggregates() -> list[Any]:
        calls.append("aggregates")
        return report.aggregates

    def produce() -> Iterator[DeploymentResult]:
        for d in deployments:
            assert calls == []  # aggregates are asked for only after the last deployment
            yield d

    chunks = iter_json_chunks(ReportMeta.of(report), produce(), aggregates, spool_chars=spool_chars)
    assert "".join(chunks) == expected
    assert calls == ["aggregates"]


def test_streaming_spills_to_disk_and_holds_no_results() -> None:
    renderer = JsonStreamRenderer(spool_chars=1000)
    report = build_report()
    list(renderer.begin(ReportMeta.of(report)))
    for d in build_bulk(600):  # texts go to the spool 256 at a time
        assert list(renderer.deployment(d)) == []  # nothing emitted before the summary
    spool = renderer._spool
    assert spool is not None
    assert spool._file._rolled  # type: ignore[attr-defined]
    assert not hasattr(renderer, "_deployments")
    counts = {"deployments": 600, "compliant": 600, "violation": 0, "undetermined": 0,
              "not_covered": 0}
    text = "".join(renderer.end(report.aggregates, counts))
    assert json.loads(text)["summary"] == {
        **counts, "aggregates": {"compliant": 0, "violation": 1, "open": 1, "undetermined": 1}}
    assert len(json.loads(text)["deployments"]) == 600


def test_renderer_requires_begin() -> None:
    renderer = JsonStreamRenderer()
    with pytest.raises(RuntimeError):
        renderer.deployment(build_report().deployments[0])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(value=json_values, depth=st.integers(min_value=0, max_value=3))
def test_pretty_matches_json_dumps(value: Any, depth: int) -> None:
    indent = "  " * depth
    expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)
    assert pretty(value, indent) == expected


def test_the_fast_texts_are_json_dumps_of_the_report() -> None:
    # `DeploymentText` writes each deployment by hand (with memoised pieces): it must
    # give exactly what `json.dumps` gives for the same data, across many deployments.
    report = build_report()
    bulk = build_bulk(300)
    report.deployments = [*report.deployments, *bulk, *(
        dataclasses.replace(d, source=None, id=f"é-{d.id}\u2028\"") for d in bulk[:50])]
    assert len({d.evaluated_on for d in report.deployments}) > 1
    expected = json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
    assert render_json(report) == expected
