"""Compilation: the terms model → an index from scope to the clauses that can apply.

The terms change only on a few dates (a window opens, an amendment takes
effect). Between two such dates is an *epoch*; each epoch has its own index
from ``(party, workload)`` to the clause plans that can scope such a
deployment, so a deployment's cost does not grow with clauses that cannot
apply to it.

Compilation is cheap and mostly lazy: an epoch's index is built the first
time a deployment falls in it, one ``(party, workload)`` entry at a time, and
each entry is compiled into a specialised Python function the first time a
deployment with that party and workload is checked (`checker.codegen`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from dealcheck.checker.complete import Domains, clause_reads
from dealcheck.checker.logic import Test, Tri, all_of, compile_condition
from dealcheck.checker.results import Location
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    from dealcheck.checker.codegen import KeyEvaluator
    from dealcheck.checker.results import DeploymentResult


def _always(_: Deployment) -> Tri:
    return True


class _Tests:
    """The three tests of one clause version, compiled into closures on first use."""

    __slots__ = ("_breach", "_full_match", "_match", "_observer", "clause", "operators")

    def __init__(self, clause: m.Clause, operators: Mapping[str, str]) -> None:
        self.clause = clause
        self.operators = operators
        self._match: Test | None = None
        self._breach: Test | None = None
        self._full_match: Test | None = None
        self._observer: Callable[[Deployment], tuple[bool, Decimal | None] | None] | None = None

    @property
    def observer(self) -> Callable[[Deployment], tuple[bool, Decimal | None] | None]:
        """An aggregate's compiled `Tally.observe` (see `codegen.build_observer`)."""
        if self._observer is None:
            from dealcheck.checker.codegen import build_observer

            self._observer = build_observer(
                Plan(self.clause, _location(self.clause), self), self.operators)
        return self._observer

    @property
    def match(self) -> Test:
        if self._match is None:
            self._match = compile_scope(self.clause.scope, self.operators,
                                        with_index_fields=False)
        return self._match

    @property
    def breach(self) -> Test:
        if self._breach is None:
            self._breach = compile_breach(self.clause, self.operators)
        return self._breach

    @property
    def full_match(self) -> Test:
        if self._full_match is None:
            self._full_match = compile_scope(self.clause.scope, self.operators,
                                             with_index_fields=True)
        return self._full_match


@dataclass(slots=True, eq=False)
class Plan:
    """One clause, compiled (as it stands in one epoch).

    `match` tests what the index did not: provider, region and the `when`
    condition (party and workload are settled by the index lookup).
    `breach` is True when a deployment in scope breaks the clause.
    `full_match` tests the whole scope. `overriders` are the permissions in
    force in the epoch that name this clause.
    """

    clause: m.Clause
    location: Location
    tests: _Tests
    overriders: list[Plan] = field(default_factory=list)
    #: What judging it reads that completions may fill: its own facts and
    #: fields and its overriders', recursively (see `checker.complete`).
    _reads: tuple[str, ...] | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        if self._reads is None:
            names: dict[str, None] = dict.fromkeys(clause_reads(self.clause))
            for permission in self.overriders:
                names.update(dict.fromkeys(permission.reads))
            self._reads = tuple(names)
        return self._reads

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def match(self) -> Test:
        return self.tests.match

    @property
    def breach(self) -> Test:
        return self.tests.breach

    @property
    def full_match(self) -> Test:
        return self.tests.full_match


def in_static_scope(scope: m.Scope, party: str, workload: str) -> bool:
    """Whether a scope's party and workload sets admit ``(party, workload)``."""
    return ((scope.parties is None or party in scope.parties)
            and (scope.workloads is None or workload in scope.workloads))


@dataclass(slots=True, eq=False)
class Epoch:
    """The clauses in force from `start` to the day before the next epoch.

    The index is filled lazily, one ``(party, workload)`` key at a time: the
    clauses are grouped by their ``(parties, workloads)`` sets once, so a key
    costs one test per group rather than one per clause.
    """

    start: dt.date
    clauses: tuple[m.Clause, ...]
    plans: dict[str, Plan]
    aggregates: tuple[Plan, ...]
    _groups: list[tuple[frozenset[str] | None, frozenset[str] | None, list[int]]]
    _restrictions: dict[tuple[str, str], tuple[Plan, ...]] = field(default_factory=dict)
    _permissions: dict[tuple[str, str], tuple[Plan, ...]] = field(default_factory=dict)
    #: party -> workload -> the compiled evaluator of that key (see `checker.codegen`).
    evaluators: dict[str, dict[str, KeyEvaluator]] = field(default_factory=dict)

    def restrictions_for(self, party: str, workload: str) -> tuple[Plan, ...]:
        """The restrictions (exclusivity, prohibition, requirement) that can scope the key."""
        key = (party, workload)
        found = self._restrictions.get(key)
        if found is None:
            self._index(key)
            found = self._restrictions[key]
        return found

    def permissions_for(self, party: str, workload: str) -> tuple[Plan, ...]:
        """The permissions that can scope the key."""
        key = (party, workload)
        found = self._permissions.get(key)
        if found is None:
            self._index(key)
            found = self._permissions[key]
        return found

    def _index(self, key: tuple[str, str]) -> None:
        party, workload = key
        positions: list[int] = []
        for parties, workloads, members in self._groups:
            if parties is not None and party not in parties:
                continue
            if workloads is not None and workload not in workloads:
                continue
            positions.extend(members)
        positions.sort()
        restrictions: list[Plan] = []
        permissions: list[Plan] = []
        for position in positions:
            clause = self.clauses[position]
            if clause.kind.is_restriction:
                restrictions.append(self.plans[clause.id])
            elif clause.kind is m.ClauseKind.PERMISSION:
                permissions.append(self.plans[clause.id])
        self._restrictions[key] = tuple(restrictions)
        self._permissions[key] = tuple(permissions)


@dataclass(slots=True, eq=False)
class CompiledTerms:
    """The terms ready to evaluate: epochs in date order and their indexes."""

    terms: m.Terms
    starts: list[dt.date]
    plans: dict[int, Plan]
    operators: Mapping[str, str]
    _signatures: list[tuple[int, ...]]
    _epochs: dict[tuple[int, ...], Epoch] = field(default_factory=dict)
    #: evaluation day -> its epoch (None before the agreement); filled as days are seen.
    _days: dict[dt.date, Epoch | None] = field(default_factory=dict)
    _domains: Domains | None = None

    @property
    def domains(self) -> Domains:
        """The values that completions give each missing fact (see `checker.complete`)."""
        if self._domains is None:
            self._domains = Domains(self.terms)
        return self._domains

    def epoch(self, day: dt.date) -> Epoch | None:
        """The epoch holding `day` (None before the agreement takes effect)."""
        try:
            return self._days[day]
        except KeyError:
            pass
        index = bisect.bisect_right(self.starts, day) - 1
        epoch = self._epoch_at(index) if index >= 0 else None
        if len(self._days) >= _MAX_DAYS:
            self._days.clear()
        self._days[day] = epoch
        return epoch

    def _epoch_at(self, index: int) -> Epoch:
        signature = self._signatures[index]
        epoch = self._epochs.get(signature)
        if epoch is None:
            in_force = tuple(self.terms.clauses[i] for i in signature)
            epoch = self._epochs[signature] = _epoch(self.starts[index], in_force, self.plans)
        return epoch

    def evaluate(self, d: Deployment, as_of: dt.date | None = None) -> DeploymentResult:
        """Judge one deployment with the compiled evaluators (see `evaluate_deployment`)."""
        from dealcheck.checker.codegen import evaluator_for

        day = as_of or d.start
        return evaluator_for(self, day, d.party, d.workload)(d, day)


#: Days remembered by `CompiledTerms.epoch` before the memo starts again.
_MAX_DAYS = 1 << 16


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
    return all_of(tests) if tests else _always


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
        plans[id(clause)] = Plan(clause, _location(clause), _Tests(clause, operators))
    breaks = {terms.effective}
    for clause in terms.clauses:
        breaks.add(clause.in_force_from)
        if clause.in_force_through is not None and clause.in_force_through < dt.date.max:
            breaks.add(clause.in_force_through + dt.timedelta(days=1))
    starts = sorted(b for b in breaks if b >= terms.effective)
    # One sweep over the sorted window bounds gives the set in force at each start.
    signatures = _signatures(terms.clauses, starts)
    return CompiledTerms(terms, starts, plans, operators, signatures)


def _signatures(clauses: tuple[m.Clause, ...], starts: list[dt.date]) -> list[tuple[int, ...]]:
    """For each epoch start, the positions of the clauses in force (in file order)."""
    if len(starts) * len(clauses) <= 1 << 16:
        return [tuple(i for i, c in enumerate(clauses) if c.in_force_on(s)) for s in starts]
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for position, clause in enumerate(clauses):
        first = bisect.bisect_left(starts, clause.in_force_from)
        if first >= len(starts) or not clause.in_force_on(starts[first]):
            continue
        opening.setdefault(first, []).append(position)
        through = clause.in_force_through
        last = len(starts) if through is None else bisect.bisect_right(starts, through)
        closing.setdefault(last, []).append(position)
    current: set[int] = set()
    out: list[tuple[int, ...]] = []
    for index in range(len(starts)):
        current.difference_update(closing.get(index, ()))
        current.update(opening.get(index, ()))
        out.append(tuple(sorted(current)))
    return out


def _epoch(start: dt.date, in_force: tuple[m.Clause, ...], plans: dict[int, Plan]) -> Epoch:
    by_id = {c.id: c for c in in_force}
    # Per epoch, a plan's overriders are the permissions in force that name it.
    epoch_plans: dict[str, Plan] = {}
    for clause in in_force:
        base = plans[id(clause)]
        epoch_plans[clause.id] = Plan(clause, base.location, base.tests)
    for clause in in_force:
        if clause.kind is m.ClauseKind.PERMISSION:
            for target in clause.overrides:
                if target in by_id:
                    epoch_plans[target].overriders.append(epoch_plans[clause.id])
    groups: dict[tuple[frozenset[str] | None, frozenset[str] | None], list[int]] = {}
    for position, clause in enumerate(in_force):
        if clause.kind.is_restriction or clause.kind is m.ClauseKind.PERMISSION:
            scope = clause.scope
            groups.setdefault((scope.parties, scope.workloads), []).append(position)
    aggregates = tuple(epoch_plans[c.id] for c in in_force if c.kind.is_aggregate)
    return Epoch(start, in_force, epoch_plans, aggregates,
                 [(p, w, members) for (p, w), members in groups.items()])


Compiler = Callable[[m.Terms], CompiledTerms]
