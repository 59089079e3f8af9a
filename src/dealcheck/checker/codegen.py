"""Code generation: one specialised Python function per epoch and ``(party, workload)``.

A deployment's verdict, `not_covered` flag and findings are a pure function of
a few things (see `KeyShape`): its provider and region, the three-valued
state of each atomic condition that a clause able to scope it reads (facts,
dates, quantities), and, for aggregates, whether its start falls in their
windows. Everything else in the result — id, evaluation date, source — is
copied from the deployment.

So each ``(epoch, party, workload)`` gets a function, generated as Python
source and compiled once (as template engines compile templates), that reads
exactly those inputs with inlined tests, looks the outcome up in a memo, and
builds the `DeploymentResult` around it. The first deployment with a given
outcome key runs the reference evaluator (`evaluate.evaluate_reference`),
which builds the findings, messages, missing facts and fixes; every later one
shares them. The common compliant path allocates the key tuple and the
result, nothing else.

With ``DEALCHECK_EVALUATOR=reference`` in the environment when the terms are
compiled (`compile.reference_only`, `CompiledTerms.reference`), nothing is
generated: every deployment is judged by the reference evaluator and every
aggregate observed by `Tally.observe_reference`, so that the whole test
suite can run on the definition alone.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, assert_never

from dealcheck.checker.compile import CompiledTerms, Epoch, Plan, in_static_scope
from dealcheck.checker.logic import compare_values
from dealcheck.checker.results import DeploymentResult, Finding, Verdict
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.generated import NO_FACTS, DeploymentRow, as_deployment
from dealcheck.scenario.model import Deployment

#: Judges one deployment on a day: the compiled form of one epoch and key.
KeyEvaluator = Callable[[Deployment, dt.date], DeploymentResult]
#: What the memo keeps per outcome key: verdict, `not_covered`, findings.
Outcome = tuple[Verdict, bool, tuple[Finding, ...]]
#: A key's evaluator that stops at the outcome, building no result.
OutcomeOf = Callable[[Deployment, dt.date], Outcome]
#: Makes the row of a plain dict given its validated start (`scenario.columns.DictBatch.row`).
RowOf = Callable[[dict[str, Any], dt.date], "Deployment | DeploymentRow"]
#: A key's evaluator of a plain dict valid as it is (`checker.batch`), given its day, its
#: validated start, `RowOf`, and the provider, region and facts (or None) the dict gives.
FromDict = Callable[[dict[str, Any], dt.date, dt.date, RowOf, str, str | None, Any], Outcome]
#: The three functions generated for one key (see `generate_source`).
KeyFunctions = tuple[KeyEvaluator, OutcomeOf, FromDict]
#: The outcome of a deployment no clause in force can scope.
NOT_COVERED: Outcome = (Verdict.COMPLIANT, True, ())

#: The state of an atomic condition whose field or fact is absent (True, False
#: and None are the others: None when present but undecidable, e.g. a
#: quantity of another dimension).
ABSENT = 2

#: Outcomes remembered per key function before its memo starts again.
MEMO_LIMIT = 1 << 15

#: Deployment fields that a condition may read and that the key does not already hold.
_VALUE_FIELDS = frozenset(("start", "end", "capacity", "value"))

@dataclass(frozen=True, slots=True)
class KeyShape:
    """What the outcome of one epoch and ``(party, workload)`` depends on."""

    restrictions: tuple[Plan, ...]
    permissions: tuple[Plan, ...]     # those that can scope the key, and overriders
    aggregates: tuple[Plan, ...]
    atoms: tuple[m.Compare | m.Member | m.Truthy | m.Relation, ...]

    @property
    def constant(self) -> bool:
        """No clause in force can scope the key: compliant and not covered."""
        return not (self.restrictions or self.permissions or self.aggregates)


def key_shape(epoch: Epoch, party: str, workload: str) -> KeyShape:
    """The plans that can matter to deployments of `party` and `workload`, and their atoms."""
    restrictions = epoch.restrictions_for(party, workload)
    permissions: dict[int, Plan] = {}

    def add_overriders(plan: Plan) -> None:
        for permission in plan.overriders:
            # A permission outside the key's party or workload never applies.
            if id(permission) not in permissions and in_static_scope(
                    permission.clause.scope, party, workload):
                permissions[id(permission)] = permission
                add_overriders(permission)

    for plan in restrictions:
        add_overriders(plan)
    for plan in epoch.permissions_for(party, workload):
        if id(plan) not in permissions:
            permissions[id(plan)] = plan
            add_overriders(plan)
    aggregates = tuple(p for p in epoch.aggregates
                       if in_static_scope(p.clause.scope, party, workload))
    atoms: dict[m.Condition, None] = {}
    for plan in (*restrictions, *permissions.values(), *aggregates):
        _collect_atoms(plan.clause.scope.condition, atoms)
        if isinstance(plan.clause.rule, m.Requirement):
            _collect_atoms(plan.clause.rule.condition, atoms)
    return KeyShape(restrictions, tuple(permissions.values()), aggregates,
                    tuple(atoms))  # type: ignore[arg-type]


def _collect_atoms(cond: m.Condition | None, out: dict[m.Condition, None]) -> None:
    match cond:
        case None:
            return
        case m.Compare() | m.Member() | m.Truthy():
            # Party and workload are fixed per key; provider, region (and so the
            # operator) are part of the key itself.
            if cond.ref.is_fact or cond.ref.name in _VALUE_FIELDS:
                out[cond] = None
        case m.Relation():
            out[cond] = None
        case m.Not():
            _collect_atoms(cond.item, out)
        case m.And() | m.Or():
            for item in cond.items:
                _collect_atoms(item, out)
        case unreachable:
            assert_never(unreachable)


class _Source:
    """Python source under construction, with its constants bound by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}

    def constant(self, value: object) -> str:
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    def line(self, text: str, depth: int = 2) -> None:
        self.lines.append("    " * depth + text)


def relation_state(relation: m.Relation, operators: Mapping[str, str]
                   ) -> Callable[[Deployment], tuple[object, ...]]:
    """A relation's part of the key: its three-valued value and the value of each side.

    The sides' values, not only whether they are absent: a fix proposes the
    other side's value (`complete.relation_values`), so two deployments share
    an outcome only when both sides agree.
    """
    from dealcheck.checker.logic import compile_relation, operand_reader

    test = compile_relation(relation, operators)
    left = operand_reader(relation.left, operators)
    right = operand_reader(relation.right, operators)
    return lambda d: (test(d), left(d), right(d))


def _atom_code(atom: m.Compare | m.Member | m.Truthy, src: _Source) -> str:
    """An expression for the atom's three-valued value, given its field or fact in `v`.

    INVARIANT: the same value as `logic.compile_condition(atom)` for any `v`
    that is not None.
    """
    match atom:
        case m.Truthy():
            return "v is True"
        case m.Member(values=values, negated=negated):
            name = src.constant(values)
            return f"v not in {name}" if negated else f"v in {name}"
        case m.Compare(op=op, value=value):
            right = src.constant(value)
            if op is m.CmpOp.EQ and not isinstance(value, Quantity | dt.date):
                return f"v == {right}"
            return f"compare({src.constant(op)}, v, {right})"
        case unreachable:
            assert_never(unreachable)


#: How the generated code reads a deployment's fields: a `Deployment` (or a row) by its
#: attributes; a plain dict valid as it is (`scenario.columns.DictBatch`) as its
#: caller read it: its start as validated, its provider, region and facts as given.
_READS = {
    False: {"provider": "d.provider", "region": "d.region", "facts": "d.facts",
            "start": "d.start"},
    True: {"provider": "provider", "region": "region", "facts": "facts or NO_FACTS",
           "start": "start"},
}


def reads_dicts(shape: KeyShape) -> bool:
    """Whether a key's evaluator can read a plain dict: no relation, no field but the start."""
    return all(not isinstance(a, m.Relation) and (a.ref.is_fact or a.ref.name == "start")
               for a in shape.atoms)


def _key_code(shape: KeyShape, src: _Source, operators: Mapping[str, str],
              dicts: bool) -> list[str]:
    """The statements that compute a deployment's outcome key, `key`."""
    reads = _READS[dicts]
    body: list[str] = []
    key_parts = [reads["provider"], reads["region"]]
    if any(not isinstance(a, m.Relation) and a.ref.is_fact for a in shape.atoms):
        body.append(f"facts = {reads['facts']}")
    for number, atom in enumerate(shape.atoms):
        if isinstance(atom, m.Relation):
            state = src.constant(relation_state(atom, operators))
            body.append(f"a{number} = {state}(d)")
            key_parts.append(f"a{number}")
            continue
        read = (f"facts.get({atom.ref.name!r})" if atom.ref.is_fact
                else reads["start"] if atom.ref.name == "start" else f"d.{atom.ref.name}")
        body.append(f"v = {read}")
        body.append(f"a{number} = ABSENT if v is None else {_atom_code(atom, src)}")
        key_parts.append(f"a{number}")
    windows = []
    for plan in shape.aggregates:
        rule = plan.clause.rule
        assert isinstance(rule, m.Aggregate)  # INVARIANT: aggregates only
        tests = []
        if rule.window_from is not None:
            tests.append(f"not start < {src.constant(rule.window_from)}")
        if rule.window_through is not None:
            tests.append(f"not start > {src.constant(rule.window_through)}")
        if tests:
            windows.append(" and ".join(tests))
    if windows:
        if not dicts:
            body.append("start = d.start")
        key_parts += [f"({w})" for w in windows]
    return [*body, f"key = ({', '.join(key_parts)},)"]


def generate_source(shape: KeyShape, operators: Mapping[str, str] | None = None
                    ) -> tuple[str, dict[str, object]]:
    """The Python source of a key's evaluator factory, and the constants it names.

    Three functions of one key, sharing one memo: `evaluate` builds the
    result, `outcome` stops at the outcome, and `from_dict` reads a plain dict
    valid as it is (given its validated start, and `row_of`, which makes the
    row the reference evaluator judges on a miss); a key whose atoms a dict
    cannot give (`reads_dicts`) has it read the row.
    """
    src = _Source()
    body = _key_code(shape, src, operators or {}, dicts=False)
    lines = ["def factory(memo, miss, compare, ABSENT, DR, NO_FACTS, "
             + "".join(f"{k}, " for k in src.constants) + "):",
             "    get = memo.get"]
    for name, result in (("evaluate", _result_code("hit[0]", "hit[1]", "hit[2]")),
                         ("outcome", ["        return hit"])):
        lines.append(f"    def {name}(d, day):")
        lines += ["        " + b for b in body]
        lines.append("        hit = get(key)")
        lines.append("        if hit is None:")
        lines.append("            hit = miss(d, day, key)")
        lines += result
    lines.append("    def from_dict(d, day, start, row_of, provider, region, facts):")
    if reads_dicts(shape):
        dict_body = _key_code(shape, src, operators or {}, dicts=True)
        lines += ["        " + b for b in dict_body]
        lines += ["        try:", "            return memo[key]", "        except KeyError:",
                  "            return miss(row_of(d, start), day, key)"]
    else:
        lines.append("        return outcome(row_of(d, start), day)")
    lines.append("    return evaluate, outcome, from_dict")
    # The dict's reads may have named constants of their own.
    lines[0] = ("def factory(memo, miss, compare, ABSENT, DR, NO_FACTS, "
                + "".join(f"{k}, " for k in src.constants) + "):")
    return "\n".join(lines) + "\n", src.constants


def _result_code(verdict: str, not_covered: str, findings: str) -> list[str]:
    return [f"        return DR(d.id, {verdict}, day, {not_covered}, {findings}, d.source)"]


def _constant_source() -> str:
    lines = ["def factory(ABSENT, DR, VERDICT, FINDINGS):",
             "    def evaluate(d, day):"]
    lines += _result_code("VERDICT", "True", "FINDINGS")
    lines.append("    return evaluate")
    return "\n".join(lines) + "\n"


def _runtime() -> dict[str, object]:
    return {"ABSENT": ABSENT, "DR": DeploymentResult}


_CONSTANT_FACTORY: Callable[..., KeyEvaluator] | None = None


def constant_evaluator() -> KeyEvaluator:
    """The evaluator of a key no clause can scope: compliant, not covered, no findings."""
    global _CONSTANT_FACTORY
    if _CONSTANT_FACTORY is None:
        namespace: dict[str, Any] = {}
        exec(compile(_constant_source(), "<dealcheck constant evaluator>", "exec"), namespace)
        _CONSTANT_FACTORY = namespace["factory"]
    return _CONSTANT_FACTORY(**_runtime(), VERDICT=Verdict.COMPLIANT, FINDINGS=())


def constant_outcome(d: Deployment, day: dt.date) -> Outcome:
    """The outcome `constant_evaluator` gives every deployment."""
    return NOT_COVERED


def constant_from_dict(d: dict[str, Any], day: dt.date, start: dt.date, row_of: RowOf,
                       provider: str, region: str | None, facts: Any) -> Outcome:
    """The outcome `constant_evaluator` gives every deployment, of a plain dict."""
    return NOT_COVERED


def build_evaluator(ct: CompiledTerms, epoch: Epoch, party: str,
                    workload: str) -> KeyFunctions:
    """Generate and compile the evaluators of one epoch and ``(party, workload)``.

    Three functions of one key and one memo (`generate_source`): the one that
    builds the result, the one that stops at the outcome, the one that reads
    a plain dict (`checker.batch`).
    """
    shape = key_shape(epoch, party, workload)
    if shape.constant:
        return constant_evaluator(), constant_outcome, constant_from_dict
    from dealcheck.checker.evaluate import evaluate_reference

    memo: dict[tuple[object, ...], Outcome] = {}

    def miss(d: Deployment, day: dt.date, key: tuple[object, ...]) -> Outcome:
        # A batch's rows (`DeploymentRow`) are judged here as the `Deployment` they stand for.
        result = evaluate_reference(ct, as_deployment(d), day)
        outcome = (result.verdict, result.not_covered, result.findings)
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = outcome
        return outcome

    source, constants = generate_source(shape, ct.operators)
    namespace: dict[str, Any] = {}
    name = f"<dealcheck evaluator {epoch.start} {party} {workload}>"
    exec(compile(source, name, "exec"), namespace)
    factory: Callable[..., KeyFunctions] = namespace["factory"]
    return factory(memo, miss, compare_values, **_runtime(), NO_FACTS=NO_FACTS, **constants)


def observer_source(scope: m.Scope, rule: m.Aggregate, *, dicts: bool = False,
                    ) -> tuple[str, dict[str, object]]:
    """The source of an aggregate's observer: how a deployment counts towards its total.

    INVARIANT: the same answer as `aggregate.Tally.observe` written with the
    clause's `full_match` closure: None when the deployment does not count,
    else whether it certainly counts and its quantity (None when unknown).
    With `dicts` (a scope without a condition), it reads a plain dict valid as
    it is (`scenario.columns.DictBatch`), given its validated start and the
    batch's memos of validated values.
    """
    src = _Source()
    body = [] if dicts else ["start = d.start"]
    for bound, test in ((rule.window_from, "<"), (rule.window_through, ">"),
                        (rule.deadline, ">")):
        if bound is not None:
            body.append(f"if start {test} {src.constant(bound)}:")
            body.append("    return None")
    body.append("applies = True")
    for values, attr, negated in ((scope.parties, "party", False),
                                  (scope.workloads, "workload", False),
                                  (scope.providers, "provider", scope.providers_negated)):
        if values is not None:
            name = src.constant(values)
            test = f"v is None or v in {name}" if negated else f"v not in {name}"
            body += [f"v = d[{attr!r}]" if dicts else f"v = d.{attr}", f"if {test}:",
                     "    return None"]
    if scope.regions is not None:
        name = src.constant(scope.regions)
        test = f"v in {name}" if scope.regions_negated else f"v not in {name}"
        body += ["v = d.get('region')" if dicts else "v = d.region", "if v is None:",
                 "    applies = None", f"elif {test}:", "    return None"]
    if scope.condition is not None:
        assert not dicts  # INVARIANT: `build_dict_observer` leaves conditions to the rows
        body += [f"v = {src.constant(scope.condition)}(d)", "if v is False:", "    return None",
                 "if v is None:", "    applies = None"]
    if rule.counted:
        body.append(f"return applies is True, {src.constant(Decimal(1))}")
        return _observer_lines(src, body, dicts)
    dimension = src.constant(rule.limit.dimension)
    body += [f"q = memos[{rule.measure!r}][d.get({rule.measure!r})]" if dicts
             else f"q = d.{rule.measure}",
             f"if q is not None and q.dimension == {dimension}:",
             "    return applies is True, q.amount",
             "return applies is True, None"]
    return _observer_lines(src, body, dicts)


def _observer_lines(src: _Source, body: list[str],
                    dicts: bool) -> tuple[str, dict[str, object]]:
    lines = ["def factory(" + "".join(f"{k}, " for k in src.constants) + "):",
             "    def observe(d, start, memos):" if dicts else "    def observe(d):"]
    lines += ["        " + b for b in body]
    lines.append("    return observe")
    return "\n".join(lines) + "\n", src.constants


def build_observer(plan: Plan, operators: Mapping[str, str],
                   ) -> Callable[[Deployment], tuple[bool, Decimal | None] | None]:
    """Generate and compile the observer of an aggregate clause (see `observer_source`)."""
    from dealcheck.checker.logic import compile_condition

    rule = plan.clause.rule
    assert isinstance(rule, m.Aggregate)  # INVARIANT: aggregates only
    source, constants = observer_source(plan.clause.scope, rule)
    condition = plan.clause.scope.condition
    for name, value in constants.items():
        if value is condition and condition is not None:
            constants[name] = compile_condition(condition, operators)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<dealcheck aggregate {plan.id}>", "exec"), namespace)
    observe: Callable[[Deployment], tuple[bool, Decimal | None] | None] = \
        namespace["factory"](**constants)
    return observe


#: A generated observer of a plain dict valid as it is: the dict, its start, the batch's memos.
DictObserver = Callable[[dict[str, Any], dt.date, Mapping[str, Mapping[object, object]]],
                        "tuple[bool, Decimal | None] | None"]


def build_dict_observer(plan: Plan) -> DictObserver | None:
    """The observer of an aggregate clause that reads plain dicts; None when it has a condition.

    A condition reads a `Deployment`: those clauses observe the rows (`build_observer`).
    """
    rule = plan.clause.rule
    assert isinstance(rule, m.Aggregate)  # INVARIANT: aggregates only
    if plan.clause.scope.condition is not None:
        return None
    source, constants = observer_source(plan.clause.scope, rule, dicts=True)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<dealcheck aggregate {plan.id} of dicts>", "exec"), namespace)
    observe: DictObserver = namespace["factory"](**constants)
    return observe


def evaluator_for(ct: CompiledTerms, day: dt.date, party: str, workload: str) -> KeyEvaluator:
    """The compiled evaluator for deployments of `party` and `workload` judged on `day`.

    The reference evaluator itself when the terms were compiled for it.
    """
    if ct.reference:
        return _reference_evaluator(ct)
    return _generated_evaluator(ct, day, party, workload)


def decide(ct: CompiledTerms, d: Deployment, as_of: dt.date | None) -> DeploymentResult:
    """Judge one deployment on `as_of` (else its start): its key's evaluator, nothing else.

    No aggregate tally, no report: `Terms.decide`.
    """
    day = as_of or d.start
    return evaluator_for(ct, day, d.party, d.workload)(d, day)


def _reference_evaluator(ct: CompiledTerms) -> KeyEvaluator:
    from dealcheck.checker.evaluate import evaluate_reference

    return functools.partial(evaluate_reference, ct)


def _generated_evaluator(ct: CompiledTerms, day: dt.date, party: str,
                         workload: str) -> KeyEvaluator:
    epoch = ct.epoch(day)
    if epoch is None:
        return constant_evaluator()
    row = epoch.evaluators.get(party)
    found = None if row is None else row.get(workload)
    if found is None:
        found = _build(ct, epoch, party, workload)[0]
    return found


def generated_from_dict(ct: CompiledTerms, day: dt.date, party: str, workload: str) -> FromDict:
    """The generated evaluator of `party` and `workload` on `day` that reads a plain dict."""
    epoch = ct.epoch(day)
    if epoch is None:
        return constant_from_dict
    row = epoch.from_dicts.get(party)
    found = None if row is None else row.get(workload)
    if found is None:
        found = _build(ct, epoch, party, workload)[2]
    return found


def _build(ct: CompiledTerms, epoch: Epoch, party: str, workload: str) -> KeyFunctions:
    made = build_evaluator(ct, epoch, party, workload)
    epoch.evaluators.setdefault(party, {})[workload] = made[0]
    epoch.from_dicts.setdefault(party, {})[workload] = made[2]
    return made


def evaluate_stream(ct: CompiledTerms, deployments: Iterable[Deployment],
                    as_of: dt.date | None,
                    observe: Callable[[Deployment], object] | None = None,
                    ) -> Iterator[DeploymentResult]:
    """Judge deployments one by one with the compiled evaluators, in order.

    `observe` (the aggregate tallies) sees each deployment before it is judged.
    With `CompiledTerms.reference`, the reference evaluator judges every one.
    """
    if ct.reference:
        return _reference_stream(ct, deployments, as_of, observe)
    return _generated_stream(ct, deployments, as_of, observe)


def _reference_stream(ct: CompiledTerms, deployments: Iterable[Deployment],
                      as_of: dt.date | None, observe: Callable[[Deployment], object] | None,
                      ) -> Iterator[DeploymentResult]:
    judge = _reference_evaluator(ct)
    for given in deployments:
        d = as_deployment(given)
        if observe is not None:
            observe(d)
        yield judge(d, as_of or d.start)


def _generated_stream(ct: CompiledTerms, deployments: Iterable[Deployment],
                      as_of: dt.date | None, observe: Callable[[Deployment], object] | None,
                      ) -> Iterator[DeploymentResult]:
    # INVARIANT: `tables[day]` is the evaluator table of day's epoch, or None
    # before the agreement; days repeat heavily, so each is looked up once.
    tables: dict[dt.date, dict[str, dict[str, KeyEvaluator]] | None] = {}
    missing = _MISSING
    constant = constant_evaluator()
    for d in deployments:
        if observe is not None:
            observe(d)
        day = as_of or d.start
        table = tables.get(day, missing)
        if table is missing:
            epoch = ct.epoch(day)
            table = tables[day] = None if epoch is None else epoch.evaluators
            if len(tables) > _MAX_TABLE_DAYS:
                tables.clear()
        if table is None:
            yield constant(d, day)
            continue
        row = table.get(d.party)
        fn = None if row is None else row.get(d.workload)
        if fn is None:
            fn = _generated_evaluator(ct, day, d.party, d.workload)
        yield fn(d, day)


_MISSING: Any = object()
_MAX_TABLE_DAYS = 1 << 16
