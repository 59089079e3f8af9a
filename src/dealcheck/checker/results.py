"""What evaluation produces: verdicts, findings, aggregate results, the report.

Findings are cheap slotted objects; the pydantic models of the JSON report
live in `report.model` and are built only at the boundary.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from dealcheck._version import __version__
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
    #: A per-period aggregate: each period judged (`total` is then the last one's).
    periods: tuple[PeriodResult, ...] | None = None

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


def aggregate_counts(aggregates: Iterable[AggregateResult]) -> AggregateCounts:
    """Count aggregates by verdict (the report's `summary.aggregates`)."""
    counts = Counter(a.verdict for a in aggregates)
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
    deployments: list[DeploymentResult]
    aggregates: list[AggregateResult]

    def __eq__(self, other: object) -> bool:
        """Reports that say the same are equal, whichever holds them (`dealcheck.Report` too)."""
        if not isinstance(other, Report):
            return NotImplemented
        return ((self.terms, self.scenarios, self.as_of, self.deployments, self.aggregates)
                == (other.terms, other.scenarios, other.as_of, other.deployments,
                    other.aggregates))

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
        """The caps exceeded and the commitments missed."""
        return [a for a in self.aggregates if a.verdict is AggregateVerdict.VIOLATION]

    @property
    def undetermined(self) -> list[DeploymentResult]:
        return [d for d in self.deployments if d.verdict is Verdict.UNDETERMINED]


# --------------------------------------------------------------------------
# What a check gives its renderers as it goes (`checker.files.CheckRun`):
# the report's header, and rows already rendered by `--jobs` workers.


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a report says before its first deployment: the inputs, the evaluation date, and
    the dealcheck version the report names (the caller's; this package's by default)."""

    terms: SourceRef
    scenarios: tuple[SourceRef, ...]
    as_of: dt.date | None
    version: str = __version__

    @classmethod
    def of(cls, report: Report, version: str = __version__) -> ReportMeta:
        """The header of an in-memory report, naming dealcheck `version`."""
        return cls(terms=report.terms, scenarios=tuple(report.scenarios), as_of=report.as_of,
                   version=version)


@dataclass(frozen=True, slots=True)
class RenderedRows:
    """Deployments rendered where they were judged (`dealcheck check --jobs`), in order.

    `text` is what the renderer's own `deployment` steps would have written
    for them, each row preceded by its separator; the counts feed the summary.
    With `path`, the text is in that UTF-8 file instead (and `text` is empty),
    which must stay until the report is written.
    """

    text: str
    deployments: int
    compliant: int
    violation: int
    undetermined: int
    not_covered: int
    path: str | None = None


class RowsRenderer(Protocol):
    """Renders deployments as a format's streaming renderer would, in another process.

    Called with the results of a run of consecutive deployments and the
    number to add to their source lines; returns `RenderedRows.text`. The
    format's streaming renderer takes the text back with `rendered`.
    """

    def __call__(self, results: Sequence[DeploymentResult], line_shift: int) -> str: ...
