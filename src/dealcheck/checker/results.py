"""What evaluation produces: verdicts, findings, aggregate results, the report.

Findings are cheap slotted objects; the pydantic models of the JSON report
live in `checker.report_model` and are built only at the boundary.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class DeploymentResult:
    id: str
    verdict: Verdict
    evaluated_on: dt.date
    not_covered: bool
    findings: tuple[Finding, ...]
    source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AggregateResult:
    """A cap or commitment over the scenario's deployments."""

    clause: str
    kind: str                          # "cap" or "commitment"
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


@dataclass(frozen=True, slots=True)
class SourceRef:
    path: str
    sha256: str


@dataclass(slots=True)
class Report:
    """The outcome of one check: every deployment and every aggregate."""

    terms: SourceRef
    scenarios: list[SourceRef]
    as_of: dt.date | None
    deployments: list[DeploymentResult]
    aggregates: list[AggregateResult]

    def summary(self) -> dict[str, int]:
        counts = Counter(d.verdict for d in self.deployments)
        return {
            "deployments": len(self.deployments),
            "compliant": counts[Verdict.COMPLIANT],
            "violation": counts[Verdict.VIOLATION],
            "undetermined": counts[Verdict.UNDETERMINED],
            "not_covered": sum(1 for d in self.deployments if d.not_covered),
        }

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
        for a in self.aggregates:
            if a.clause == clause_id:
                return a
        raise KeyError(clause_id)

    @property
    def violations(self) -> list[DeploymentResult]:
        return [d for d in self.deployments if d.verdict is Verdict.VIOLATION]

    @property
    def undetermined(self) -> list[DeploymentResult]:
        return [d for d in self.deployments if d.verdict is Verdict.UNDETERMINED]

    def to_json(self) -> str:
        from dealcheck.checker.render_json import render_json

        return render_json(self)
