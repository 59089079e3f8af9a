"""Strategies for clause states as conditions (``c1 is compliant`` in a `when` or `only if`).

Part of `dealcheck.testing._documents`, which imports this module; its
helpers are imported here when called, so that neither module loads first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from dealcheck.dsl import ast

if TYPE_CHECKING:
    from dealcheck.testing._documents import ClauseVersion, _PlanDraft


def reachable(v: ClauseVersion) -> tuple[str, ...]:
    """The state words a version of an aggregate can be tested for (none for other kinds)."""
    rule = v.rule
    if not isinstance(rule, ast.Aggregate):
        return ()
    if rule.is_cap:   # a cap, or a share of at most P%: never open
        return ("compliant", "violated")
    return ("compliant", "violated", "open")


def _joined(draw_bool: bool, first: ast.Cond | None, test: ast.Cond) -> ast.Cond:
    """`test`, alone or joined to an existing condition by `and` / `or`."""
    from dealcheck.testing._documents import _disjunct, _operand

    if first is None:
        return test
    if draw_bool:
        return ast.And((_operand(first), test))
    return ast.Or((_disjunct(first), test))


def _with_test(rule: ast.Rule, test: ast.Cond, in_rule: bool, joined: bool) -> ast.Rule:
    """`rule` with the state test added to its `only if` (when `in_rule`) or its `when`."""
    if in_rule and isinstance(rule, ast.Restriction) and isinstance(rule.kind, ast.OnlyIf):
        return replace(rule, kind=ast.OnlyIf(_joined(joined, rule.kind.cond, test)))
    pattern = replace(rule.pattern, when=_joined(joined, rule.pattern.when, test))
    return replace(rule, pattern=pattern)


def link_states(plan: _PlanDraft) -> None:
    """Some clauses test the state of an earlier aggregate: never a cycle, never a state the
    aggregate cannot reach (each of its versions counted)."""
    from dealcheck.testing._documents import _BOOLEANS, _maybe, _pick

    draw = plan.draw
    states: dict[str, set[str]] = {}
    for v in plan.all_versions:
        states.setdefault(v.id, set()).update(reachable(v))
    for v in plan.all_versions:
        candidates = sorted(i for i, rank in plan.order.items()
                            if rank < plan.order[v.id] and states.get(i))
        if not candidates or not _maybe(draw, 2):
            continue
        target = _pick(draw, candidates)
        word = _pick(draw, sorted(states[target]))
        test: ast.Cond = ast.ClauseState(ast.Name(target), word)
        if draw(_BOOLEANS) and draw(_BOOLEANS):
            test = ast.Not(test)
        v.rule = _with_test(v.rule, test, draw(_BOOLEANS), draw(_BOOLEANS))
