"""Markdown for pull requests: golden file, status word, escaping, truncation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from report_samples import TEST_VERSION, build_bulk

from dealcheck.checker.results import AggregateVerdict, Report, Verdict
from dealcheck.report.markdown import overall_status, render_markdown


def test_golden(report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report.md", render_markdown(report, version=TEST_VERSION))


def test_headline_and_sections(report: Report) -> None:
    text = render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "## dealcheck: violation"
    assert lines[2].startswith(
        "**4 deployments: 2 compliant (1 not covered), 1 violation, 1 undetermined**"
    )
    assert "3 aggregates: 1 violation, 1 open, 1 undetermined" in lines[2]
    assert "### Deployments that do not comply" in lines
    assert "### Aggregates" in lines
    assert "<summary>2 compliant deployments</summary>" in lines
    assert text.endswith("\n")


def test_non_compliant_rows(report: Report) -> None:
    rows = [line for line in render_markdown(report).splitlines() if line.startswith("| `")]
    aws = next(r for r in rows if r.startswith("| `aws-api`"))
    assert aws == (
        "| `aws-api` | violation | `api_exclusive` "
        "| `api` runs on `AWS`; clause 2.1 allows only `Azure` | fix: run on `Azure` |"
    )
    coreweave = next(r for r in rows if r.startswith("| `coreweave-training`"))
    assert "missing facts: `rofr_declined`" in coreweave
    assert "| undetermined | `rofr` |" in coreweave
    natsec = next(r for r in rows if r.startswith("| `natsec-api`"))
    assert "`api_exclusive` overridden by `national_security`" in natsec
    stargate = next(r for r in rows if r.startswith("| `stargate-abilene`"))
    assert "not covered by any clause" in stargate


def test_no_emoji(report: Report) -> None:
    text = render_markdown(report)
    assert all(ord(ch) < 0x2190 for ch in text.replace("…", "")), "no symbols or emoji"


@pytest.mark.parametrize(
    ("deployments", "aggregates", "status"),
    [
        ([Verdict.COMPLIANT], [], "compliant"),
        ([Verdict.COMPLIANT], [AggregateVerdict.OPEN], "compliant"),
        ([Verdict.COMPLIANT, Verdict.UNDETERMINED], [], "undetermined"),
        ([Verdict.COMPLIANT], [AggregateVerdict.UNDETERMINED], "undetermined"),
        ([Verdict.UNDETERMINED], [AggregateVerdict.VIOLATION], "violation"),
        ([Verdict.VIOLATION, Verdict.UNDETERMINED], [AggregateVerdict.COMPLIANT], "violation"),
    ],
)
def test_overall_status(
    report: Report,
    deployments: list[Verdict],
    aggregates: list[AggregateVerdict],
    status: str,
) -> None:
    base_d, base_a = report.deployments[3], report.aggregates[0]
    report.deployments = [dataclasses.replace(base_d, verdict=v) for v in deployments]
    report.aggregates = [dataclasses.replace(base_a, verdict=v) for v in aggregates]
    assert overall_status(report) == status
    assert render_markdown(report).startswith(f"## dealcheck: {status}\n")


def test_cells_are_escaped(report: Report) -> None:
    first = report.deployments[0]
    finding = dataclasses.replace(
        first.findings[0],
        message="a | b <script>alert(1)</script>\nsecond line",
        fix="use `x|y` & more",
    )
    report.deployments[0] = dataclasses.replace(first, id="we`ird|id", findings=(finding,))
    row = next(line for line in render_markdown(report).splitlines() if line.startswith("| ``"))
    assert row.startswith("| ``we`ird\\|id`` | violation |")
    assert "a \\| b &lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in row
    assert "fix: use `x\\|y` &amp; more" in row
    # every row still has exactly the header's five columns
    assert row.replace("\\|", "").count("|") == 6


def test_truncates_long_tables(report: Report) -> None:
    report.deployments = build_bulk(40)
    text = render_markdown(report, max_rows=5)
    non_compliant = sum(1 for d in report.deployments if d.verdict is not Verdict.COMPLIANT)
    assert f"… and {non_compliant - 5} more rows not shown; see the JSON report." in text
    compliant = len(report.deployments) - non_compliant
    assert f"… and {compliant - 5} more deployments not shown; see the JSON report." in text
    assert f"<summary>{compliant} compliant deployments</summary>" in text


def test_all_compliant_has_no_failure_table(report: Report) -> None:
    report.deployments = [report.deployments[2], report.deployments[3]]
    report.aggregates = [report.aggregates[0]]
    text = render_markdown(report)
    assert text.startswith("## dealcheck: compliant\n")
    assert "Deployments that do not comply" not in text
