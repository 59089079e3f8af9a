"""What evaluation produces: verdicts, findings, aggregate results, the report.

Findings are cheap slotted objects; the pydantic models of the JSON report
live in `report.model` and are built only at the boundary.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from dealcheck._version import __version__
from dealcheck.io_text import PipedText
from dealcheck.scenario.model import SourceLocation


class Verdict(enum.StrEnum):
    COMPLIANT = "compliant"
    VIOLATION = "violation"
    UNDETERMINED = "undetermined"


class Outcome(enum.StrEnum):
    SATISFIED = "satisfied"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    OVERRIDDEN = "overridden"


class AggregateVerdict(enum.StrEnum):
    COMPLIANT = "compliant"
    VIOLATION = "violation"
    OPEN = "open"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, slots=True)
class Location:
    """A clause's place in the terms file."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Change:
    """One field or fact of a deployment set to one of `values` (any of them will do).

    For a number or a date, `values` are one value of each interval that
    works, and `text` states the intervals: ``budget <= 5M USD``.
    """

    name: str                        # "provider", "region", "value" or a fact
    values: tuple[object, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """One alternative of a finding's fix: all its changes together settle the clause."""

    changes: tuple[Change, ...]      # empty: the deployment must leave the clause's scope
    text: str                        # e.g. "have `consent = true` (`consented`)"
    permission: str | None = None    # the permission the changes make apply, if any


@dataclass(frozen=True, slots=True)
class Finding:
    """What one clause concluded about one deployment."""

    clause: str
    outcome: Outcome
    message: str
    location: Location
    missing_facts: tuple[str, ...] = ()
    fix: str | None = None
    overridden_by: tuple[str, ...] = ()
    #: The alternatives `fix` is written from (not part of equality: the JSON
    #: report carries `fix` only).
    fixes: tuple[Fix, ...] = field(default=(), compare=False)
    #: The clause is a target, not a promise (``clause ID advisory:``): the finding is
    #: reported apart and never changes the deployment's verdict.
    advisory: bool = False
    #: The title of the agreement whose clause this is, when several are checked together.
    agreement: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class DeploymentResult:
    """One deployment's verdict, `not_covered` flag and findings, judged on `evaluated_on`.

    Read-only by convention, not frozen: it is the one object a check builds
    per deployment, and a frozen dataclass's `__init__` (a call of
    ``object.__setattr__`` per field) took half the time of judging a
    deployment. Its findings are frozen and shared by every deployment with
    the same outcome. Equal results hash alike, as before (`source` aside).
    """

    id: str
    verdict: Verdict
    evaluated_on: dt.date
    not_covered: bool
    findings: tuple[Finding, ...]
    source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Projection:
    """An aggregate judged over every deployment given, at the end of its window.

    `crossed_on` is the start of the deployment with which the known total
    first exceeds a cap or reaches a commitment (None if it never does).
    """

    total: str
    verdict: AggregateVerdict
    crossed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """One period of a per-period cap or commitment: its starts, total and verdict."""

    first: dt.date
    last: dt.date
    total: str
    verdict: AggregateVerdict


@dataclass(frozen=True, slots=True)
class AggregateResult:
    """One version of a cap or commitment, judged over the scenario's deployments.

    Totals and limits are written exactly (every digit kept). `window_from` and
    `window_through` bound the starts of the deployments the version counts.
    """

    clause: str
    kind: str                          # "cap", "commitment" or "share"
    verdict: AggregateVerdict
    total: str                         # e.g. "38B USD"; a lower bound when `incomplete`
    limit: str
    contributors: tuple[str, ...]
    message: str
    location: Location
    evaluated_on: dt.date
    deadline: dt.date | None = None
    missing_quantity: tuple[str, ...] = ()   # contributors lacking the summed quantity
    unknown_scope: tuple[str, ...] = ()      # deployments that may or may not be in scope
    projected: Projection | None = None
    window_from: dt.date | None = None
    window_through: dt.date | None = None
    #: The clause is a target, not a promise: its verdict never changes the report's.
    advisory: bool = False
    #: The title of the agreement whose clause this is, when several are checked together.
    agreement: str | None = None
    #: A per-period aggregate: each period judged (`total` is then the last one's).
    periods: tuple[PeriodResult, ...] | None = None
    #: What would make a violated (or undetermined) aggregate comply, in the unit of the clause.
    fix: str | None = None

    def projection_text(self) -> str:
        """The projection in words, e.g. `violation with 7.7 GW; not reached` ('' if none)."""
        p = self.projected
        if p is None:
            return ""
        if self.kind == "share" or self.periods is not None:
            return f"{p.verdict.value} with {p.total}"
        cap = self.kind == "cap"
        if p.crossed_on is None and not cap and p.verdict is AggregateVerdict.COMPLIANT:
            return f"{p.verdict.value} with {p.total}"  # met beyond another's target
        if p.crossed_on is not None:
            crossed = ("exceeded on " if cap else "reached on ") + p.crossed_on.isoformat()
        else:
            crossed = "never exceeded" if cap else "not reached"
        return f"{p.verdict.value} with {p.total}; {crossed}"


@dataclass(frozen=True, slots=True)
class SourceRef:
    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class AgreementRef:
    """One of several agreements checked together: its title and its file."""

    title: str
    path: str
    sha256: str


class AggregateCounts(TypedDict):
    """How many aggregates have each verdict."""

    compliant: int
    violation: int
    open: int
    undetermined: int


class Summary(TypedDict):
    """The report's counts: deployments by verdict, then aggregates by verdict."""

    deployments: int
    compliant: int
    violation: int
    undetermined: int
    not_covered: int
    aggregates: AggregateCounts


def missed_target(item: Finding | AggregateResult) -> bool:
    """Whether an advisory finding or aggregate says its target is missed or undecided."""
    if not item.advisory:
        return False
    if isinstance(item, Finding):
        return item.outcome in (Outcome.VIOLATED, Outcome.UNKNOWN)
    return item.verdict in (AggregateVerdict.VIOLATION, AggregateVerdict.UNDETERMINED)


def aggregate_counts(aggregates: Iterable[AggregateResult]) -> AggregateCounts:
    """Count the binding aggregates by verdict (the report's `summary.aggregates`).

    Advisory aggregates (targets) are not counted: they never change the verdict.
    """
    counts = Counter(a.verdict for a in aggregates if not a.advisory)
    return {"compliant": counts[AggregateVerdict.COMPLIANT],
            "violation": counts[AggregateVerdict.VIOLATION],
            "open": counts[AggregateVerdict.OPEN],
            "undetermined": counts[AggregateVerdict.UNDETERMINED]}


def full_summary(deployments: Mapping[str, int],
                 aggregates: Iterable[AggregateResult]) -> Summary:
    """The summary of a report from its deployment counts and its aggregates.

    Args:
        deployments: the counts of `Report.summary()` without `aggregates`
            (as a streaming `SummaryCounter` gives them).
        aggregates: the report's aggregate results.
    """
    return {"deployments": deployments["deployments"], "compliant": deployments["compliant"],
            "violation": deployments["violation"], "undetermined": deployments["undetermined"],
            "not_covered": deployments["not_covered"],
            "aggregates": aggregate_counts(aggregates)}


def report_verdict(summary: Summary) -> Verdict:
    """The report verdict: the worst deployment or aggregate verdict.

    `violation` > `undetermined` > `compliant`; an `open` commitment counts as compliant.
    """
    aggregates = summary["aggregates"]
    if summary["violation"] or aggregates["violation"]:
        return Verdict.VIOLATION
    if summary["undetermined"] or aggregates["undetermined"]:
        return Verdict.UNDETERMINED
    return Verdict.COMPLIANT


_SEVERITY = {AggregateVerdict.VIOLATION: 3, AggregateVerdict.UNDETERMINED: 2,
             AggregateVerdict.OPEN: 1, AggregateVerdict.COMPLIANT: 0}


@dataclass(slots=True, eq=False)
class Report:
    """The outcome of one check: every deployment and every aggregate."""

    terms: SourceRef
    scenarios: list[SourceRef]
    as_of: dt.date | None
    deployments: Sequence[DeploymentResult]
    aggregates: list[AggregateResult]
    #: The facts of the whole check (``--fact``, ``facts=``), as the JSON report writes them.
    facts: dict[str, str | bool] = field(default_factory=dict)
    #: Every agreement checked, when there are several (`terms` is the first); else empty.
    agreements: list[AgreementRef] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        """Reports that say the same are equal, whichever holds them (`dealcheck.Report` too)."""
        if not isinstance(other, Report):
            return NotImplemented
        return ((self.terms, self.scenarios, self.as_of, self.deployments, self.aggregates,
                 self.facts, self.agreements)
                == (other.terms, other.scenarios, other.as_of, other.deployments,
                    other.aggregates, other.facts, other.agreements))

    def summary(self) -> Summary:
        """The counts of the JSON report's `summary`: deployments, then aggregates, by verdict."""
        counts = Counter(d.verdict for d in self.deployments)
        return {
            "deployments": len(self.deployments),
            "compliant": counts[Verdict.COMPLIANT],
            "violation": counts[Verdict.VIOLATION],
            "undetermined": counts[Verdict.UNDETERMINED],
            "not_covered": sum(1 for d in self.deployments if d.not_covered),
            "aggregates": aggregate_counts(self.aggregates),
        }

    @property
    def verdict(self) -> Verdict:
        """The report verdict: the worst of every deployment and every aggregate verdict.

        A cap exceeded makes it `violation` even when every deployment complies;
        an `open` commitment counts as compliant. The exit code of `dealcheck
        check` and every report format's header say the same.
        """
        return report_verdict(self.summary())

    def verdict_of(self, deployment_id: str) -> Verdict:
        for d in self.deployments:
            if d.id == deployment_id:
                return d.verdict
        raise KeyError(deployment_id)

    def result_of(self, deployment_id: str) -> DeploymentResult:
        for d in self.deployments:
            if d.id == deployment_id:
                return d
        raise KeyError(deployment_id)

    def aggregate(self, clause_id: str) -> AggregateResult:
        """The aggregate result of a clause; of several versions judged, the worst.

        Versions of a clause replaced by an amendment are each judged over their
        own window; the worst verdict (violation, undetermined, open, compliant)
        is returned, the latest version among equals.
        """
        found: AggregateResult | None = None
        for a in self.aggregates:
            if a.clause == clause_id and (
                    found is None or _SEVERITY[a.verdict] >= _SEVERITY[found.verdict]):
                found = a
        if found is None:
            raise KeyError(clause_id)
        return found

    @property
    def violations(self) -> list[DeploymentResult]:
        """The deployments whose verdict is `violation` (aggregates: `aggregate_violations`).

        An empty list does not mean the report passes: a cap can be exceeded by
        deployments that each comply. Read `verdict` for the whole report.
        """
        return [d for d in self.deployments if d.verdict is Verdict.VIOLATION]

    @property
    def aggregate_violations(self) -> list[AggregateResult]:
        """The caps exceeded and the commitments missed (advisory targets: `advisories`)."""
        return [a for a in self.aggregates
                if a.verdict is AggregateVerdict.VIOLATION and not a.advisory]

    @property
    def advisories(self) -> list[Finding | AggregateResult]:
        """The advisory targets missed or undecided: findings of deployments, then aggregates.

        They never change `verdict` (``clause ID advisory:``).
        """
        found: list[Finding | AggregateResult] = [
            f for d in self.deployments for f in d.findings if missed_target(f)]
        found.extend(a for a in self.aggregates if missed_target(a))
        return found

    @property
    def undetermined(self) -> list[DeploymentResult]:
        return [d for d in self.deployments if d.verdict is Verdict.UNDETERMINED]


# --------------------------------------------------------------------------
# What a check gives its renderers as it goes (`checker.files.CheckRun`):
# the report's header, and rows already rendered by an engine.


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a report says before its first deployment: the inputs, the evaluation date, and
    the dealcheck version the report names (the caller's; this package's by default)."""

    terms: SourceRef
    scenarios: tuple[SourceRef, ...]
    as_of: dt.date | None
    version: str = __version__
    #: The facts of the whole check (``--fact``), as the JSON report writes them.
    facts: Mapping[str, str | bool] = field(default_factory=dict)
    #: Every agreement checked, when there are several; else empty.
    agreements: tuple[AgreementRef, ...] = ()

    @classmethod
    def of(cls, report: Report, version: str = __version__) -> ReportMeta:
        """The header of an in-memory report, naming dealcheck `version`."""
        return cls(terms=report.terms, scenarios=tuple(report.scenarios), as_of=report.as_of,
                   version=version, facts=report.facts, agreements=tuple(report.agreements))


@dataclass(frozen=True, slots=True)
class RenderedRows:
    """Deployments an engine rendered in bulk (`dealcheck.engines.duckdb`), in input order.

    Their text is what the renderer's own `deployment` steps would have
    written for them: each row's `RowsRenderer.row`, joined by
    `RowsRenderer.joiner`; the counts feed the summary. It is `text`, then
    the bytes of each of `files` in turn (UTF-8), which the engine writes when
    a writer takes them, until the check ends: `pieces` gives it all.
    """

    text: str
    deployments: int
    compliant: int
    violation: int
    undetermined: int
    not_covered: int
    files: tuple[PipedText, ...] = ()

    def pieces(self) -> Iterator[str | PipedText]:
        """The rows' text, in pieces: `text`, then `files`.

        A writer copies their bytes, or writes their text (`io_text.write_chunk`).
        """
        if self.text:
            yield self.text
        yield from self.files


class RowsRenderer(Protocol):
    """How a format writes one deployment's row, for an engine that writes rows in bulk.

    `row(result)` is the text the format's streaming renderer writes for
    `result` (with what precedes it: a JSON report's line break and indent);
    an engine renders it once per distinct outcome, with stand-ins for the
    id, the date and the line, and fills them in for every row. The rows of
    a run are joined by `joiner` into `RenderedRows.text`, which the format's
    streaming renderer takes back with `rendered`.
    """

    joiner: str

    def row(self, result: DeploymentResult) -> str: ...
