"""The evaluation plan: compiled terms as column expressions, one plan for every SQL engine.

A deployment's outcome (verdict, `not_covered`, findings) is a function of
its *evaluation key* (see `checker.codegen.KeyShape`): the epoch of its
evaluation date, its party, workload, provider and region, the three-valued
state of each atomic condition the clauses read, and whether its start lies
in each aggregate's window. `EvaluationPlan` writes that key as SQL
expressions over a table of typed deployments (`RowColumns`), together with
how each row counts towards each aggregate (`Sighting`). The expressions are
sqlglot trees, dialect-neutral: `EvaluationPlan.select` renders them for
DuckDB today (and Spark tomorrow).

The key here holds the atoms of every key shape of the inventory's parties
and workloads in every epoch, not only of the row's own: a finer key than the
compiled evaluators' memo, so rows that share it share their outcome all the
more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal

from sqlglot import exp

from dealcheck.checker.aggregate import Tally
from dealcheck.checker.codegen import ABSENT, key_shape
from dealcheck.checker.compile import CompiledTerms
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity

__all__ = [
    "KEY_UNDECIDED",
    "EvaluationPlan",
    "RowColumns",
    "Sighting",
    "decimal_fits",
    "declined",
    "fact_column",
    "fact_dimension_column",
    "literal",
    "typed_columns",
]

#: The key's state of an atom whose field or fact is present but cannot decide it (the
#: compiled evaluators' None); ABSENT (2) is an absent field or fact, 0 and 1 false and true.
KEY_UNDECIDED = 3

#: What fills an absent region in a key column, so that keys join on equality
#: (no declared name is empty).
NO_REGION = ""


def declined(terms: m.Terms) -> m.Relation | m.Member | None:
    """The first comparison of two operands in `terms` (``value <= mfn_price``,
    ``start <= signed + 30 days``), else the first clause state (``minimums is
    compliant``), which the plan does not write as SQL; None if none.

    Terms with one are checked by the Python evaluators (`--engine auto`).
    """
    found = next(m.relations_of(terms), None)
    if found is not None:
        return found
    return next((t for c in terms.clauses for t in m.clause_states_read(c)), None)


def fact_column(name: str) -> str:
    """The column holding a fact's value (a quantity's amount)."""
    return f"fact:{name}"


def fact_dimension_column(name: str) -> str:
    """The column holding the dimension of a number fact's quantity."""
    return f"fact:{name}:dim"


def typed_columns(name: str, value: str, dimension: str,
                  ident: Callable[[str], str]) -> list[str]:
    """The SELECT items of `RowColumns` that hold the typed text of the value field or fact
    column `name` (``start``, ``capacity``, ``fact:NAME``), given the SQL of its value and
    of its quantity's dimension; `ident` quotes a column's name in the dialect."""
    if name in ("capacity", "value"):
        return [f"{value} AS {ident(name + '_amount')}", f"{dimension} AS {ident(name + '_dim')}"]
    if name.startswith("fact:"):
        return [f"{value} AS {ident(name)}",
                f"{dimension} AS {ident(fact_dimension_column(name[5:]))}"]
    return [f"{value} AS {ident(name)}"]


@dataclass(frozen=True, slots=True)
class RowColumns:
    """The table of typed deployments a plan reads: one row each, valid, in input order.

    Columns: ``rn`` (input order), ``id``, ``party``, ``workload``,
    ``provider``, ``region`` (text, NULL when absent), ``start`` and ``end``
    (dates), ``capacity_amount`` / ``value_amount`` (exact decimals in base
    units) with ``capacity_dim`` / ``value_dim``, and per declared fact
    `fact_column` (BOOLEAN, text, DATE or a decimal amount with
    `fact_dimension_column`).
    """

    facts: Mapping[str, m.FactType]

    def kind(self, ref: m.FieldRef) -> str:
        """What a reference reads: ``text``, ``date``, ``quantity`` or ``bool``."""
        if ref.is_fact:
            kind = self.facts[ref.name].kind
            return {m.FactKind.BOOL: "bool", m.FactKind.ENUM: "text",
                    m.FactKind.NUMBER: "quantity", m.FactKind.DATE: "date"}[kind]
        return {"date": "date", "quantity": "quantity"}.get(m.DEPLOYMENT_FIELDS[ref.name], "text")


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def literal(value: m.Constant) -> exp.Expr:
    """A constant of the terms as a SQL literal (a quantity: its amount in base units)."""
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, Quantity):
        return exp.Literal.number(format(value.amount, "f"))
    return exp.Literal.string(value)


def _in(value: exp.Expr, names: frozenset[str] | tuple[str, ...]) -> exp.Expr:
    """``value IN (names)``, NULL when `value` is; FALSE for no names."""
    if not names:
        return exp.Case().when(exp.Is(this=value, expression=exp.null()),
                               exp.null()).else_(exp.false())
    return exp.In(this=value, expressions=[exp.Literal.string(n) for n in sorted(names)])


_SQL_OPS: dict[m.CmpOp, type[exp.Binary]] = {
    m.CmpOp.EQ: exp.EQ, m.CmpOp.NE: exp.NEQ, m.CmpOp.LT: exp.LT,
    m.CmpOp.LE: exp.LTE, m.CmpOp.GT: exp.GT, m.CmpOp.GE: exp.GTE,
}


@dataclass(frozen=True, slots=True)
class Sighting:
    """How rows count towards one tally of an aggregate (`AggregateBook.tallies[index]`).

    `counts` is true for a row the tally sees (`Tally.observe` is not None),
    `certain` whether it certainly counts, `measure` the column holding the
    raw text of its quantity (None for a count: each row adds 1) and `known`
    whether that quantity is of the limit's dimension.
    """

    index: int
    counts: exp.Expr
    certain: exp.Expr
    measure: str | None
    known: exp.Expr


class EvaluationPlan:
    """How each row's evaluation key and aggregate sightings are computed, as SQL expressions.

    Args:
        ct: the compiled terms.
        facts: the declared facts (the columns of the rows table).
        as_of: the check's evaluation date; None judges each row on its start.
    """

    def __init__(self, ct: CompiledTerms, facts: Mapping[str, m.FactType],
                 as_of: dt.date | None, pairs: Iterable[tuple[str, str]]) -> None:
        self.ct = ct
        self.columns = RowColumns(facts)
        self.operators = dict(ct.operators)
        self.day: exp.Expr = (_col("start") if as_of is None else literal(as_of))
        self.pairs = sorted(set(pairs))
        # What each part of the key depends on: the (epoch, party, workload) whose
        # key shape holds it. Outside them the part is constant, as the compiled
        # evaluator of that shape never reads it.
        atoms: dict[m.Compare | m.Member | m.Truthy | m.Relation, set[_Where]] = {}
        windows: dict[tuple[dt.date | None, dt.date | None], set[_Where]] = {}
        scoped: set[_Where] = set()
        for position, start in enumerate(ct.starts):
            epoch = ct.epoch(start)
            if epoch is None:  # pragma: no cover - epochs start on or after the agreement
                continue
            for party, workload in self.pairs:
                where = (position, party, workload)
                shape = key_shape(epoch, party, workload)
                if not shape.constant:
                    scoped.add(where)
                for atom in shape.atoms:
                    atoms.setdefault(atom, set()).add(where)
                for plan in shape.aggregates:
                    rule = plan.clause.rule
                    assert isinstance(rule, m.Aggregate)  # INVARIANT: aggregates only
                    if rule.window_from is not None or rule.window_through is not None:
                        windows.setdefault((rule.window_from, rule.window_through),
                                           set()).add(where)
        self.atoms = tuple(atoms)
        self._atom_gates = tuple(atoms.values())
        self.windows = tuple(windows)
        self._window_gates = tuple(windows.values())
        self._scoped = scoped

    # -- the key -------------------------------------------------------------------

    def epoch(self) -> exp.Expr:
        """The position of the row's epoch in `CompiledTerms.starts` (-1 before the agreement)."""
        case = exp.Case()
        for position in range(len(self.ct.starts) - 1, -1, -1):
            case = case.when(exp.GTE(this=self.day.copy(),
                                     expression=literal(self.ct.starts[position])),
                             exp.Literal.number(position), copy=False)
        return case.else_(exp.Literal.number(-1), copy=False)

    def key(self) -> list[tuple[str, exp.Expr]]:
        """The key's columns, named: none is NULL, so keys join on equality.

        They read ``k_epoch`` (`epoch`), which `select` computes first.
        """
        scoped = self._gate(self._scoped)
        out: list[tuple[str, exp.Expr]] = [
            ("k_epoch", _col("k_epoch")),
            ("k_party", _col("party")), ("k_workload", _col("workload")),
            ("k_provider", _gated(scoped, _col("provider"), exp.Literal.string(""))),
            ("k_region", _gated(scoped.copy(), exp.func(
                "COALESCE", _col("region"), exp.Literal.string(NO_REGION)),
                exp.Literal.string(NO_REGION))),
        ]
        for number, (atom, where) in enumerate(zip(self.atoms, self._atom_gates, strict=True)):
            assert not isinstance(atom, m.Relation)  # INVARIANT: see `declined`
            read = self.read(atom.ref)
            value = self.condition(atom)
            state = (exp.Case()
                     .when(exp.Is(this=read, expression=exp.null()), exp.Literal.number(ABSENT),
                           copy=False)
                     .when(exp.Is(this=value.copy(), expression=exp.null()),
                           exp.Literal.number(KEY_UNDECIDED), copy=False)
                     .when(value, exp.Literal.number(1), copy=False)
                     .else_(exp.Literal.number(0), copy=False))
            out.append((f"k_atom{number}", _gated(self._gate(where), state,
                                                  exp.Literal.number(0))))
        for number, ((first, last), where) in enumerate(
                zip(self.windows, self._window_gates, strict=True)):
            window = exp.func("COALESCE", self._window(first, last), exp.false())
            out.append((f"k_window{number}", _gated(self._gate(where), window, exp.false())))
        return out

    def _gate(self, where: set[_Where]) -> exp.Expr:
        """Whether a row's (epoch, party, workload) is one of `where`."""
        every = len(self.pairs)
        by_epoch: dict[int, list[tuple[str, str]]] = {}
        for position, party, workload in sorted(where):
            by_epoch.setdefault(position, []).append((party, workload))
        if len(by_epoch) == len(self.ct.starts) and all(len(p) == every
                                                         for p in by_epoch.values()):
            return exp.true()
        tests: list[exp.Expr] = []
        for position, pairs in by_epoch.items():
            in_epoch = exp.EQ(this=_col("k_epoch"), expression=exp.Literal.number(position))
            if len(pairs) == every:
                tests.append(in_epoch)
                continue
            # Equalities, not a tuple IN: DuckDB joins for that, on every row.
            tests.append(exp.and_(in_epoch, exp.paren(exp.or_(*(
                exp.paren(exp.and_(
                    exp.EQ(this=_col("party"), expression=exp.Literal.string(p)),
                    exp.EQ(this=_col("workload"), expression=exp.Literal.string(w)),
                    copy=False), copy=False)
                for p, w in pairs), copy=False), copy=False), copy=False))
        return exp.or_(*tests, copy=False) if tests else exp.false()

    def select(self, table: str, dialect: str, carry: Sequence[str] = ()) -> str:
        """``SELECT rn, <carry>, day, <key> FROM table``, in `dialect`."""
        # Every expression here is built for this query alone: none is copied (`copy=False`).
        columns: list[exp.Expr] = [_col("rn"), *map(_col, carry),
                                   exp.alias_(self.day.copy(), "day", quoted=True, copy=False)]
        columns += [exp.alias_(e, name, quoted=True, copy=False) for name, e in self.key()]
        inner = exp.select(exp.Star(), exp.alias_(self.epoch(), "k_epoch", quoted=True,
                                                  copy=False), copy=False).from_(
            exp.to_table(table, quoted=True), copy=False)
        return exp.select(*columns, copy=False).from_(inner.subquery("r", copy=False),
                                                      copy=False).sql(dialect=dialect)

    def _window(self, first: dt.date | None, last: dt.date | None) -> exp.Expr:
        tests: list[exp.Expr] = []
        if first is not None:
            tests.append(exp.GTE(this=_col("start"), expression=literal(first)))
        if last is not None:
            tests.append(exp.LTE(this=_col("start"), expression=literal(last)))
        return exp.and_(*tests) if tests else exp.true()

    # -- conditions ----------------------------------------------------------------

    def read(self, ref: m.FieldRef) -> exp.Expr:
        """The column (or expression) a reference reads; NULL when absent."""
        if ref.is_fact:
            return _col(fact_column(ref.name))
        if ref.name == "operator":
            case = exp.Case(this=_col("provider"))
            for provider, operator in sorted(self.operators.items()):
                case = case.when(exp.Literal.string(provider), exp.Literal.string(operator))
            return case
        if ref.name in ("capacity", "value"):
            return _col(f"{ref.name}_amount")
        return _col(ref.name)

    def _dimension(self, ref: m.FieldRef) -> exp.Expr:
        return _col(fact_dimension_column(ref.name) if ref.is_fact else f"{ref.name}_dim")

    def condition(self, cond: m.Condition) -> exp.Expr:
        """The condition, three-valued as SQL is: NULL is unknown (`logic.compile_condition`)."""
        if isinstance(cond, m.Not):
            return exp.Not(this=exp.paren(self.condition(cond.item)))
        if isinstance(cond, m.And | m.Or):
            parts = [exp.paren(self.condition(i)) for i in cond.items]
            return exp.and_(*parts) if isinstance(cond, m.And) else exp.or_(*parts)
        # INVARIANT: terms with a relation never get a plan (`declined`).
        assert not isinstance(cond, m.Relation)
        read = self.read(cond.ref)
        kind = self.columns.kind(cond.ref)
        if isinstance(cond, m.Truthy):
            return read if kind == "bool" else _unless_null(read, exp.false())
        if isinstance(cond, m.Member):
            member = _in(read, cond.values)
            return exp.Not(this=exp.paren(member)) if cond.negated else member
        return self._compare(cond, read, kind)

    def _compare(self, cond: m.Compare, read: exp.Expr, kind: str) -> exp.Expr:
        """`logic.compare_values` over a column of `kind`."""
        right, op = cond.value, cond.op
        sql_op = _SQL_OPS[op]
        if isinstance(right, Quantity):
            if kind == "quantity":
                same = exp.EQ(this=self._dimension(cond.ref),
                              expression=exp.Literal.string(right.dimension))
                return exp.Case().when(same, sql_op(this=read, expression=literal(right))
                                       ).else_(exp.null())
        elif isinstance(right, dt.date):
            if kind == "date":
                return sql_op(this=read, expression=literal(right))
        elif isinstance(right, bool):
            if kind == "bool" and op in (m.CmpOp.EQ, m.CmpOp.NE):
                return sql_op(this=read, expression=literal(right))
        elif kind == "text" and op in (m.CmpOp.EQ, m.CmpOp.NE):
            return sql_op(this=read, expression=literal(right))
        # Values of different types: equal never, unequal always, unordered.
        if op is m.CmpOp.EQ:
            return _unless_null(read, exp.false())
        if op is m.CmpOp.NE:
            return _unless_null(read, exp.true())
        return exp.null()

    # -- aggregates ----------------------------------------------------------------

    def sightings(self, tallies: Sequence[Tally]) -> list[Sighting]:
        """How rows count towards each tally (`Tally.observe_reference` is the definition)."""
        out: list[Sighting] = []
        for index, tally in enumerate(tallies):
            rule, scope = tally.rule, tally.plan.clause.scope
            start = _col("start")
            tests: list[exp.Expr] = [exp.GTE(this=start, expression=literal(tally.first))]
            for bound in (tally.last, rule.window_through, rule.deadline):
                if bound is not None:
                    tests.append(exp.LTE(this=start.copy(), expression=literal(bound)))
            if rule.window_from is not None:
                tests.append(exp.GTE(this=start.copy(), expression=literal(rule.window_from)))
            for values, field in ((scope.parties, "party"), (scope.workloads, "workload")):
                if values is not None:
                    tests.append(_in(_col(field), values))
            if scope.providers is not None:
                inside = _in(_col("provider"), scope.providers)
                tests.append(exp.Not(this=exp.paren(inside)) if scope.providers_negated
                             else inside)
            certain: list[exp.Expr] = []
            if scope.regions is not None:
                inside = _in(_col("region"), scope.regions)
                fits = exp.Not(this=exp.paren(inside)) if scope.regions_negated else inside
                # An absent region may count; a region outside does not.
                tests.append(exp.func("COALESCE", exp.paren(fits), exp.true()))
                certain.append(exp.Not(this=exp.Is(this=_col("region"), expression=exp.null())))
            if scope.condition is not None:
                holds = exp.paren(self.condition(scope.condition))
                tests.append(exp.func("COALESCE", holds, exp.true()))
                certain.append(exp.func("COALESCE", holds.copy(), exp.false()))
            if rule.counted:
                out.append(Sighting(index, exp.and_(*tests),
                                    exp.and_(*certain) if certain else exp.true(),
                                    None, exp.true()))
                continue
            known = exp.func("COALESCE", exp.EQ(
                this=_col(f"{rule.measure}_dim"),
                expression=exp.Literal.string(rule.limit.dimension)), exp.false())
            out.append(Sighting(index, exp.and_(*tests),
                                exp.and_(*certain) if certain else exp.true(),
                                rule.measure, known))
        return out


#: A key shape's place: the position of its epoch in `CompiledTerms.starts`, party, workload.
_Where = tuple[int, str, str]


def _gated(gate: exp.Expr, value: exp.Expr, otherwise: exp.Expr) -> exp.Expr:
    if isinstance(gate, exp.Boolean) and gate.this:
        return value
    return exp.Case().when(gate, value, copy=False).else_(otherwise, copy=False)


def _unless_null(value: exp.Expr, then: exp.Expr) -> exp.Expr:
    return exp.Case().when(exp.Is(this=value, expression=exp.null()), exp.null()).else_(then)


#: Room for the 38 digits of DECIMAL(38, 9) (the default context keeps 28).
_DECIMAL_38 = Context(prec=38)


def decimal_fits(amount: Decimal) -> bool:
    """Whether an amount is held exactly by the plan's decimal columns (DECIMAL(38, 9)).

    >>> decimal_fits(Decimal("99999999999999999999999999999.5")), decimal_fits(Decimal("1e29"))
    (True, False)
    """
    return (amount.is_finite() and amount.copy_abs() < 10 ** 29
            and amount == amount.quantize(Decimal("1e-9"), context=_DECIMAL_38))
