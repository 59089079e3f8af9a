"""Compilation: the terms model → an index from scope to the clauses that can apply.

The terms change only on a few dates (a window opens, an amendment takes
effect). Between two such dates is an *epoch*; each epoch has its own index
from ``(party, workload)`` to the clause plans that can scope such a
deployment, so a deployment's cost does not grow with clauses that cannot
apply to it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dealcheck.checker.logic import Test, Tri, compile_condition
from dealcheck.checker.results import Location
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment


def _always(_: Deployment) -> Tri:
    return True


@dataclass(slots=True, eq=False)
class Plan:
    """One clause, compiled.

    `match` tests what the index did not: provider, region and the `when`
    condition (party and workload are settled by the index lookup).
    `breach` is True when a deployment in scope breaks the clause.
    """

    clause: m.Clause
    location: Location
    match: Test
    breach: Test
    full_match: Test
    overriders: list[Plan] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.clause.id


@dataclass(slots=True)
class Epoch:
    """The clauses in force from `start` to the day before the next epoch."""

    start: dt.date
    clauses: tuple[m.Clause, ...]
    restrictions: dict[tuple[str, str], tuple[Plan, ...]]
    permissions: dict[tuple[str, str], tuple[Plan, ...]]
    aggregates: tuple[Plan, ...]


@dataclass(slots=True)
class CompiledTerms:
    """The terms ready to evaluate: epochs in date order and their indexes."""

    terms: m.Terms
    starts: list[dt.date]
    epochs: list[Epoch | None]
    plans: dict[int, Plan]
    operators: Mapping[str, str]

    def epoch(self, day: dt.date) -> Epoch | None:
        """The epoch holding `day` (None before the agreement takes effect)."""
        index = bisect.bisect_right(self.starts, day) - 1
        return self.epochs[index] if index >= 0 else None


def _set_test(values: frozenset[str] | None, negated: bool,
              attr: str, may_be_absent: bool) -> Test | None:
    if values is None:
        return None

    def test(d: Deployment) -> Tri:
        value = getattr(d, attr)
        if value is None:
            return None if may_be_absent else False
        return (value in values) != negated
    return test


def _all_of(tests: list[Test]) -> Test:
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]

    def conj(d: Deployment) -> Tri:
        result: Tri = True
        for test in tests:
            value = test(d)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    return conj


def compile_scope(scope: m.Scope, operators: Mapping[str, str],
                  with_index_fields: bool) -> Test:
    """A test for the parts of a scope; party and workload only if `with_index_fields`."""
    tests: list[Test] = []
    if with_index_fields:
        for values, attr in ((scope.parties, "party"), (scope.workloads, "workload")):
            t = _set_test(values, False, attr, False)
            if t:
                tests.append(t)
    t = _set_test(scope.providers, scope.providers_negated, "provider", False)
    if t:
        tests.append(t)
    t = _set_test(scope.regions, scope.regions_negated, "region", True)
    if t:
        tests.append(t)
    if scope.condition is not None:
        tests.append(compile_condition(scope.condition, operators))
    return _all_of(tests)


def compile_breach(clause: m.Clause, operators: Mapping[str, str]) -> Test:
    rule = clause.rule
    if isinstance(rule, m.Exclusivity):
        allowed = rule.allowed
        if rule.target == "provider":
            return lambda d: d.provider not in allowed

        def outside(d: Deployment) -> Tri:
            return None if d.region is None else d.region not in allowed
        return outside
    if isinstance(rule, m.Requirement):
        holds = compile_condition(rule.condition, operators)

        def unmet(d: Deployment) -> Tri:
            value = holds(d)
            return None if value is None else not value
        return unmet
    if isinstance(rule, m.Prohibition):
        return _always
    return lambda d: False


def _location(clause: m.Clause) -> Location:
    return Location(clause.span.file, clause.span.line, clause.span.column)


def compile_terms(terms: m.Terms) -> CompiledTerms:
    """Compile the terms once; evaluate many deployments against the result."""
    vocab = terms.vocabulary
    operators = {name: p.operator for name, p in vocab.providers.items()}
    plans: dict[int, Plan] = {}
    for clause in terms.clauses:
        plans[id(clause)] = Plan(
            clause, _location(clause),
            compile_scope(clause.scope, operators, with_index_fields=False),
            compile_breach(clause, operators),
            compile_scope(clause.scope, operators, with_index_fields=True),
        )
    breaks = {terms.effective}
    for clause in terms.clauses:
        breaks.add(clause.in_force_from)
        if clause.in_force_through is not None and clause.in_force_through < dt.date.max:
            breaks.add(clause.in_force_through + dt.timedelta(days=1))
    starts = sorted(b for b in breaks if b >= terms.effective)
    keys = [(p, w) for p in vocab.parties for w in vocab.workloads]
    epochs: list[Epoch | None] = []
    cache: dict[tuple[int, ...], Epoch] = {}
    for start in starts:
        in_force = tuple(terms.in_force(start))
        signature = tuple(id(c) for c in in_force)
        if signature in cache:
            epochs.append(cache[signature])
            continue
        epoch = _epoch(start, in_force, plans, keys)
        cache[signature] = epoch
        epochs.append(epoch)
    return CompiledTerms(terms, starts, epochs, plans, operators)


def _epoch(start: dt.date, in_force: tuple[m.Clause, ...], plans: dict[int, Plan],
           keys: list[tuple[str, str]]) -> Epoch:
    by_id = {c.id: c for c in in_force}
    # Per epoch, a plan's overriders are the permissions in force that name it.
    epoch_plans: dict[str, Plan] = {}
    for clause in in_force:
        base = plans[id(clause)]
        epoch_plans[clause.id] = Plan(clause, base.location, base.match, base.breach,
                                      base.full_match)
    for clause in in_force:
        if clause.kind is m.ClauseKind.PERMISSION:
            for target in clause.overrides:
                if target in by_id:
                    epoch_plans[target].overriders.append(epoch_plans[clause.id])
    restrictions: dict[tuple[str, str], tuple[Plan, ...]] = {}
    permissions: dict[tuple[str, str], tuple[Plan, ...]] = {}
    for party, workload in keys:
        found_r: list[Plan] = []
        found_p: list[Plan] = []
        for clause in in_force:
            scope = clause.scope
            if scope.parties is not None and party not in scope.parties:
                continue
            if scope.workloads is not None and workload not in scope.workloads:
                continue
            if clause.kind.is_restriction:
                found_r.append(epoch_plans[clause.id])
            elif clause.kind is m.ClauseKind.PERMISSION:
                found_p.append(epoch_plans[clause.id])
        if found_r:
            restrictions[(party, workload)] = tuple(found_r)
        if found_p:
            permissions[(party, workload)] = tuple(found_p)
    aggregates = tuple(epoch_plans[c.id] for c in in_force if c.kind.is_aggregate)
    return Epoch(start, in_force, restrictions, permissions, aggregates)


Compiler = Callable[[m.Terms], CompiledTerms]
