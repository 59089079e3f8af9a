"""Names, scopes, conditions and values: what clauses and examples write alike.

Used by the clauses pass (scopes, conditions, limits) and the examples pass
(an example deployment's quantities and facts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import assert_never

from dealcheck import limits
from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, KINDS
from dealcheck.rules.resolve.context import KEYWORD_FIELDS, MEASURES, Context
from dealcheck.rules.resolve.undeclared import units_of, unknown, unknown_unit
from dealcheck.rules.units import Quantity

#: The kinds of names a deployment field holds (`provider = Azure`).
_NAME_KINDS = frozenset(k.name for k in DEPLOYMENT_KINDS)


# ---------------------------------------------------------------- names and scopes
def names(ctx: Context, written: Iterable[ast.Name], kind: str) -> frozenset[str]:
    """The names of one kind, groups replaced by their members."""
    table = KINDS[kind]
    declared, groups = table.names_in(ctx.vocab), table.groups_in(ctx.vocab)
    out: set[str] = set()
    for n in written:
        if n.value in declared:
            out.add(n.value)
        elif n.value in groups:
            out |= groups[n.value]
            ctx.used[f"{kind}_group"].add(n.value)
        else:
            unknown(ctx, kind, n, [*declared, *groups])
    return frozenset(out)


def selection(ctx: Context, sel: ast.Selection | None,
              kind: str) -> tuple[frozenset[str] | None, bool]:
    """The names a selection chooses (None for "any") and whether it is negated."""
    if sel is None or sel.names is None:
        return None, False
    return names(ctx, sel.names, kind), sel.negated


def scope(ctx: Context, p: ast.Pattern) -> m.Scope:
    """The deployments a rule speaks of."""
    parties, _ = selection(ctx, p.parties, "party")
    workloads, _ = selection(ctx, p.workloads, "workload")
    providers, providers_negated = selection(ctx, p.providers, "provider")
    regions, regions_negated = selection(ctx, p.regions, "region")
    return m.Scope(parties, workloads, providers, providers_negated, regions,
                   regions_negated, condition(ctx, p.when) if p.when else None)


# ---------------------------------------------------------------- conditions
def condition(ctx: Context, c: ast.Cond) -> m.Condition:
    """A condition, every name and value in it checked (DC101, DC108, …)."""
    match c:
        case ast.Group():
            return condition(ctx, c.item)
        case ast.Not():
            return m.Not(condition(ctx, c.item), c.span)
        case ast.And():
            return m.And(tuple(condition(ctx, i) for i in c.items), c.span)
        case ast.Or():
            return m.Or(tuple(condition(ctx, i) for i in c.items), c.span)
        case ast.Truthy():
            return truthy(ctx, c)
        case ast.ClauseState():  # checked once every clause is known (`resolve.states`)
            return m.state_test(c.clause.value, c.state, c.span, c.clause.span)
        case ast.Member():
            ref = field_ref(ctx, c.left)
            values = member_values(ctx, ref, c.values) if ref else frozenset()
            return m.Member(ref or m.FieldRef(c.left.value, True, c.left.span), values,
                            c.negated, c.span)
        case ast.Compare() if _two_operands(ctx, c):
            from dealcheck.rules.resolve.relations import relation
            return relation(ctx, c.left, c.op, c.right, c.span)
        case ast.CompareExpr():
            from dealcheck.rules.resolve.relations import relation
            return relation(ctx, c.left, c.op, c.right, c.span)
        case ast.Within():
            from dealcheck.rules.resolve.relations import within
            return within(ctx, c)
        case ast.Compare():
            ref = field_ref(ctx, c.left)
            value = constant(ctx, ref, c.op, c.right) if ref else None
            return m.Compare(ref or m.FieldRef(c.left.value, True, c.left.span),
                             m.CmpOp(c.op), value if value is not None else False, c.span)
        case _:
            assert_never(c)


def _two_operands(ctx: Context, c: ast.Compare) -> bool:
    from dealcheck.rules.resolve.relations import compares_two_operands
    return compares_two_operands(ctx, c)


def truthy(ctx: Context, c: ast.Truthy) -> m.Truthy:
    """A bare name: a bool fact (DC108 for anything else)."""
    ref = field_ref(ctx, c.name)
    if ref is not None and ref.is_fact:
        fact = ctx.vocab.facts[ref.name]
        if fact.type.kind is not m.FactKind.BOOL:
            ctx.err("DC108", f"`{ref.name}` is not a bool fact", c.name.span,
                    f"compare it, e.g. `{example_comparison(ctx, ref)}`")
    elif ref is not None:
        ctx.err("DC108", f"the field `{ref.name}` is not a bool", c.name.span,
                f"compare it, e.g. `{example_comparison(ctx, ref)}`")
    return m.Truthy(ref or m.FieldRef(c.name.value, True, c.name.span), c.span)


def field_ref(ctx: Context, name: ast.Name) -> m.FieldRef | None:
    """The deployment field or fact `name` reads (DC101 when it is neither)."""
    if name.value in KEYWORD_FIELDS:
        return m.FieldRef(name.value, False, name.span)
    if name.value in ctx.vocab.facts:
        ctx.used["fact"].add(name.value)
        return m.FieldRef(name.value, True, name.span)
    if name.value in ctx.broken:
        return None
    candidates = [*ctx.vocab.facts, *KEYWORD_FIELDS]
    close = did_you_mean(name.value, candidates)
    ctx.err("DC101", f"unknown fact or field `{name.value}`", name.span,
            f"did you mean `{close}`?" if close else
            f"declare it, e.g. `fact {name.value}: bool`, or use a deployment field: "
            + ", ".join(sorted(KEYWORD_FIELDS)))
    return None


def example_comparison(ctx: Context, ref: m.FieldRef) -> str:
    """A comparison of `ref` that resolves in these terms, for help lines."""
    if ref.is_fact:
        ftype = ctx.vocab.facts[ref.name].type
        if ftype.kind is m.FactKind.ENUM:
            return f"{ref.name} = {ftype.values[0]}"
        if ftype.kind is m.FactKind.NUMBER:
            return f"{ref.name} >= {example_quantity(ctx, (ftype.dimension,))}"
        if ftype.kind is m.FactKind.BOOL:
            return f"{ref.name} = true"
        return f"{ref.name} >= 2025-01-01"
    kind = field_kind(ref)
    if kind == "quantity":
        dimensions = ctx.vocab.units.of_kinds(MEASURES[ref.name])
        return f"{ref.name} >= {example_quantity(ctx, dimensions)}"
    if kind == "date":
        return f"{ref.name} >= 2025-01-01"
    declared = ctx.vocab.names_of(kind)
    return f"{ref.name} = {declared[0] if declared else '…'}"


def example_quantity(ctx: Context, dimensions: tuple[str, ...]) -> str:
    """`1` in the first unit of `dimensions` (a plain `1` for plain numbers)."""
    unit = next((u for u, (d, _) in ctx.vocab.units.units.items() if d in dimensions), None)
    return f"1 {unit}" if unit else "1"


def field_kind(ref: m.FieldRef) -> str:
    """'party', 'workload', 'provider', 'region', 'date', 'quantity' or 'fact'."""
    if ref.is_fact:
        return "fact"
    return m.DEPLOYMENT_FIELDS[ref.name]


def member_values(ctx: Context, ref: m.FieldRef,
                  values: tuple[ast.Name, ...]) -> frozenset[str]:
    """The right side of `ref in (…)`: names of the field's kind, or an enumeration's members."""
    kind = field_kind(ref)
    if kind in _NAME_KINDS:
        return names(ctx, values, kind)
    if kind == "fact":
        fact = ctx.vocab.facts[ref.name]
        if fact.type.kind is m.FactKind.ENUM:
            out = set()
            for v in values:
                if v.value in fact.type.values:
                    out.add(v.value)
                else:
                    bad_member(ctx, fact, v)
            return frozenset(out)
    ctx.err("DC108", f"`{ref.name}` cannot be tested with `in`", ref.span,
            "`in` takes a list of names: use it with providers, regions, workloads, "
            "parties or an enumeration fact")
    return frozenset()


def bad_member(ctx: Context, fact: m.Fact, v: ast.Name) -> None:
    """DC108: `v` is not a member of the enumeration `fact`."""
    if v.value in ctx.broken:
        return
    close = did_you_mean(v.value, fact.type.values)
    ctx.err("DC108", f"`{v.value}` is not a value of `{fact.name}`", v.span,
            f"did you mean `{close}`?" if close else
            f"`{fact.name}` is one of: {', '.join(fact.type.values)}")


# ---------------------------------------------------------------- values
def constant(ctx: Context, ref: m.FieldRef, op: str, value: ast.Value) -> m.Constant | None:
    """The value `ref` is compared with by `op`, checked against its type (DC108)."""
    kind = field_kind(ref)
    if kind in _NAME_KINDS:
        return name_constant(ctx, ref, op, value, kind)
    if kind == "date":
        return date_constant(ctx, ref, value)
    if kind == "quantity":
        return quantity_constant(ctx, ref, value, ctx.vocab.units.of_kinds(MEASURES[ref.name]))
    fact = ctx.vocab.facts[ref.name]
    ftype = fact.type
    ordered = op in ("<", "<=", ">", ">=")
    if ftype.kind is m.FactKind.BOOL:
        if ordered or not isinstance(value, ast.BoolLit):
            ctx.err("DC108", f"`{ref.name}` is a bool fact", value.span,
                    f"write `{ref.name} = true` or `{ref.name} = false`")
            return None
        return value.value
    if ftype.kind is m.FactKind.ENUM:
        if ordered or not isinstance(value, ast.Name):
            ctx.err("DC108", f"`{ref.name}` is one of: {', '.join(ftype.values)}",
                    value.span, f"write e.g. `{ref.name} = {ftype.values[0]}`")
            return None
        if value.value not in ftype.values:
            bad_member(ctx, fact, value)
            return None
        return value.value
    if ftype.kind is m.FactKind.DATE:
        return date_constant(ctx, ref, value)
    return quantity_constant(ctx, ref, value, (ftype.dimension,))


def name_constant(ctx: Context, ref: m.FieldRef, op: str, value: ast.Value,
                  kind: str) -> str | None:
    """One declared name of `kind`, compared with `=` or `!=`."""
    if not isinstance(value, ast.Name):
        ctx.err("DC108", f"`{ref.name}` is compared with a name", value.span,
                f"write a {kind} name, e.g. `{example_comparison(ctx, ref)}`")
        return None
    if op in ("<", "<=", ">", ">="):
        ctx.err("DC108", f"`{op}` does not apply to `{ref.name}`", ref.span,
                "use `=`, `!=`, `in` or `not in`")
        return None
    if value.value in KINDS[kind].groups_in(ctx.vocab):
        ctx.err(KINDS[kind].group_as_name_code, f"`{value.value}` is a group: "
                f"`{ref.name}` is one {kind}", value.span,
                f"write `{ref.name} in {value.value}`")
        return None
    found = names(ctx, [value], kind)
    return next(iter(found)) if found else None


def date_constant(ctx: Context, ref: m.FieldRef, value: ast.Value) -> dt.date | None:
    if not isinstance(value, ast.DateLit):
        ctx.err("DC108", f"`{ref.name}` is a date", value.span,
                f"compare it with a date, e.g. `{ref.name} >= 2025-01-21`")
        return None
    return ctx.date(value)


def quantity_constant(ctx: Context, ref: m.FieldRef, value: ast.Value,
                      dimensions: tuple[str, ...]) -> Quantity | None:
    if not isinstance(value, ast.QuantityLit):
        ctx.err("DC108", f"`{ref.name}` is a quantity", value.span,
                f"compare it with a number, e.g. `{ref.name} >= "
                f"{example_quantity(ctx, dimensions)}`")
        return None
    return quantity(ctx, value, dimensions, f"`{ref.name}`")


def quantity(ctx: Context, q: ast.QuantityLit, dimensions: tuple[str, ...],
             what: str) -> Quantity | None:
    """The quantity written at `q`, in one of `dimensions` (DC106, DC107, DC118)."""
    if q.unit is not None and ctx.vocab.units.dimension_of(q.unit.value) is None:
        unknown_unit(ctx, q.unit, dimensions)
        return None
    if q.unit is not None:
        ctx.used["unit"].add(q.unit.value)
    try:
        found = ctx.vocab.units.quantity(q.number, q.unit.value if q.unit else None)
    except ValueError as exc:
        ctx.err("DC118", str(exc), q.span, "write a number such as `1.5`, `300M` or `4608`")
        return None
    if found.amount > (largest := limits.MAX_QUANTITY.value()):
        shown = q.number if len(q.number) <= 40 else q.number[:39] + "…"
        ctx.err("DC118", f"`{shown}` is too large", q.span,
                f"quantities are limited to {largest:.0e} base units; "
                f"{limits.over_limit_help(limits.MAX_QUANTITY)}")
        return None
    units = ctx.vocab.units
    if found.dimension not in dimensions and len(dimensions) == 1 \
            and units.kind_of(found.dimension) == units.kind_of(dimensions[0]):
        # `unit EUR: money` beside USD: one kind, but never converted.
        want, got = units.unit_of(dimensions[0]), units.unit_of(found.dimension)
        ctx.err("DC151", f"{what} is in {want}, but `{_q_text(q)}` is in {got}",
                q.unit.span if q.unit else q.span,
                f"write it in `{want}`: {_kind_plural(units.kind_of(found.dimension))} "
                "in different units are never converted")
        return None
    if found.dimension not in dimensions:
        kinds = dict.fromkeys(units.kind_of(d) for d in dimensions)
        wanted = " or ".join(describe_dimension(k) for k in kinds)
        got = describe_dimension(units.kind_of(found.dimension))
        ctx.err("DC106", f"{what} is {wanted}, but `{_q_text(q)}` is {got}",
                q.unit.span if q.unit else q.span,
                f"write it in {units_of(ctx.vocab, dimensions)}")
        return None
    return found


def _kind_plural(kind: str) -> str:
    return {"money": "amounts", "count": "counts"}.get(kind, "quantities")


def describe_dimension(dimension: str) -> str:
    return {"money": "money", "power": "power", "count": "a count", "": "a plain number"}.get(
        dimension, f"a number of `{dimension}`")


def _q_text(q: ast.QuantityLit) -> str:
    return f"{q.number} {q.unit.value}" if q.unit else q.number
