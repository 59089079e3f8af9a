"""Resolution pass 1: the vocabulary — parties, providers, workloads, regions, units and facts.

Groups are the next pass (`groups`); what a declaration refers to (a
provider's operator) is checked once they are known (`operators`).
"""

from __future__ import annotations

from typing import TypeVar, assert_never

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Related, did_you_mean
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import KEYWORD_FIELDS, Context
from dealcheck.rules.resolve.undeclared import unknown, unknown_unit
from dealcheck.rules.units import DECLARABLE_KINDS

T = TypeVar("T")


def vocabulary(ctx: Context) -> None:
    """Declare every name of the document, in the order written, then its facts (DC102, DC107)."""
    v = ctx.vocab
    facts: list[ast.FactDecl] = []
    for item in ctx.doc.items:
        match item:
            case ast.PartyDecl():
                for n in item.names:
                    declare(ctx, v.parties, "party", n, n.span)
            case ast.ProviderDecl():
                declare(ctx, v.providers, "provider", item.name,
                        m.Provider(item.name.value, item.operator.value, item.name.span))
            case ast.WorkloadDecl():
                for n in item.names:
                    declare(ctx, v.workloads, "workload", n, n.span)
            case ast.RegionDecl():
                for n in item.names:
                    declare(ctx, v.regions, "region", n, n.span)
            case ast.UnitDecl():
                unit(ctx, item)
            case ast.FactDecl():
                facts.append(item)  # after the units, which their types may name
            case (ast.ProviderGroupDecl() | ast.WorkloadGroupDecl() | ast.RegionGroupDecl()
                  | ast.Clause() | ast.Amendment() | ast.Example()):
                pass  # later passes
            case _:
                assert_never(item)
    for f in facts:
        fact(ctx, f)


def operators(ctx: Context) -> None:
    """Every provider's operator is a declared party (DC101, DC117); run after `groups`."""
    v = ctx.vocab
    for p in v.providers.values():
        if p.operator not in v.parties and p.operator not in ctx.broken:
            decl = next(i for i in ctx.doc.items if isinstance(i, ast.ProviderDecl)
                        and i.name.value == p.name)
            unknown(ctx, "party", decl.operator, v.parties)


def declare(ctx: Context, table: dict[str, T], kind: str, name: ast.Name, value: T) -> None:
    """Add `name` to `table`, or report it declared twice (DC102)."""
    if name.value in table:
        first = table[name.value]
        span = first if isinstance(first, Span) else getattr(first, "span", None)
        related = [Related(span, "first declared here")] if isinstance(span, Span) else []
        ctx.err("DC102", f"{kind} `{name.value}` is declared twice", name.span,
                "remove one of the declarations", related)
        return
    table[name.value] = value


def unit(ctx: Context, d: ast.UnitDecl) -> None:
    v = ctx.vocab
    if d.name.value in v.units.units:
        ctx.err("DC102", f"unit `{d.name.value}` is already defined", d.name.span,
                "use the existing unit")
        return
    kind = None if d.dimension is None else d.dimension.value
    if d.dimension is not None and kind not in DECLARABLE_KINDS:
        close = did_you_mean(d.dimension.value, DECLARABLE_KINDS)
        other = " or ".join(f"`unit {d.name.value}: {k}`" for k in DECLARABLE_KINDS)
        ctx.err("DC150", f"unknown dimension `{d.dimension.value}` for unit `{d.name.value}`",
                d.dimension.span,
                f"did you mean `{close}`?" if close else
                f"a unit is {other}, or a dimension of its own: `unit {d.name.value}`")
        kind = close  # read as the dimension it is close to: one error, not one per use
    v.units.declare(d.name.value, kind)
    v.declared_units[d.name.value] = d.name.span


def fact(ctx: Context, d: ast.FactDecl) -> None:
    name = d.name.value
    if name in KEYWORD_FIELDS:
        ctx.err("DC102", f"fact `{name}` has the name of a deployment field", d.name.span,
                "choose another name: conditions read the field `" + name + "` by that name")
        return
    ftype = fact_type(ctx, d)
    if ftype is not None:
        declare(ctx, ctx.vocab.facts, "fact", d.name, m.Fact(name, ftype, d.name.span))


def fact_type(ctx: Context, d: ast.FactDecl) -> m.FactType | None:
    """The type of fact `d`; None when its unit is unknown (then the fact counts as broken)."""
    t = d.type
    match t:
        case ast.BoolType():
            return m.FactType(m.FactKind.BOOL)
        case ast.DateType():
            return m.FactType(m.FactKind.DATE)
        case ast.EnumType():
            seen: set[str] = set()
            for value in t.values:
                if value.value in seen:
                    ctx.err("DC102", f"`{value.value}` is listed twice", value.span,
                            "remove the repeated member")
                seen.add(value.value)
            return m.FactType(m.FactKind.ENUM, tuple(dict.fromkeys(x.value for x in t.values)))
        case ast.NumberType():
            if t.unit is None:
                return m.FactType(m.FactKind.NUMBER, unit=None, dimension="")
            dimension = ctx.vocab.units.dimension_of(t.unit.value)
            if dimension is None:
                unknown_unit(ctx, t.unit)
                # Reported once here, not again at each condition that reads it.
                ctx.broken = ctx.broken | {d.name.value}
                return None
            ctx.used["unit"].add(t.unit.value)
            return m.FactType(m.FactKind.NUMBER, unit=t.unit.value, dimension=dimension)
        case _:
            assert_never(t)
