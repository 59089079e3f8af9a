"""What the terms mention (dates and amounts where verdicts change), and strategies near them.

Private to `dealcheck.testing`: the strategies there draw dates, quantities and
fact values around these landmarks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from hypothesis import strategies as st

from dealcheck.rules import model as m
from dealcheck.rules.units import BUILTIN_UNITS, MULTIPLIERS, Quantity

#: How quantities are written, per dimension: (number suffix, unit, factor), largest
#: first; a quantity is written exactly in the largest that keeps three decimals.
_WRITTEN_UNITS: dict[str, tuple[tuple[str, str, Decimal], ...]] = {
    "power": tuple(("", u, BUILTIN_UNITS[u][1]) for u in ("GW", "MW", "kW", "W")),
    "money": tuple((s, "USD", MULTIPLIERS[s]) for s in ("T", "B", "M", "k", "")),
    "count": (("", "GPU", Decimal(1)),),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Landmarks:
    """Dates and amounts the terms mention: where verdicts change."""

    dates: tuple[dt.date, ...]
    amounts: dict[str, tuple[Decimal, ...]]          # per dimension
    fact_dates: dict[str, tuple[dt.date, ...]]       # per date fact
    fact_amounts: dict[str, tuple[Decimal, ...]]     # per number fact


def _conditions(terms: m.Terms) -> Iterable[m.Condition]:
    for c in terms.clauses:
        if c.scope.condition is not None:
            yield c.scope.condition
        if isinstance(c.rule, m.Requirement):
            yield c.rule.condition


def _atoms(cond: m.Condition) -> Iterable[m.Compare]:
    if isinstance(cond, m.Compare):
        yield cond
    elif isinstance(cond, m.Not):
        yield from _atoms(cond.item)
    elif isinstance(cond, m.And | m.Or):
        for item in cond.items:
            yield from _atoms(item)


def landmarks_of(terms: m.Terms) -> Landmarks:
    """The dates and amounts `terms` mention: clause and amendment dates, windows,
    caps and the values their conditions compare with."""
    dates = {terms.effective}
    amounts: dict[str, set[Decimal]] = {}
    fact_dates: dict[str, set[dt.date]] = {}
    fact_amounts: dict[str, set[Decimal]] = {}
    for c in terms.clauses:
        dates.add(c.in_force_from)
        if c.in_force_through is not None:
            dates.add(c.in_force_through)
        if isinstance(c.rule, m.Aggregate):
            r = c.rule
            dates.update(d for d in (r.window_from, r.window_through, r.deadline) if d)
            amounts.setdefault(r.limit.dimension, set()).add(r.limit.amount)
    dates.update(a.effective for a in terms.amendments)
    for cond in _conditions(terms):
        for relation in m.relations_in(cond):
            # A date written against a field or fact moved by a duration: near it too.
            for mine, other in ((relation.left, relation.right),
                                (relation.right, relation.left)):
                if mine.ref is not None and isinstance(other.constant, dt.date):
                    (fact_dates.setdefault(mine.ref.name, set()) if mine.ref.is_fact
                     else dates).add(other.constant)
        for atom in _atoms(cond):
            value, ref = atom.value, atom.ref
            if isinstance(value, dt.date):
                (fact_dates.setdefault(ref.name, set()) if ref.is_fact else dates).add(value)
            elif isinstance(value, Quantity):
                if ref.is_fact:
                    fact_amounts.setdefault(ref.name, set()).add(value.amount)
                else:
                    amounts.setdefault(value.dimension, set()).add(value.amount)
    return Landmarks(
        tuple(sorted(dates)),
        {k: tuple(sorted(v)) for k, v in amounts.items()},
        {k: tuple(sorted(v)) for k, v in fact_dates.items()},
        {k: tuple(sorted(v)) for k, v in fact_amounts.items()},
    )


def dates_near(landmarks: Sequence[dt.date]) -> st.SearchStrategy[dt.date]:
    """A landmark, the day before or after one, or any day around them."""
    low = min(landmarks) - dt.timedelta(days=60)
    high = max(landmarks) + dt.timedelta(days=60)
    edges = sorted({d + dt.timedelta(days=k) for d in landmarks for k in (-1, 0, 1)})
    return st.one_of(st.sampled_from(edges), st.dates(low, high))


_FACTORS = (Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal(1), Decimal(2))


def amounts_near(landmarks: Sequence[Decimal], base: Decimal) -> st.SearchStrategy[Decimal]:
    """A landmark amount, a fraction or multiple of one, one unit off it, or a round amount."""
    options: list[st.SearchStrategy[Decimal]] = [
        st.integers(0, 1000).map(lambda n: n * base)]
    if landmarks:
        marks = st.sampled_from(landmarks)
        options += [
            st.builds(lambda a, f: a * f, marks, st.sampled_from(_FACTORS)),
            st.builds(lambda a, k: max(Decimal(0), a + k), marks, st.sampled_from((-1, 1))),
        ]
    return st.one_of(options)


def written(q: Quantity) -> str:
    """A quantity written exactly, in the largest unit that keeps three decimals.

    >>> written(Quantity(Decimal(1200000000), "power"))
    '1.2 GW'
    >>> written(Quantity(Decimal(11900000000), "money"))
    '11.9B USD'
    """
    units = _WRITTEN_UNITS.get(q.dimension)
    if units is None:
        return f"{plain(q.amount)} {q.dimension}".strip()
    for suffix, unit, factor in units:
        scaled = q.amount / factor
        last = factor == units[-1][2]
        thousandths = scaled * 1000
        if last or (scaled >= 1 and thousandths == thousandths.to_integral_value()):
            return f"{plain(scaled)}{suffix} {unit}"
    raise AssertionError("unreachable: the last unit always fits")  # pragma: no cover


def plain(amount: Decimal) -> str:
    """An amount without exponent or trailing zeros: ``1.2``, ``1500``."""
    text = format(amount.normalize(), "f")
    return text


def quantities_of(amounts: st.SearchStrategy[Decimal], dimension: str
                ) -> st.SearchStrategy[Quantity]:
    """Quantities of `dimension` with the drawn amounts, each with its written text."""
    def build(amount: Decimal) -> Quantity:
        q = Quantity(amount, dimension)
        return dataclasses.replace(q, text=written(q))
    return amounts.map(build)


_BASES = {"power": Decimal(10) ** 6, "money": Decimal(10) ** 9, "count": Decimal(8)}


def measures(landmarks: Landmarks, dimensions: Sequence[str]) -> st.SearchStrategy[Quantity]:
    """Quantities of any of `dimensions`, near the amounts the terms mention."""
    return st.one_of([
        quantities_of(amounts_near(landmarks.amounts.get(d, ()), _BASES.get(d, Decimal(1))), d)
        for d in dimensions])
