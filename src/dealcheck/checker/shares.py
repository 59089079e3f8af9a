"""Shares: ``TOTAL is at least|at most P% of TOTAL``, judged from the tallies of its two totals.

A share is a continuing obligation: on its evaluation date, over the
deployments started by then in its window, the part must be at least (at
most) `P` percent of the whole. The whole's tally counts the clause's
scope; the part's tally the part's own selections, and a deployment counts
in the part when it is in both. ``share ≥ p`` is ``part − p·whole ≥ 0``,
linear in each deployment's quantity, so its least and greatest values over
every completion add up deployment by deployment: each deployment's
membership of the whole and of the part's selections takes each value it
may (those two on their own), and a missing quantity any amount. A whole
that is certainly zero has no share: `open` for ``at least`` (nothing to
take a share of yet), `compliant` for ``at most`` (nothing exceeds it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import MAX_PREC, Context, Decimal

from dealcheck.checker.aggregate import Sums, Tally
from dealcheck.checker.aggregate_fixes import share_fix
from dealcheck.checker.results import AggregateResult, AggregateVerdict, Projection
from dealcheck.rules import model as m
from dealcheck.rules.units import format_amount

#: Room to round a share of any size to hundredths (the default keeps 28 digits).
_WIDE = Context(prec=MAX_PREC)
_CERTAIN = frozenset({1})
_MAYBE = frozenset({0, 1})
_NEVER = frozenset({0})

#: One deployment of the whole: its id, the (in the part, in the whole) pairs it may take
#: (1: it counts, 0: it does not), and its amount (None: any amount).
Row = tuple[str, frozenset[tuple[int, int]], Decimal | None]


def _rows(part: Sums, whole: Sums, amounts: dict[str, Decimal | None]) -> Iterator[Row]:
    """The deployments the whole's sums saw, in input order, with what may count of them."""
    surely, maybe = set(whole.contributors), set(whole.unknown_scope)
    selected, perhaps = set(part.contributors), set(part.unknown_scope)
    for ident, amount in amounts.items():
        in_whole = _CERTAIN if ident in surely else _MAYBE if ident in maybe else None
        if in_whole is None:
            continue
        chosen = _CERTAIN if ident in selected else _MAYBE if ident in perhaps else _NEVER
        yield ident, frozenset((c & w, w) for c in chosen for w in in_whole), amount


def share_verdict(rule: m.Aggregate, rows: list[Row]) -> tuple[AggregateVerdict, str]:
    """A share's verdict over the rows of its whole, and the message that explains it."""
    share = rule.share
    assert share is not None  # INVARIANT: shares only
    limit = _limit(rule)
    what = "the share of deployments" if rule.counted else f"the share of total {rule.measure}"
    bound = "at least" if share.at_least else "at most"
    if all(a == 0 for _, _, a in rows):
        if share.at_least:
            return (AggregateVerdict.OPEN,
                    f"no deployment counts towards the whole yet: {what} of {bound} {limit} "
                    "is not measured")
        return (AggregateVerdict.COMPLIANT,
                f"no deployment counts towards the whole: nothing exceeds {limit}")
    p = rule.limit.amount / 100
    low = high = Decimal(0)
    for _, pairs, amount in rows:
        factors = [n - p * w for n, w in pairs]
        if amount is None:
            if min(factors) < 0:
                low = -Decimal("Infinity")
            if max(factors) > 0:
                high = Decimal("Infinity")
            continue
        low += min(factors) * amount
        high += max(factors) * amount
    known_part, known_whole = _known(rows)
    dim = share.dimension
    shown = (f"{format_amount(known_part, dim, exact=True)} of "
             f"{format_amount(known_whole, dim, exact=True)} ({percent(known_part, known_whole)})")
    if low >= 0 if share.at_least else high <= 0:
        return AggregateVerdict.COMPLIANT, f"{what} is {shown}, {bound} {limit}"
    if high < 0 if share.at_least else low > 0:
        side, must = ("below", "required") if share.at_least else ("above", "allowed")
        return AggregateVerdict.VIOLATION, f"{what} is {shown}, {side} the {limit} {must}"
    return (AggregateVerdict.UNDETERMINED,
            f"{what} is {shown} as far as known, against {bound} {limit}; "
            + _why_unknown(rule, rows))


def _known(rows: list[Row]) -> tuple[Decimal, Decimal]:
    """What certainly counts, with a known amount, in the part and in the whole."""
    part = whole = Decimal(0)
    for _, pairs, amount in rows:
        if amount is not None and all(w for _, w in pairs):
            whole += amount
            if all(n for n, _ in pairs):
                part += amount
    return part, whole


def _share_of(rows: list[Row]) -> str:
    return percent(*_known(rows))


def percent(part: Decimal, whole: Decimal) -> str:
    """``part`` as a percentage of ``whole``, to two decimals; ``n/a`` of nothing.

    >>> percent(Decimal(3), Decimal(8)), percent(Decimal(0), Decimal(0))
    ('37.5%', 'n/a')
    """
    if whole == 0:
        return "n/a"
    value = (part * 100 / whole).quantize(Decimal("0.01"), context=_WIDE)
    return f"{format_amount(value, '', exact=True)}%"


def _limit(rule: m.Aggregate) -> str:
    return f"{format_amount(rule.limit.amount, '', exact=True)}%"


def _why_unknown(rule: m.Aggregate, rows: list[Row]) -> str:
    lacking = sum(1 for _, _, a in rows if a is None)
    maybe = len(_uncertain(rows))
    parts = []
    if lacking:
        parts.append(f"{lacking} deployment(s) lack `{rule.measure}`")
    if maybe:
        parts.append(f"{maybe} may or may not count")
    return " and ".join(parts) if parts else "the totals are not known"


def _uncertain(rows: list[Row]) -> list[str]:
    """The deployments that may or may not count, in the whole or in the part."""
    return [ident for ident, pairs, _ in rows if len(pairs) > 1]


def judge_share(rule: m.Aggregate, part: Tally, whole: Tally, day: dt.date) -> AggregateResult:
    """One version of a share clause judged on `day`, with its projection.

    Args:
        rule: the share clause's rule.
        part: the tally of the part's own selections.
        whole: the tally of the whole, which keeps each deployment's amount.
        day: the evaluation date reported.
    """
    assert rule.share is not None and whole.amounts is not None  # INVARIANT: shares only
    now = list(_rows(part.now, whole.now, whole.amounts))
    every = list(_rows(part.every, whole.every, whole.amounts))
    verdict, message = share_verdict(rule, now)
    projected, _ = share_verdict(rule, every)
    return AggregateResult(
        clause=whole.plan.clause.id, kind=str(m.ClauseKind.SHARE), verdict=verdict,
        total=_share_of(now), limit=_limit(rule),
        contributors=tuple(whole.now.contributors), message=message,
        location=whole.plan.location, evaluated_on=day, deadline=None,
        missing_quantity=tuple(whole.now.missing_quantity), unknown_scope=tuple(_uncertain(now)),
        projected=Projection(_share_of(every), projected, None),
        window_from=whole.first, window_through=whole.last,
        advisory=whole.plan.clause.advisory,
        fix=share_fix(rule, *_known(now)) if verdict is AggregateVerdict.VIOLATION else None,
    )
