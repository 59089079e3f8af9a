"""Cedar as an outside oracle: terms translated to Cedar policies, judged by `cedarpy`.

The translation covers the per-deployment part of the language: exclusivities
(on providers and regions), prohibitions, requirements and permissions, with
their windows, conditions and exceptions to exceptions. Aggregates have no
Cedar counterpart and are left out (they never change a deployment's verdict).

- entities: `Deal::Party`, `Deal::Workload`, `Deal::Region`, and `Deal::Provider`
  with its operator as an attribute; the action `Deal::Action::"deploy"`;
- a request per deployment: the party as principal, the workload as resource,
  and a context with the evaluation day, the provider, region, dates,
  quantities (in thousandths of their base unit) and the facts it gives;
- `permit` for everything, and one `forbid` per version of a restriction:
  ``when { in force && in scope && broken } unless { some exception applies }``,
  where "some exception applies" expands the permissions naming the clause,
  each guarded by its own exceptions (Cedar has no defaults of its own).

Cedar has two truth values. An absent field or fact makes its atoms false
here, where dealcheck's Kleene logic leaves them unknown; whenever Kleene
logic decides a verdict, every way of filling in the unknowns gives that
verdict, Cedar's included. So the comparison is made on decided verdicts:
`violation` is Deny, `compliant` is Allow.

Completions decide more than Kleene logic: a verdict holds for every value a
missing fact, region or `value` could take (a missing region is one of the
declared regions). Cedar's reading of an absent region or fact, every atom
on it false, is none of those values: with regions `US, EU` declared,
`must not run … in US, EU` binds a deployment of unknown region in every
completion, but not in Cedar. So a deployment that lacks something
completions fill (a declared fact, a region, a value) is not compared; the
tests give every fact, and such deployments are counted as not compared.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import cedarpy

from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment

ACTION = 'Deal::Action::"deploy"'
LONG_MAX = 2**63 - 1


class Untranslatable(ValueError):
    """A value Cedar's integers cannot hold exactly (never raised for generated terms)."""


def _entity(kind: str, name: str) -> str:
    return f'Deal::{kind}::{json.dumps(name)}'


def _set(kind: str, names: frozenset[str]) -> str:
    return "[" + ", ".join(_entity(kind, n) for n in sorted(names)) + "]"


def _milli(amount: Decimal) -> int:
    scaled = amount * 1000
    if scaled != scaled.to_integral_value() or abs(scaled) > LONG_MAX:
        raise Untranslatable(f"{amount} is not a whole number of thousandths")
    return int(scaled)


def _day(day: dt.date) -> int:
    return day.toordinal()


_FIELD_KINDS = {"party": "Party", "operator": "Party", "workload": "Workload",
                "provider": "Provider", "region": "Region"}
_OPS = {m.CmpOp.EQ: "==", m.CmpOp.NE: "!=", m.CmpOp.LT: "<", m.CmpOp.LE: "<=",
        m.CmpOp.GT: ">", m.CmpOp.GE: ">="}


def _read(ref: m.FieldRef) -> tuple[str, str]:
    """The Cedar expression reading a field or fact, and the guard that it is present."""
    if ref.is_fact:
        return f"context.facts.{ref.name}", f"context.facts has {ref.name}"
    if ref.name == "party":
        return "principal", "true"
    if ref.name == "workload":
        return "resource", "true"
    if ref.name == "operator":
        return "context.provider.operator", "true"
    if ref.name in ("provider", "start"):
        return f"context.{ref.name}", "true"
    return f"context.{ref.name}", f"context has {ref.name}"


def condition(c: m.Condition, facts: dict[str, m.Fact]) -> str:
    """A Cedar boolean expression; an atom over an absent field or fact is false."""
    if isinstance(c, m.Not):
        return f"!({condition(c.item, facts)})"
    if isinstance(c, m.And | m.Or):
        joiner = " && " if isinstance(c, m.And) else " || "
        return "(" + joiner.join(condition(i, facts) for i in c.items) + ")"
    read, guard = _read(c.ref)
    kind = _FIELD_KINDS.get(c.ref.name) if not c.ref.is_fact else None
    if isinstance(c, m.Truthy):
        return f"({guard} && {read} == true)"
    if isinstance(c, m.Member):
        values = (_set(kind, c.values) if kind else
                  "[" + ", ".join(json.dumps(v) for v in sorted(c.values)) + "]")
        test = f"{values}.contains({read})"
        return f"({guard} && {'!' if c.negated else ''}{test})"
    op, value = _OPS[c.op], c.value
    if isinstance(value, Quantity):
        return (f"({guard} && {read}.dim == {json.dumps(value.dimension)} && "
                f"{read}.milli {op} {_milli(value.amount)})")
    if isinstance(value, dt.date):
        return f"({guard} && {read} {op} {_day(value)})"
    if isinstance(value, bool):
        return f"({guard} && {read} {op} {'true' if value else 'false'})"
    literal = _entity(kind, value) if kind else json.dumps(value)
    return f"({guard} && {read} {op} {literal})"


def scope(s: m.Scope, facts: dict[str, m.Fact]) -> str:
    parts = ["true"]
    if s.parties is not None:
        parts.append(f"{_set('Party', s.parties)}.contains(principal)")
    if s.workloads is not None:
        parts.append(f"{_set('Workload', s.workloads)}.contains(resource)")
    if s.providers is not None:
        neg = "!" if s.providers_negated else ""
        parts.append(f"{neg}{_set('Provider', s.providers)}.contains(context.provider)")
    if s.regions is not None:
        neg = "!" if s.regions_negated else ""
        parts.append(f"(context has region && {neg}{_set('Region', s.regions)}"
                     ".contains(context.region))")
    if s.condition is not None:
        parts.append(condition(s.condition, facts))
    return " && ".join(parts)


def window(c: m.Clause) -> str:
    text = f"context.day >= {_day(c.in_force_from)}"
    if c.in_force_through is not None:
        text += f" && context.day <= {_day(c.in_force_through)}"
    return text


def breach(c: m.Clause, facts: dict[str, m.Fact]) -> str:
    rule = c.rule
    if isinstance(rule, m.Prohibition):
        return "true"
    if isinstance(rule, m.Requirement):
        return f"!({condition(rule.condition, facts)})"
    assert isinstance(rule, m.Exclusivity)
    if rule.target == "provider":
        return f"!{_set('Provider', rule.allowed)}.contains(context.provider)"
    return f"!(context has region && {_set('Region', rule.allowed)}.contains(context.region))"


def lifted(clause_id: str, terms: m.Terms, facts: dict[str, m.Fact]) -> str:
    """Whether some permission in force naming `clause_id` applies and is not itself lifted."""
    parts = [f"({window(p)} && {scope(p.scope, facts)} && !({lifted(p.id, terms, facts)}))"
             for p in terms.clauses
             if p.kind is m.ClauseKind.PERMISSION and clause_id in p.overrides]
    return " || ".join(parts) if parts else "false"


@dataclass(frozen=True)
class CedarTerms:
    """The policies and entities of one terms file, parsed once by cedarpy."""

    policies: cedarpy.PolicySet
    text: str
    forbids: tuple[str, ...]          # clause id of policy i + 1 (policy 0 is the permit)
    entities: cedarpy.Entities


def translate(terms: m.Terms) -> CedarTerms:
    facts = dict(terms.vocabulary.facts)
    texts = ["permit (principal, action, resource);"]
    forbids: list[str] = []
    for c in terms.clauses:
        if not c.kind.is_restriction or c.advisory:
            continue  # an advisory clause is a target: it never denies
        texts.append(
            f"forbid (principal, action == {ACTION}, resource)\n"
            f"  when {{ {window(c)} && {scope(c.scope, facts)} && {breach(c, facts)} }}\n"
            f"  unless {{ {lifted(c.id, terms, facts)} }};")
        forbids.append(c.id)
    text = "\n".join(texts)
    vocab = terms.vocabulary
    entities: list[dict[str, object]] = []
    for kind, names in (("Party", vocab.parties), ("Workload", vocab.workloads),
                        ("Region", vocab.regions)):
        entities += [{"uid": {"type": f"Deal::{kind}", "id": n}, "attrs": {}, "parents": []}
                     for n in names]
    entities += [{"uid": {"type": "Deal::Provider", "id": p.name},
                  "attrs": {"operator": {"__entity": {"type": "Deal::Party", "id": p.operator}}},
                  "parents": []} for p in vocab.providers.values()]
    return CedarTerms(cedarpy.PolicySet.from_str(text), text, tuple(forbids),
                      cedarpy.Entities.from_json_str(json.dumps(entities)))


def _quantity(q: Quantity) -> dict[str, object]:
    return {"dim": q.dimension, "milli": _milli(q.amount)}


def request(d: Deployment, as_of: dt.date | None) -> dict[str, object]:
    context: dict[str, object] = {
        "day": _day(as_of or d.start),
        "provider": {"__entity": {"type": "Deal::Provider", "id": d.provider}},
        "start": _day(d.start),
    }
    if d.region is not None:
        context["region"] = {"__entity": {"type": "Deal::Region", "id": d.region}}
    if d.end is not None:
        context["end"] = _day(d.end)
    if d.capacity is not None:
        context["capacity"] = _quantity(d.capacity)
    if d.value is not None:
        context["value"] = _quantity(d.value)
    facts: dict[str, object] = {}
    for name, value in d.facts.items():
        if isinstance(value, Quantity):
            facts[name] = _quantity(value)
        elif isinstance(value, dt.date):
            facts[name] = _day(value)
        else:
            facts[name] = value
    context["facts"] = facts
    return {"principal": {"type": "Deal::Party", "id": d.party},
            "action": {"type": "Deal::Action", "id": "deploy"},
            "resource": {"type": "Deal::Workload", "id": d.workload},
            "context": context}


@dataclass(frozen=True)
class CedarDecision:
    allowed: bool
    forbidding: frozenset[str]        # clause ids of the forbid policies that decided a Deny


def decide(cedar: CedarTerms, deployments: Sequence[Deployment],
           as_of: dt.date | None) -> list[CedarDecision]:
    """Cedar's decision for each deployment, in order (one batch call)."""
    if not deployments:
        return []
    results = cedarpy.is_authorized_batch([request(d, as_of) for d in deployments],
                                          cedar.policies, cedar.entities)
    out: list[CedarDecision] = []
    for result in results:
        errors = result.diagnostics.errors
        assert not errors, f"cedar reported errors: {errors}\n{cedar.text}"
        reasons = [int(r.removeprefix("policy")) for r in result.diagnostics.reasons]
        forbidding = frozenset(cedar.forbids[i - 1] for i in reasons if i > 0)
        out.append(CedarDecision(result.allowed, forbidding))
    return out


def _reads(cond: m.Condition | None) -> set[str]:
    if cond is None:
        return set()
    if isinstance(cond, m.Not):
        return _reads(cond.item)
    if isinstance(cond, m.And | m.Or):
        return set().union(*(_reads(i) for i in cond.items))
    return {cond.ref.name}


def lacks_a_completed_value(terms: m.Terms, d: Deployment) -> bool:
    """Whether `d` lacks a fact, region or value that some clause reads and completions fill."""
    read: set[str] = set()
    for c in terms.clauses:
        read |= _reads(c.scope.condition)
        if isinstance(c.rule, m.Requirement):
            read |= _reads(c.rule.condition)
        if c.scope.regions is not None or (
                isinstance(c.rule, m.Exclusivity) and c.rule.target == "region"):
            read.add("region")
    vocab = terms.vocabulary
    return ((d.region is None and bool(vocab.regions) and "region" in read)
            or (d.value is None and "value" in read)
            or any(name not in d.facts for name in read & set(vocab.facts)))


def cedar_differences(terms: m.Terms, deployments: Sequence[Deployment],
                      as_of: dt.date | None, evaluated: m.Terms | None = None,
                      cedar: CedarTerms | None = None) -> tuple[list[str], int]:
    """Disagreements between dealcheck (on `evaluated`, default `terms`) and Cedar on `terms`.

    Returns the differences and how many deployments had a decided verdict (compared).
    Terms that compare two operands (`value <= price`, `start <= signed + 30 days`) are
    not translated: none compared (the reference interpreter covers them).
    """
    if any(True for c in terms.clauses
           for cond in (c.scope.condition, getattr(c.rule, "condition", None))
           for _ in m.relations_in(cond)):
        return [], 0
    report = (evaluated or terms).check(deployments, as_of)
    decisions = decide(cedar or translate(terms), deployments, as_of)
    out: list[str] = []
    compared = 0
    for d, result, decision in zip(deployments, report.deployments, decisions, strict=True):
        verdict = str(result.verdict)
        if verdict == "undetermined" or lacks_a_completed_value(terms, d):
            continue
        compared += 1
        binding = [f for f in result.findings if not f.advisory]
        violated = {f.clause for f in binding if str(f.outcome) == "violated"}
        unknown = {f.clause for f in binding if str(f.outcome) == "unknown"}
        if decision.allowed != (verdict == "compliant"):
            out.append(f"`{result.id}`: dealcheck {verdict}, cedar "
                       f"{'allow' if decision.allowed else 'deny'} "
                       f"(forbidden by {sorted(decision.forbidding)})")
        elif not violated <= decision.forbidding <= violated | unknown:
            out.append(f"`{result.id}`: dealcheck violates {sorted(violated)} "
                       f"(unknown {sorted(unknown)}), cedar forbids by "
                       f"{sorted(decision.forbidding)}")
    return out, compared
