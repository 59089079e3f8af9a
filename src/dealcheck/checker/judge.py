"""Judging one clause on one deployment: Kleene logic first, then the completions of its facts.

A finding is what every completion of the deployment's missing facts gives
(`checker.complete`); `combine` turns the findings into the verdict every
completion agrees on, naming the facts that would decide an undetermined one.
`overrides` says whether a permission naming a clause lifts it. The reference
evaluator (`evaluate.evaluate_reference`) and the fix search
(`checker.fixes`) both judge through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dealcheck.checker.compile import CompiledTerms, Plan
from dealcheck.checker.complete import (
    MAX_COMPLETIONS,
    Assignment,
    assignments,
    count,
    flip_relevant,
    missing_variables,
    with_values,
)
from dealcheck.checker.logic import Tri, tri_and, tri_not, undecided
from dealcheck.checker.results import Outcome, Verdict
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment


def overrides(plan: Plan, d: Deployment) -> tuple[Tri, list[Plan], bool]:
    """Whether some permission naming `plan` applies to `d` (and is not itself overridden).

    Returns the three-valued answer, the permissions that certainly apply, and
    whether every permission's answer is decided (then those are exactly the
    permissions that apply in every completion).
    """
    result: Tri = False
    applying: list[Plan] = []
    decided = True
    for permission in plan.overriders:
        applies = permission.tests.full_match(d)
        if applies is False:
            continue
        overridden, _, _ = overrides(permission, d)
        effective = tri_and(applies, tri_not(overridden))
        if effective is True:
            applying.append(permission)
            result = True
        elif effective is None:
            decided = False
            if result is not True:
                result = None
    return result, applying, decided


#: A finding's level in one completion: not violated, unknown, violated.
FINE, UNSURE, BROKEN = 0, 1, 2
_LEVEL = {Outcome.VIOLATED: BROKEN, Outcome.UNKNOWN: UNSURE}


@dataclass(slots=True)
class Judgement:
    """What one clause concludes about one deployment, over the completions of its facts.

    `names` are the missing facts enumerated (empty when Kleene logic
    decided); `table` gives the finding's level in each of their
    completions; `deciding` the names whose value alone changes it;
    `residual` what stays unknown inside a completion (a capacity in GPUs
    against a limit in GW).
    """

    plan: Plan
    outcome: Outcome
    applying: tuple[Plan, ...] = ()
    names: tuple[str, ...] = ()
    values: tuple[tuple[object, ...], ...] = ()
    table: dict[Assignment, int] = field(default_factory=dict)
    deciding: tuple[str, ...] = ()
    residual: tuple[str, ...] = ()


def kleene(plan: Plan, d: Deployment) -> tuple[Outcome | None, list[Plan], bool]:
    """The clause's finding by Kleene logic alone (None: it does not scope `d`).

    Returns the outcome, the permissions that lift it, and whether every
    completion of `d` is sure to give the same finding.
    """
    tests = plan.tests
    applies = tests.match(d)
    if applies is False:
        return None, [], True
    breach = tests.breach(d)
    violated = tri_and(applies, breach)
    if violated is False:
        # Not in scope in some completions: the finding exists if it is in scope in one.
        return Outcome.SATISFIED, [], applies is True
    overridden, applying, decided = overrides(plan, d) if plan.overriders else (False, [], True)
    if overridden is True:
        return Outcome.OVERRIDDEN, applying, violated is True and decided
    if violated is True and overridden is False:
        return Outcome.VIOLATED, [], True
    return Outcome.UNKNOWN, [], False


def judge(plan: Plan, d: Deployment, ct: CompiledTerms) -> Judgement | None:
    """The clause's finding on `d` as every completion of its missing facts gives it.

    None when it scopes no completion. A finding is `violated` (`satisfied`)
    when it is so in every completion, `overridden` when it is lifted in
    every completion where it would be violated, else `unknown`.
    """
    outcome, applying, exact = kleene(plan, d)
    if exact:
        return None if outcome is None else Judgement(plan, outcome, tuple(applying))
    variables = missing_variables(d, plan.reads, ct.domains)
    if not variables or count(variables) > MAX_COMPLETIONS:
        if outcome is None:  # pragma: no cover - a clause out of scope is exact
            return None
        residual = tuple(_kleene_missing(plan, d, ct)) if outcome is Outcome.UNKNOWN else ()
        return Judgement(plan, outcome, tuple(applying), residual=residual)
    table: dict[Assignment, int] = {}
    seen: set[Outcome | None] = set()
    lifting: list[list[Plan]] = []
    residual_names: dict[str, None] = {}
    for assignment in assignments(variables):
        completed = with_values(d, assignment)
        found, lifted, _ = kleene(plan, completed)
        seen.add(found)
        table[assignment] = _LEVEL.get(found, FINE) if found is not None else FINE
        if found is Outcome.OVERRIDDEN:
            lifting.append(lifted)
        elif found is Outcome.UNKNOWN:
            residual_names.update(dict.fromkeys(_kleene_missing(plan, completed, ct)))
    if seen == {None}:
        return None
    names = tuple(n for n, _ in variables)
    values = tuple(v for _, v in variables)
    if seen <= {None, Outcome.SATISFIED}:
        return Judgement(plan, Outcome.SATISFIED)
    if seen == {Outcome.VIOLATED}:
        return Judgement(plan, Outcome.VIOLATED)
    if seen <= {None, Outcome.SATISFIED, Outcome.OVERRIDDEN}:
        everywhere = [p for p in plan.overriders if all(p in ps for ps in lifting)]
        somewhere = [p for p in plan.overriders if any(p in ps for ps in lifting)]
        return Judgement(plan, Outcome.OVERRIDDEN, tuple(everywhere or somewhere))
    return Judgement(plan, Outcome.UNKNOWN, (), names, values, table,
                     tuple(flip_relevant(table, names)), tuple(residual_names))


@dataclass(slots=True)
class Combined:
    """The deployment's verdict over the completions of its unknown findings.

    `missing` names, per unknown finding, the facts that decide it and change
    the verdict; `because` lists the unknown clauses of which, whatever the
    facts they share, one is violated (when that makes the verdict).
    """

    verdict: Verdict
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    because: tuple[Judgement, ...] = ()


def combine(judged: list[Judgement]) -> Combined:
    """The verdict every completion agrees on, else `undetermined` with the deciding facts.

    Unknown findings that share no missing fact are independent: every
    completion is a violation exactly when every completion of one group of
    findings (those linked by shared facts) is. So each group is enumerated
    on its own, over the facts its findings read.
    """
    if any(j.outcome is Outcome.VIOLATED for j in judged):
        return Combined(Verdict.VIOLATION)
    unknown = [j for j in judged if j.outcome is Outcome.UNKNOWN]
    if not unknown:
        return Combined(Verdict.COMPLIANT)
    groups: list[tuple[list[Judgement], dict[Assignment, int] | None, tuple[str, ...]]] = []
    for group in _groups(unknown):
        table, names = _group_table(group)
        if table is not None and all(level == BROKEN for level in table.values()):
            return Combined(Verdict.VIOLATION, because=tuple(group))
        groups.append((group, table, names))
    # Undetermined. A fact changes the verdict when it changes its group's level in
    # some completion while every other group is at its lowest.
    lowest = [UNSURE if t is None else min(t.values()) for _, t, _ in groups]
    missing: dict[str, tuple[str, ...]] = {}
    for index, (group, table, names) in enumerate(groups):
        floor = max((low for i, low in enumerate(lowest) if i != index), default=FINE)
        if table is None:
            relevant = None
        else:
            relevant = set(flip_relevant(
                {a: max(level, floor) for a, level in table.items()}, names))
        for j in group:
            own = [n for n in j.deciding if relevant is None or n in relevant]
            missing[j.plan.id] = tuple(dict.fromkeys([*own, *j.residual]))
    return Combined(Verdict.UNDETERMINED, missing)


def _groups(unknown: list[Judgement]) -> list[list[Judgement]]:
    """The unknown findings, grouped so that no two groups share a missing fact."""
    groups: list[tuple[set[str], list[Judgement]]] = []
    for j in unknown:
        names = set(j.names)
        joined = [g for g in groups if g[0] & names]
        merged_names, merged = set(names), []
        for g in joined:
            merged_names |= g[0]
            merged += g[1]
            groups.remove(g)
        groups.append((merged_names, [*merged, j]))
    return [sorted(g, key=unknown.index) for _, g in groups]


def _group_table(group: list[Judgement]) -> tuple[dict[Assignment, int] | None, tuple[str, ...]]:
    """The highest level of the group's findings in each completion of their facts."""
    if len(group) == 1:
        j = group[0]
        return (j.table if j.names else None), j.names
    variables: dict[str, tuple[object, ...]] = {}
    for j in group:
        variables.update(zip(j.names, j.values, strict=True))
    ordered = list(variables.items())
    if any(not j.names for j in group) or count(ordered) > MAX_COMPLETIONS:
        return None, tuple(variables)
    table: dict[Assignment, int] = {}
    for assignment in assignments(ordered):
        chosen = dict(assignment)
        table[assignment] = max(j.table[tuple((n, chosen[n]) for n in j.names)] for j in group)
    return table, tuple(variables)


# ---------------------------------------------------------------- missing facts


def _scope_unknowns(scope: m.Scope, d: Deployment, ct: CompiledTerms) -> list[str]:
    out: list[str] = []
    if scope.regions is not None and d.region is None:
        out.append("region")
    out.extend(undecided(scope.condition, d, ct.operators))
    return out


def _missing(plan: Plan, d: Deployment, ct: CompiledTerms, applies: Tri, breach: Tri,
             overridden: Tri) -> list[str]:
    names: list[str] = []
    if applies is None:
        names += _scope_unknowns(plan.clause.scope, d, ct)
    if breach is None:
        rule = plan.clause.rule
        if isinstance(rule, m.Exclusivity):
            names.append("region")
        elif isinstance(rule, m.Requirement):
            names += undecided(rule.condition, d, ct.operators)
    if overridden is None:
        names += _permission_unknowns(plan, d, ct)
    return list(dict.fromkeys(names))


def _kleene_missing(plan: Plan, d: Deployment, ct: CompiledTerms) -> list[str]:
    """The facts and fields that Kleene logic names for a finding it leaves unknown."""
    applies = plan.match(d)
    breach = plan.breach(d)
    overridden = overrides(plan, d)[0] if plan.overriders else False
    return _missing(plan, d, ct, applies, breach, overridden)


def _permission_unknowns(plan: Plan, d: Deployment, ct: CompiledTerms) -> list[str]:
    names: list[str] = []
    for permission in plan.overriders:
        applies = permission.full_match(d)
        if applies is False:
            continue
        inner, _, _ = overrides(permission, d)
        if inner is True:
            continue  # an exception to it certainly applies: it cannot override
        if applies is None:
            names += _scope_unknowns(permission.clause.scope, d, ct)
        if inner is None:
            names += _permission_unknowns(permission, d, ct)
    return names
