"""Aggregates: caps and commitments summed over a scenario's deployments, streamed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from dealcheck.checker.compile import CompiledTerms, Plan, in_static_scope
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

    def observe(self, d: Deployment) -> Sighting | None:
        """How `d` counts towards this aggregate, or None when it does not count."""
        return self.plan.tests.observer(d)

    def observe_reference(self, d: Deployment) -> Sighting | None:
        """`observe`, interpreted from the clause: the definition the observer is compiled from."""
        rule = self.rule
        if rule.window_from is not None and d.start < rule.window_from:
            return None
        if rule.window_through is not None and d.start > rule.window_through:
            return None
        if rule.deadline is not None and d.start > rule.deadline:
            return None
        applies = self.plan.full_match(d)
        if applies is False:
            return None
        quantity = getattr(d, rule.measure)
        known = quantity is not None and quantity.dimension == rule.limit.dimension
        return applies is True, quantity.amount if known else None

    def record(self, ident: str, certain: bool, amount: Decimal | None) -> None:
        """Count a deployment that `observe` saw, in input order."""
        if certain:
            self.contributors.append(ident)
            if amount is not None:
                self.known += amount
            else:
                self.missing_quantity.append(ident)
        else:
            self.unknown_scope.append(ident)
            if amount is not None:
                self.possible += amount
            else:
                self.missing_quantity.append(ident)

    def add(self, d: Deployment) -> None:
        seen = self.observe(d)
        if seen is not None:
            self.record(d.id, *seen)


#: Whether a deployment certainly counts (else it may), and its quantity if known.
Sighting = tuple[bool, Decimal | None]
#: A compiled `Tally.observe`.
Observer = Callable[[Deployment], Sighting | None]


class AggregateBook:
    """Tallies for every aggregate clause; fed one deployment at a time.

    Each deployment is shown only to the tallies whose party and workload
    sets admit it.
    """

    def __init__(self, ct: CompiledTerms) -> None:
        self.ct = ct
        self.tallies = [Tally(plan, plan.clause.rule) for plan in ct.plans.values()  # type: ignore[arg-type]
                        if plan.clause.kind.is_aggregate]
        self.latest: dt.date | None = None
        self._by_key: dict[str, dict[str, tuple[int, ...]]] = {}
        self._tallies_by_key: dict[str, dict[str, tuple[tuple[Observer, Tally], ...]]] = {}

    def relevant(self, party: str, workload: str) -> tuple[int, ...]:
        """The positions in `tallies` of those a deployment of the key may count towards."""
        row = self._by_key.get(party)
        if row is None:
            row = self._by_key[party] = {}
        found = row.get(workload)
        if found is None:
            found = row[workload] = tuple(
                i for i, t in enumerate(self.tallies)
                if in_static_scope(t.plan.clause.scope, party, workload))
        return found

    def observe(self, d: Deployment) -> list[tuple[int, bool, Decimal | None]]:
        """What `d` adds to each tally, without adding it (see `replay`)."""
        out: list[tuple[int, bool, Decimal | None]] = []
        for i in self.relevant(d.party, d.workload):
            seen = self.tallies[i].observe(d)
            if seen is not None:
                out.append((i, *seen))
        return out

    def replay(self, ident: str, start: dt.date,
               sightings: list[tuple[int, bool, Decimal | None]]) -> None:
        """Add what `observe` saw of one deployment (in another process, perhaps)."""
        if self.latest is None or start > self.latest:
            self.latest = start
        for i, certain, amount in sightings:
            self.tallies[i].record(ident, certain, amount)

    def add(self, d: Deployment) -> None:
        start = d.start
        latest = self.latest
        if latest is None or start > latest:
            self.latest = start
        row = self._tallies_by_key.get(d.party)
        found = None if row is None else row.get(d.workload)
        if found is None:
            found = self._tallies_by_key.setdefault(d.party, {})[d.workload] = tuple(
                (self.tallies[i].plan.tests.observer, self.tallies[i])
                for i in self.relevant(d.party, d.workload))
        for observe, tally in found:
            seen = observe(d)
            if seen is not None:
                tally.record(d.id, seen[0], seen[1])

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
