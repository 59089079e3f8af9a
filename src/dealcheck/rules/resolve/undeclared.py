"""Diagnostics for a name or unit that is not declared, or is declared as another kind."""

from __future__ import annotations

from collections.abc import Iterable

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.kinds import KINDS, LOOKUP_ORDER
from dealcheck.rules.resolve.context import Context


def unknown(ctx: Context, kind: str, name: ast.Name, candidates: Iterable[str],
            extra: str | None = None) -> None:
    """Report `name`, used as a `kind`, as undeclared (its kind's code) or of another kind (DC117).

    Args:
        ctx: the resolution.
        kind: the kind that belongs where `name` is written.
        name: the name as written.
        candidates: the names a "did you mean" may suggest.
        extra: the help line of DC117 (default: "use a KIND here").
    """
    if name.value in ctx.broken:
        return  # its declaration had a syntax error, already reported
    wrong_kind = kind_of(ctx.vocab, name.value)
    if wrong_kind is not None and wrong_kind != kind:
        ctx.err("DC117", f"`{name.value}` is a {wrong_kind}, not a {kind}", name.span,
                extra or f"use a {kind} here")
        return
    close = did_you_mean(name.value, candidates)
    if close:
        help_text = f"did you mean `{close}`?"
    else:
        hint = KINDS[kind].declaration.format(
            name=name.value, party=next(iter(ctx.vocab.parties), "Acme"))
        help_text = f"declare it first, e.g. `{hint}`"
    ctx.err(KINDS[kind].unknown_code, f"unknown {kind} `{name.value}`", name.span, help_text)


def kind_of(vocab: m.Vocabulary, name: str) -> str | None:
    """What `name` is declared as (`provider`, `workload group`, …), if anything."""
    for kind in LOOKUP_ORDER:
        if name in kind.names_in(vocab):
            return kind.name
        if name in kind.groups_in(vocab):
            return kind.group_word
    return None


def unknown_unit(ctx: Context, unit: ast.Name,
                 dimensions: tuple[str, ...] | None = None) -> None:
    """DC107. Where the quantity must be of `dimensions`, only their units can help:
    a unit declared with `unit NAME` is a dimension of its own."""
    units = ctx.vocab.units.units
    if dimensions is None:
        close = did_you_mean(unit.value, units)
        ctx.err("DC107", f"unknown unit `{unit.value}`", unit.span,
                f"did you mean `{close}`?" if close else
                f"known units: {', '.join(units)}; declare a new one with "
                f"`unit {unit.value}`")
        return
    close = did_you_mean(unit.value, [u for u, (d, _) in units.items() if d in dimensions])
    ctx.err("DC107", f"unknown unit `{unit.value}`", unit.span,
            f"did you mean `{close}`?" if close else
            f"write it in {units_of(ctx.vocab, dimensions)}")


def units_of(vocab: m.Vocabulary, dimensions: tuple[str, ...]) -> str:
    """The units of `dimensions`, for a help line."""
    units = [f"`{u}`" for u, (d, _) in vocab.units.units.items() if d in dimensions]
    return ", ".join(units) if units else "plain numbers, without a unit"
