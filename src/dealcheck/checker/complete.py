"""Completions: the values a deployment's missing facts could take, one per case that matters.

A deployment's verdict is the verdict that every *completion* of its missing
facts agrees on. A missing bool fact takes `true` and `false`; an enumeration
fact (and a missing region) each declared value; a number fact (and a missing
`value`) or a date fact one value in each interval that the terms'
comparisons on it distinguish: below, at, between and above the constants
compared. Two values in the same interval satisfy exactly the same
conditions, so these few representatives stand for every value.

A missing `capacity` is not completed (it may be given in a unit that a
condition cannot compare, a count where the condition says GW), nor a missing
`end` (an absent end may mean an open-ended deployment): a condition on them
stays unknown, as Kleene logic leaves it.

Enumeration is bounded: one enumeration never tries more than
`MAX_COMPLETIONS` completions; beyond that, the Kleene answer stands (it is
never wrong, only less decided).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, FactValue, new_deployment

#: The most completions one enumeration tries (per clause, or per group of
#: clauses that share missing facts); beyond it, Kleene logic decides alone.
MAX_COMPLETIONS = 4096

#: Deployment fields that completions fill when absent; the others stay unknown.
COMPLETED_FIELDS = frozenset(("region", "value"))

#: Fields a fix may change; the others (party, workload, start...) define the deployment.
CHANGEABLE_FIELDS = frozenset(("region", "value", "provider"))

Assignment = tuple[tuple[str, object], ...]
#: A name's representative values, their interval indexes and the constants bounding them.
_Entry = tuple[tuple[object, ...], tuple[int, ...], tuple[m.Constant, ...]]


def condition_reads(cond: m.Condition | None, out: dict[str, None]) -> None:
    """Add the facts and fields `cond` reads to `out`, in order of appearance."""
    if cond is None:
        return
    if isinstance(cond, m.Compare | m.Member | m.Truthy):
        out[cond.ref.name] = None
    elif isinstance(cond, m.Relation):
        for ref in cond.refs():
            out[ref.name] = None
    elif isinstance(cond, m.Not):
        condition_reads(cond.item, out)
    else:
        for item in cond.items:
            condition_reads(item, out)


def clause_reads(clause: m.Clause) -> tuple[str, ...]:
    """The facts and fields a clause's scope and rule read (region included when they test it)."""
    out: dict[str, None] = {}
    if clause.scope.regions is not None:
        out["region"] = None
    condition_reads(clause.scope.condition, out)
    rule = clause.rule
    if isinstance(rule, m.Requirement):
        condition_reads(rule.condition, out)
    elif isinstance(rule, m.Exclusivity) and rule.target == "region":
        out["region"] = None
    return tuple(out)


def _constants(terms: m.Terms) -> dict[str, list[m.Constant]]:
    """Per fact or field name, the constants that conditions compare it with."""
    out: dict[str, list[m.Constant]] = {}

    def visit(cond: m.Condition | None) -> None:
        if cond is None:
            return
        if isinstance(cond, m.Compare):
            out.setdefault(cond.ref.name, []).append(cond.value)
        elif isinstance(cond, m.Not):
            visit(cond.item)
        elif isinstance(cond, m.And | m.Or):
            for item in cond.items:
                visit(item)

    for clause in terms.clauses:
        visit(clause.scope.condition)
        if isinstance(clause.rule, m.Requirement):
            visit(clause.rule.condition)
    return out


def relational_names(terms: m.Terms) -> frozenset[str]:
    """The facts and fields some `Relation` reads: they are not completed.

    Their representatives would have to split every interval the other side
    of each relation can draw; Kleene logic decides conditions on them instead
    (never wrong, only less decided).
    """
    return frozenset(ref.name for relation in m.relations_of(terms) for ref in relation.refs())


def relation_values(name: str, d: Deployment, conditions: Iterable[m.Condition | None],
                    operators: Mapping[str, str]) -> tuple[object, ...]:
    """Values of `name` worth trying on `d` against the relations of `conditions` that read it.

    For each relation with `name` on one side, the other side's value on `d`
    (its own shifts undone), and the values just beside it: what a fix tries,
    then keeps only those that settle the finding.
    """
    from dealcheck.checker.logic import operand_reader
    from dealcheck.rules.durations import shift

    out: dict[object, None] = {}
    one = dt.timedelta(days=1)
    for cond in conditions:
        for relation in m.relations_in(cond):
            for mine, other in ((relation.left, relation.right),
                                (relation.right, relation.left)):
                if mine.ref is None or mine.ref.name != name:
                    continue
                value = operand_reader(other, operators)(d)
                if isinstance(value, dt.date):
                    for sign, duration in reversed(mine.shifts):
                        value = shift(value, duration, -sign)
                    if dt.date.min < value < dt.date.max:
                        out.update(dict.fromkeys((value, value - one, value + one)))
                elif isinstance(value, Quantity):
                    out.update(dict.fromkeys(Quantity(max(Decimal(0), value.amount + k),
                                                      value.dimension) for k in (0, -1, 1)))
                elif value is not None:
                    out[value] = None
    return tuple(out)


def _date_points(constants: Iterable[dt.date]) -> list[tuple[int, dt.date]]:
    """One date per interval the constants distinguish, with the interval's index.

    Intervals are numbered 0 (before the first constant), 1 (the first
    constant), 2 (between the first and the second), …, 2k (after the last).
    """
    marks = sorted(set(constants))
    out: list[tuple[int, dt.date]] = []
    one = dt.timedelta(days=1)
    for i, day in enumerate(marks):
        if i == 0 and day > dt.date.min:
            out.append((0, day - one))
        out.append((2 * i + 1, day))
        following = marks[i + 1] if i + 1 < len(marks) else None
        if day < dt.date.max and (following is None or day + one < following):
            out.append((2 * i + 2, day + one))
    return out


def _amount_points(constants: Iterable[Decimal]) -> list[tuple[int, Decimal]]:
    """As `_date_points`, for non-negative amounts (between two constants: their middle)."""
    marks = sorted(set(constants))
    out: list[tuple[int, Decimal]] = []
    for i, amount in enumerate(marks):
        if i == 0 and amount > 0:
            out.append((0, amount / 2))
        out.append((2 * i + 1, amount))
        following = marks[i + 1] if i + 1 < len(marks) else None
        out.append((2 * i + 2, amount + 1 if following is None else (amount + following) / 2))
    return out


class Domains:
    """The representative values of each completable fact and field of one terms file."""

    __slots__ = ("_cache", "_constants", "_relational", "_states", "_terms")

    def __init__(self, terms: m.Terms) -> None:
        self._terms = terms
        #: Clause states read as conditions: an undetermined one takes each verdict it can reach.
        self._states = terms.states()
        self._constants = _constants(terms)
        self._relational = relational_names(terms)
        self._cache: dict[str, _Entry | None] = {}

    def of(self, name: str) -> tuple[object, ...] | None:
        """The values that stand for every value of `name`, or None when it is not completed."""
        entry = self._entry(name)
        return None if entry is None else entry[0]

    def intervals(self, name: str) -> tuple[int, ...] | None:
        """For an ordered name, the interval index of each value of `of(name)`."""
        entry = self._entry(name)
        return None if entry is None or not entry[1] else entry[1]

    def marks(self, name: str) -> tuple[m.Constant, ...]:
        """For an ordered name, the constants that bound its intervals, in order."""
        entry = self._entry(name)
        return () if entry is None else entry[2]

    def _entry(self, name: str) -> _Entry | None:
        try:
            return self._cache[name]
        except KeyError:
            entry = self._cache[name] = self._build(name)
            return entry

    def _build(self, name: str) -> _Entry | None:
        vocab = self._terms.vocabulary
        if name in self._relational:
            return None
        if name == "region":
            regions = tuple(vocab.regions)
            return (regions, (), ()) if regions else None
        if name == "provider":
            return tuple(vocab.providers), (), ()
        if name in self._states:
            return self._states[name], (), ()
        fact = vocab.facts.get(name)
        if name == "value":
            dimension = "money"
        elif fact is None:
            return None
        elif fact.type.kind is m.FactKind.BOOL:
            return (True, False), (), ()
        elif fact.type.kind is m.FactKind.ENUM:
            return fact.type.values, (), ()
        elif fact.type.kind is m.FactKind.DATE:
            dates = sorted({v for v in self._constants.get(name, []) if isinstance(v, dt.date)})
            points = _date_points(dates) or [(0, self._terms.effective)]
            return tuple(p for _, p in points), tuple(i for i, _ in points), tuple(dates)
        else:
            dimension = fact.type.dimension
        by_amount: dict[Decimal, Quantity] = {}
        for v in self._constants.get(name, []):
            if isinstance(v, Quantity) and v.dimension == dimension:
                by_amount.setdefault(v.amount, v)
        marks = tuple(by_amount[a] for a in sorted(by_amount))
        found = _amount_points(by_amount) or [(0, Decimal(0))]
        return (tuple(Quantity(a, dimension) for _, a in found),
                tuple(i for i, _ in found), marks)


def is_absent(d: Deployment, name: str) -> bool:
    """Whether `d` lacks the fact or completable field `name`."""
    if name in COMPLETED_FIELDS:
        return getattr(d, name) is None
    return name not in d.facts and name not in m.DEPLOYMENT_FIELDS


def missing_variables(d: Deployment, names: Iterable[str], domains: Domains
                      ) -> list[tuple[str, tuple[object, ...]]]:
    """The names `d` lacks that completions fill, each with its representative values."""
    out: list[tuple[str, tuple[object, ...]]] = []
    for name in names:
        if is_absent(d, name):
            values = domains.of(name)
            if values is not None:
                out.append((name, values))
    return out


def count(variables: Sequence[tuple[str, Sequence[object]]]) -> int:
    total = 1
    for _, values in variables:
        total *= len(values)
    return total


def assignments(variables: Sequence[tuple[str, Sequence[object]]]) -> Iterator[Assignment]:
    """Every combination of the variables' values, in order."""
    if len(variables) == 1:  # the most common: one name (a fix's search, a lone fact)
        [(name, values)] = variables
        for value in values:
            yield ((name, value),)
        return
    names = [n for n, _ in variables]
    for values in itertools.product(*(v for _, v in variables)):
        yield tuple(zip(names, values, strict=True))


def with_values(d: Deployment, assignment: Iterable[tuple[str, object]]) -> Deployment:
    """`d` with the given facts and fields set (a completion, or a fix applied).

    Of the fields, completions and fixes set the provider, the region and the value.
    """
    facts: dict[str, FactValue] | None = None
    provider, region, value = d.provider, d.region, d.value
    for name, given in assignment:
        if name not in _FIELDS:
            if facts is None:
                facts = dict(d.facts)
            facts[name] = given  # type: ignore[assignment]
        elif name == "provider":
            provider = given  # type: ignore[assignment]
        elif name == "region":
            region = given  # type: ignore[assignment]
        elif name == "value":
            value = given  # type: ignore[assignment]
    return new_deployment(d.id, d.party, d.workload, provider, d.start, region, d.end,
                          d.capacity, value, d.facts if facts is None else facts, d.source)


#: The deployment fields, by a name of this module (`with_values` reads it for every name).
_FIELDS = m.DEPLOYMENT_FIELDS


def flip_relevant(table: Mapping[Assignment, int], names: Sequence[str]) -> list[str]:
    """The names whose value alone changes the table's level in some completion.

    `table` maps every assignment of `names` (in order) to a level.
    """
    relevant: list[str] = []
    for position, name in enumerate(names):
        groups: dict[Assignment, set[int]] = {}
        for assignment, level in table.items():
            rest = assignment[:position] + assignment[position + 1:]
            groups.setdefault(rest, set()).add(level)
        if any(len(levels) > 1 for levels in groups.values()):
            relevant.append(name)
    return relevant
