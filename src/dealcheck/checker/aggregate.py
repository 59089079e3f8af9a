"""Aggregates: caps and commitments summed over a scenario's deployments, streamed."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from dealcheck.checker.compile import CompiledTerms, Plan, in_static_scope, share_sides
from dealcheck.checker.periods import period_start
from dealcheck.checker.results import AggregateResult, AggregateVerdict, Projection
from dealcheck.rules import model as m
from dealcheck.rules.units import UnitTable, format_amount
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    from dealcheck.checker.codegen import DictObserver
    from dealcheck.scenario.columns import DictBatch


@dataclass(slots=True)
class Sums:
    """A running total: what certainly counts, what may, and who counts how."""

    known: Decimal = Decimal(0)
    possible: Decimal = Decimal(0)
    contributors: list[str] = field(default_factory=list)
    missing_quantity: list[str] = field(default_factory=list)
    unknown_scope: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Tally:
    """What one version of an aggregate clause has seen, fed in input order.

    The version counts the deployments that start inside its own window:
    from `first` (the later of the day the version takes effect and the
    clause's `starting from`) through `last` (the earliest of the day it stops
    being in force, `through` and a commitment's deadline; None: open-ended).
    `now` sums those started by `cutoff` (all of them when None), `every`
    sums all of them for the projection, and `by_day` the known amounts that
    certainly count, per start, for `crossed_on`. Memory grows with the
    contributors (as the report lists them) and the distinct start dates.
    """

    plan: Plan
    rule: m.Aggregate
    cutoff: dt.date | None = None
    first: dt.date = dt.date.min
    last: dt.date | None = None
    now: Sums = field(default_factory=Sums)
    every: Sums = field(default_factory=Sums)
    by_day: dict[dt.date, Decimal] = field(default_factory=dict)
    #: Observe with `observe_reference`, not the generated observer (`CompiledTerms.reference`).
    reference: bool = False
    #: The unit of the limit, named with a missing quantity when the terms have
    #: other units of its kind (a quantity in one of those counts as missing).
    unit: str = ""
    #: Each deployment's amount, in input order, when kept (the whole of a share).
    amounts: dict[str, Decimal | None] | None = None
    #: A per-period aggregate: the first day of each period -> its `now` and `every` sums.
    by_period: dict[dt.date, tuple[Sums, Sums]] | None = None

    def __post_init__(self) -> None:
        clause, rule = self.plan.clause, self.rule
        self.first = max(clause.in_force_from, rule.window_from or dt.date.min)
        ends = [d for d in (clause.in_force_through, rule.window_through, rule.deadline)
                if d is not None]
        self.last = min(ends) if ends else None
        if self.cutoff is None:
            self.now = self.every  # INVARIANT: one total serves both
        if self.rule.period is not None:
            self.by_period = {}

    def counts_on(self, start: dt.date) -> bool:
        """Whether a deployment starting on `start` falls inside the version's window."""
        return self.first <= start and (self.last is None or start <= self.last)

    def observe(self, d: Deployment) -> Sighting | None:
        """How `d` counts towards this aggregate, or None when it does not count."""
        if not self.counts_on(d.start):
            return None
        if self.reference:
            return self.observe_reference(d)
        return self.plan.tests.observer(d)

    def observe_reference(self, d: Deployment) -> Sighting | None:
        """`observe`, interpreted from the clause: the definition the observer is compiled from."""
        if not self.counts_on(d.start):
            return None
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
        return applies is True, rule.amount_of(d)

    def record(self, ident: str, start: dt.date, certain: bool, amount: Decimal | None) -> None:
        """Count a deployment that `observe` saw, in input order."""
        if certain and amount is not None:
            self.by_day[start] = self.by_day.get(start, Decimal(0)) + amount
        if self.amounts is not None:
            self.amounts[ident] = amount
        if self.by_period is not None:
            self._record_period(ident, start, certain, amount)
        _count(self.every, ident, certain, amount)
        if self.cutoff is not None and start <= self.cutoff:
            _count(self.now, ident, certain, amount)

    def _record_period(self, ident: str, start: dt.date, certain: bool,
                       amount: Decimal | None) -> None:
        assert self.by_period is not None and self.rule.period is not None
        key = period_start(self.rule.period, self.first, start)
        found = self.by_period.get(key)
        if found is None:
            every = Sums()
            found = self.by_period[key] = (every if self.cutoff is None else Sums(), every)
        _count(found[1], ident, certain, amount)
        if self.cutoff is not None and start <= self.cutoff:
            _count(found[0], ident, certain, amount)

    def add(self, d: Deployment) -> None:
        seen = self.observe(d)
        if seen is not None:
            self.record(d.id, d.start, *seen)


def _count(sums: Sums, ident: str, certain: bool, amount: Decimal | None) -> None:
    if certain:
        sums.contributors.append(ident)
        if amount is not None:
            sums.known += amount
        else:
            sums.missing_quantity.append(ident)
    else:
        sums.unknown_scope.append(ident)
        if amount is not None:
            sums.possible += amount
        else:
            sums.missing_quantity.append(ident)


#: Whether a deployment certainly counts (else it may), and its quantity if known.
Sighting = tuple[bool, Decimal | None]
#: A compiled `Tally.observe`.
Observer = Callable[[Deployment], Sighting | None]
#: A tally as `AggregateBook.add_dicts` reads it: its window, the observer of dicts (if
#: any), its observer, the tally itself.
_Watch = tuple[dt.date, "dt.date | None", "DictObserver | None", Observer, "Tally"]


class AggregateBook:
    """Tallies for every version of every aggregate clause; fed one deployment at a time.

    Each deployment is shown only to the tallies whose party and workload
    sets admit it, and whose window holds its start.

    Args:
        ct: the compiled terms.
        as_of: the check's `--as-of` date: totals count the deployments started
            by then. None: the deployments given are the whole plan.
    """

    def __init__(self, ct: CompiledTerms, as_of: dt.date | None = None) -> None:
        self.ct = ct
        self.as_of = as_of
        reference = ct.reference
        self.tallies: list[Tally] = []
        #: A share's whole (its position in `tallies`) -> its part's (just before it), its rule.
        self.shares: dict[int, tuple[int, m.Aggregate]] = {}
        units = ct.terms.vocabulary.units
        for plan in ct.plans.values():
            if not plan.clause.kind.is_aggregate:
                continue
            sides = ((plan,) if plan.clause.kind is not m.ClauseKind.SHARE
                     else share_sides(plan, ct.operators))
            if len(sides) == 2:
                self.shares[len(self.tallies) + 1] = (len(self.tallies),
                                                      plan.clause.rule)  # type: ignore[assignment]
            self.tallies.extend(Tally(side, side.clause.rule, as_of,  # type: ignore[arg-type]
                                      reference=reference,
                                      unit=_unit_named(units, side.clause.rule),  # type: ignore[arg-type]
                                      amounts={} if side is sides[-1] and len(sides) == 2
                                      else None)
                                for side in sides)
        #: ``in addition to``: a tally's position -> the positions of its target's versions.
        self.additions: dict[int, list[int]] = {}
        for i, tally in enumerate(self.tallies):
            target = tally.rule.in_addition_to
            if target is not None and tally.plan.clause.kind is m.ClauseKind.COMMITMENT:
                self.additions[i] = [j for j, other in enumerate(self.tallies)
                                     if other.plan.clause.id == target]
                for j in (i, *self.additions[i]):
                    self.tallies[j].amounts = self.tallies[j].amounts or {}
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
            self.tallies[i].record(ident, start, certain, amount)

    def add(self, d: Deployment) -> None:
        start = d.start
        latest = self.latest
        if latest is None or start > latest:
            self.latest = start
        row = self._tallies_by_key.get(d.party)
        found = None if row is None else row.get(d.workload)
        if found is None:
            found = self._observers(d.party, d.workload)
        for observe, tally in found:
            if start < tally.first or (tally.last is not None and start > tally.last):
                continue
            seen = observe(d)
            if seen is not None:
                tally.record(d.id, start, seen[0], seen[1])

    def add_dicts(self, batch: DictBatch) -> None:
        """`add` each deployment of a batch of plain dicts, in order (`checker.batch`).

        A deployment's row is made only when its start falls in a tally's window.
        """
        if not batch.starts:
            return
        top = max(batch.days)
        if self.latest is None or top > self.latest:
            self.latest = top
        row_of = batch.row
        # Only the deployments that start in some tally's window (chosen in C, each
        # distinct start tested once).
        first = min(t.first for t in self.tallies)
        lasts = [t.last for t in self.tallies]
        last = None if None in lasts else max(cast(list[dt.date], lasts))
        inside = {day: first <= day and (last is None or day <= last) for day in batch.days}
        pairs = zip(batch.items, batch.starts, strict=True)
        chosen = map(inside.__getitem__, batch.starts)
        # Per key, each tally's window and observer: one that reads the dicts themselves
        # (no row made) unless its clause has a condition.
        watch: dict[str, dict[str, tuple[_Watch, ...]]] = {}
        memos = batch.memos
        for d, start in itertools.compress(pairs, chosen):
            try:
                found = watch[d["party"]][d["workload"]]
            except KeyError:
                found = watch.setdefault(d["party"], {})[d["workload"]] = self._watch(
                    d["party"], d["workload"])
            made = None
            for since, through, direct, observe, tally in found:
                if start < since or (through is not None and start > through):
                    continue
                if direct is not None:
                    seen = direct(d, start, memos)
                else:
                    made = made or row_of(d, start)
                    seen = observe(made)  # type: ignore[arg-type]
                if seen is not None:
                    tally.record(d["id"], start, seen[0], seen[1])

    def edges(self) -> list[dt.date]:
        """The days on which the set of tallies whose window holds a start changes, in order.

        Two starts between the same two edges count towards the same tallies.
        """
        days = {t.first for t in self.tallies}
        days.update(t.last + dt.timedelta(days=1) for t in self.tallies
                    if t.last is not None and t.last < dt.date.max)
        return sorted(days)

    def watching(self, party: str, workload: str,
                 start: dt.date) -> tuple[tuple[DictObserver | None, Observer, Tally], ...]:
        """The tallies a deployment of the key starting on `start` may count towards.

        Each with its observer of dicts (None: it reads the row) and its observer.
        """
        return tuple((direct, observe, tally)
                     for since, through, direct, observe, tally in self._watch(party, workload)
                     if since <= start and (through is None or start <= through))

    def _watch(self, party: str, workload: str) -> tuple[_Watch, ...]:
        """`add_dicts`' view of the tallies of a key: window, dict observer, observer, tally."""
        return tuple((tally.first, tally.last,
                      None if tally.reference else tally.plan.tests.dict_observer, observe, tally)
                     for observe, tally in self._observers(party, workload))

    def _observers(self, party: str, workload: str) -> tuple[tuple[Observer, Tally], ...]:
        found = self._tallies_by_key.setdefault(party, {})[workload] = tuple(
            (_observer(self.tallies[i]), self.tallies[i]) for i in self.relevant(party, workload))
        return found

    def _target(self, index: int, day: dt.date) -> Tally:
        return _target_of(self.tallies, self.additions[index], day)

    def results(self) -> list[AggregateResult]:
        """Every version of every aggregate clause judged, in the order of the terms.

        With `as_of`, each version that has taken effect by then is judged on
        that date (a version no longer in force, on its last day in force),
        counting only the deployments started by then. Without it, the
        deployments given are the whole plan: each version is judged as
        projected, at the end of its window.
        """
        as_of = self.as_of
        out: list[AggregateResult] = []
        parts = {part for part, _ in self.shares.values()}
        for index, tally in enumerate(self.tallies):
            if index in parts:
                continue  # judged with its whole
            clause = tally.plan.clause
            through = clause.in_force_through
            if through is not None and through < clause.in_force_from:
                continue  # never in force
            if as_of is not None and clause.in_force_from > as_of:
                continue  # not in effect yet
            projection, end, closed = project(tally, self.latest)
            day = end if as_of is None else as_of if through is None or as_of <= through \
                else through
            share = self.shares.get(index)
            if share is not None:
                from dealcheck.checker.shares import judge_share

                out.append(judge_share(share[1], self.tallies[share[0]], tally, day))
            elif self.additions.get(index):
                from dealcheck.checker.additions import judge_addition

                out.append(judge_addition(tally, self._target(index, day), day,
                                          closed if as_of is None else _closed(tally, as_of)))
            elif tally.rule.period is not None:
                from dealcheck.checker.period_totals import judge_periods

                out.append(judge_periods(tally, day, as_of is None, self.latest))
            elif as_of is None:
                out.append(judge(tally, end, closed, projection))
            else:
                out.append(judge(tally, day, _closed(tally, as_of), projection))
        return out


def _unit_named(units: UnitTable, rule: m.Aggregate) -> str:
    """The unit of an aggregate's limit when another unit of its kind could not be added to it.

    Amounts in EUR are never added to a limit in USD, nor TPUs to one in GPUs:
    a deployment that gives its quantity in another unit counts as one whose
    quantity is missing, and the message says in which unit it is wanted.
    """
    dimension = rule.limit.dimension
    if len(units.of_kinds((units.kind_of(dimension),))) < 2:
        return ""
    return units.unit_of(dimension)


def _target_of(tallies: list[Tally], positions: list[int], day: dt.date) -> Tally:
    """The version of an `in addition to` target in force on `day` (else its first)."""
    started = [tallies[j] for j in positions if tallies[j].plan.clause.in_force_from <= day]
    if not started:
        return tallies[positions[0]]
    return max(started, key=lambda t: t.plan.clause.in_force_from)



def _observer(tally: Tally) -> Observer:
    """The tally's observer: generated, or its reference when the switch says so."""
    return tally.observe_reference if tally.reference else tally.plan.tests.observer


def _closed(t: Tally, day: dt.date) -> bool:
    """Whether a commitment's deadline has passed on `day` while the version binds."""
    deadline, through = t.rule.deadline, t.plan.clause.in_force_through
    return (deadline is not None and day > deadline
            and (through is None or through >= deadline))


def project(t: Tally, latest: dt.date | None) -> tuple[Projection, dt.date, bool]:
    """The version judged over every deployment given, at the end of its window.

    Returns:
        The projection; the day it is judged on (the deadline of a commitment
        that binds until then, else the window's last day, else the latest
        start seen); and whether a commitment's deadline has passed by then.
    """
    deadline, through = t.rule.deadline, t.plan.clause.in_force_through
    closed = deadline is not None and (through is None or through >= deadline)
    if closed and deadline is not None:
        day = deadline
    elif t.last is not None:
        day = t.last
    else:
        day = latest if latest is not None and latest > t.first else t.first
    verdict, _ = _verdict(t, t.every, closed)
    projection = Projection(total=format_amount(t.every.known, t.rule.limit.dimension, exact=True),
                            verdict=verdict, crossed_on=_crossed_on(t))
    return projection, day, closed


def _crossed_on(t: Tally) -> dt.date | None:
    """The start on which the known total first exceeds the cap or reaches the commitment."""
    rule = t.rule
    crosses = rule.breaks_cap if t.plan.clause.kind is m.ClauseKind.CAP else rule.meets
    total = Decimal(0)
    for day in sorted(t.by_day):
        total += t.by_day[day]
        if crosses(total):
            return day
    return None


def _verdict(t: Tally, sums: Sums, closed: bool) -> tuple[AggregateVerdict, str]:
    """The verdict on a total, and the message that explains it.

    Totals and limits are written exactly, so that the comparison shows.
    """
    rule, clause = t.rule, t.plan.clause
    limit = rule.limit.amount
    dim = rule.limit.dimension
    unbounded = bool(sums.missing_quantity)
    upper = sums.known + sums.possible
    total = format_amount(sums.known, dim, exact=True)
    limit_text = format_amount(limit, dim, exact=True)
    lower = "at least " if unbounded or sums.unknown_scope else ""
    what = "number of deployments" if rule.counted else f"total {rule.measure}"
    if clause.kind is m.ClauseKind.CAP:
        cap = f"cap of less than {limit_text}" if rule.strict else f"cap of {limit_text}"
        if rule.breaks_cap(sums.known):
            breaks = "breaks" if rule.strict else "exceeds"
            return (AggregateVerdict.VIOLATION, f"{what} of {lower}{total} {breaks} the {cap}")
        if unbounded or rule.breaks_cap(upper):
            return (AggregateVerdict.UNDETERMINED,
                    f"{what} is at least {total} of a {cap}; " + _why_unknown(t, sums))
        return (AggregateVerdict.COMPLIANT, f"{what} of {total} is within the {cap}")
    could_reach = unbounded or rule.meets(upper)
    due = f" by {rule.deadline.isoformat()}" if rule.deadline else ""
    if rule.strict:
        limit_text = f"more than {limit_text}"
    if rule.meets(sums.known):
        return (AggregateVerdict.COMPLIANT,
                f"{what} of {total} meets the commitment of {limit_text}{due}")
    if closed:
        if could_reach:
            return (AggregateVerdict.UNDETERMINED,
                    f"the commitment of {limit_text}{due} has passed with {lower}{total}; "
                    + _why_unknown(t, sums))
        return (AggregateVerdict.VIOLATION,
                f"the commitment of {limit_text}{due} was missed: {total} reached")
    if could_reach:
        return (AggregateVerdict.UNDETERMINED,
                f"{lower}{total} of {limit_text}{due} reached; " + _why_unknown(t, sums))
    return (AggregateVerdict.OPEN,
            f"{total} of {limit_text} reached"
            + (f"; due by {rule.deadline.isoformat()}" if rule.deadline else "; no deadline"))


def judge(t: Tally, day: dt.date, closed: bool, projection: Projection) -> AggregateResult:
    """One version judged on `day`, on the deployments the tally counted by its cutoff.

    Args:
        t: the version's tally.
        day: the evaluation date reported.
        closed: whether a commitment's deadline has passed (unmet is then a violation).
        projection: the version judged over every deployment given.
    """
    rule, clause, sums = t.rule, t.plan.clause, t.now
    verdict, message = _verdict(t, sums, closed)
    dim = rule.limit.dimension
    return AggregateResult(
        fix=violation_fix(t, sums) if verdict in UNSETTLED else None,
        clause=clause.id, kind=str(clause.kind), verdict=verdict,
        total=format_amount(sums.known, dim, exact=True),
        limit=format_amount(rule.limit.amount, dim, exact=True),
        contributors=tuple(sums.contributors), message=message, location=t.plan.location,
        evaluated_on=day, deadline=rule.deadline,
        missing_quantity=tuple(sums.missing_quantity), unknown_scope=tuple(sums.unknown_scope),
        projected=projection, window_from=t.first, window_through=t.last,
        advisory=clause.advisory,
    )


#: The verdicts of an aggregate that a fix settles.
UNSETTLED = frozenset({AggregateVerdict.VIOLATION, AggregateVerdict.UNDETERMINED})


def violation_fix(t: Tally, sums: Sums, within: str = "",
                  besides: tuple[str, Decimal, Decimal] | None = None) -> str | None:
    """The fix of a cap or commitment violated, or undetermined, with these sums (see
    `aggregate_fixes`)."""
    from dealcheck.checker.aggregate_fixes import cap_fix, commitment_fix

    if t.plan.clause.kind is m.ClauseKind.CAP:
        return cap_fix(t.rule, sums.known + sums.possible, within,
                       len(sums.missing_quantity))
    return commitment_fix(t.rule, sums.known, within, besides)


def _why_unknown(t: Tally, sums: Sums) -> str:
    parts = []
    if sums.missing_quantity:
        unit = f" in {t.unit}" if t.unit else ""
        parts.append(f"{len(sums.missing_quantity)} deployment(s) lack `{t.rule.measure}`{unit}")
    if sums.unknown_scope:
        parts.append(f"{len(sums.unknown_scope)} may or may not count")
    return " and ".join(parts) if parts else "the total is not known"
