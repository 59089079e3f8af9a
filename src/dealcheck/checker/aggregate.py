"""Aggregates: caps and commitments summed over a scenario's deployments, streamed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from dealcheck.checker.compile import CompiledTerms, Plan
from dealcheck.checker.results import AggregateResult, AggregateVerdict
from dealcheck.rules import model as m
from dealcheck.rules.units import format_amount
from dealcheck.scenario.model import Deployment


@dataclass(slots=True)
class Tally:
    """The running sum of one aggregate clause (one version of it)."""

    plan: Plan
    rule: m.Aggregate
    known: Decimal = Decimal(0)
    possible: Decimal = Decimal(0)
    contributors: list[str] = field(default_factory=list)
    missing_quantity: list[str] = field(default_factory=list)
    unknown_scope: list[str] = field(default_factory=list)

    def add(self, d: Deployment) -> None:
        rule = self.rule
        if rule.window_from is not None and d.start < rule.window_from:
            return
        if rule.window_through is not None and d.start > rule.window_through:
            return
        if rule.deadline is not None and d.start > rule.deadline:
            return
        applies = self.plan.full_match(d)
        if applies is False:
            return
        quantity = getattr(d, rule.measure)
        known = quantity is not None and quantity.dimension == rule.limit.dimension
        if applies is True:
            self.contributors.append(d.id)
            if known:
                self.known += quantity.amount
            else:
                self.missing_quantity.append(d.id)
        else:
            self.unknown_scope.append(d.id)
            if known:
                self.possible += quantity.amount
            else:
                self.missing_quantity.append(d.id)


class AggregateBook:
    """Tallies for every aggregate clause; fed one deployment at a time."""

    def __init__(self, ct: CompiledTerms) -> None:
        self.ct = ct
        self.tallies = [Tally(plan, plan.clause.rule) for plan in ct.plans.values()  # type: ignore[arg-type]
                        if plan.clause.kind.is_aggregate]
        self.latest: dt.date | None = None

    def add(self, d: Deployment) -> None:
        if self.latest is None or d.start > self.latest:
            self.latest = d.start
        for tally in self.tallies:
            tally.add(d)

    def results(self, as_of: dt.date | None) -> list[AggregateResult]:
        """Verdicts on the evaluation date: `as_of`, else the latest deployment start."""
        day = as_of or self.latest or self.ct.terms.effective
        out: list[AggregateResult] = []
        for tally in self.tallies:
            if tally.plan.clause.in_force_on(day):
                out.append(judge(tally, day))
        return out


def judge(t: Tally, day: dt.date) -> AggregateResult:
    rule, clause = t.rule, t.plan.clause
    limit = rule.limit.amount
    dim = rule.limit.dimension
    unbounded = bool(t.missing_quantity)
    upper = t.known + t.possible
    total = format_amount(t.known, dim)
    limit_text = format_amount(limit, dim)
    lower = "at least " if unbounded or t.unknown_scope else ""
    if clause.kind is m.ClauseKind.CAP:
        if t.known > limit:
            verdict = AggregateVerdict.VIOLATION
            message = f"total {rule.measure} of {lower}{total} exceeds the cap of {limit_text}"
        elif unbounded or upper > limit:
            verdict = AggregateVerdict.UNDETERMINED
            message = (f"total {rule.measure} is at least {total} of a cap of {limit_text}; "
                       + _why_unknown(t))
        else:
            verdict = AggregateVerdict.COMPLIANT
            message = f"total {rule.measure} of {total} is within the cap of {limit_text}"
    else:
        could_reach = unbounded or upper >= limit
        due = f" by {rule.deadline.isoformat()}" if rule.deadline else ""
        if t.known >= limit:
            verdict = AggregateVerdict.COMPLIANT
            message = f"total {rule.measure} of {total} meets the commitment of {limit_text}{due}"
        elif rule.deadline is not None and day > rule.deadline:
            if could_reach:
                verdict = AggregateVerdict.UNDETERMINED
                message = (f"the commitment of {limit_text}{due} has passed with {lower}{total}; "
                           + _why_unknown(t))
            else:
                verdict = AggregateVerdict.VIOLATION
                message = f"the commitment of {limit_text}{due} was missed: {total} reached"
        elif could_reach:
            verdict = AggregateVerdict.UNDETERMINED
            message = f"{lower}{total} of {limit_text}{due} reached; " + _why_unknown(t)
        else:
            verdict = AggregateVerdict.OPEN
            message = (f"{total} of {limit_text} reached"
                       + (f"; due by {rule.deadline.isoformat()}" if rule.deadline
                          else "; no deadline"))
    return AggregateResult(
        clause=clause.id, kind=str(clause.kind), verdict=verdict, total=total,
        limit=limit_text, contributors=tuple(t.contributors), message=message,
        location=t.plan.location, evaluated_on=day, deadline=rule.deadline,
        missing_quantity=tuple(t.missing_quantity), unknown_scope=tuple(t.unknown_scope),
    )


def _why_unknown(t: Tally) -> str:
    parts = []
    if t.missing_quantity:
        parts.append(f"{len(t.missing_quantity)} deployment(s) lack `{t.rule.measure}`")
    if t.unknown_scope:
        parts.append(f"{len(t.unknown_scope)} may or may not count")
    return " and ".join(parts) if parts else "the total is not known"
