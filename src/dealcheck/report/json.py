"""Report → JSON text (`dealcheck schema report`): plain dicts, stable key order, streamable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring
from typing import TypeAlias

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    Finding,
    Location,
    Report,
    SourceRef,
    Summary,
    Verdict,
    full_summary,
    report_verdict,
)
from dealcheck.report.output import (
    DEFAULT_SPOOL_CHARS,
    AggregatesSource,
    PipedText,
    RenderedRows,
    ReportMeta,
    RowTexts,
    TextSpool,
    stream_report,
)
from dealcheck.scenario.model import SourceLocation

__all__ = [
    "JsonRows",
    "JsonStreamRenderer",
    "JsonValue",
    "aggregate_to_dict",
    "deployment_to_dict",
    "dumps",
    "finding_to_dict",
    "iter_json_chunks",
    "pretty",
    "projection_to_dict",
    "render_json",
    "report_to_dict",
    "summary_to_dict",
]

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"

# The indentation of one deployment object inside the top-level "deployments" array.
_ITEM_INDENT = "    "
# Deployment texts joined before each write to the spool.
_BATCH = 256


def dumps(value: JsonValue) -> str:
    """The one JSON formatting of dealcheck reports: 2-space indent, UTF-8 kept, newline-ended.

    Args:
        value: plain JSON data; key order is kept as built.

    Returns:
        The text.

    >>> dumps({"b": 1, "a": ["é"]})
    '{\\n  "b": 1,\\n  "a": [\\n    "é"\\n  ]\\n}\\n'
    """
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _write_pretty(value: JsonValue, indent: str, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(encode_basestring(key))
            out.append(": ")
            _write_pretty(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        separator = "[\n" + inner
        for item in value:
            out.append(separator)
            _write_pretty(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "]")
    else:  # floats and anything unforeseen: json's own rules
        out.append(json.dumps(value, ensure_ascii=False))


def pretty(value: JsonValue, indent: str = "") -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, about three times faster.

    `json` drops its C encoder whenever it indents; reports with a million deployments
    need the speed. Lines after the first are prefixed with `indent`, for nesting.

    Args:
        value: plain JSON data (`str` keys).
        indent: the indentation of the line the value starts on.

    Returns:
        The text, without a final newline.

    >>> pretty({"a": [1, True, None]})
    '{\\n  "a": [\\n    1,\\n    true,\\n    null\\n  ]\\n}'
    """
    out: list[str] = []
    _write_pretty(value, indent, out)
    return "".join(out)


def _location(location: Location | SourceLocation) -> dict[str, JsonValue]:
    return {"file": location.file, "line": location.line, "column": location.column}


def _source_ref(ref: SourceRef) -> dict[str, JsonValue]:
    return {"path": ref.path, "sha256": ref.sha256}


def finding_to_dict(finding: Finding) -> dict[str, JsonValue]:
    """One finding as it appears in the report (`advisory` only on a target's finding)."""
    out: dict[str, JsonValue] = {
        "clause": finding.clause,
        "outcome": finding.outcome.value,
        "message": finding.message,
        "location": _location(finding.location),
        "missing_facts": list(finding.missing_facts),
        "fix": finding.fix,
        "overridden_by": list(finding.overridden_by),
    }
    if finding.advisory:
        out["advisory"] = True
    if finding.agreement is not None:
        out["agreement"] = finding.agreement
    return out


def deployment_to_dict(result: DeploymentResult) -> dict[str, JsonValue]:
    """One deployment result as it appears in the report."""
    return {
        "id": result.id,
        "verdict": result.verdict.value,
        "evaluated_on": result.evaluated_on.isoformat(),
        "not_covered": result.not_covered,
        "findings": [finding_to_dict(f) for f in result.findings],
        "source": None if result.source is None else _location(result.source),
    }


def aggregate_to_dict(aggregate: AggregateResult) -> dict[str, JsonValue]:
    """One aggregate (cap, commitment or share) as it appears in the report."""
    # INVARIANT: the keys of the documented report come first, in their order; extensions follow.
    out: dict[str, JsonValue] = {
        "clause": aggregate.clause,
        "verdict": aggregate.verdict.value,
        "total": aggregate.total,
        "limit": aggregate.limit,
        "contributors": list(aggregate.contributors),
        "projected": projection_to_dict(aggregate),
        "kind": aggregate.kind,
        "message": aggregate.message,
        "location": _location(aggregate.location),
        "evaluated_on": aggregate.evaluated_on.isoformat(),
        "deadline": None if aggregate.deadline is None else aggregate.deadline.isoformat(),
        "window": {"first": _date(aggregate.window_from),
                   "last": _date(aggregate.window_through)},
        "missing_quantity": list(aggregate.missing_quantity),
        "unknown_scope": list(aggregate.unknown_scope),
    }
    if aggregate.fix is not None:  # a violation, or undetermined
        out["fix"] = aggregate.fix
    if aggregate.periods is not None:  # a per-period aggregate only
        out["periods"] = [{"first": p.first.isoformat(), "last": p.last.isoformat(),
                           "total": p.total, "verdict": p.verdict.value}
                          for p in aggregate.periods]
    if aggregate.advisory:
        out["advisory"] = True
    if aggregate.agreement is not None:
        out["agreement"] = aggregate.agreement
    return out


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def projection_to_dict(aggregate: AggregateResult) -> dict[str, JsonValue] | None:
    """An aggregate's `projected` object: over every deployment given, at the window's end."""
    p = aggregate.projected
    if p is None:
        return None
    return {"total": p.total, "verdict": p.verdict.value, "crossed_on": _date(p.crossed_on)}


def summary_to_dict(summary: Summary) -> dict[str, JsonValue]:
    """The report's `summary` object."""
    aggregates = summary["aggregates"]
    return {
        "deployments": summary["deployments"], "compliant": summary["compliant"],
        "violation": summary["violation"], "undetermined": summary["undetermined"],
        "not_covered": summary["not_covered"],
        "aggregates": {"compliant": aggregates["compliant"], "violation": aggregates["violation"],
                       "open": aggregates["open"], "undetermined": aggregates["undetermined"]},
    }


def _head_to_dict(meta: ReportMeta, summary: Summary) -> dict[str, JsonValue]:
    head: dict[str, JsonValue] = {
        "dealcheck_version": meta.version,
        "terms": _source_ref(meta.terms),
    }
    if meta.agreements:  # several agreements checked together; `terms` is the first
        head["agreements"] = [{"title": a.title, "path": a.path, "sha256": a.sha256}
                              for a in meta.agreements]
    head["scenarios"] = [_source_ref(s) for s in meta.scenarios]
    head["as_of"] = None if meta.as_of is None else meta.as_of.isoformat()
    if meta.facts:  # only when the check was given facts (`--fact`): others stay as they were
        head["facts"] = dict(meta.facts)
    head["verdict"] = report_verdict(summary).value
    head["summary"] = summary_to_dict(summary)
    return head


def report_to_dict(report: Report, *, version: str = __version__) -> dict[str, JsonValue]:
    """The whole report as plain JSON data (holds everything; `iter_json_chunks` streams).

    `version` is the dealcheck version the report names.
    """
    document = _head_to_dict(ReportMeta.of(report, version), report.summary())
    document["deployments"] = [deployment_to_dict(d) for d in report.deployments]
    document["aggregates"] = [aggregate_to_dict(a) for a in report.aggregates]
    return document


class DeploymentText:
    """`pretty(deployment_to_dict(result), indent)`, several times faster, for bulk reports.

    A check shares one findings tuple among all the deployments with the same
    outcome (see `checker.codegen`), so the text of the findings is made once
    per tuple and reused; the rest is a fixed template.
    """

    __slots__ = ("_dates", "_findings", "_indent", "_inner", "_sources", "_verdicts")

    #: Findings texts kept before the memo starts again.
    LIMIT = 4096

    def __init__(self, indent: str) -> None:
        self._indent = indent
        self._inner = indent + "  "
        # INVARIANT: each entry holds its tuple, so no other tuple can share its id().
        self._findings: dict[int, tuple[tuple[Finding, ...], str]] = {}
        # Texts that repeat from one deployment to the next: quoted verdicts,
        # dates, and each file's part of a source location.
        self._verdicts = {v: encode_basestring(v.value) for v in Verdict}
        self._dates: dict[dt.date, str] = {}
        self._sources: dict[str, str] = {}

    def __call__(self, result: DeploymentResult) -> str:
        """The text of `result`."""
        findings = result.findings
        if findings:
            found = self._findings.get(id(findings))
            if found is None:
                if len(self._findings) >= self.LIMIT:
                    self._findings.clear()
                text = pretty([finding_to_dict(f) for f in findings], self._inner)
                self._findings[id(findings)] = (findings, text)
            else:
                text = found[1]
        else:
            text = "[]"
        inner = self._inner
        source = result.source
        if source is None:
            where = "null"
        else:
            head = self._sources.get(source.file)
            if head is None:
                if len(self._sources) >= self.LIMIT:
                    self._sources.clear()
                head = self._sources[source.file] = (
                    f'{{\n{inner}  "file": {encode_basestring(source.file)},\n{inner}  "line": ')
            where = (f'{head}{int.__repr__(source.line)},\n{inner}  "column": '
                     f'{int.__repr__(source.column)}\n{inner}}}')
        day = result.evaluated_on
        date = self._dates.get(day)
        if date is None:
            if len(self._dates) >= self.LIMIT:
                self._dates.clear()
            date = self._dates[day] = encode_basestring(day.isoformat())
        return (f'{{\n{inner}"id": {encode_basestring(result.id)},\n'
                f'{inner}"verdict": {self._verdicts[result.verdict]},\n'
                f'{inner}"evaluated_on": {date},\n'
                f'{inner}"not_covered": {"true" if result.not_covered else "false"},\n'
                f'{inner}"findings": {text},\n'
                f'{inner}"source": {where}\n{self._indent}}}')


class JsonRows:
    """The deployment rows of a JSON report, for an engine that renders rows in bulk.

    A row is what `JsonStreamRenderer.deployment` writes for one result,
    after the comma that separates it from the one before (the renderer
    adds the comma where a run does not start the array).
    """

    __slots__ = ("_texts",)

    joiner = ","

    def __init__(self) -> None:
        text = DeploymentText(_ITEM_INDENT)
        self._texts = RowTexts(lambda result: "\n" + _ITEM_INDENT + text(result))

    def row(self, result: DeploymentResult) -> str:
        return self._texts(result)


class JsonStreamRenderer:
    """Streams the JSON report; the text equals `render_json` of the same report, byte for byte.

    The summary precedes the deployments in the document but is known only after the last
    one, so each deployment's text goes to a `TextSpool` (memory, then a temporary file) and
    the whole document is emitted by `end`. No result object is kept. Rows an engine wrote
    to files of their own (`RenderedRows.files`) stay there: `end` hands them on.
    """

    def __init__(self, *, spool_chars: int = DEFAULT_SPOOL_CHARS) -> None:
        self._spool_chars = spool_chars
        self._meta: ReportMeta | None = None
        self._spool: TextSpool | None = None
        # The body in order: spools, and rows held in an engine's files.
        self._parts: list[TextSpool | RenderedRows] = []
        self._count = 0
        self._pending: list[str] = []
        self._text = DeploymentText(_ITEM_INDENT)

    def begin(self, meta: ReportMeta) -> Iterable[str]:
        self._meta = meta
        self._spool = TextSpool(self._spool_chars)
        self._parts = [self._spool]
        self._count = 0
        self._pending = []
        return ()

    def deployment(self, result: DeploymentResult) -> Iterable[str]:
        if self._spool is None:
            raise RuntimeError("renderer got a deployment before it began")
        pending = self._pending
        pending.append(self._text(result))
        if len(pending) >= _BATCH:
            self._flush()
        return ()

    def rendered(self, rows: RenderedRows) -> Iterable[str]:
        """Take deployments that a `JsonRows` rendered, as `deployment` takes one."""
        if self._spool is None:
            raise RuntimeError("renderer got deployments before it began")
        if rows.deployments:
            self._flush()
            if not rows.files:
                self._spool.write(("," if self._count else "") + rows.text)
            else:
                if self._count:
                    self._spool.write(",")
                self._spool = TextSpool(self._spool_chars)
                self._parts += [rows, self._spool]
            self._count += rows.deployments
        return ()

    def _flush(self) -> None:
        """Write the pending deployments' texts to the spool, in one piece."""
        pending = self._pending
        if pending and self._spool is not None:
            separator = ",\n" + _ITEM_INDENT
            self._spool.write(("," if self._count else "") + "\n" + _ITEM_INDENT
                              + separator.join(pending))
            self._count += len(pending)
            pending.clear()

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterator[str | PipedText]:
        if self._meta is None or self._spool is None:
            raise RuntimeError("renderer ended before it began")
        self._flush()
        parts, self._spool, self._parts = self._parts, None, []
        head = json.dumps(_head_to_dict(self._meta, full_summary(summary, aggregates)),
                          ensure_ascii=False, indent=2)
        # INVARIANT: `head` ends with "\n}"; the document continues inside the same object.
        yield head[:-2] + ",\n"
        if self._count == 0:
            for part in parts:
                if isinstance(part, TextSpool):
                    part.close()
            yield '  "deployments": [],\n'
        else:
            yield '  "deployments": ['
            for part in parts:
                yield from part.drain() if isinstance(part, TextSpool) else part.pieces()
            yield "\n  ],\n"
        tail = json.dumps(
            {"aggregates": [aggregate_to_dict(a) for a in aggregates]}, ensure_ascii=False, indent=2
        )
        # INVARIANT: `tail` starts with "{\n"; its key belongs to the document's object.
        yield tail[2:] + "\n"


def iter_json_chunks(
    meta: ReportMeta,
    deployments: Iterable[DeploymentResult],
    aggregates: AggregatesSource,
    *,
    spool_chars: int = DEFAULT_SPOOL_CHARS,
) -> Iterator[str]:
    """Stream the JSON report of deployments that arrive one at a time.

    Args:
        meta: the report header (`ReportMeta.of(report)` for an in-memory report).
        deployments: results in report order; consumed once.
        aggregates: the aggregate results, or a callable returning them after the last
            deployment.
        spool_chars: how much deployment text to keep in memory before spilling to disk.

    Returns:
        Text chunks whose concatenation is the JSON document.
    """
    renderer = JsonStreamRenderer(spool_chars=spool_chars)
    return stream_report(renderer, meta, deployments, aggregates)


def render_json(report: Report, *, version: str = __version__) -> str:
    """The JSON report (`dealcheck schema report`): deterministic, byte-identical for equal reports.

    Args:
        report: the outcome of a check.
        version: the dealcheck version the report names.

    Returns:
        The JSON text, ending with a newline.
    """
    meta = ReportMeta.of(report, version)
    return "".join(iter_json_chunks(meta, report.deployments, report.aggregates))
