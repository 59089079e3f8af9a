"""Evaluation: one deployment against the compiled terms → verdict, findings, fixes.

Semantics (docs/language.md §10): a deployment is judged under the terms in
force on its evaluation date; facts are three-valued, and a verdict is the
one every completion of the missing facts agrees on (`checker.complete`); a
permission binds only against the clauses it names (and may itself be
overridden); the verdict is `violation` > `undetermined` > `compliant`, with
`not_covered` when no clause in force scopes the deployment.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from dealcheck.checker.compile import CompiledTerms, Epoch, Plan, compile_scope
from dealcheck.checker.complete import (
    CHANGEABLE_FIELDS,
    MAX_COMPLETIONS,
    Assignment,
    assignments,
    condition_reads,
    count,
    flip_relevant,
    missing_variables,
    with_values,
)
from dealcheck.checker.logic import (
    Test,
    Tri,
    requirement_text,
    show_constant,
    tri_and,
    tri_not,
    undecided,
)
from dealcheck.checker.results import Change, DeploymentResult, Finding, Fix, Outcome, Verdict
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment

_NO_FINDINGS: tuple[Finding, ...] = ()


def evaluation_date(d: Deployment, as_of: dt.date | None) -> dt.date:
    """The check's `as_of` date if given, else the deployment's `start`."""
    return as_of or d.start


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
        applies = permission.full_match(d)
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


def evaluate_deployment(ct: CompiledTerms, d: Deployment,
                        as_of: dt.date | None = None) -> DeploymentResult:
    """Judge one deployment.

    Args:
        ct: the compiled terms.
        d: a deployment validated against the terms' vocabulary.
        as_of: evaluate every deployment on this date instead of its `start`.

    Returns:
        The verdict with one finding per clause that scopes the deployment.
    """
    return ct.evaluate(d, as_of)


def evaluate_reference(ct: CompiledTerms, d: Deployment,
                       as_of: dt.date | None = None) -> DeploymentResult:
    """Judge one deployment by interpreting the clause plans directly.

    This is the definition of a deployment's result: the compiled evaluators
    (`checker.codegen`) call it once per distinct outcome key and share what
    it builds. It returns exactly what `evaluate_deployment` returns.

    Kleene logic decides first; only a clause that it leaves unknown (or
    whose answer rests on an unknown part) is judged over the completions of
    the facts it reads (`checker.complete`), and only when no clause is
    certainly violated are the unknown clauses combined, over the facts they
    share, to find whether every completion is a violation.
    """
    day = as_of or d.start
    epoch = ct.epoch(day)
    if epoch is None:
        return DeploymentResult(d.id, Verdict.COMPLIANT, day, True, _NO_FINDINGS, d.source)
    plans = epoch.restrictions_for(d.party, d.workload)
    if not plans:
        return DeploymentResult(d.id, Verdict.COMPLIANT, day, not _covered(epoch, d, ct),
                                _NO_FINDINGS, d.source)
    judged = [j for j in (judge(plan, d, ct) for plan in plans) if j is not None]
    combined = combine(judged)
    violated = {j.plan.id for j in judged if j.outcome is Outcome.VIOLATED}
    findings: list[Finding] = []
    for j in judged:
        plan = j.plan
        if j.outcome is Outcome.SATISFIED:
            findings.append(Finding(plan.id, Outcome.SATISFIED, _satisfied_message(plan, d),
                                    plan.location))
        elif j.outcome is Outcome.OVERRIDDEN:
            findings.append(Finding(plan.id, Outcome.OVERRIDDEN,
                                    _overridden_message(plan, list(j.applying)), plan.location,
                                    overridden_by=tuple(p.id for p in j.applying)))
        else:
            fixes = fixes_for(plan, d, ct, epoch, violated)
            text = ", or ".join(f.text for f in fixes) if fixes else None
            if j.outcome is Outcome.VIOLATED:
                findings.append(Finding(plan.id, Outcome.VIOLATED, _violated_message(plan, d),
                                        plan.location, fix=text, fixes=fixes))
            else:
                missing = combined.missing.get(plan.id, ())
                names = missing or j.deciding or j.residual
                message = _unknown_message(plan, names, combined, violated)
                findings.append(Finding(plan.id, Outcome.UNKNOWN, message, plan.location,
                                        missing, text, fixes=fixes))
    not_covered = not findings and not _covered(epoch, d, ct)
    return DeploymentResult(d.id, combined.verdict, day, not_covered, tuple(findings), d.source)


# ---------------------------------------------------------------- completions decide

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
    applies = plan.match(d)
    if applies is False:
        return None, [], True
    breach = plan.breach(d)
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


def evaluate_all(ct: CompiledTerms, deployments: Iterable[Deployment],
                 as_of: dt.date | None = None) -> Iterator[DeploymentResult]:
    """Judge deployments one by one, in order."""
    from dealcheck.checker.codegen import evaluate_stream

    return evaluate_stream(ct, deployments, as_of)


def _covered(epoch: Epoch, d: Deployment, ct: CompiledTerms) -> bool:
    """Whether any clause in force (permissions and aggregates included) scopes `d`
    in some completion of its missing facts."""
    for plan in epoch.restrictions_for(d.party, d.workload):
        if may_scope(plan, plan.match, d, ct):
            return True
    for plan in epoch.permissions_for(d.party, d.workload):
        if may_scope(plan, plan.match, d, ct):
            return True
    for plan in epoch.aggregates:
        rule = plan.clause.rule
        assert isinstance(rule, m.Aggregate)
        if rule.window_from and d.start < rule.window_from:
            continue
        if rule.window_through and d.start > rule.window_through:
            continue
        if may_scope(plan, plan.full_match, d, ct):
            return True
    return False


def may_scope(plan: Plan, test: Test, d: Deployment, ct: CompiledTerms) -> bool:
    """Whether the clause's scope holds in some completion of `d` (Kleene first)."""
    value = test(d)
    if value is not None:
        return value
    reads: dict[str, None] = {}
    scope = plan.clause.scope
    if scope.regions is not None:
        reads["region"] = None
    condition_reads(scope.condition, reads)
    variables = missing_variables(d, reads, ct.domains)
    if not variables or count(variables) > MAX_COMPLETIONS:
        return True
    return any(test(with_values(d, a)) is not False for a in assignments(variables))


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


# ---------------------------------------------------------------- words and fixes


def _names(names: Iterable[str]) -> str:
    items = [f"`{n}`" for n in names]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _what(d: Deployment) -> str:
    return f"`{d.workload}` by `{d.party}`"


def _satisfied_message(plan: Plan, d: Deployment) -> str:
    rule = plan.clause.rule
    if isinstance(rule, m.Exclusivity):
        where = f"on `{d.provider}`" if rule.target == "provider" else f"in `{d.region}`"
        return f"{_what(d)} runs {where}, as `{plan.id}` requires"
    if isinstance(rule, m.Requirement):
        return f"`{plan.id}` requires {requirement_text(rule.condition)}, which holds"
    return f"`{plan.id}` does not apply to this deployment"


def _violated_message(plan: Plan, d: Deployment) -> str:
    rule = plan.clause.rule
    if isinstance(rule, m.Exclusivity):
        if rule.target == "provider":
            return (f"{_what(d)} runs on `{d.provider}`, but `{plan.id}` allows only "
                    f"{_names(rule.written)}")
        return (f"{_what(d)} runs in `{d.region}`, but `{plan.id}` allows only "
                f"{_names(rule.written)}")
    if isinstance(rule, m.Requirement):
        return f"`{plan.id}` requires {requirement_text(rule.condition)}, which does not hold"
    return f"`{plan.id}` prohibits {_what(d)} on `{d.provider}`"


def _unknown_message(plan: Plan, names: Sequence[str], combined: Combined,
                     violated: set[str]) -> str:
    facts = _names(names) if names else "a fact"
    verb = "are" if len(names) > 1 else "is"
    text = f"whether `{plan.id}` is met depends on {facts}, which {verb} unknown"
    if combined.verdict is not Verdict.VIOLATION:
        return text
    if violated:
        return f"{text}; it cannot change the verdict: {_names(sorted(violated))} is violated"
    shared = list(dict.fromkeys(n for j in combined.because for n in j.names))
    clauses = _names(j.plan.id for j in combined.because)
    return f"{text}; for every value of {_names(shared)}, {clauses} is violated"


def _overridden_message(plan: Plan, applying: list[Plan]) -> str:
    ids = _names(p.id for p in applying)
    return f"`{plan.id}` does not bind: {ids} applies"


def _scope_exits(scope: m.Scope, ct: CompiledTerms) -> list[Fix]:
    """Ways to leave a clause's scope by choosing another provider or region."""
    out: list[Fix] = []
    vocab = ct.terms.vocabulary
    if scope.providers is not None:
        names = sorted(scope.providers)
        if scope.providers_negated:
            values, text = tuple(names), f"run on {_names(names)}"
        else:
            values = tuple(p for p in vocab.providers if p not in scope.providers)
            text = f"run on a provider other than {_names(names)}"
        if values:
            out.append(Fix((Change("provider", values, text),), text))
    if scope.regions is not None:
        names = sorted(scope.regions)
        if scope.regions_negated:
            values, text = tuple(names), f"run in {_names(names)}"
        else:
            values = tuple(r for r in vocab.regions if r not in scope.regions)
            text = f"run outside {_names(names)}"
        if values:
            out.append(Fix((Change("region", values, text),), text))
    return out


def fixes_for(plan: Plan, d: Deployment, ct: CompiledTerms, epoch: Epoch,
              violated: set[str]) -> tuple[Fix, ...]:
    """The smallest changes to `d` that make it comply with `plan`, what the clause asks first.

    An exclusivity asks for its providers or regions; a requirement for the
    fewest facts or fields of its condition changed (never those that already
    hold); a permission naming the clause offers the fewest changes that make
    it apply. Leaving the clause's scope is offered only when the clause asks
    for nothing that can be given (a prohibition). Every alternative is
    checked: applied to `d`, it makes the finding satisfied or overridden, and
    it makes no other clause violated that was not already.
    """
    rule = plan.clause.rule
    options: list[Fix] = []
    if isinstance(rule, m.Exclusivity):
        verb = "run on" if rule.target == "provider" else "run in"
        declared = ct.terms.vocabulary.names_of(rule.target)
        values = tuple(v for v in declared if v in rule.allowed)
        text = f"{verb} {_names(rule.written)}"
        options.append(Fix((Change(rule.target, values, _names(rule.written)),), text))
    elif isinstance(rule, m.Requirement):
        reads: dict[str, None] = {}
        condition_reads(rule.condition, reads)
        options += _search(plan, d, ct, reads, None)
    if not options:
        options += _scope_exits(plan.clause.scope, ct)
    if not options and plan.clause.scope.condition is not None:
        reads = {}
        condition_reads(plan.clause.scope.condition, reads)
        options += _search(plan, d, ct, reads, None)
    for permission in plan.overriders:
        if overrides(permission, d)[0] is True:
            continue  # an exception to the permission applies: it cannot help
        scope = permission.clause.scope
        fields_only = m.Scope(scope.parties, scope.workloads, scope.providers,
                              scope.providers_negated, scope.regions, scope.regions_negated)
        if compile_scope(fields_only, ct.operators, with_index_fields=True)(d) is not True:
            continue
        if scope.condition is not None:
            reads = {}
            condition_reads(scope.condition, reads)
            options += _search(plan, d, ct, reads, permission.id)
    if not options:
        return (Fix((), f"leave the scope of `{plan.id}`"),)
    kept: dict[str, Fix] = {}
    for option in options:
        checked = _without_new_violations(option, epoch, d, ct, violated)
        if checked is not None:
            kept.setdefault(checked.text, checked)
    return tuple(kept.values())


def _settles(plan: Plan, d: Deployment, ct: CompiledTerms) -> bool:
    """Whether `plan`'s finding on `d` is satisfied or overridden (or absent)."""
    j = judge(plan, d, ct)
    return j is None or j.outcome in (Outcome.SATISFIED, Outcome.OVERRIDDEN)


def _violations(epoch: Epoch, d: Deployment, ct: CompiledTerms) -> set[str]:
    """The clauses of `epoch` that `d` certainly violates."""
    out: set[str] = set()
    for other in epoch.restrictions_for(d.party, d.workload):
        j = judge(other, d, ct)
        if j is not None and j.outcome is Outcome.VIOLATED:
            out.add(other.id)
    return out


#: The most value combinations of one fix alternative checked against the other clauses.
_MAX_CHECKED = 64


def _without_new_violations(option: Fix, epoch: Epoch, d: Deployment, ct: CompiledTerms,
                            violated: set[str]) -> Fix | None:
    """`option` keeping only the values that violate no clause `d` does not already violate."""
    if not option.changes:
        return option
    if len(option.changes) > 1:
        combos = list(itertools.islice(itertools.product(*(c.values for c in option.changes)),
                                       _MAX_CHECKED))
        for combo in combos:
            changed = with_values(d, zip((c.name for c in option.changes), combo, strict=True))
            if not _violations(epoch, changed, ct) <= violated:
                return None
        return option
    [change] = option.changes
    good = tuple(v for v in change.values[:_MAX_CHECKED]
                 if _violations(epoch, with_values(d, ((change.name, v),)), ct)
                 <= violated)
    if not good:
        return None
    if good == change.values:
        return option
    return _render((change.name,), [(v,) for v in good], ct, option.permission)


#: The most value combinations a fix search tries for one set of names.
_MAX_SEARCH = 256


def _search(plan: Plan, d: Deployment, ct: CompiledTerms, names: Iterable[str],
            permission: str | None) -> list[Fix]:
    """The fewest changes to the named facts and fields that settle `plan`'s finding.

    Tries one name at a time, then two, then three; every set of the
    smallest size that works is an alternative.
    """
    facts = ct.terms.vocabulary.facts
    candidates: list[tuple[str, tuple[object, ...]]] = []
    for name in names:
        if name not in CHANGEABLE_FIELDS and name not in facts:
            continue
        values = ct.domains.of(name)
        if values is None:
            continue
        current = getattr(d, name) if name in m.DEPLOYMENT_FIELDS else d.facts.get(name)
        others = tuple(v for v in values if current is None or v != current)
        if others:
            candidates.append((name, others))
    for size in range(1, min(3, len(candidates)) + 1):
        found: list[Fix] = []
        for subset in itertools.combinations(candidates, size):
            if count(subset) > _MAX_SEARCH:
                continue
            working = [tuple(v for _, v in a) for a in assignments(subset)
                       if _settles(plan, with_values(d, a), ct)]
            if working:
                found.append(_render(tuple(n for n, _ in subset), working, ct, permission))
        if found:
            return found
    return []


def _render(names: tuple[str, ...], working: list[tuple[object, ...]], ct: CompiledTerms,
            permission: str | None) -> Fix:
    """A fix from the values of `names` that work: all of them for one name, else the first."""
    via = f" (`{permission}`)" if permission else ""
    if len(names) > 1:
        first = working[0]
        changes = tuple(Change(n, (v,), _interval_text(n, (v,), ct) or f"`{n} = {_show(v)}`")
                        for n, v in zip(names, first, strict=True))
        return Fix(changes, "have " + " and ".join(c.text for c in changes) + via, permission)
    [name] = names
    values = tuple(w[0] for w in working)
    if name in ("provider", "region"):
        shown = _names(str(v) for v in values)
        verb = "run on" if name == "provider" else "run in"
        return Fix((Change(name, values, shown),), f"{verb} {shown}{via}", permission)
    text = _interval_text(name, values, ct)
    if text is None:
        text = (f"`{name} = {_show(values[0])}`" if len(values) == 1
                else f"`{name} in {', '.join(_show(v) for v in values)}`")
    return Fix((Change(name, values, text),), f"have {text}{via}", permission)


def _interval_text(name: str, values: tuple[object, ...], ct: CompiledTerms) -> str | None:
    """For a number or date, the intervals that `values` stand for, as conditions."""
    intervals = ct.domains.intervals(name)
    if intervals is None:
        return None
    marks = ct.domains.marks(name)
    domain = ct.domains.of(name) or ()
    working = {intervals[domain.index(v)] for v in values}
    present = set(intervals)
    last = 2 * len(marks)
    runs: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for index in range(last + 1):
        if index in working:
            start = index if start is None else start
            end = index
        elif index in present and start is not None:
            runs.append((start, end))
            start = None
    if start is not None:
        runs.append((start, end))
    parts: list[str] = []
    for low, high in runs:
        if low == high and low % 2 == 1:
            parts.append(f"`{name} = {_show(marks[low // 2])}`")
            continue
        bounds: list[str] = []
        if low > 0:
            op = ">=" if low % 2 == 1 else ">"
            bounds.append(f"{name} {op} {_show(marks[(low - 1) // 2])}")
        if high < last:
            op = "<=" if high % 2 == 1 else "<"
            bounds.append(f"{name} {op} {_show(marks[high // 2])}")
        parts.append("`" + " and ".join(bounds) + "`")
    return " or ".join(parts)


def _show(value: object) -> str:
    if isinstance(value, bool | str | Quantity | dt.date):
        return show_constant(value)
    return str(value)
