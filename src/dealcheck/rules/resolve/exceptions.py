"""Resolution pass 4: exceptions — permissions and the clauses they override.

A permission names, with `notwithstanding`, the restrictions or permissions
it lifts; each must exist, be in force at some time the permission is, and
the chain of exceptions must end (DC101, DC109, DC111, DC112).
"""

from __future__ import annotations

import datetime as dt

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Related, did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import Context, Version


def exceptions(ctx: Context) -> None:
    """Check every version's `notwithstanding`, then report each cycle of overrides once."""
    graph: dict[str, set[str]] = {}
    kinds = {c.id: c.kind for c in ctx.clauses}
    for v in ctx.versions:
        if _is_exception(ctx, v):
            for target in v.node.notwithstanding:
                if _overridable(ctx, v, target, kinds):
                    graph.setdefault(v.node.id.value, set()).add(target.value)
    for start in sorted(graph):
        cycle = find_cycle(graph, start)
        if cycle and cycle[0] == start and start == min(cycle):
            span = next(v.node.id.span for v in ctx.versions if v.node.id.value == start)
            ctx.err("DC112", "exceptions override each other in a cycle: "
                    + " → ".join(f"`{x}`" for x in [*cycle, cycle[0]]), span,
                    "an exception chain must end in a restriction")


def _is_exception(ctx: Context, v: Version) -> bool:
    """Whether `v` is a permission saying what it lifts (DC111 when only one of the two)."""
    c = v.node
    is_permission = isinstance(c.rule, ast.Permission)
    if c.notwithstanding and not is_permission:
        ctx.err("DC111", f"clause `{c.id.value}` is not a permission",
                c.notwithstanding[0].span,
                "only a permission (`… may run …`) can be an exception: write the "
                "rule as `may run`, or remove `notwithstanding`")
        return False
    if is_permission and not c.notwithstanding:
        restriction = next((r.node.id.value for r in ctx.versions
                            if isinstance(r.node.rule, ast.Restriction | ast.Prohibition)),
                           None)
        lifts = (f"add `notwithstanding {restriction}` (or the clause it lifts)"
                 if restriction else "add `notwithstanding` and the clause it lifts")
        ctx.err("DC111", f"permission `{c.id.value}` does not say what it is an "
                "exception to", c.id.span,
                f"{lifts} at the end of the header of `{c.id.value}`: a permission "
                "binds only against the clauses it names")
        return False
    return True


def _overridable(ctx: Context, v: Version, target: ast.Name,
                 kinds: dict[str, m.ClauseKind]) -> bool:
    """Whether the exception `v` may name `target`; False when it is not a clause at all."""
    name = v.node.id.value
    if target.value == name:
        ctx.err("DC112", f"clause `{name}` is an exception to itself", target.span,
                "name another clause")
        return False
    tv = ctx.by_id.get(target.value)
    if not tv:
        if target.value not in ctx.broken:
            close = did_you_mean(target.value, ctx.by_id)
            ctx.err("DC101", f"unknown clause `{target.value}`", target.span,
                    f"did you mean `{close}`?" if close else "name a clause defined in this file")
        return False
    kind = kinds.get(target.value)
    if kind is not None and kind.is_aggregate:
        ctx.err("DC111", f"`{target.value}` is a {kind}", target.span,
                "a permission can override a restriction or another permission, "
                "not an aggregate")
    elif v.start is not None and not any(overlap(v, t) for t in tv):
        t = tv[-1]
        ctx.err("DC109", f"clause `{target.value}` is never in force while `{name}` is",
                target.span, f"`{target.value}` is in force {window_text(t)}; "
                f"`{name}` {window_text(v)}",
                [Related(t.node.id.span, "the clause is defined here")])
    return True


def overlap(a: Version, b: Version) -> bool:
    """Whether two versions are in force on some common day."""
    if a.start is None or b.start is None:
        return True
    a_end = a.through or dt.date.max
    b_end = b.through or dt.date.max
    return a.start <= b_end and b.start <= a_end


def window_text(v: Version) -> str:
    if v.through is None:
        return f"from {v.start}"
    return f"from {v.start} through {v.through}"


def find_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """The first cycle reached from `start`, depth first in name order, or None."""
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in on_path:
            return path[path.index(node):]
        on_path.add(node)
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt)
            if found:
                return found
        on_path.discard(node)
        path.pop()
        return None

    return visit(start)
