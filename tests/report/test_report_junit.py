"""JUnit XML: counts per fail-on level, golden file, escaping and streaming."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from report_samples import TEST_VERSION, build_bulk, build_report

from dealcheck.checker.results import Finding, Report
from dealcheck.report.junit import iter_junit_chunks, render_junit
from dealcheck.report.output import ReportMeta


def counts(element: ET.Element) -> dict[str, str]:
    return {k: element.attrib[k] for k in ("tests", "failures", "errors", "skipped")}


def cases(root: ET.Element, suite: str) -> dict[str, ET.Element]:
    found = root.find(f"testsuite[@name='{suite}']")
    assert found is not None
    return {case.attrib["name"]: case for case in found.iter("testcase")}


def test_golden(report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report.junit.xml", render_junit(report, version=TEST_VERSION))


def test_counts_fail_on_violation(report: Report) -> None:
    root = ET.fromstring(render_junit(report))
    assert root.tag == "testsuites"
    assert counts(root) == {"tests": "7", "failures": "2", "errors": "0", "skipped": "2"}
    deployments = root.find("testsuite[@name='deployments']")
    aggregates = root.find("testsuite[@name='aggregates']")
    assert deployments is not None and aggregates is not None
    assert counts(deployments) == {"tests": "4", "failures": "1", "errors": "0", "skipped": "1"}
    assert counts(aggregates) == {"tests": "3", "failures": "1", "errors": "0", "skipped": "1"}
    # the counts agree with the testcases themselves
    assert len(root.findall(".//testcase")) == 7
    assert len(root.findall(".//failure")) == 2
    assert len(root.findall(".//skipped")) == 2


def test_outcome_elements(report: Report) -> None:
    root = ET.fromstring(render_junit(report))
    deployments = cases(root, "deployments")
    assert list(deployments) == ["aws-api", "coreweave-training", "natsec-api", "stargate-abilene"]

    failure = deployments["aws-api"].find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "violation"
    assert failure.attrib["message"].startswith("api_exclusive: ")
    assert "fix: run on `Azure`" in (failure.text or "")
    assert deployments["aws-api"].attrib["file"] == "examples/microsoft-openai/plan-2025.yaml"
    assert deployments["aws-api"].attrib["line"] == "4"

    skipped = deployments["coreweave-training"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"].startswith("undetermined: rofr: ")
    assert "missing facts: rofr_declined" in skipped.attrib["message"]

    assert deployments["natsec-api"].find("failure") is None
    assert "overridden by: national_security" in (
        deployments["natsec-api"].findtext("system-out") or ""
    )
    assert deployments["stargate-abilene"].findtext("system-out") == (
        "not covered by any clause in force"
    )

    aggregates = cases(root, "aggregates")
    assert aggregates["stargate_cap"].find("failure") is not None
    assert aggregates["gpu_cap"].find("skipped") is not None
    open_case = aggregates["azure_commitment"]
    assert open_case.find("failure") is None and open_case.find("skipped") is None
    assert "deadline: 2032-12-31" in (open_case.findtext("system-out") or "")


def test_counts_fail_on_undetermined(report: Report) -> None:
    root = ET.fromstring(render_junit(report, fail_on="undetermined"))
    assert counts(root) == {"tests": "7", "failures": "4", "errors": "0", "skipped": "0"}
    failure = cases(root, "deployments")["coreweave-training"].find("failure")
    assert failure is not None and failure.attrib["type"] == "undetermined"
    failure = cases(root, "aggregates")["gpu_cap"].find("failure")
    assert failure is not None and failure.attrib["type"] == "undetermined"


def test_properties(report: Report) -> None:
    root = ET.fromstring(render_junit(report, version=TEST_VERSION))
    properties = {
        p.attrib["name"]: p.attrib["value"]
        for p in root.findall("testsuite[@name='deployments']/properties/property")
    }
    assert properties["dealcheck_version"] == TEST_VERSION
    assert properties["terms"] == "examples/microsoft-openai/terms.deal"
    assert properties["summary.violation"] == "1"
    assert properties["as_of"] == ""


def test_rejects_unknown_fail_on(report: Report) -> None:
    with pytest.raises(ValueError, match="unknown fail-on level `warning`"):
        render_junit(report, fail_on="warning")


def test_hostile_text_stays_valid_xml(report: Report) -> None:
    nasty = "a \"quoted\" <tag> & 'apostrophe' ]]> \x00\x07 bell\nnew line\ttab \U0001f600"
    first = report.deployments[0]
    finding = dataclasses.replace(first.findings[0], message=nasty, clause="c<1>&")
    report.deployments[0] = dataclasses.replace(first, id=nasty, findings=(finding,))
    root = ET.fromstring(render_junit(report))  # must parse
    case = root.find(".//testcase[@classname='dealcheck.deployments']")
    assert case is not None
    assert case.attrib["name"].startswith("a \"quoted\" <tag> & 'apostrophe' ]]> \\u0000\\u0007")
    assert "\nnew line\ttab \U0001f600" in case.attrib["name"]
    failure = case.find("failure")
    assert failure is not None and "c<1>&" in failure.attrib["message"]


def test_empty_report() -> None:
    report = build_report()
    report.deployments = []
    report.aggregates = []
    root = ET.fromstring(render_junit(report))
    assert counts(root) == {"tests": "0", "failures": "0", "errors": "0", "skipped": "0"}


def test_undetermined_without_unknown_finding_still_reported(report: Report) -> None:
    # A verdict whose reason is missing must not crash or vanish.
    first = report.deployments[1]
    report.deployments[1] = dataclasses.replace(first, findings=())
    root = ET.fromstring(render_junit(report))
    skipped = cases(root, "deployments")["coreweave-training"].find("skipped")
    assert skipped is not None and skipped.attrib["message"] == "undetermined: undetermined"


@pytest.mark.parametrize("fail_on", ["violation", "undetermined"])
def test_streaming_equals_render(fail_on: str) -> None:
    report = build_report()
    report.deployments = build_bulk(250)
    expected = render_junit(report, fail_on=fail_on)
    streamed = "".join(
        iter_junit_chunks(
            ReportMeta.of(report),
            iter(report.deployments),
            lambda: report.aggregates,
            fail_on=fail_on,
        )
    )
    assert streamed == expected
    root = ET.fromstring(streamed)
    violations = sum(1 for d in report.deployments if d.verdict.value == "violation")
    undetermined = sum(1 for d in report.deployments if d.verdict.value == "undetermined")
    deployments = root.find("testsuite[@name='deployments']")
    assert deployments is not None
    assert len(deployments.findall("testcase")) == 250
    expected_failures = violations + (undetermined if fail_on == "undetermined" else 0)
    assert deployments.attrib["failures"] == str(expected_failures)


def test_finding_fields_in_failure_text(report: Report) -> None:
    extra = Finding(
        clause="region_us",
        outcome=report.deployments[0].findings[0].outcome,
        message="Stargate builds only in the United States",
        location=report.deployments[0].findings[0].location,
        missing_facts=("site_country",),
        fix="build in `US`",
    )
    first = report.deployments[0]
    report.deployments[0] = dataclasses.replace(first, findings=(*first.findings, extra))
    failure = cases(ET.fromstring(render_junit(report)), "deployments")["aws-api"].find("failure")
    assert failure is not None
    text = failure.text or ""
    assert "violated: region_us (examples/microsoft-openai/terms.deal:12:3)" in text
    assert "missing facts: site_country" in text
    assert "fix: build in `US`" in text
