"""Relations between two operands (``start > breach_notice + 30 days``) in the region algebra.

A relation is not a cut of one axis: whether it holds depends on two values
at once. So each relation is an axis of its own, with two pieces (holds,
fails), beside the axes of its operands; a region says which way it goes
(``when start > breach_notice + 30 days``). A leaf with both operands
present is split on it; one with an operand absent leaves it whole (the
relation is then unknown whatever it would say). A leaf's representative is
found by search: values of the operands inside their pieces, near the other
side's values moved by the relation's shifts, until each relation fixed by
the leaf goes its way and the end is not before the start.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from dealcheck.checker.logic import compile_relation
from dealcheck.rules import model as m
from dealcheck.rules.durations import shift
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, FactValue

if TYPE_CHECKING:
    from dealcheck.analysis.space import Axis, Piece

#: The most operand values a representative's search tries, over all axes together.
MAX_TRIES = 4000
#: The most steps the second phase of that search takes (`chained`).
CHAINED_TRIES = 1000
_DAY = dt.timedelta(days=1)
_FAR = dt.timedelta(days=3650)


def relations_of(files: Iterable[m.Terms], sided: bool = False) -> list[m.Relation]:
    """Every distinct relation of the files' clauses, in order of appearance.

    `sided`: the files give some provider different operators, so a relation
    reading `operator` may hold in one and fail in the other; such a relation
    is no axis (the split tells its parties and providers apart instead).
    """
    found = dict.fromkeys(r for terms in files for r in m.relations_of(terms))
    return [r for r in found if not (sided and reads_operator(r))]


def reads_operator(relation: m.Relation) -> bool:
    """Whether a relation reads a provider's operator (whose value each file gives)."""
    return any(not ref.is_fact and ref.name == "operator" for ref in relation.refs())


def axis_of(ref: m.FieldRef) -> str:
    """The axis holding an operand: a fact's, a field's (an operator is the provider's)."""
    if ref.is_fact:
        return "fact:" + ref.name
    return "provider" if ref.name == "operator" else ref.name


def operand_axes(relation: m.Relation) -> list[str]:
    return [axis_of(ref) for ref in relation.refs()]


def tester(relation: m.Relation, operators: Mapping[str, str]) -> Callable[[Deployment], object]:
    """The relation on a deployment, as the evaluator judges it (None: unknown)."""
    return compile_relation(relation, operators)


def comparable(operands: Sequence[Sequence[object]]) -> bool:
    """Whether operands' pieces can compare: quantities on both sides share a
    dimension (a price in USD against a value in EUR is unknown, never true or false)."""
    kinds = [{getattr(p.value, "dimension", None) for p in ps} for ps in operands]  # type: ignore[attr-defined]
    return len(kinds) < 2 or None in kinds[0] or None in kinds[1] or bool(kinds[0] & kinds[1])


def _durations(relations: Sequence[m.Relation]) -> list[tuple[int, object]]:
    out: list[tuple[int, object]] = []
    for relation in relations:
        for operand in (relation.left, relation.right):
            for _, duration in operand.shifts:
                out += [(1, duration), (-1, duration)]
    return list(dict.fromkeys(out))


def _inside(value: object, low: object, high: object, low_in: bool, high_in: bool) -> bool:
    if low is not None and (value < low or (value == low and not low_in)):  # type: ignore[operator]
        return False
    return not (high is not None and (value > high or (value == high and not high_in)))  # type: ignore[operator]


def date_candidates(pieces: Sequence[object], anchors: Sequence[dt.date],
                    relations: Sequence[m.Relation]) -> list[dt.date]:
    """Days inside the pieces: their ends, and the anchors moved by the relations' shifts."""
    moved: list[dt.date] = []
    durations = _durations(relations)
    for day in anchors:
        near = [day, *(shift(day, d, sign) for sign, d in durations)]  # type: ignore[arg-type]
        for value in near:
            moved += [value - _DAY, value, value + _DAY]
    out: list[dt.date] = []
    for piece in pieces:
        low, high = piece.low, piece.high  # type: ignore[attr-defined]
        own = [piece.value, *(v for v in (low, high) if v is not None)]  # type: ignore[attr-defined]
        for value in [*own, *moved]:
            if _inside(value, low, high, True, True):
                out.append(value)
    return list(dict.fromkeys(out))


def quantity_candidates(pieces: Sequence[object], anchors: Sequence[Quantity]) -> list[Quantity]:
    """Amounts inside the pieces: their own, and each anchor and its neighbours."""
    out: list[Quantity] = []
    for piece in pieces:
        value: Quantity = piece.value  # type: ignore[attr-defined]
        near = [value.amount]
        for anchor in anchors:
            if anchor.dimension == value.dimension:
                near += [anchor.amount - 1, anchor.amount, anchor.amount + 1,
                         anchor.amount - Decimal("0.5"), anchor.amount + Decimal("0.5")]
        for amount in near:
            if _inside(amount, piece.low, piece.high, piece.low_in,  # type: ignore[attr-defined]
                       piece.high_in):  # type: ignore[attr-defined]
                out.append(Quantity(amount, value.dimension))
    return list(dict.fromkeys(out))


def anchors_of(choices: Mapping[str, Sequence[object]]) -> tuple[list[dt.date], list[Quantity]]:
    """The present values of every axis searched: what the other side is moved near."""
    days: list[dt.date] = []
    amounts: list[Quantity] = []
    for values in choices.values():
        for piece in values:
            for v in (piece.value, piece.low, piece.high):  # type: ignore[attr-defined]
                if isinstance(v, dt.date):
                    days.append(v)
            if isinstance(piece.value, Quantity):  # type: ignore[attr-defined]
                amounts.append(piece.value)  # type: ignore[attr-defined]
    return list(dict.fromkeys(days)), list(dict.fromkeys(amounts))


def representative(base: Deployment,
                   pieces: Mapping[str, tuple[Axis, Sequence[Piece]]], operands: Sequence[str],
                   fixed: Sequence[tuple[m.Relation, bool]], operators: Mapping[str, str],
                   ) -> dict[str, object] | None:
    """Values of the start, the end and the `operands` (each axis with its pieces in a
    box) that, set on `base`, make each relation of `fixed` go its way: the search's
    first phase, then its second (`chained`); None when neither finds any."""
    days, amounts = anchors_of({a: [p for p in ps if not p.absent]
                                for a, (_, ps) in pieces.items()})
    relations = [r for r, _ in fixed]
    candidates = {a: _candidates(base, a, axis, ps, a in operands, (days, amounts), relations)
                  for a, (axis, ps) in pieces.items()}
    # No end before every start: such a try is never valid, and the days before the
    # start come first, enough of them to use up the search on tries that cannot be.
    first: dt.date = min(candidates["start"])  # type: ignore[type-var,assignment]
    candidates["end"] = [v for v in candidates["end"] if v is None or v >= first]  # type: ignore[operator]
    wanted = [(tester(r, operators), t) for r, t in fixed]
    hit = search(base, candidates, wanted)
    return hit if hit is not None else chained(
        base, candidates, {a: pieces[a][1] for a in operands}, days, relations, wanted)


def _candidates(base: Deployment, name: str, axis: Axis, pieces: Sequence[Piece],
                operand: bool, anchors: tuple[list[dt.date], list[Quantity]],
                relations: Sequence[m.Relation]) -> list[object]:
    """The values one axis tries: inside its pieces, near the `anchors` (absent first
    where a piece is); a start or end no relation reads only keeps the end after the start."""
    present = [p for p in pieces if not p.absent]
    found: list[object] = [None] if len(present) < len(pieces) else []
    if axis.kind == "names":
        found = [p.value for p in present]
    elif axis.kind == "dates":
        found += date_candidates(present, anchors[0], relations)
    elif axis.kind == "quantity":
        found += quantity_candidates(present, anchors[1])
    if name == "end" and len(pieces) == len(axis.pieces):
        found = [None, *(v for v in found if v is not None)]
    if not operand:
        # Only to keep the end after the start: the base's value first.
        own = getattr(base, name)
        found = [own, *(v for v in found if v != own)]
        found = found[:1] if name == "start" or found[0] is None else found
    return found


def search(base: Deployment, candidates: Mapping[str, Sequence[object]],
           wanted: Sequence[tuple[Callable[[Deployment], object], bool]],
           ) -> dict[str, object] | None:
    """The first values from `candidates` that, set on `base`, make a valid deployment on
    which each relation of `wanted` gives its truth value; None within `MAX_TRIES`."""
    names = list(candidates)
    lists = [candidates[n] for n in names]
    probe = Probe(base)
    for tries, combo in enumerate(itertools.product(*lists)):
        if tries >= MAX_TRIES:
            return None
        if probe.holds(zip(names, combo, strict=True), wanted):
            return dict(zip(names, combo, strict=True))
    return None


class Probe:
    """A deployment's values set in place for each try of a search: what the relation
    testers read (fields and `facts`), without building a deployment per try."""

    __slots__ = ("capacity", "end", "facts", "party", "provider", "region", "start",
                 "value", "workload")
    start: dt.date
    end: dt.date | None
    facts: dict[str, FactValue]

    def __init__(self, base: Deployment) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(base, name))
        self.facts = dict(base.facts)

    def set(self, values: Iterable[tuple[str, object]]) -> None:
        """Set some axes' values (`fact:NAME` for a fact; None: absent)."""
        facts = self.facts
        for name, value in values:
            if name.startswith("fact:"):
                if value is None:
                    facts.pop(name[5:], None)
                else:
                    facts[name[5:]] = value  # type: ignore[assignment]
            else:
                setattr(self, name, value)

    def holds(self, values: Iterable[tuple[str, object]],
              wanted: Sequence[tuple[Callable[[Deployment], object], bool]]) -> bool:
        """With `values` set: whether the end is not before the start and each relation
        of `wanted` gives its truth value."""
        self.set(values)
        if self.end is not None and self.end < self.start:
            return False
        d = cast("Deployment", self)  # the testers read a probe as a deployment
        return all(test(d) is truth for test, truth in wanted)


def month_edges(days: Sequence[dt.date]) -> list[dt.date]:
    """The last days of each day's month and the first of the next: where `+ 1 month`
    clamps, so that it parts from `+ 31 days` (and two days one month apart meet)."""
    out: list[dt.date] = []
    for day in days:
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        out += [end - n * _DAY for n in (2, 1, 0) if end - n * _DAY >= dt.date.min]
        if end < dt.date.max:
            out.append(end + _DAY)
    return list(dict.fromkeys(out))


def chained(base: Deployment, candidates: Mapping[str, Sequence[object]],
            operands: Mapping[str, Sequence[object]], days: Sequence[dt.date],
            relations: Sequence[m.Relation],
            wanted: Sequence[tuple[Callable[[Deployment], object], bool]],
            ) -> dict[str, object] | None:
    """The search's second phase, where its first found nothing: the first date operand
    (`operands`: each axis's pieces in the box) also tries the days moved from the month
    edges of `days`, and each later one the days moved from those chosen before it, so
    that a relation over calendar months (``start > signed + 1 month and start < signed
    + 31 days``) finds its few solutions. None when there is no date operand or within
    `CHAINED_TRIES` steps."""
    dated = {a: present for a, ps in operands.items()
             if (present := [p for p in ps if isinstance(p.value, dt.date)])}  # type: ignore[attr-defined]
    if not dated:
        return None
    names = list(candidates)
    tries = 0
    probe = Probe(base)

    def options(name: str, chosen: Mapping[str, object]) -> list[object]:
        if name not in dated:
            return list(candidates[name])
        if name == "end":    # after the start chosen (the first name): no end before it
            start: dt.date = chosen["start"]  # type: ignore[assignment]
            return [v for v in near_days(name, chosen) if v is None or v >= start]  # type: ignore[operator]
        return near_days(name, chosen)

    def near_days(name: str, chosen: Mapping[str, object]) -> list[object]:
        # Near the operands chosen before (the first: near the month edges), to meet
        # what the relations ask of them.
        near = [v for a, v in chosen.items() if a in dated and isinstance(v, dt.date)]
        near = near or month_edges([*days, *(v for v in chosen.values()
                                             if isinstance(v, dt.date))])
        return list(dict.fromkeys([*date_candidates(dated[name], near, relations),
                                   *candidates[name]]))

    def walk(at: int, chosen: dict[str, object]) -> dict[str, object] | None:
        # Every step counts, not only the deployments tried: a later operand with no
        # day to offer would otherwise let the walk run through every earlier choice.
        nonlocal tries
        tries += 1
        if at == len(names):
            return chosen if probe.holds(chosen.items(), wanted) else None
        for value in options(names[at], chosen):
            if tries >= CHAINED_TRIES:
                return None
            found = walk(at + 1, {**chosen, names[at]: value})
            if found is not None:
                return found
        return None

    return walk(0, {})


def truth_of(relation: m.Relation, d: Deployment, operators: Mapping[str, str]) -> object:
    return tester(relation, operators)(d)


def with_values(d: Deployment, values: Mapping[str, object]) -> Deployment:
    """`d` with the values of some axes (`fact:NAME` for a fact; None: absent)."""
    probe = Probe(d)
    probe.set(values.items())
    fields = {n: getattr(probe, n) for n in Probe.__slots__ if n != "facts"}
    return dataclasses.replace(d, facts=probe.facts, **fields)
