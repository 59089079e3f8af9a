"""Explanations: the whole derivation of one deployment's verdict, step by step."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import assert_never

from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.evaluate import evaluate_deployment, may_scope
from dealcheck.checker.logic import compile_condition, describe
from dealcheck.checker.results import DeploymentResult, Finding
from dealcheck.checker.states import state_word
from dealcheck.dsl.escape import printable
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment


@dataclass(frozen=True, slots=True)
class ClauseStep:
    clause: m.Clause
    scoped: str          # "yes", "no", "maybe"
    reason: str
    #: A share: whether the deployment counts in its part, and why (the scope is the whole's).
    part: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    deployment: Deployment
    day: dt.date
    as_of: dt.date | None
    in_force: tuple[m.Clause, ...]
    amendments: tuple[m.Amendment, ...]
    steps: tuple[ClauseStep, ...]
    result: DeploymentResult


def _names(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


def scope_reason(clause: m.Clause, d: Deployment, ct: CompiledTerms) -> tuple[str, str]:
    """Whether `clause` scopes `d` ("yes"/"no"/"maybe") and why, in words."""
    s = clause.scope
    outside = _outside_names(s, d) or _outside_window(clause.rule, d)
    if outside is not None:
        return outside
    matched = _matched_names(s, d)
    if s.condition is not None:
        return _condition_reason(clause, s.condition, matched, d, ct)
    return "yes", "; ".join(matched) if matched else "it applies to every deployment"


def _outside_names(s: m.Scope, d: Deployment) -> tuple[str, str] | None:
    """The first name of `d` that the scope excludes, or an unknown region it needs."""
    if s.parties is not None and d.party not in s.parties:
        return "no", f"party `{d.party}` is not {_names(s.parties)}"
    if s.workloads is not None and d.workload not in s.workloads:
        return "no", f"workload `{d.workload}` is not one of {_names(s.workloads)}"
    if s.providers is not None and (d.provider in s.providers) == s.providers_negated:
        word = "is" if s.providers_negated else "is not"
        return "no", f"provider `{d.provider}` {word} {_names(s.providers)}"
    if s.regions is not None:
        if d.region is None:
            return "maybe", "the deployment's region is unknown"
        if (d.region in s.regions) == s.regions_negated:
            word = "is" if s.regions_negated else "is not"
            return "no", f"region `{d.region}` {word} {_names(s.regions)}"
    return None


def _outside_window(rule: m.Rule, d: Deployment) -> tuple[str, str] | None:
    """An aggregate counts only the deployments that start within its window."""
    match rule:
        case m.Aggregate():
            if rule.window_from and d.start < rule.window_from:
                return "no", f"it starts before {rule.window_from}"
            if rule.window_through and d.start > rule.window_through:
                return "no", f"it starts after {rule.window_through}"
            return None
        case m.Exclusivity() | m.Prohibition() | m.Requirement() | m.Permission():
            return None
        case _:
            assert_never(rule)


def _matched_names(s: m.Scope, d: Deployment) -> list[str]:
    """What the scope names and `d` matches, in words."""
    matched = []
    if s.parties is not None:
        matched.append(f"party `{d.party}`")
    if s.workloads is not None:
        matched.append(f"workload `{d.workload}` is one of {_names(s.workloads)}")
    if s.providers is not None:
        word = "is not" if s.providers_negated else "is"
        matched.append(f"provider `{d.provider}` {word} {_names(s.providers)}")
    if s.regions is not None:
        word = "is not" if s.regions_negated else "is"
        matched.append(f"region `{d.region}` {word} {_names(s.regions)}")
    return matched


def _condition_reason(clause: m.Clause, condition: m.Condition, matched: list[str],
                      d: Deployment, ct: CompiledTerms) -> tuple[str, str]:
    """The scope's names match: its condition decides, or leaves it open."""
    value = compile_condition(condition, ct.operators)(d)
    text = describe(condition)
    if value is False:
        return "no", f"`{text}` does not hold"
    if value is None:
        plan = ct.plans.get(id(clause))
        if plan is not None and not may_scope(plan, plan.full_match, d, ct):
            return "no", f"`{text}` holds for no value of its missing facts"
        return "maybe", "; ".join([*matched, f"`{text}` is unknown"])
    return "yes", "; ".join([*matched, f"`{text}` holds"])


def explain(ct: CompiledTerms, d: Deployment, as_of: dt.date | None = None) -> Explanation:
    """The terms in force, which clauses scoped the deployment, and what each concluded."""
    day = as_of or d.start
    epoch = ct.epoch(day)
    in_force = epoch.clauses if epoch else ()
    steps = tuple(ClauseStep(c, *scope_reason(c, d, ct), _share_part(c, d, ct))
                  for c in in_force)
    amendments = tuple(a for a in ct.terms.amendments if a.effective <= day)
    return Explanation(d, day, as_of, in_force, amendments, steps,
                       evaluate_deployment(ct, d, as_of))


def render_explanation(e: Explanation, terms: m.Terms) -> str:
    """The explanation as text: the deployment, the terms in force, each clause, the verdict."""
    lines = [*_deployment_lines(e, terms.states()), "", *_terms_lines(e, terms), "",
             "clauses:"]
    findings = {f.clause: f for f in e.result.findings}
    for step in e.steps:
        lines.extend(_step_lines(step, findings.get(step.clause.id)))
    if not e.steps:
        lines.append("  (none)")
    lines.append("")
    covered = " (not covered: no clause in force scopes it)" if e.result.not_covered else ""
    lines.append(f"verdict: {e.result.verdict}{covered}")
    # Ids, titles and file names come from the inputs: nothing in them may reach the
    # terminal as a control sequence.
    return "\n".join(printable(line) for line in lines) + "\n"


def _deployment_lines(e: Explanation, states: Mapping[str, object]) -> list[str]:
    d = e.deployment
    where = f" in {d.region}" if d.region else ""
    lines = [f"deployment `{d.id}`: {d.party} runs {d.workload} on {d.provider}{where}, "
             f"starting {d.start}"]
    given = sorted((k, v) for k, v in d.facts.items() if k not in states)
    if given:
        facts = ", ".join(f"{k} = {_show(v)}" for k, v in given)
        lines.append(f"  facts: {facts}")
    why = "the --as-of date" if e.as_of else "its start"
    lines.append(f"evaluated on {e.day} ({why})")
    if states:
        lines.append(f"clause states on {e.day}: " + ", ".join(
            f"`{name}` is {state_word(d.facts.get(name))}" for name in sorted(states)))
    return lines


def _terms_lines(e: Explanation, terms: m.Terms) -> list[str]:
    if e.day < terms.effective:
        return [f"the agreement takes effect on {terms.effective}: no terms are in force"]
    chain = f'the agreement "{terms.title}" of {terms.effective}'
    for a in e.amendments:
        chain += f", then amendment `{a.id}` of {a.effective}"
    lines = [f"terms in force on {e.day}: {chain}"]
    for c in e.in_force:
        origin = f"added by `{c.introduced_by}`" if c.introduced_by else "base agreement"
        until = f" through {c.in_force_through}" if c.in_force_through else ""
        lines.append(f"  {c.id:<24} {c.kind:<12} from {c.in_force_from}{until} "
                     f"({origin}; {c.span.file}:{c.span.line})")
    return lines


def _step_lines(step: ClauseStep, f: Finding | None) -> list[str]:
    c = step.clause
    if step.scoped == "no":
        return [f"  {c.id}: does not scope it: {step.reason}"]
    lines = [f"  {c.id}: {'scopes it' if step.scoped == 'yes' else 'may scope it'}: "
             f"{step.reason}"]
    lines.extend(_share_note(step) if step.part is not None else _rule_note(c))
    if c.advisory:
        lines.append("    advisory: a target, not a promise; it never changes the verdict")
    if f is not None:
        lines.append(f"    → {f.outcome}: {f.message}")
        if f.overridden_by:
            lines.append(f"    overridden by: {', '.join(f.overridden_by)}")
        if f.missing_facts:
            lines.append(f"    deciding facts: {', '.join(f.missing_facts)}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    return lines


def _share_part(c: m.Clause, d: Deployment, ct: CompiledTerms) -> tuple[str, str] | None:
    """For a share, whether `d` counts in its part, as `scope_reason` says of a scope."""
    rule = c.rule
    if not isinstance(rule, m.Aggregate) or rule.share is None:
        return None
    return scope_reason(dataclasses.replace(c, scope=rule.share.part), d, ct)


def _share_note(step: ClauseStep) -> list[str]:
    assert step.part is not None  # INVARIANT: shares only
    scoped, reason = step.part
    counts = {"yes": "counts in the share too", "no": "does not count in the share",
              "maybe": "may count in the share"}[scoped]
    return [f"    a share: counted in the total it is a share of; {counts}: {reason} "
            "(see the aggregates of the check)"]


def _rule_note(c: m.Clause) -> list[str]:
    """What a clause that decides nothing on its own does with a deployment it scopes."""
    match c.rule:
        case m.Permission():
            return [f"    a permission notwithstanding {', '.join(c.overrides)}"]
        case m.Aggregate():
            return ["    an aggregate: counted in its total (see the aggregates of the check)"]
        case m.Exclusivity() | m.Prohibition() | m.Requirement():
            return []
        case _:
            assert_never(c.rule)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
