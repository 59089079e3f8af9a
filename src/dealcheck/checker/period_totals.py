"""Per-period caps and commitments: a limit for each calendar year, quarter or contract year.

Each period counts the deployments that start in it (within the version's
window). A cap is judged in every period, the current one included: a cap
is broken the day a period's total exceeds it. A commitment is judged for
each period that has ended by the evaluation date (a period ends after its
last day); the current period is `open` while unmet. Without an evaluation
date the deployments given are the whole plan: every period through the
window's end has ended, and an open-ended window's current period is the
one holding the latest start. The verdict is the worst of the periods'
(`violation` > `undetermined` > `open` > `compliant`), and the message names
each period that breaks the limit or could.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dealcheck.checker.aggregate import UNSETTLED, Sums, Tally, _verdict, violation_fix
from dealcheck.checker.aggregate_fixes import period_within
from dealcheck.checker.periods import label, period_start, spans
from dealcheck.checker.results import AggregateResult, AggregateVerdict, PeriodResult, Projection
from dealcheck.rules import model as m
from dealcheck.rules.units import format_amount

_RANK = {AggregateVerdict.COMPLIANT: 0, AggregateVerdict.OPEN: 1,
         AggregateVerdict.UNDETERMINED: 2, AggregateVerdict.VIOLATION: 3}
_EMPTY = Sums()


def _judged(t: Tally, day: dt.date, whole_plan: bool,
            now: bool) -> list[tuple[PeriodResult, Sums]]:
    """Each period from the version's first through `day`, judged on its own sums."""
    kind = t.rule.period
    assert kind is not None and t.by_period is not None  # INVARIANT: per-period only
    through = day if t.last is None else min(day, t.last)
    # A period has ended once its last day has passed; a whole plan has ended with its window.
    ended = dt.date.max if whole_plan and t.last is not None else day
    dim = t.rule.limit.dimension
    out: list[tuple[PeriodResult, Sums]] = []
    for first, last in spans(kind, t.first, through):
        found = t.by_period.get(period_start(kind, t.first, first))
        sums = _EMPTY if found is None else found[0 if now else 1]
        verdict, _ = _verdict(t, sums, last < ended)
        out.append((PeriodResult(first, last, format_amount(sums.known, dim, exact=True),
                                 verdict), sums))
    return out


def _overall(periods: list[tuple[PeriodResult, Sums]], cap: bool) -> AggregateVerdict:
    if not periods:
        return AggregateVerdict.COMPLIANT if cap else AggregateVerdict.OPEN
    return max((p.verdict for p, _ in periods), key=_RANK.__getitem__)


def _message(t: Tally, periods: list[tuple[PeriodResult, Sums]], verdict: AggregateVerdict,
             cap: bool) -> str:
    rule = t.rule
    kind = rule.period
    assert kind is not None
    what = "number of deployments" if rule.counted else f"total {rule.measure}"
    limit = format_amount(rule.limit.amount, rule.limit.dimension, exact=True)
    if rule.strict:
        limit = f"less than {limit}" if cap else f"more than {limit}"
    bound = f"the cap of {limit}" if cap else f"the commitment of {limit}"

    def named(wanted: AggregateVerdict) -> str:
        return ", ".join(f"{label(kind, p.first, p.last)} ({p.total})"
                         for p, _ in periods if p.verdict is wanted)

    if verdict is AggregateVerdict.VIOLATION:
        verb = "exceeds" if cap else "missed"
        return f"{what} per {kind} {verb} {bound} in {named(verdict)}"
    if verdict is AggregateVerdict.UNDETERMINED:
        unknown = [s for p, s in periods if p.verdict is verdict]
        lacking = len({i for s in unknown for i in s.missing_quantity})
        maybe = len({i for s in unknown for i in s.unknown_scope})
        why = " and ".join(part for part in (
            f"{lacking} deployment(s) lack `{rule.measure}`" if lacking else "",
            f"{maybe} may or may not count" if maybe else "") if part)
        return f"{what} per {kind} may break {bound} in {named(verdict)}; {why}"
    if verdict is AggregateVerdict.OPEN:
        done = sum(1 for p, _ in periods if p.verdict is AggregateVerdict.COMPLIANT)
        return (f"{what} per {kind} met {bound} in {done} {kind}(s) ended; "
                f"open in {named(verdict)}")
    if not periods:
        return f"{what} per {kind}: no {kind} has begun"
    return f"{what} per {kind} keeps {bound} in each of {len(periods)} {kind}(s)"


def judge_periods(t: Tally, day: dt.date, whole_plan: bool,
                  latest: dt.date | None) -> AggregateResult:
    """One version of a per-period aggregate judged on `day`, with its projection.

    Args:
        t: the version's tally, with its sums per period.
        day: the evaluation date reported.
        whole_plan: no evaluation date was given: the deployments given are the whole plan.
        latest: the latest start given (where an open-ended projection stops).
    """
    rule, clause = t.rule, t.plan.clause
    cap = clause.kind is m.ClauseKind.CAP
    periods = _judged(t, day, whole_plan, now=True)
    verdict = _overall(periods, cap)
    end = t.last if t.last is not None else max(latest or t.first, t.first)
    every = _judged(t, end, True, now=False)
    projected = _overall(every, cap)
    dim = rule.limit.dimension
    current = periods[-1][0].total if periods else format_amount(Decimal(0), dim, exact=True)
    return AggregateResult(
        clause=clause.id, kind=str(clause.kind), verdict=verdict, total=current,
        limit=format_amount(rule.limit.amount, dim, exact=True),
        contributors=tuple(t.now.contributors), message=_message(t, periods, verdict, cap),
        location=t.plan.location, evaluated_on=day, deadline=rule.deadline,
        missing_quantity=tuple(t.now.missing_quantity),
        unknown_scope=tuple(t.now.unknown_scope),
        projected=Projection(every[-1][0].total if every else current, projected, None),
        window_from=t.first, window_through=t.last,
        advisory=t.plan.clause.advisory,
        periods=tuple(p for p, _ in periods),
        fix=_fix(t, periods),
    )


def _fix(t: Tally, periods: list[tuple[PeriodResult, Sums]]) -> str | None:
    """One fix for each period in violation or undetermined; None if one of them has none."""
    fixes = [violation_fix(t, sums, period_within(p.first, p.last))
             for p, sums in periods if p.verdict in UNSETTLED]
    return None if not fixes or None in fixes else "; ".join(f for f in fixes if f)
