"""Evaluation: one deployment against the compiled terms → verdict, findings, fixes.

Semantics (docs/language.md §10): a deployment is judged under the terms in
force on its evaluation date; facts are three-valued, and a verdict is the
one every completion of the missing facts agrees on (`checker.complete`); a
permission binds only against the clauses it names (and may itself be
overridden); the verdict is `violation` > `undetermined` > `compliant`, with
`not_covered` when no clause in force scopes the deployment.

Each clause is judged by `checker.judge` and the findings combined there;
`checker.fixes` searches the fixes of the findings left violated or unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import assert_never

from dealcheck._speed import slot_builder
from dealcheck.checker.compile import CompiledTerms, Epoch, Plan
from dealcheck.checker.complete import (
    MAX_COMPLETIONS,
    assignments,
    condition_reads,
    count,
    missing_variables,
    with_values,
)
from dealcheck.checker.fixes import fixes_for, names_text
from dealcheck.checker.judge import Combined, combine, judge
from dealcheck.checker.logic import Test, requirement_text
from dealcheck.checker.results import DeploymentResult, Finding, Outcome, Verdict
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment

_NO_FINDINGS: tuple[Finding, ...] = ()
#: `Finding(...)` with every field given in order, without a frozen dataclass's `__init__`.
_finding = slot_builder(Finding)


def evaluation_date(d: Deployment, as_of: dt.date | None) -> dt.date:
    """The check's `as_of` date if given, else the deployment's `start`."""
    return as_of or d.start


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


def evaluate_reference(ct: CompiledTerms, d: Deployment, as_of: dt.date | None = None,
                       *, fixes: bool = True) -> DeploymentResult:
    """Judge one deployment by interpreting the clause plans directly.

    This is the definition of a deployment's result: the compiled evaluators
    (`checker.codegen`) call it once per distinct outcome key and share what
    it builds. It returns exactly what `evaluate_deployment` returns.

    Kleene logic decides first; only a clause that it leaves unknown (or
    whose answer rests on an unknown part) is judged over the completions of
    the facts it reads (`checker.complete`), and only when no clause is
    certainly violated are the unknown clauses combined, over the facts they
    share, to find whether every completion is a violation.

    `fixes`: find each finding's fixes (the costliest part); without them a result
    has the same verdict and findings, none offering a fix (what `diff` reads).
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
    # Advisory clauses are targets: reported, but no part of the verdict.
    binding = [j for j in judged if not j.plan.clause.advisory]
    combined = combine(binding)
    violated = {j.plan.id for j in binding if j.outcome is Outcome.VIOLATED}
    findings: list[Finding] = []
    for j in judged:
        plan = j.plan
        advisory = plan.clause.advisory
        # `_finding` takes every field: clause, outcome, message, location, missing_facts,
        # fix, overridden_by, fixes, advisory, agreement.
        if j.outcome is Outcome.SATISFIED:
            findings.append(_finding(plan.id, Outcome.SATISFIED, _satisfied_message(plan, d),
                                     plan.location, (), None, (), (), advisory, None))
        elif j.outcome is Outcome.OVERRIDDEN:
            findings.append(_finding(plan.id, Outcome.OVERRIDDEN,
                                     _overridden_message(plan, list(j.applying)), plan.location,
                                     (), None, tuple(p.id for p in j.applying), (), advisory,
                                     None))
        else:
            offered = fixes_for(plan, d, ct, epoch, violated) if fixes else ()
            text = ", or ".join(f.text for f in offered) if offered else None
            if j.outcome is Outcome.VIOLATED:
                findings.append(_finding(plan.id, Outcome.VIOLATED, _violated_message(plan, d),
                                         plan.location, (), text, (), offered, advisory, None))
            elif advisory:
                # Its own deciding facts: the verdict's completions do not involve it.
                names = tuple(dict.fromkeys([*j.deciding, *j.residual]))
                findings.append(_finding(plan.id, Outcome.UNKNOWN,
                                         _unknown_message(plan, names, None, violated, d),
                                         plan.location, names, text, (), offered, True, None))
            else:
                missing = combined.missing.get(plan.id, ())
                names = missing or j.deciding or j.residual
                message = _unknown_message(plan, names, combined, violated, d)
                findings.append(_finding(plan.id, Outcome.UNKNOWN, message, plan.location,
                                         missing, text, (), offered, False, None))
    not_covered = not findings and not _covered(epoch, d, ct)
    return DeploymentResult(d.id, combined.verdict, day, not_covered, tuple(findings), d.source)


def evaluate_all(ct: CompiledTerms, deployments: Iterable[Deployment],
                 as_of: dt.date | None = None) -> Iterator[DeploymentResult]:
    """Judge deployments one by one, in order."""
    from dealcheck.checker.codegen import evaluate_stream

    return evaluate_stream(ct, deployments, as_of)


def _covered(epoch: Epoch, d: Deployment, ct: CompiledTerms) -> bool:
    """Whether any clause in force (permissions and aggregates included) scopes `d`
    in some completion of its missing facts."""
    return any(True for _ in _covering(epoch, d, ct))


def covering(ct: CompiledTerms, d: Deployment,
             as_of: dt.date | None = None) -> list[tuple[str, bool]]:
    """The clauses in force that scope `d` in some completion of its missing facts, each
    with whether it scopes it whatever they are: what makes a deployment covered.

    Empty exactly when the result is `not_covered`.
    """
    epoch = ct.epoch(as_of or d.start)
    return [] if epoch is None else list(_covering(epoch, d, ct))


def _covering(epoch: Epoch, d: Deployment, ct: CompiledTerms) -> Iterator[tuple[str, bool]]:
    plans = [(plan, plan.match) for plan in (*epoch.restrictions_for(d.party, d.workload),
                                             *epoch.permissions_for(d.party, d.workload))]
    for plan in epoch.aggregates:
        rule = plan.clause.rule
        assert isinstance(rule, m.Aggregate)
        if rule.window_from and d.start < rule.window_from:
            continue
        if rule.window_through and d.start > rule.window_through:
            continue
        plans.append((plan, plan.full_match))
    for plan, test in plans:
        if may_scope(plan, test, d, ct):
            yield plan.id, test(d) is True


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


# ---------------------------------------------------------------- words


def _what(d: Deployment) -> str:
    return f"`{d.workload}` by `{d.party}`"


def _satisfied_message(plan: Plan, d: Deployment) -> str:
    match plan.clause.rule:
        case m.Exclusivity(target="provider"):
            return f"{_what(d)} runs on `{d.provider}`, as `{plan.id}` requires"
        case m.Exclusivity():
            return f"{_what(d)} runs in `{d.region}`, as `{plan.id}` requires"
        case m.Requirement(condition=condition):
            return f"`{plan.id}` requires {requirement_text(condition)}, which holds"
        case m.Prohibition() | m.Permission() | m.Aggregate():
            return f"`{plan.id}` does not apply to this deployment"
        case unreachable:
            assert_never(unreachable)


def _violated_message(plan: Plan, d: Deployment) -> str:
    match plan.clause.rule:
        case m.Exclusivity(target="provider", written=written):
            return (f"{_what(d)} runs on `{d.provider}`, but `{plan.id}` allows only "
                    f"{names_text(written)}")
        case m.Exclusivity(written=written):
            return (f"{_what(d)} runs in `{d.region}`, but `{plan.id}` allows only "
                    f"{names_text(written)}")
        case m.Requirement(condition=condition):
            return f"`{plan.id}` requires {requirement_text(condition)}, which does not hold"
        case m.Prohibition() | m.Permission() | m.Aggregate():
            return f"`{plan.id}` prohibits {_what(d)} on `{d.provider}`"
        case unreachable:
            assert_never(unreachable)


def _unconverted(d: Deployment, names: Sequence[str]) -> str:
    """What the message adds for a quantity that is given, but in a unit never converted
    to the one it is compared with (dollars against euros, GPUs against GW).

    It names the quantities, not their amounts: deployments whose conditions
    come out alike share one message (`checker.codegen`), and a quantity given
    or absent is part of what makes them alike, its amount is not.
    """
    given = [name for name in names
             if isinstance(d.facts.get(name, getattr(d, name, None)), Quantity)]
    if not given:
        return ""
    return (f" ({names_text(given)} {'are' if len(given) > 1 else 'is'} given in a unit "
            "never converted to the one it is compared with)")


def _unknown_message(plan: Plan, names: Sequence[str], combined: Combined | None,
                     violated: set[str], d: Deployment) -> str:
    """Why a finding is unknown; `combined` is None for an advisory clause's finding."""
    facts = names_text(names) if names else "a fact"
    verb = "are" if len(names) > 1 else "is"
    text = (f"whether `{plan.id}` is met depends on {facts}, which {verb} unknown"
            + _unconverted(d, names))
    if combined is None or combined.verdict is not Verdict.VIOLATION:
        return text
    if violated:
        return f"{text}; it cannot change the verdict: {names_text(sorted(violated))} is violated"
    shared = list(dict.fromkeys(n for j in combined.because for n in j.names))
    clauses = names_text(j.plan.id for j in combined.because)
    return f"{text}; for every value of {names_text(shared)}, {clauses} is violated"


def _overridden_message(plan: Plan, applying: list[Plan]) -> str:
    ids = names_text(p.id for p in applying)
    return f"`{plan.id}` does not bind: {ids} applies"


