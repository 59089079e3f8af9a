"""Resolution pass, after the exceptions: commitments ``in addition to`` another (DC133–DC136).

``reaches Q in addition to CLAUSE`` names a commitment of the same dimension,
not judged per period, and the chain of such commitments must end.
"""

from __future__ import annotations

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import Context
from dealcheck.rules.resolve.exceptions import find_cycle


def additions(ctx: Context) -> None:
    """Check every `in addition to`, then report each cycle of them once."""
    rules: dict[str, list[tuple[m.ClauseKind, m.Aggregate]]] = {}
    for c in ctx.clauses:
        if isinstance(c.rule, m.Aggregate):
            rules.setdefault(c.id, []).append((c.kind, c.rule))
    graph: dict[str, set[str]] = {}
    for v in ctx.versions:
        rule = v.node.rule
        if not isinstance(rule, ast.Aggregate) or rule.in_addition_to is None:
            continue
        if _checked(ctx, v.node.id.value, rule, rule.in_addition_to, rules):
            graph.setdefault(v.node.id.value, set()).add(rule.in_addition_to.value)
    for start in sorted(graph):
        cycle = find_cycle(graph, start)
        if cycle and cycle[0] == start and start == min(cycle):
            span = next(v.node.rule.in_addition_to.span for v in ctx.versions
                        if v.node.id.value == start
                        and isinstance(v.node.rule, ast.Aggregate)
                        and v.node.rule.in_addition_to is not None)
            ctx.err("DC136", "commitments are in addition to each other in a cycle: "
                    + " → ".join(f"`{x}`" for x in [*cycle, cycle[0]]), span,
                    "the first commitment of a chain stands on its own: remove its "
                    "`in addition to`")


def _checked(ctx: Context, ident: str, rule: ast.Aggregate, target: ast.Name,
             rules: dict[str, list[tuple[m.ClauseKind, m.Aggregate]]]) -> bool:
    """Whether `ident`'s target is a commitment it can be in addition to (DC133–DC135)."""
    found = rules.get(target.value)
    if found is None and target.value not in ctx.by_id:
        commitments = [c for c, versions in rules.items()
                       if any(k is m.ClauseKind.COMMITMENT for k, _ in versions) and c != ident]
        close = did_you_mean(target.value, commitments)
        ctx.err("DC133", f"unknown clause `{target.value}`", target.span,
                f"did you mean `{close}`?" if close else
                "name a commitment (`… reaches …`) of this agreement")
        return False
    if rule.period is not None or found is None or any(
            kind is not m.ClauseKind.COMMITMENT or r.period is not None for kind, r in found):
        if rule.period is not None:
            message = f"a commitment per {rule.period} cannot be in addition to another"
        else:
            message = f"clause `{target.value}` is not a commitment"
        ctx.err("DC134", message, target.span,
                "`in addition to` names a commitment (`… reaches …`) judged over its whole "
                "window")
        return False
    # The versions written `in addition to` this target (another version may be a cap).
    own = {r.limit.dimension for _, r in rules.get(ident, []) if r.in_addition_to == target.value}
    theirs = {r.limit.dimension for _, r in found}
    if own and theirs and own != theirs:
        ctx.err("DC135", f"`{ident}` and `{target.value}` count different things",
                target.span, "a commitment is in addition to one of the same measure and unit "
                "dimension")
        return False
    return True
