"""Evaluation: one deployment against the compiled terms → verdict, findings, fixes.

Semantics (DESIGN.md §3): a deployment is judged under the terms in force on
its evaluation date; facts are three-valued; a permission binds only against
the clauses it names (and may itself be overridden); the verdict is
`violation` > `undetermined` > `compliant`, with `not_covered` when no clause
in force scopes the deployment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from dealcheck.checker.compile import CompiledTerms, Epoch, Plan, compile_scope
from dealcheck.checker.logic import Tri, requirement_text, tri_and, tri_not, undecided
from dealcheck.checker.results import DeploymentResult, Finding, Outcome, Verdict
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment

_NO_FINDINGS: tuple[Finding, ...] = ()


def evaluation_date(d: Deployment, as_of: dt.date | None) -> dt.date:
    """The check's `as_of` date if given, else the deployment's `start`."""
    return as_of or d.start


def overrides(plan: Plan, d: Deployment) -> tuple[Tri, list[Plan]]:
    """Whether some permission naming `plan` applies to `d` (and is not itself overridden).

    Returns the three-valued answer and the permissions that certainly apply.
    """
    result: Tri = False
    applying: list[Plan] = []
    for permission in plan.overriders:
        applies = permission.full_match(d)
        if applies is False:
            continue
        overridden, _ = overrides(permission, d)
        effective = tri_and(applies, tri_not(overridden))
        if effective is True:
            applying.append(permission)
            result = True
        elif effective is None and result is not True:
            result = None
    return result, applying


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
    """
    day = as_of or d.start
    epoch = ct.epoch(day)
    if epoch is None:
        return DeploymentResult(d.id, Verdict.COMPLIANT, day, True, _NO_FINDINGS, d.source)
    plans = epoch.restrictions_for(d.party, d.workload)
    if not plans:
        return DeploymentResult(d.id, Verdict.COMPLIANT, day, not _covered(epoch, d),
                                _NO_FINDINGS, d.source)
    findings: list[Finding] = []
    verdict = Verdict.COMPLIANT
    for plan in plans:
        applies = plan.match(d)
        if applies is False:
            continue
        breach = plan.breach(d)
        violated = tri_and(applies, breach)
        if violated is False:
            findings.append(Finding(plan.id, Outcome.SATISFIED, _satisfied_message(plan, d),
                                    plan.location))
            continue
        overridden, applying = overrides(plan, d) if plan.overriders else (False, [])
        if overridden is True:
            by = tuple(p.id for p in applying)
            findings.append(Finding(plan.id, Outcome.OVERRIDDEN,
                                    _overridden_message(plan, applying), plan.location,
                                    overridden_by=by))
            continue
        fix = fix_for(plan, d, ct)
        if violated is True and overridden is False:
            verdict = Verdict.VIOLATION
            findings.append(Finding(plan.id, Outcome.VIOLATED, _violated_message(plan, d),
                                    plan.location, fix=fix))
            continue
        missing = _missing(plan, d, ct, applies, breach, overridden)
        if verdict is not Verdict.VIOLATION:
            verdict = Verdict.UNDETERMINED
        findings.append(Finding(plan.id, Outcome.UNKNOWN, _unknown_message(plan, missing),
                                plan.location, tuple(missing), fix))
    not_covered = not findings and not _covered(epoch, d)
    return DeploymentResult(d.id, verdict, day, not_covered, tuple(findings), d.source)


def evaluate_all(ct: CompiledTerms, deployments: Iterable[Deployment],
                 as_of: dt.date | None = None) -> Iterator[DeploymentResult]:
    """Judge deployments one by one, in order."""
    from dealcheck.checker.codegen import evaluate_stream

    return evaluate_stream(ct, deployments, as_of)


def _covered(epoch: Epoch, d: Deployment) -> bool:
    """Whether any clause in force (permissions and aggregates included) scopes `d`."""
    for plan in epoch.restrictions_for(d.party, d.workload):
        if plan.match(d) is not False:
            return True
    for plan in epoch.permissions_for(d.party, d.workload):
        if plan.match(d) is not False:
            return True
    for plan in epoch.aggregates:
        rule = plan.clause.rule
        assert isinstance(rule, m.Aggregate)
        if rule.window_from and d.start < rule.window_from:
            continue
        if rule.window_through and d.start > rule.window_through:
            continue
        if plan.full_match(d) is not False:
            return True
    return False


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


def _permission_unknowns(plan: Plan, d: Deployment, ct: CompiledTerms) -> list[str]:
    names: list[str] = []
    for permission in plan.overriders:
        applies = permission.full_match(d)
        if applies is False:
            continue
        inner, _ = overrides(permission, d)
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


def _unknown_message(plan: Plan, missing: list[str]) -> str:
    facts = _names(missing) if missing else "a fact"
    verb = "are" if len(missing) > 1 else "is"
    return f"whether `{plan.id}` is met depends on {facts}, which {verb} unknown"


def _overridden_message(plan: Plan, applying: list[Plan]) -> str:
    ids = _names(p.id for p in applying)
    return f"`{plan.id}` does not bind: {ids} applies"


def _scope_exit(scope: m.Scope) -> list[str]:
    """Ways to leave a clause's scope by choosing another provider or region."""
    out: list[str] = []
    if scope.providers is not None:
        names = sorted(scope.providers)
        out.append(f"run on {_names(names)}" if scope.providers_negated
                   else f"run on a provider other than {_names(names)}")
    if scope.regions is not None:
        names = sorted(scope.regions)
        out.append(f"run in {_names(names)}" if scope.regions_negated
                   else f"run outside {_names(names)}")
    return out


def fix_for(plan: Plan, d: Deployment, ct: CompiledTerms) -> str:
    """The smallest changes that would make `d` comply with `plan`, computed from the clause."""
    rule = plan.clause.rule
    options: list[str] = []
    if isinstance(rule, m.Exclusivity):
        verb = "run on" if rule.target == "provider" else "run in"
        options.append(f"{verb} {_names(rule.written)}")
    elif isinstance(rule, m.Requirement):
        options.append(f"have {requirement_text(rule.condition)}")
        options += _scope_exit(plan.clause.scope)
    else:
        options += _scope_exit(plan.clause.scope)
    for permission in plan.overriders:
        if overrides(permission, d)[0] is True:
            continue  # an exception to the permission applies: it cannot help
        scope = permission.clause.scope
        fields_only = m.Scope(scope.parties, scope.workloads, scope.providers,
                              scope.providers_negated, scope.regions, scope.regions_negated)
        if compile_scope(fields_only, ct.operators, with_index_fields=True)(d) is not True:
            continue
        if scope.condition is not None:
            options.append(f"have {requirement_text(scope.condition)} (`{permission.id}`)")
    return ", or ".join(options) if options else f"leave the scope of `{plan.id}`"
