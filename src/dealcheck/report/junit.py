"""Report → JUnit XML: one testcase per deployment and per aggregate, streamable."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from xml.sax.saxutils import quoteattr

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    DeploymentResult,
    Finding,
    Outcome,
    Report,
    Verdict,
    full_summary,
    report_verdict,
)
from dealcheck.report.output import (
    DEFAULT_SPOOL_CHARS,
    AggregatesSource,
    ReportMeta,
    TextSpool,
    check_fail_on,
    stream_report,
)

__all__ = ["JunitStreamRenderer", "iter_junit_chunks", "render_junit"]

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_DEPLOYMENT_CLASS = "dealcheck.deployments"
_AGGREGATE_CLASS = "dealcheck.aggregates"


def _xml_text(text: str) -> str:
    """Make text storable in XML: characters XML forbids become `\\uXXXX`."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _attr(value: str) -> str:
    return quoteattr(_xml_text(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _finding_lines(finding: Finding) -> list[str]:
    loc = finding.location
    outcome = finding.outcome.value + (" (advisory)" if finding.advisory else "")
    of = "" if finding.agreement is None else f' of "{finding.agreement}"'
    lines = [f"{outcome}: {finding.clause}{of} ({loc.file}:{loc.line}:{loc.column})"]
    lines.append(f"  {finding.message}")
    if finding.missing_facts:
        lines.append("  missing facts: " + ", ".join(finding.missing_facts))
    if finding.fix:
        lines.append(f"  fix: {finding.fix}")
    if finding.overridden_by:
        lines.append("  overridden by: " + ", ".join(finding.overridden_by))
    return lines


def _first(result: DeploymentResult, outcome: Outcome) -> Finding | None:
    return next((f for f in result.findings if f.outcome is outcome and not f.advisory), None)


def _serialize(case: ET.Element) -> str:
    ET.indent(case, space="  ", level=2)
    return "    " + ET.tostring(case, encoding="unicode") + "\n"


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


class _Counts:
    __slots__ = ("failures", "skipped", "tests")

    def __init__(self) -> None:
        self.tests = 0
        self.failures = 0
        self.skipped = 0

    def attrs(self, name: str) -> str:
        return (
            f'name={_attr(name)} tests="{self.tests}" failures="{self.failures}"'
            f' errors="0" skipped="{self.skipped}"'
        )


class JunitStreamRenderer:
    """Streams JUnit XML. Violations are `<failure type="violation">`; an undetermined
    deployment is `<failure type="undetermined">` when failing on undetermined, else
    `<skipped>`. Aggregates: violation fails; undetermined follows `fail_on`; open passes
    with a note in `<system-out>`.

    An advisory clause (a target) is never a failure: its findings and its aggregate
    verdicts are written in `<system-out>`.

    Testcases are spooled (memory, then a temporary file) because the counts go first.
    """

    def __init__(self, *, fail_on: str = "violation", spool_chars: int = DEFAULT_SPOOL_CHARS):
        self._fail_undetermined = check_fail_on(fail_on) == "undetermined"
        self._spool_chars = spool_chars
        self._meta: ReportMeta | None = None
        self._spool: TextSpool | None = None
        self._counts = _Counts()

    def begin(self, meta: ReportMeta) -> Iterable[str]:
        self._meta = meta
        self._spool = TextSpool(self._spool_chars)
        self._counts = _Counts()
        return ()

    def deployment(self, result: DeploymentResult) -> Iterable[str]:
        if self._spool is None:
            raise RuntimeError("renderer got a deployment before it began")
        attrs = {"classname": _DEPLOYMENT_CLASS, "name": result.id}
        if result.source is not None:
            attrs["file"] = result.source.file
            attrs["line"] = str(result.source.line)
        case = ET.Element("testcase", {k: _xml_text(v) for k, v in attrs.items()})
        details = "\n".join(
            line
            for f in result.findings
            if f.outcome is not Outcome.SATISFIED
            for line in _finding_lines(f)
        )
        self._counts.tests += 1
        if result.verdict is Verdict.VIOLATION:
            self._counts.failures += 1
            first = _first(result, Outcome.VIOLATED)
            message = f"{first.clause}: {first.message}" if first else "violation"
            _child(case, "failure", details, type="violation", message=message)
        elif result.verdict is Verdict.UNDETERMINED:
            first = _first(result, Outcome.UNKNOWN)
            message = f"{first.clause}: {first.message}" if first else "undetermined"
            if first and first.missing_facts:
                message += " (missing facts: " + ", ".join(first.missing_facts) + ")"
            if self._fail_undetermined:
                self._counts.failures += 1
                _child(case, "failure", details, type="undetermined", message=message)
            else:
                self._counts.skipped += 1
                _child(case, "skipped", details or None, message=f"undetermined: {message}")
        else:
            notes = ["not covered by any clause in force"] if result.not_covered else []
            if details:
                notes.append(details)
            if notes:
                _child(case, "system-out", "\n".join(notes))
        self._spool.write(_serialize(case))
        return ()

    def _aggregate_case(self, aggregate: AggregateResult, counts: _Counts) -> str:
        loc = aggregate.location
        case = ET.Element(
            "testcase",
            {
                "classname": _AGGREGATE_CLASS,
                "name": _xml_text(aggregate.clause),
                "file": _xml_text(loc.file),
                "line": str(loc.line),
            },
        )
        advisory = " (advisory)" if aggregate.advisory else ""
        lines = [
            f"{aggregate.kind} {aggregate.clause}"
            + ("" if aggregate.agreement is None else f' of "{aggregate.agreement}"')
            + f": {aggregate.verdict.value}{advisory}",
            f"  total {aggregate.total}, limit {aggregate.limit}",
            f"  {aggregate.message}",
        ]
        if aggregate.deadline is not None:
            lines.append(f"  deadline: {aggregate.deadline.isoformat()}")
        if aggregate.missing_quantity:
            lines.append("  missing quantity: " + ", ".join(aggregate.missing_quantity))
        if aggregate.unknown_scope:
            lines.append("  unknown scope: " + ", ".join(aggregate.unknown_scope))
        if aggregate.fix:
            lines.append(f"  fix: {aggregate.fix}")
        details = "\n".join(lines)
        summary = f"{aggregate.message} (total {aggregate.total}, limit {aggregate.limit})"
        counts.tests += 1
        verdict = aggregate.verdict
        if aggregate.advisory:
            _child(case, "system-out", details)  # a target: never a failure
        elif verdict is AggregateVerdict.VIOLATION:
            counts.failures += 1
            _child(case, "failure", details, type="violation", message=summary)
        elif verdict is AggregateVerdict.UNDETERMINED and self._fail_undetermined:
            counts.failures += 1
            _child(case, "failure", details, type="undetermined", message=summary)
        elif verdict is AggregateVerdict.UNDETERMINED:
            counts.skipped += 1
            _child(case, "skipped", details, message=f"undetermined: {summary}")
        else:
            _child(case, "system-out", details)
        return _serialize(case)

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterator[str]:
        if self._meta is None or self._spool is None:
            raise RuntimeError("renderer ended before it began")
        meta, spool, self._spool = self._meta, self._spool, None
        deployments = self._counts
        aggregate_counts = _Counts()
        aggregate_cases = [self._aggregate_case(a, aggregate_counts) for a in aggregates]
        total = _Counts()
        total.tests = deployments.tests + aggregate_counts.tests
        total.failures = deployments.failures + aggregate_counts.failures
        total.skipped = deployments.skipped + aggregate_counts.skipped

        properties = [("dealcheck_version", meta.version)]
        properties.append(("terms", meta.terms.path))
        properties.append(("terms_sha256", meta.terms.sha256))
        for scenario in meta.scenarios:
            properties.append(("scenario", scenario.path))
            properties.append(("scenario_sha256", scenario.sha256))
        properties.append(("as_of", "" if meta.as_of is None else meta.as_of.isoformat()))
        counts = full_summary(summary, aggregates)
        properties.append(("verdict", report_verdict(counts).value))
        properties.extend((f"summary.{key}", str(value)) for key, value in summary.items())
        properties.extend((f"summary.aggregates.{verdict}", str(n))
                          for verdict, n in counts["aggregates"].items())

        yield '<?xml version="1.0" encoding="utf-8"?>\n'
        yield f"<testsuites {total.attrs('dealcheck')}>\n"
        yield f"  <testsuite {deployments.attrs('deployments')}>\n"
        yield "    <properties>\n"
        for name, value in properties:
            yield f"      <property name={_attr(name)} value={_attr(value)} />\n"
        yield "    </properties>\n"
        yield from spool.drain()
        yield "  </testsuite>\n"
        yield f"  <testsuite {aggregate_counts.attrs('aggregates')}>\n"
        yield from aggregate_cases
        yield "  </testsuite>\n"
        yield "</testsuites>\n"


def iter_junit_chunks(
    meta: ReportMeta,
    deployments: Iterable[DeploymentResult],
    aggregates: AggregatesSource,
    *,
    fail_on: str = "violation",
) -> Iterator[str]:
    """Stream JUnit XML for deployments that arrive one at a time.

    Args:
        meta: the report header.
        deployments: results in report order; consumed once.
        aggregates: the aggregate results, or a callable returning them afterwards.
        fail_on: `violation` or `undetermined` (the CLI's `--fail-on`).

    Returns:
        Text chunks whose concatenation is the XML document.
    """
    return stream_report(JunitStreamRenderer(fail_on=fail_on), meta, deployments, aggregates)


def render_junit(
    report: Report, *, fail_on: str = "violation", version: str = __version__
) -> str:
    """The report as JUnit XML, for CI test dashboards.

    Args:
        report: the outcome of a check.
        fail_on: `violation` or `undetermined`; decides whether undetermined results are
            failures or skipped tests.
        version: the dealcheck version the report names.

    Returns:
        The XML text (UTF-8 declared), ending with a newline.
    """
    meta = ReportMeta.of(report, version)
    return "".join(iter_junit_chunks(meta, report.deployments, report.aggregates, fail_on=fail_on))
