"""Executable examples: run the examples written inside terms files, with clause coverage."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dealcheck.checker.check import check
from dealcheck.checker.evaluate import covering
from dealcheck.checker.results import DeploymentResult, Finding, Outcome, Report
from dealcheck.rules import model as m

if TYPE_CHECKING:
    from dealcheck.checker.compile import ReadyTerms


def possible_outcomes(clause: m.Clause, terms: m.Terms) -> tuple[str, ...]:
    """The outcomes `clause` can have in some report, given how it is written.

    `overridden` only if a permission names it; `unknown` only if a fact or an
    absent field can leave it open; `violation` of a commitment only with a
    deadline. Coverage asks examples to show exactly these.
    """
    kind = clause.kind
    if kind is m.ClauseKind.PERMISSION:
        return ("applied",)
    if kind is m.ClauseKind.CAP:
        return ("compliant", "violation", "undetermined")
    if kind is m.ClauseKind.SHARE:
        rule = clause.rule
        assert isinstance(rule, m.Aggregate) and rule.share is not None
        # `open` only for `at least`, on a whole that is still empty.
        empty = ("open",) if rule.share.at_least else ()
        return ("compliant", "violation", *empty, "undetermined")
    if kind is m.ClauseKind.COMMITMENT:
        rule = clause.rule
        assert isinstance(rule, m.Aggregate)
        # A commitment per period is missed once a period ends, deadline or not.
        deadline = ("violation",) if rule.deadline or rule.period else ()
        return ("compliant", "open", *deadline, "undetermined")
    overriders = [c for c in terms.clauses if clause.id in c.overrides]
    out = [] if kind is m.ClauseKind.PROHIBITION else ["satisfied"]
    out.append("violated")
    if overriders:
        out.append("overridden")

    def open_ended(scope: m.Scope) -> bool:
        return scope.condition is not None or scope.regions is not None

    rule = clause.rule
    if (open_ended(clause.scope) or isinstance(rule, m.Requirement)
            or (isinstance(rule, m.Exclusivity) and rule.target == "region")
            or any(open_ended(p.scope) for p in overriders)):
        out.append("unknown")
    return tuple(out)


@dataclass(slots=True)
class ExampleOutcome:
    """One example's result: failures are human-readable lines."""

    example: m.Example
    report: Report
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class Coverage:
    """Which outcomes of which clauses the examples exercised."""

    seen: dict[str, set[str]] = field(default_factory=dict)

    def record(self, report: Report) -> None:
        for d in report.deployments:
            for f in d.findings:
                self.seen.setdefault(f.clause, set()).add(str(f.outcome))
                for p in f.overridden_by:
                    self.seen.setdefault(p, set()).add("applied")
        for a in report.aggregates:
            self.seen.setdefault(a.clause, set()).add(str(a.verdict))

    def uncovered(self, terms: m.Terms) -> list[str]:
        ids = list(dict.fromkeys(c.id for c in terms.clauses))
        return [i for i in ids if i not in self.seen]

    def unseen_outcomes(self, terms: m.Terms) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in terms.clauses:
            missing = [o for o in possible_outcomes(c, terms)
                       if o not in self.seen.get(c.id, set())]
            if missing and c.id in self.seen:
                out[c.id] = missing
        return out


def run_example(terms: ReadyTerms, example: m.Example) -> ExampleOutcome:
    """Check the example's deployments and compare with what it expects."""
    deployments = [e.deployment for e in example.deployments]
    report = check(terms.compiled(), deployments, example.as_of)
    failures: list[str] = []
    only = deployments[0].id if len(deployments) == 1 else None
    for x in example.expectations:
        subject = x.subject or only
        assert subject is not None  # INVARIANT: resolution requires a subject otherwise
        try:
            result = report.result_of(subject)
        except KeyError:
            result = None
        if result is None:
            failures.extend(_aggregate_failures(report, subject, x))
            continue
        deployment = next(d for d in deployments if d.id == subject)
        failures.extend(_deployment_failures(subject, x, result, functools.partial(
            covering, terms.compiled(), deployment, example.as_of)))
    return ExampleOutcome(example, report, failures)


def _deployment_failures(subject: str, x: m.Expectation, result: DeploymentResult,
                         covered_by: Callable[[], list[tuple[str, bool]]]) -> list[str]:
    """``expect [ID is] V [of …] [missing …]`` of deployment `subject` (`covered_by`: the
    clauses that scope it, as `evaluate.covering` gives them)."""
    targets = [f for f in result.findings if f.clause in x.clauses and f.advisory]
    if x.clauses and len(targets) == len(x.clauses):
        return _target_failures(subject, x, targets)
    failures: list[str] = []
    got = "not_covered" if result.not_covered and x.verdict == "not_covered" else str(
        result.verdict)
    if x.verdict == "not_covered" and not result.not_covered:
        got = str(result.verdict)
    if got != x.verdict:
        detail = "; ".join(f"{f.clause}: {f.outcome}: {f.message}" for f in result.findings)
        if not detail:
            detail = "no clause scopes it" if result.not_covered else _covered_text(covered_by())
        return [f"`{subject}`: expected {x.verdict}, got {got} ({detail})"]
    by_clause = {f.clause: f for f in result.findings}
    wanted = {"violation": Outcome.VIOLATED, "undetermined": Outcome.UNKNOWN}.get(x.verdict)
    for clause in x.clauses:
        finding = by_clause.get(clause)
        if finding is None:
            failures.append(f"`{subject}`: `{clause}` does not scope it")
        elif wanted is not None and finding.outcome is not wanted:
            failures.append(f"`{subject}`: `{clause}` is {finding.outcome}, expected "
                            f"{wanted}: {finding.message}")
        elif wanted is None and x.verdict == "compliant" and finding.outcome in (
                Outcome.VIOLATED, Outcome.UNKNOWN):
            failures.append(f"`{subject}`: `{clause}` is {finding.outcome}")
    missing = {name for f in result.findings for name in f.missing_facts}
    for fact in x.missing:
        if fact not in missing:
            failures.append(f"`{subject}`: `{fact}` is not among the missing facts "
                            f"({', '.join(sorted(missing)) or 'none'})")
    return failures


def _covered_text(clauses: list[tuple[str, bool]]) -> str:
    """Why a deployment without findings is covered, in `dealcheck explain`'s words."""
    return "covered: " + "; ".join(
        f"`{clause}` {'scopes it' if certain else 'may scope it'}" for clause, certain in clauses)


def _aggregate_failures(report: Report, subject: str, x: m.Expectation) -> list[str]:
    """``expect ID is V`` of an aggregate clause `subject` (its worst version judged)."""
    try:
        agg = report.aggregate(subject)
    except KeyError:
        return [f"`{subject}`: the aggregate is not in force on the evaluation date"]
    if str(agg.verdict) != x.verdict:
        return [f"`{subject}`: expected {x.verdict}, got {agg.verdict}: {agg.message}"]
    return []


#: What an expectation's verdict says of an advisory clause's own finding.
_TARGET_OUTCOMES = {"violation": (Outcome.VIOLATED,), "undetermined": (Outcome.UNKNOWN,),
                    "compliant": (Outcome.SATISFIED, Outcome.OVERRIDDEN)}


def _target_failures(subject: str, x: m.Expectation, targets: list[Finding]) -> list[str]:
    """``expect V of T`` naming only advisory clauses: V is each target's own outcome.

    An advisory clause never changes the deployment's verdict, so the verdict
    of the line speaks of the targets: `violation` (missed), `undetermined`
    (unknown), `compliant` (met, or lifted by a permission).
    """
    failures: list[str] = []
    wanted = _TARGET_OUTCOMES.get(x.verdict, ())
    for finding in targets:
        if finding.outcome not in wanted:
            failures.append(f"`{subject}`: advisory `{finding.clause}` is {finding.outcome}, "
                            f"expected {x.verdict}: {finding.message}")
    missing = {name for f in targets for name in f.missing_facts}
    for fact in x.missing:
        if fact not in missing:
            failures.append(f"`{subject}`: `{fact}` is not among the missing facts "
                            f"({', '.join(sorted(missing)) or 'none'})")
    return failures


def run_examples(terms: ReadyTerms, coverage: Coverage | None = None) -> list[ExampleOutcome]:
    outcomes = []
    for example in terms.examples:
        outcome = run_example(terms, example)
        if coverage is not None:
            coverage.record(outcome.report)
        outcomes.append(outcome)
    return outcomes
