"""The region algebra: every axis of a deployment cut at the constants the terms mention.

A deployment is a point of a finite product: its party, workload, provider
and region (declared names, a region also absent), its start date, and the
fields and facts that conditions read (each absent, or one interval between
the constants compared with it, or one declared value). Each axis is cut
once, for the whole of both files, into *pieces*: two values in one piece
are told apart by no clause of either file.

The cells are found by a recursive split: an axis is split only where a
clause still in play at that point tells its pieces apart, so that a
(party, workload) that no clause names is a single cell, and the facts a
cell enumerates are only those its own clauses read. Each leaf is a box (a
set of pieces per axis) on which every clause of both files says the same
thing about every deployment; its verdict is the real evaluator's verdict
on the box's representative deployment.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dealcheck.analysis import relations as rel
from dealcheck.checker.complete import condition_reads
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, FactValue

#: The name axes, split first (in this order), then the start date.
NAME_AXES = ("party", "workload", "provider", "region")
#: Fields a condition may read beside facts, each an axis of its own.
FIELD_AXES = ("end", "capacity", "value")
_CAPACITY_KINDS = ("power", "count")
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of an axis: a name, an absent value, or an interval of an ordered axis.

    `value` is the representative a witness uses (None: absent). An ordered
    piece spans `low`..`high` (None: unbounded), each end included or not.
    """

    value: object
    low: object = None
    high: object = None
    low_in: bool = True
    high_in: bool = True
    dimension: str | None = None

    @property
    def absent(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class Axis:
    """One axis: its name (`party`, `start`, `capacity`, `fact:customer`…) and its pieces."""

    name: str
    kind: str                     # "names", "dates", "quantity", "values"
    pieces: tuple[Piece, ...]

    @property
    def fact(self) -> str | None:
        return self.name[5:] if self.name.startswith("fact:") else None

    @property
    def relation(self) -> int | None:
        """For the axis of a relation (`relation:N`), its position in `Space.relations`."""
        return int(self.name[9:]) if self.name.startswith("relation:") else None


Box = tuple[frozenset[int], ...]


# ---------------------------------------------------------------- constants


def _compares(cond: m.Condition | None, out: dict[str, list[m.Constant]]) -> None:
    """Per field or fact name, the constants `cond` compares it with (names included)."""
    if cond is None:
        return
    if isinstance(cond, m.Compare):
        out.setdefault(cond.ref.name, []).append(cond.value)
    elif isinstance(cond, m.Member):
        out.setdefault(cond.ref.name, []).extend(sorted(cond.values))
    elif isinstance(cond, m.Truthy):
        out.setdefault(cond.ref.name, [])
    elif isinstance(cond, m.Not):
        _compares(cond.item, out)
    elif isinstance(cond, m.And | m.Or):
        for item in cond.items:
            _compares(item, out)


def clause_constants(clause: m.Clause) -> dict[str, list[m.Constant]]:
    """What a clause compares, per name: its conditions' constants and its scope's names."""
    out: dict[str, list[m.Constant]] = {}
    _compares(clause.scope.condition, out)
    if isinstance(clause.rule, m.Requirement):
        _compares(clause.rule.condition, out)
    scope = clause.scope
    for name, values in (("party", scope.parties), ("workload", scope.workloads),
                         ("provider", scope.providers), ("region", scope.regions)):
        if values is not None:
            out.setdefault(name, []).extend(sorted(values))
    rule = clause.rule
    if isinstance(rule, m.Exclusivity):
        out.setdefault(rule.target, []).extend(sorted(rule.allowed))
    return out


# ---------------------------------------------------------------- pieces


def _date_pieces(marks: Sequence[dt.date], absent: bool) -> tuple[Piece, ...]:
    """Pieces of a date axis cut before each day of `marks` (plus an absent piece)."""
    cuts = sorted(set(marks))
    pieces: list[Piece] = [Piece(None)] if absent else []
    if not cuts:
        pieces.append(Piece(dt.date(2000, 1, 1), None, None))
        return tuple(pieces)
    if cuts[0] > dt.date.min:
        pieces.append(Piece(cuts[0] - _ONE_DAY, None, cuts[0] - _ONE_DAY))
    for low, nxt in zip(cuts, [*cuts[1:], None], strict=True):
        high = None if nxt is None else nxt - _ONE_DAY
        pieces.append(Piece(low, low, high))
    return tuple(pieces)


def _between(low: Decimal, high: Decimal) -> Decimal:
    whole = low.to_integral_value(rounding="ROUND_FLOOR") + 1
    return whole if whole < high else (low + high) / 2


def _quantity_pieces(dimension: str, marks: Sequence[Decimal], floor: bool) -> list[Piece]:
    """Pieces of one dimension: below, at, between and above the marks."""
    cuts = sorted(set(marks))
    def q(amount: Decimal) -> Quantity:
        return Quantity(amount, dimension)

    if not cuts:
        return [Piece(q(Decimal(1)), Decimal(0) if floor else None, None, dimension=dimension)]
    pieces: list[Piece] = []
    first = cuts[0]
    if not floor:
        pieces.append(Piece(q(first - 1), None, first, high_in=False, dimension=dimension))
    elif first > 0:
        pieces.append(Piece(q(_between(Decimal(0), first) if first > 1 else first / 2),
                            Decimal(0), first, high_in=False, dimension=dimension))
    for low, nxt in zip(cuts, [*cuts[1:], None], strict=True):
        pieces.append(Piece(q(low), low, low, dimension=dimension))
        if nxt is None:
            pieces.append(Piece(q(low + 1), low, None, low_in=False, dimension=dimension))
        else:
            pieces.append(Piece(q(_between(low, nxt)), low, nxt, False, False, dimension))
    return pieces


def _quantity_axis(name: str, dimensions: Sequence[str], marks: Sequence[m.Constant],
                   floor: bool) -> Axis:
    pieces = [Piece(None)]
    for dimension in dimensions:
        amounts = [c.amount for c in marks
                   if isinstance(c, Quantity) and c.dimension == dimension]
        pieces += _quantity_pieces(dimension, amounts, floor)
    return Axis(name, "quantity", tuple(pieces))


# ---------------------------------------------------------------- the space


@dataclass(slots=True)
class Space:
    """The axes of the deployments both vocabularies name, cut for every clause given."""

    axes: tuple[Axis, ...]
    operators: dict[str, tuple[str, ...]]   # provider -> its operator in each file
    facts: dict[str, m.Fact]                # facts both files declare alike
    relations: tuple[m.Relation, ...] = ()

    def operators_of(self, side: int) -> dict[str, str]:
        return {p: ops[side] for p, ops in self.operators.items()}

    def locate(self, d: Deployment) -> tuple[int, ...]:
        """The piece of each axis that holds `d` (-1 where none does)."""
        out: list[int] = []
        for axis in self.axes:
            value = (d.facts.get(axis.fact) if axis.fact is not None
                     else getattr(d, axis.name, None))
            if axis.relation is not None:
                truth = rel.truth_of(self.relations[axis.relation], d, self.operators_of(0))
                out.append(1 if truth is False else 0)
                continue
            out.append(next((i for i, p in enumerate(axis.pieces) if _holds(p, value)), -1))
        return tuple(out)

    def index(self, name: str) -> int:
        for i, axis in enumerate(self.axes):
            if axis.name == name:
                return i
        raise KeyError(name)


def _shared(names: Sequence[Sequence[str]]) -> list[str]:
    first, *others = names
    return [n for n in first if all(n in o for o in others)]


def build_space(files: Sequence[m.Terms]) -> Space:
    """The axes of the deployments every file of `files` can judge."""
    vocabularies = [t.vocabulary for t in files]
    constants: dict[str, list[m.Constant]] = {}
    dates: list[dt.date] = []
    for terms in files:
        for clause in terms.clauses:
            for name, values in clause_constants(clause).items():
                constants.setdefault(name, []).extend(values)
            dates.append(clause.in_force_from)
            if clause.in_force_through is not None and clause.in_force_through < dt.date.max:
                dates.append(clause.in_force_through + _ONE_DAY)
    axes: list[Axis] = []
    for kind in NAME_AXES:
        names = _shared([list(v.names_of(kind)) for v in vocabularies])
        pieces = [Piece(n) for n in names]
        if kind == "region":
            pieces.append(Piece(None))
        axes.append(Axis(kind, "names", tuple(pieces)))
    axes.append(Axis("start", "dates", _date_pieces(
        [*dates, *_date_marks(constants.get("start", ()))], absent=False)))
    axes.append(Axis("end", "dates", _date_pieces(
        _date_marks(constants.get("end", ())), absent=True)))
    axes.append(_quantity_axis("capacity", _dimensions(vocabularies, _CAPACITY_KINDS),
                               constants.get("capacity", ()), floor=True))
    axes.append(_quantity_axis("value", _dimensions(vocabularies, ("money",)),
                               constants.get("value", ()), floor=True))
    facts: dict[str, m.Fact] = {}
    for name, fact in vocabularies[0].facts.items():
        if all(v.facts.get(name) is not None and v.facts[name].type == fact.type
               for v in vocabularies[1:]):
            facts[name] = fact
            axes.append(_fact_axis(fact, constants.get(name, ())))
    read = [f.states() for f in files]  # `c is compliant` reads a fact named `c`: its verdict
    for name in sorted({n for states in read for n in states}):
        reached = tuple(dict.fromkeys(v for states in read for v in states.get(name, ())))
        facts[name] = m.Fact(name, m.FactType(m.FactKind.ENUM, reached), files[0].clauses[0].span)
        axes.append(_fact_axis(facts[name], ()))
    operators = {p: tuple(v.providers[p].operator for v in vocabularies)
                 for p in _shared([list(v.providers) for v in vocabularies])}
    relations = rel.relations_of(files, sided=any(
        len(set(ops)) > 1 for ops in operators.values()))
    axes += [Axis(f"relation:{i}", "truth", (Piece(True), Piece(False)))
             for i in range(len(relations))]
    return Space(tuple(axes), operators, facts, tuple(relations))


def _dimensions(vocabularies: Sequence[m.Vocabulary], kinds: tuple[str, ...]) -> list[str]:
    """The dimensions of `kinds` that every file knows (a unit one file declares alone
    makes a deployment the other cannot read)."""
    first, *others = [v.units.of_kinds(kinds) for v in vocabularies]
    return [d for d in first if all(d in o for o in others)]


def _date_marks(values: Sequence[m.Constant]) -> list[dt.date]:
    out: list[dt.date] = []
    for value in values:
        if isinstance(value, dt.date):
            out.append(value)
            if value < dt.date.max:
                out.append(value + _ONE_DAY)
    return out


def _fact_axis(fact: m.Fact, marks: Sequence[m.Constant]) -> Axis:
    name = "fact:" + fact.name
    kind = fact.type.kind
    if kind is m.FactKind.BOOL:
        return Axis(name, "values", (Piece(None), Piece(True), Piece(False)))
    if kind is m.FactKind.ENUM:
        return Axis(name, "values", (Piece(None), *(Piece(v) for v in fact.type.values)))
    if kind is m.FactKind.DATE:
        return Axis(name, "dates", _date_pieces(_date_marks(marks), absent=True))
    dimensions = [fact.type.dimension]
    for value in marks:
        if isinstance(value, Quantity) and value.dimension not in dimensions:
            dimensions.append(value.dimension)
    return _quantity_axis(name, dimensions, marks, floor=True)


# ---------------------------------------------------------------- splitting


@dataclass(frozen=True, slots=True)
class Item:
    """A clause in play: which file (`side`) it belongs to."""

    side: int
    clause: m.Clause


def _sign(a: object, b: object) -> int:
    return int(a > b) - int(a < b)  # type: ignore[operator]


def _ordered_signature(piece: Piece, marks: Sequence[object]) -> object:
    if piece.absent:
        return "absent"
    value = piece.value
    if isinstance(value, Quantity):
        return (value.dimension, tuple(_sign(value.amount, c.amount) for c in marks
                                       if isinstance(c, Quantity)
                                       and c.dimension == value.dimension))
    return tuple(_sign(value, c) for c in marks)


class Splitter:
    """The recursive split of the space for a set of clauses.

    `as_of[side]`: that file's fixed evaluation date (its clauses are then
    filtered once, by it), else None (each start date is the evaluation date).
    `complete`: leave absent values out (what `analyze` enumerates).
    """

    def __init__(self, space: Space, as_of: Sequence[dt.date | None], complete: bool) -> None:
        self.space = space
        self.as_of = tuple(as_of)
        self.complete = complete
        self._names = {a.name: i for i, a in enumerate(space.axes)}
        self._found: dict[object, dict[str, object] | None] = {}
        self._involved: dict[tuple[int, ...], tuple[list[int], list[str]]] = {}
        self._plain = [(i, a) for i, a in enumerate(space.axes) if a.relation is None]
        self._relations = [(i, space.relations[a.relation]) for i, a in enumerate(space.axes)
                           if a.relation is not None]

    def _groups(self, axis_name: str, items: Sequence[Item]) -> list[list[int]]:
        """The pieces of one axis told apart by `items`, grouped (each group in order)."""
        axis = self.space.axes[self._names[axis_name]]
        field = axis.fact or axis_name
        marks: list[object] = []
        operators: set[str] = set()
        for item in items:
            found = clause_constants(item.clause)
            marks += found.get(field, ())
            if axis_name == "provider":
                operators.update(str(v) for v in found.get("operator", ()))
            if axis_name == "start" and self.as_of[item.side] is None:
                marks.append(item.clause.in_force_from)
                if item.clause.in_force_through is not None:
                    marks.append(item.clause.in_force_through)
        signature: Callable[[Piece], object]
        if axis.kind in ("values", "truth"):
            signature = lambda p: p.value  # noqa: E731  (bool facts are read bare)
        elif axis.kind == "names":
            named = set(marks)
            if axis_name in ("party", "provider") and self._sided(items):
                signature = lambda p: p.value  # noqa: E731  (each name apart)
            elif axis_name == "provider":
                ops = self.space.operators
                signature = lambda p: (p.value if p.value in named else "~",  # noqa: E731
                                       tuple(o if o in operators else "~"
                                             for o in ops.get(str(p.value), ())))
            else:
                signature = lambda p: (  # noqa: E731
                    p.value if p.value in named or p.absent else "~", p.absent)
        else:
            ordered = sorted(set(marks), key=_mark_key)
            signature = lambda p: _ordered_signature(p, ordered)  # noqa: E731
        groups: dict[object, list[int]] = {}
        complete = self.complete and len(axis.pieces) > 1
        for i, piece in enumerate(axis.pieces):
            if complete and piece.absent:
                continue
            groups.setdefault(signature(piece), []).append(i)
        return list(groups.values())

    def _sided(self, items: Sequence[Item]) -> bool:
        """Whether a clause of `items` reads the operator in a relation that is no axis
        (the files give a provider different operators): each party and provider is
        then a piece group of its own, on which that relation is fixed in either file."""
        return any(r not in self.space.relations
                   for i in items for r in m.clause_relations(i.clause))

    def _keep(self, axis_name: str, piece: Piece, items: Sequence[Item]) -> list[Item]:
        """The clauses that can still scope deployments of `piece` on that axis."""
        value = piece.value
        if axis_name == "start":
            return [i for i in items
                    if self.as_of[i.side] is not None
                    or i.clause.in_force_on(value)]  # type: ignore[arg-type]
        out: list[Item] = []
        for item in items:
            scope = item.clause.scope
            if axis_name == "party":
                allowed, negated = scope.parties, False
            elif axis_name == "workload":
                allowed, negated = scope.workloads, False
            elif axis_name == "provider":
                allowed, negated = scope.providers, scope.providers_negated
            else:
                allowed, negated = scope.regions, scope.regions_negated
            if allowed is None or value is None or (value in allowed) != negated:
                out.append(item)
        return out

    def leaves(self, items: Sequence[Item],
               prune: Callable[[Sequence[Item], bool], bool] | None = None,
               ) -> Iterator[tuple[Box, Deployment, list[Item]]]:
        """Each leaf box, its representative deployment and the clauses in play there.

        `prune(items, dated)` says that a subtree can be skipped (nothing there can
        differ); `dated`: its start dates are already split (windows settled).
        """
        items = [i for i in items if self.as_of[i.side] is None
                 or i.clause.in_force_on(self.as_of[i.side])]  # type: ignore[arg-type]
        full = tuple(frozenset(range(len(a.pieces))) for a in self.space.axes)
        yield from self._split(list(full), items, [*NAME_AXES[:2], "start", *NAME_AXES[2:]],
                               prune)

    def _split(self, box: list[frozenset[int]], items: list[Item], todo: list[str],
               prune: Callable[[Sequence[Item], bool], bool] | None,
               ) -> Iterator[tuple[Box, Deployment, list[Item]]]:
        if prune is not None and prune(items, "start" not in todo):
            return
        if not todo:
            yield from self._variables(box, items)
            return
        name, rest = todo[0], todo[1:]
        at = self._names[name]
        axis = self.space.axes[at]
        for group in self._groups(name, items):
            kept = self._keep(name, axis.pieces[group[0]], items)
            box[at] = frozenset(group)
            yield from self._split(box, kept, rest, prune)
        box[at] = frozenset(range(len(axis.pieces)))

    def _variables(self, box: list[frozenset[int]], items: list[Item],
                   ) -> Iterator[tuple[Box, Deployment, list[Item]]]:
        reads: dict[str, None] = {}
        relations: dict[m.Relation, None] = {}
        for item in items:
            conditions = [item.clause.scope.condition]
            if isinstance(item.clause.rule, m.Requirement):
                conditions.append(item.clause.rule.condition)
            for cond in conditions:
                condition_reads(cond, reads)
                relations.update(dict.fromkeys(m.relations_in(cond)))
        names = [n for n in reads if n in FIELD_AXES or n in self.space.facts]
        axes = [n if n in FIELD_AXES else "fact:" + n for n in names]
        choices = [self._groups(a, items) for a in axes]
        positions = {r: self.space.index(f"relation:{i}")
                     for i, r in enumerate(self.space.relations) if r in relations}
        for pick in itertools.product(*choices):
            leaf = list(box)
            for a, group in zip(axes, pick, strict=True):
                leaf[self._names[a]] = frozenset(group)
            # A relation unknown throughout the leaf is left whole.
            split = [at for r, at in positions.items() if self._decided(leaf, r)]
            for truths in itertools.product(*([frozenset([0]), frozenset([1])] for _ in split)):
                for at, truth in zip(split, truths, strict=True):
                    leaf[at] = truth
                d = self.witness(tuple(leaf), "cell")
                if d is not None:
                    yield tuple(leaf), d, items

    def _decided(self, box: Sequence[frozenset[int]], relation: m.Relation) -> bool:
        """Whether `relation` can hold or fail in `box` (else it is unknown throughout)."""
        operands = [self._present(box, a) for a in rel.operand_axes(relation)]
        return all(operands) and rel.comparable(operands)

    def _present(self, box: Sequence[frozenset[int]], axis_name: str) -> list[Piece]:
        if (at := self._names.get(axis_name)) is None:
            return []  # a fact the files do not declare alike: no cell sets it
        pieces = self.space.axes[at].pieces
        return [pieces[i] for i in box[at] if not pieces[i].absent]

    def witness(self, box: Box, ident: str) -> Deployment | None:
        """The box's representative: the first piece of each axis (absent where allowed),
        with an end not before its start, and each relation the box fixes going its way;
        None when the box holds no such deployment (or the search finds none)."""
        values: dict[str, object] = {}
        facts: dict[str, FactValue] = {}
        for at, axis in self._plain:
            pieces = box[at]
            piece = axis.pieces[min(pieces)]
            if axis.kind != "names" and axis.name != "start" and len(pieces) == len(
                    axis.pieces):
                piece = axis.pieces[0]     # any value: the absent one (first)
            if axis.fact is not None:
                if not piece.absent:
                    facts[axis.fact] = piece.value  # type: ignore[assignment]
            else:
                values[axis.name] = piece.value
        dates = self._dates(box)
        if dates is None:
            return None
        base = Deployment(ident, str(values["party"]), str(values["workload"]),
                          str(values["provider"]), dates[0], values["region"],  # type: ignore[arg-type]
                          dates[1], values["capacity"], values["value"],  # type: ignore[arg-type]
                          facts)
        fixed = [(at, r, 0 in box[at]) for at, r in self._relations if len(box[at]) == 1]
        if not fixed:
            return base
        return self._search(box, base, fixed)

    def _search(self, box: Box, base: Deployment,
                fixed: list[tuple[int, m.Relation, bool]]) -> Deployment | None:
        """A deployment of the box on which each relation of `fixed` (its axis, itself, its
        truth) has its truth value.

        The search reads only the start, the end and the relations' operands: its answer,
        kept, serves every box alike on those axes (many leaves, one search)."""
        positions = tuple(at for at, _, _ in fixed)
        if positions not in self._involved:
            operands = list(dict.fromkeys(a for _, r, _ in fixed for a in rel.operand_axes(r)))
            self._involved[positions] = ([self._names[a] for a in dict.fromkeys(
                ["start", "end", *operands])], operands)
        involved, operands = self._involved[positions]
        key = (positions, tuple(t for _, _, t in fixed), tuple(box[i] for i in involved))
        if key not in self._found:
            axes = self.space.axes
            self._found[key] = rel.representative(base, {
                axes[i].name: (axes[i], [axes[i].pieces[j] for j in sorted(box[i])])
                for i in involved}, operands, [(r, t) for _, r, t in fixed],
                self.space.operators_of(0))
        values = self._found[key]
        return None if values is None else rel.with_values(base, values)

    def _dates(self, box: Box) -> tuple[dt.date, dt.date | None] | None:
        """A start in the box and an end in it not before that start (None: no such pair)."""
        starts, ends = self.space.axes[self._names["start"]], self.space.axes[self._names["end"]]
        end_box = box[self._names["end"]]
        start_box = sorted(box[self._names["start"]])
        if len(start_box) == len(starts.pieces) and any(self.as_of):
            # Any start will do: the evaluation date itself reads best.
            start_box = [-1]
        for i in start_box:
            piece = starts.pieces[i] if i >= 0 else Piece(
                next(d for d in reversed(self.as_of) if d is not None), None, None)
            if len(end_box) == len(ends.pieces):
                return piece.value, None  # type: ignore[return-value]
            for j in sorted(end_box):
                found = _end_after(piece, ends.pieces[j])
                if found is not None:
                    return found
        return None


def _end_after(start: Piece, end: Piece) -> tuple[dt.date, dt.date | None] | None:
    """A day of `start` and a day of `end` not before it (None: `end` is all earlier)."""
    day: dt.date = start.value  # type: ignore[assignment]
    if end.absent:
        return day, None
    high: dt.date | None = end.high  # type: ignore[assignment]
    if high is not None and day > high:
        if start.low is not None and start.low > high:  # type: ignore[operator]
            return None
        day = high
    low: dt.date | None = end.low  # type: ignore[assignment]
    return day, day if low is None or low < day else low


def _holds(piece: Piece, value: object) -> bool:
    """Whether `value` (None: absent) lies in `piece`."""
    if value is None or piece.absent:
        return value is None and piece.absent
    if piece.low is None and piece.high is None and piece.dimension is None \
            and not isinstance(value, dt.date):
        return bool(piece.value == value)
    if isinstance(value, Quantity):
        if value.dimension != piece.dimension:
            return False
        value = value.amount
    elif not isinstance(value, dt.date):
        return bool(piece.value == value)
    low, high = piece.low, piece.high
    if low is not None and (value < low or (value == low and not piece.low_in)):  # type: ignore[operator]
        return False
    return not (high is not None
                and (value > high or (value == high and not piece.high_in)))  # type: ignore[operator]


def _mark_key(value: object) -> tuple[str, object]:
    if isinstance(value, Quantity):
        return (value.dimension, value.amount)
    return ("", value)
