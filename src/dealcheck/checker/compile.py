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
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, assert_never

from dealcheck.checker.complete import Domains, clause_reads
from dealcheck.checker.logic import Test, Tri, all_of, compile_condition
from dealcheck.checker.results import Location
from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.limits import INVALID_LIMIT
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    from dealcheck.checker.codegen import DictObserver, FromDict, KeyEvaluator
    from dealcheck.checker.results import DeploymentResult, Fix


def _always(_: Deployment) -> Tri:
    return True


class _Tests:
    """The three tests of one clause version, compiled into closures on first use."""

    __slots__ = ("_breach", "_dict_observer", "_full_match", "_match", "_observer", "clause",
                 "operators")

    def __init__(self, clause: m.Clause, operators: Mapping[str, str]) -> None:
        self.clause = clause
        self.operators = operators
        self._match: Test | None = None
        self._breach: Test | None = None
        self._full_match: Test | None = None
        self._observer: Callable[[Deployment], tuple[bool, Decimal | None] | None] | None = None
        self._dict_observer: tuple[DictObserver | None] | None = None

    @property
    def observer(self) -> Callable[[Deployment], tuple[bool, Decimal | None] | None]:
        """An aggregate's compiled `Tally.observe` (see `codegen.build_observer`)."""
        if self._observer is None:
            from dealcheck.checker.codegen import build_observer

            self._observer = build_observer(
                Plan(self.clause, _location(self.clause), self), self.operators)
        return self._observer

    @property
    def dict_observer(self) -> DictObserver | None:
        """An aggregate's observer of plain dicts, if it has one (`codegen.build_dict_observer`)."""
        if self._dict_observer is None:
            from dealcheck.checker.codegen import build_dict_observer

            self._dict_observer = (build_dict_observer(
                Plan(self.clause, _location(self.clause), self)),)
        return self._dict_observer[0]

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
class _Clauses:
    """What every epoch looks clauses up in, built once for all of them.

    An epoch keeps no list of the clauses in force: a clause is in force in
    an epoch when it is in force on the epoch's first day (epochs break at
    every window bound). So an epoch costs only what deployments ask of it,
    however many amendments the terms have.
    """

    clauses: tuple[m.Clause, ...]
    base: dict[int, Plan]
    #: Restrictions and permissions grouped by their ``(parties, workloads)`` sets.
    groups: list[tuple[frozenset[str] | None, frozenset[str] | None, list[int]]]
    #: Clause id -> the positions of the permissions that name it.
    named_by: dict[str, list[int]]
    aggregates: list[int]

    @classmethod
    def of(cls, terms: m.Terms, base: dict[int, Plan]) -> _Clauses:
        groups: dict[tuple[frozenset[str] | None, frozenset[str] | None], list[int]] = {}
        named_by: dict[str, list[int]] = {}
        aggregates: list[int] = []
        for position, clause in enumerate(terms.clauses):
            if clause.kind.is_restriction or clause.kind is m.ClauseKind.PERMISSION:
                scope = clause.scope
                groups.setdefault((scope.parties, scope.workloads), []).append(position)
            if clause.kind is m.ClauseKind.PERMISSION:
                for target in clause.overrides:
                    named_by.setdefault(target, []).append(position)
            if clause.kind.is_aggregate:
                aggregates.append(position)
        return cls(terms.clauses, base, [(p, w, members) for (p, w), members in groups.items()],
                   named_by, aggregates)


@dataclass(slots=True, eq=False)
class Epoch:
    """The clauses in force from `start` to the day before the next epoch.

    The index is filled lazily, one ``(party, workload)`` key at a time: the
    clauses are grouped by their ``(parties, workloads)`` sets once, so a key
    costs one test per group rather than one per clause. A clause's plan is
    made for the epoch only when a key needs it, and only a clause that a
    permission in force names gets a plan of its own: the others share the
    plan all epochs use.
    """

    start: dt.date
    _all: _Clauses
    #: Position in the terms' clauses -> the plan of that clause in this epoch.
    plans: dict[int, Plan] = field(default_factory=dict)
    _aggregates: tuple[Plan, ...] | None = None
    _restrictions: dict[tuple[str, str], tuple[Plan, ...]] = field(default_factory=dict)
    _permissions: dict[tuple[str, str], tuple[Plan, ...]] = field(default_factory=dict)
    #: party -> workload -> the compiled evaluator of that key (see `checker.codegen`).
    evaluators: dict[str, dict[str, KeyEvaluator]] = field(default_factory=dict)
    #: party -> workload -> the same key's evaluator of a plain dict (`checker.batch`).
    from_dicts: dict[str, dict[str, FromDict]] = field(default_factory=dict)

    @property
    def clauses(self) -> tuple[m.Clause, ...]:
        """The clauses in force, in file order."""
        start = self.start
        return tuple(c for c in self._all.clauses if c.in_force_on(start))

    @property
    def aggregates(self) -> tuple[Plan, ...]:
        """The aggregate clauses in force, in file order."""
        if self._aggregates is None:
            clauses, start = self._all.clauses, self.start
            self._aggregates = tuple(self.plan(i) for i in self._all.aggregates
                                     if clauses[i].in_force_on(start))
        return self._aggregates

    def plan(self, position: int) -> Plan:
        """The plan of the clause at `position` (in force) in this epoch.

        Its overriders are the permissions in force that name it, each with
        its own overriders: those plans are made too (without recursion, so
        that a long chain of permissions cannot exhaust the stack).
        """
        found = self.plans.get(position)
        if found is not None:
            return found
        clauses, start, plans = self._all.clauses, self.start, self.plans
        linked: list[tuple[Plan, list[int]]] = []
        todo = [position]
        while todo:
            at = todo.pop()
            if at in plans:
                continue
            clause = clauses[at]
            base = self._all.base[id(clause)]
            naming = [p for p in self._all.named_by.get(clause.id, ())
                      if clauses[p].in_force_on(start)]
            if not naming:
                plans[at] = base
                continue
            plan = plans[at] = Plan(clause, base.location, base.tests)
            linked.append((plan, naming))
            todo.extend(naming)
        for plan, naming in linked:
            plan.overriders.extend(plans[p] for p in naming)
        return plans[position]

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
        clauses, start = self._all.clauses, self.start
        positions: list[int] = []
        for parties, workloads, members in self._all.groups:
            if parties is not None and party not in parties:
                continue
            if workloads is not None and workload not in workloads:
                continue
            positions.extend(p for p in members if clauses[p].in_force_on(start))
        positions.sort()
        restrictions: list[Plan] = []
        permissions: list[Plan] = []
        for position in positions:
            clause = clauses[position]
            if clause.kind.is_restriction:
                restrictions.append(self.plan(position))
            elif clause.kind is m.ClauseKind.PERMISSION:
                permissions.append(self.plan(position))
        self._restrictions[key] = tuple(restrictions)
        self._permissions[key] = tuple(permissions)


@dataclass(slots=True, eq=False)
class CompiledTerms:
    """The terms ready to evaluate: epochs in date order and their indexes."""

    terms: m.Terms
    starts: list[dt.date]
    plans: dict[int, Plan]
    operators: Mapping[str, str]
    _all: _Clauses
    #: Judge with the reference evaluator alone, generating nothing (`reference_only`).
    reference: bool = False
    #: Position in `starts` -> its epoch, made the first time a day falls in it.
    _epochs: dict[int, Epoch] = field(default_factory=dict)
    #: evaluation day -> its epoch (None before the agreement); filled as days are seen.
    _days: dict[dt.date, Epoch | None] = field(default_factory=dict)
    _domains: Domains | None = None
    _states: dict[str, tuple[str, ...]] | None = None
    #: id of a clause -> what its fixes take from the terms alone (`fixes.fixes_for`).
    fix_parts: dict[int, object] = field(default_factory=dict)
    #: The fixes made of names and truth values, by what they are made of (`fixes._render`).
    fixes_made: dict[tuple[object, ...], Fix] = field(default_factory=dict)

    @property
    def states(self) -> dict[str, tuple[str, ...]]:
        """The clauses whose state a condition reads, with their reachable verdicts."""
        if self._states is None:
            self._states = self.terms.states()
        return self._states

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
        epoch = self._epochs.get(index)
        if epoch is None:
            epoch = self._epochs[index] = Epoch(self.starts[index], self._all)
        return epoch

    def evaluate(self, d: Deployment, as_of: dt.date | None = None) -> DeploymentResult:
        """Judge one deployment with the compiled evaluators (see `evaluate_deployment`)."""
        day = as_of or d.start
        return (_EVALUATOR_FOR or _evaluator_for())(self, day, d.party, d.workload)(d, day)


#: `codegen.evaluator_for`, once `CompiledTerms.evaluate` has imported it (an import
#: statement in a function costs as much as the rest of a call that finds its evaluator).
_EVALUATOR_FOR: Callable[[CompiledTerms, dt.date, str, str], KeyEvaluator] | None = None


def _evaluator_for() -> Callable[[CompiledTerms, dt.date, str, str], KeyEvaluator]:
    global _EVALUATOR_FOR
    from dealcheck.checker.codegen import evaluator_for

    _EVALUATOR_FOR = evaluator_for
    return evaluator_for


class ReadyTerms(Protocol):
    """Terms as the checker takes them: the resolved data, and its compiled form made once.

    `dealcheck.Terms` (what `dealcheck.load` returns) is one; the checker
    names only this, so that it depends on nothing above it.
    """

    @property
    def path(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def vocabulary(self) -> m.Vocabulary: ...

    @property
    def clauses(self) -> tuple[m.Clause, ...]: ...

    @property
    def examples(self) -> tuple[m.Example, ...]: ...

    def compiled(self) -> CompiledTerms: ...


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
    """True when a deployment in the clause's scope breaks it (permissions, aggregates: never)."""
    match clause.rule:
        case m.Exclusivity(target="provider", allowed=allowed):
            return lambda d: d.provider not in allowed
        case m.Exclusivity(allowed=allowed):
            def outside(d: Deployment) -> Tri:
                return None if d.region is None else d.region not in allowed
            return outside
        case m.Requirement(condition=condition):
            holds = compile_condition(condition, operators)

            def unmet(d: Deployment) -> Tri:
                value = holds(d)
                return None if value is None else not value
            return unmet
        case m.Prohibition():
            return _always
        case m.Permission() | m.Aggregate():
            return lambda d: False
        case unreachable:
            assert_never(unreachable)


def share_sides(plan: Plan, operators: Mapping[str, str]) -> tuple[Plan, Plan]:
    """A share clause's two totals as plans of plain totals: the part, then the whole.

    Each is tallied like any total (generated observers, SQL sightings); the
    share is judged from the two tallies (`checker.shares`).
    """
    rule = plan.clause.rule
    assert isinstance(rule, m.Aggregate) and rule.share is not None  # INVARIANT: shares only
    total = rule.share.total(rule)
    part = dataclasses.replace(plan.clause, scope=rule.share.part, rule=total)
    whole = dataclasses.replace(plan.clause, rule=total)
    return (Plan(part, plan.location, _Tests(part, operators)),
            Plan(whole, plan.location, _Tests(whole, operators)))


def _location(clause: m.Clause) -> Location:
    return Location(clause.span.file, clause.span.line, clause.span.column)


#: The environment variable that selects the evaluator every check uses.
EVALUATOR_ENV = "DEALCHECK_EVALUATOR"


def reference_only() -> bool:
    """Whether checks judge with the reference evaluator alone (``DEALCHECK_EVALUATOR=reference``).

    The one reading of the switch, when the terms are compiled
    (`CompiledTerms.reference`): the evaluators of `codegen.evaluator_for`
    and `codegen.evaluate_stream` and the observers of `aggregate.AggregateBook`
    follow what it said then.

    Raises:
        DiagnosticsError: (DC909, as for a limit's variable) when it holds another value.
    """
    raw = os.environ.get(EVALUATOR_ENV, "").strip()
    if raw in ("", "generated"):
        return False
    if raw == "reference":
        return True
    shown = raw if len(raw) <= 40 else raw[:39] + "…"
    raise DiagnosticsError([error(
        INVALID_LIMIT, f"{EVALUATOR_ENV} must be `generated` or `reference`, found `{shown}`",
        Span.point("<environment>", 1, 1),
        f"unset it for the generated evaluators, or write {EVALUATOR_ENV}=reference")])


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
    return CompiledTerms(terms, starts, plans, operators, _Clauses.of(terms, plans),
                         reference=reference_only())


Compiler = Callable[[m.Terms], CompiledTerms]
