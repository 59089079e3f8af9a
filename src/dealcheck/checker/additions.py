"""Commitments ``in addition to`` another: what both select counts only beyond the other's target.

``A reaches Q in addition to B``: a deployment that A and B both count goes
first to B; A counts it only once B's own target is met by what B counts
(its own deployments first, then those it shares with A). So A's total is
``A_only + min(shared, max(0, B_only + shared − target_B))``. The total grows
with every deployment's amount, and a deployment that may count moves it
least when it counts for neither, then for B alone, then for both, and most
for A alone: its least and greatest totals over the completions place every
uncertain deployment at one end of that order (a missing amount: nothing,
or without bound). `in addition to` looks one step: B's total is what B
selects, whatever B is itself in addition to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from dealcheck.checker.aggregate import UNSETTLED, Sums, Tally, _verdict, project, violation_fix
from dealcheck.checker.results import AggregateResult, Projection
from dealcheck.rules.units import format_amount

#: Where a deployment may count, (for A, for B), from the least total of A to the greatest.
_ORDER = ((0, 0), (0, 1), (1, 1), (1, 0))
_INF = Decimal("Infinity")


def _memberships(sums: Sums, ident: str, surely: set[str], maybe: set[str]) -> tuple[int, ...]:
    return (1,) if ident in surely else (0, 1) if ident in maybe else (0,)


def effective(a: Sums, b: Sums, amounts: dict[str, Decimal | None],
              target: Decimal) -> tuple[Decimal, Decimal]:
    """A's least and greatest total (Infinity: unbounded) beyond B's `target`."""
    a_sure, a_maybe = set(a.contributors), set(a.unknown_scope)
    b_sure, b_maybe = set(b.contributors), set(b.unknown_scope)
    ends = []
    for order in (_ORDER, _ORDER[::-1]):
        buckets = {(1, 0): Decimal(0), (1, 1): Decimal(0), (0, 1): Decimal(0)}
        for ident in dict.fromkeys([*a.contributors, *a.unknown_scope,
                                    *b.contributors, *b.unknown_scope]):
            options = {(x, y) for x in _memberships(a, ident, a_sure, a_maybe)
                       for y in _memberships(b, ident, b_sure, b_maybe)}
            place = next(p for p in order if p in options)
            if place == (0, 0):
                continue
            amount = amounts.get(ident)
            if amount is None:
                amount = Decimal(0) if order is _ORDER else _INF
            buckets[place] += amount
        a_only, shared, b_only = buckets[(1, 0)], buckets[(1, 1)], buckets[(0, 1)]
        beyond = shared if b_only == _INF else min(shared, max(Decimal(0),
                                                               b_only + shared - target))
        ends.append(a_only + beyond)
    return ends[0], ends[1]


def _as_sums(t: Tally, a: Sums, b: Sums, amounts: dict[str, Decimal | None],
             target: Decimal) -> Sums:
    """A's sums with its total taken beyond B's target: what `_verdict` judges."""
    low, high = effective(a, b, amounts, target)
    unbounded = high == _INF
    return dataclasses.replace(
        a, known=low, possible=Decimal(0) if unbounded else high - low,
        missing_quantity=list(a.missing_quantity or b.missing_quantity) if unbounded else [])


def judge_addition(t: Tally, other: Tally, day: dt.date, closed: bool) -> AggregateResult:
    """One version of ``A reaches Q in addition to B`` judged on `day`, with its projection.

    Args:
        t: A's tally; `other`: the tally of the version of B it is judged against.
        day: the evaluation date reported.
        closed: whether A's deadline has passed (unmet is then a violation).
    """
    assert t.amounts is not None and other.amounts is not None  # INVARIANT: kept for both
    amounts = {**other.amounts, **t.amounts}
    target = other.rule.limit.amount
    rule, clause = t.rule, t.plan.clause
    dim = rule.limit.dimension
    now = _as_sums(t, t.now, other.now, amounts, target)
    verdict, message = _verdict(t, now, closed)
    every = _as_sums(t, t.every, other.every, amounts, target)
    _, _, projection_closed = project(t, None)
    projected, _ = _verdict(t, every, projection_closed)
    note = (f"; of what `{other.plan.clause.id}` also counts, only what goes beyond its "
            f"{format_amount(target, dim, exact=True)} counts")
    return AggregateResult(
        clause=clause.id, kind=str(clause.kind), verdict=verdict,
        total=format_amount(now.known, dim, exact=True),
        limit=format_amount(rule.limit.amount, dim, exact=True),
        contributors=tuple(t.now.contributors), message=message + note,
        location=t.plan.location, evaluated_on=day, deadline=rule.deadline,
        missing_quantity=tuple(t.now.missing_quantity), unknown_scope=tuple(t.now.unknown_scope),
        projected=Projection(format_amount(every.known, dim, exact=True), projected, None),
        window_from=t.first, window_through=t.last,
        advisory=t.plan.clause.advisory,
        fix=None if verdict not in UNSETTLED
        else violation_fix(t, now, besides=(other.plan.clause.id, target,
                                                  other.now.known)),
    )
