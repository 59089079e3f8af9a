"""A small, slow reference interpreter of docs/language.md §10, for differential tests.

It shares no evaluation code with `dealcheck.checker`: it reads the resolved
terms model (clause windows come from resolution, which is not evaluation)
and decides every verdict by direct case analysis, with Kleene's three truth
values written out (`None` is *unknown*). Nothing here is compiled, indexed or
cached; every clause is looked at for every deployment.

What it implements, rule by rule:

- evaluation date: the `as_of` date if given, else the deployment's start;
  the clauses in force on it are those whose window holds it;
- a clause *scopes* a deployment when its party, workload, provider, region
  and `when` condition all hold (three-valued; an absent region or field is
  unknown);
- a restriction that may scope a deployment gives a finding: `satisfied`
  when it certainly is not broken, `overridden` when a permission naming it
  certainly applies (and is not itself overridden), `violated` when it
  certainly binds and is broken, else `unknown`, naming the absent facts and
  fields of the unknown parts (only those: an unknown that cannot change the
  outcome is never named);
- advisory clauses (targets) give findings like any other, marked advisory,
  but no part of the verdict: it is worked out from the other findings alone;
  an advisory finding left unknown names the facts whose value alone changes
  its own outcome (the verdict cannot change with it), and an advisory
  aggregate is judged like any other, marked advisory;
- verdict: violation > undetermined > compliant; `not_covered` when no clause
  in force (restriction, permission or aggregate) may scope the deployment;
- completions decide: all of the above is worked out for every completion of
  the deployment's missing facts (each bool value, each enumeration member,
  each declared region, and for numbers, money and dates every constant the
  terms compare them with, a value on either side of it and between two of
  them), by brute force over their product. A finding exists when some
  completion has it; it is `violated` or `satisfied` when every completion
  says so, `overridden` when no completion violates it or leaves it unknown
  but some lift it, else `unknown`; the verdict is the one every completion
  gives, else `undetermined`. A finding names the facts whose value alone
  changes both its own outcome and the verdict (and, only when the verdict
  is undetermined, what stays unknown inside a completion: a capacity, an
  end);
- aggregates: each version of an aggregate clause (as amendments replace it)
  is judged on its own; a deployment counts towards a version when it is in
  scope and its start is inside the version's window: not before the version
  takes effect nor the clause's `starting from`, not after the version stops
  being in force, nor `through`, nor a commitment's deadline. With `as_of`,
  every version that took effect by then is judged on `as_of` (or on its
  last day in force, if earlier), counting the deployments started by that
  day; without it, every version is judged on the whole scenario, at the end
  of its window. A commitment whose deadline has passed while the version
  binds is a violation when unmet. `number of deployments` adds 1 for each
  deployment (never a missing quantity). A cap `is less than L` is broken
  by a total of L; a commitment `exceeds L` is met only above L. A missing
  (or incommensurable) quantity or an unknown scope makes the total a lower
  bound, and the verdict undetermined when that could change it. The projection counts every
  deployment of the window and judges the deadline as passed; `crossed_on`
  is the first start on which the certain, known total exceeds the cap or
  reaches the commitment.
- clause states (``X is compliant|violated|open``): see `reference_states`;
  each deployment carries, as facts named like the clauses, the verdicts on
  its evaluation date of the aggregates whose state the terms read.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import reference_states

from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity, format_amount
from dealcheck.scenario.model import Deployment

Tri = bool | None


# ---------------------------------------------------------------- Kleene logic


def k_not(a: Tri) -> Tri:
    return None if a is None else not a


def k_and(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def k_or(values: Iterable[Tri]) -> Tri:
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


@dataclass(frozen=True)
class Judged:
    """A three-valued truth with, when unknown, the names that leave it unknown."""

    value: Tri
    unknowns: frozenset[str] = frozenset()


def j_not(a: Judged) -> Judged:
    return Judged(k_not(a.value), a.unknowns)


def j_and(parts: Sequence[Judged]) -> Judged:
    value = k_and(p.value for p in parts)
    if value is not None:
        return Judged(value)
    return Judged(None, frozenset().union(*(p.unknowns for p in parts if p.value is None)))


def j_or(parts: Sequence[Judged]) -> Judged:
    value = k_or(p.value for p in parts)
    if value is not None:
        return Judged(value)
    return Judged(None, frozenset().union(*(p.unknowns for p in parts if p.value is None)))


# ---------------------------------------------------------------- conditions


def read(d: Deployment, ref: m.FieldRef, operators: Mapping[str, str]) -> object:
    """A fact or field of `d`, or None when the deployment does not give it."""
    if ref.is_fact:
        return d.facts.get(ref.name)
    if ref.name == "operator":
        return operators[d.provider]
    return getattr(d, ref.name)


def compare(op: m.CmpOp, left: object, right: object) -> Tri:
    if isinstance(left, Quantity) and isinstance(right, Quantity):
        if left.dimension != right.dimension:
            return None      # quantities of different dimensions never compare
        left, right = left.amount, right.amount
    if op is m.CmpOp.EQ:
        return left == right
    if op is m.CmpOp.NE:
        return left != right
    if not (isinstance(left, Decimal | dt.date) and type(left) is type(right)):
        return None
    if op is m.CmpOp.LT:
        return left < right  # type: ignore[operator]
    if op is m.CmpOp.LE:
        return left <= right  # type: ignore[operator]
    if op is m.CmpOp.GT:
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def moved(day: dt.date, count: int, unit: str) -> dt.date:
    """`day` moved by `count` units (negative: back), written out without `rules.durations`:
    months clamp to the month's end, business days step over Saturdays and Sundays one
    at a time, and a date moved past the calendar stops at its first or last day."""
    try:
        if unit in ("days", "weeks"):
            return day + dt.timedelta(days=count * (7 if unit == "weeks" else 1))
        if unit in ("months", "years"):
            months = day.month - 1 + count * (12 if unit == "years" else 1)
            year = day.year + months // 12
            month = months % 12 + 1
            if year < 1:
                return dt.date.min
            if year > 9999:
                return dt.date.max
            return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
        step = dt.timedelta(days=1 if count > 0 else -1)
        left = abs(count)
        while left:
            day += step
            if day.weekday() < 5:
                left -= 1
        return day
    except OverflowError:
        return dt.date.max if count > 0 else dt.date.min


def side(o: m.Operand, d: Deployment, operators: Mapping[str, str]) -> object:
    """One side of a relation on `d`: None when its fact or field is absent."""
    value: object = o.constant if o.ref is None else read(d, o.ref, operators)
    for sign, duration in o.shifts:
        if not isinstance(value, dt.date):
            return None
        value = moved(value, sign * duration.count, duration.unit.value)
    return value


def condition(c: m.Condition, d: Deployment, operators: Mapping[str, str]) -> Judged:
    if isinstance(c, m.Relation):
        left, right = side(c.left, d, operators), side(c.right, d, operators)
        names = [r.name for r in c.refs()]
        if left is None or right is None:
            absent = [r.name for r in c.refs() if read(d, r, operators) is None]
            return Judged(None, frozenset(absent or names))
        result = compare(c.op, left, right)
        return Judged(result, frozenset(names) if result is None else frozenset())
    if isinstance(c, m.Not):
        return j_not(condition(c.item, d, operators))
    if isinstance(c, m.And):
        return j_and([condition(i, d, operators) for i in c.items])
    if isinstance(c, m.Or):
        return j_or([condition(i, d, operators) for i in c.items])
    value = read(d, c.ref, operators)
    result: Tri
    if value is None:
        result = None
    elif isinstance(c, m.Truthy):
        result = value is True
    elif isinstance(c, m.Member):
        result = (value in c.values) != c.negated
    else:
        result = compare(c.op, value, c.value)
    return Judged(result, frozenset({c.ref.name}) if result is None else frozenset())


# ---------------------------------------------------------------- scopes and clauses


def scope(s: m.Scope, d: Deployment, operators: Mapping[str, str]) -> Judged:
    """Whether the scope holds for `d`, three-valued."""
    parts: list[Judged] = []
    if s.parties is not None:
        parts.append(Judged(d.party in s.parties))
    if s.workloads is not None:
        parts.append(Judged(d.workload in s.workloads))
    if s.providers is not None:
        parts.append(Judged((d.provider in s.providers) != s.providers_negated))
    if s.regions is not None:
        if d.region is None:
            parts.append(Judged(None, frozenset({"region"})))
        else:
            parts.append(Judged((d.region in s.regions) != s.regions_negated))
    if s.condition is not None:
        parts.append(condition(s.condition, d, operators))
    return j_and(parts)


def broken(c: m.Clause, d: Deployment, operators: Mapping[str, str]) -> Judged:
    """Whether a deployment in the restriction's scope breaks it."""
    rule = c.rule
    if isinstance(rule, m.Prohibition):
        return Judged(True)
    if isinstance(rule, m.Requirement):
        return j_not(condition(rule.condition, d, operators))
    assert isinstance(rule, m.Exclusivity), rule
    if rule.target == "provider":
        return Judged(d.provider not in rule.allowed)
    if d.region is None:
        return Judged(None, frozenset({"region"}))
    return Judged(d.region not in rule.allowed)


def in_force(terms: m.Terms, day: dt.date) -> list[m.Clause]:
    if day < terms.effective:
        return []
    return [c for c in terms.clauses if c.in_force_from <= day
            and (c.in_force_through is None or day <= c.in_force_through)]


def overridden(clause_id: str, d: Deployment, clauses: Sequence[m.Clause],
               operators: Mapping[str, str]) -> tuple[Judged, list[str]]:
    """Whether some permission in force naming `clause_id` applies and is not overridden.

    Returns the judgement and the permissions that certainly apply.
    """
    parts: list[Judged] = []
    applying: list[str] = []
    for p in clauses:
        if p.kind is not m.ClauseKind.PERMISSION or clause_id not in p.overrides:
            continue
        applies = scope(p.scope, d, operators)
        lifted, _ = overridden(p.id, d, clauses, operators)
        effective = j_and([applies, j_not(lifted)])
        if effective.value is True:
            applying.append(p.id)
        parts.append(effective)
    return j_or(parts), applying


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class FindingOutcome:
    outcome: str
    missing: frozenset[str] = frozenset()
    overridden_by: frozenset[str] = frozenset()
    advisory: bool = False


@dataclass(frozen=True)
class DeploymentOutcome:
    verdict: str
    evaluated_on: dt.date
    not_covered: bool
    findings: tuple[tuple[str, FindingOutcome], ...]   # sorted by clause id


@dataclass(frozen=True)
class AggregateOutcome:
    kind: str
    verdict: str
    total: str
    contributors: tuple[str, ...]
    missing_quantity: tuple[str, ...]
    unknown_scope: tuple[str, ...]
    evaluated_on: dt.date
    projected: tuple[str, str, dt.date | None]   # total, verdict, crossed_on
    advisory: bool = False
    #: A per-period aggregate: (first, last, total, verdict) of each period judged.
    periods: tuple[tuple[dt.date, dt.date, str, str], ...] | None = None


def version_key(clause_id: str, counted_from: dt.date | None) -> str:
    """The key of one version of an aggregate clause in `Outcome.aggregates`."""
    return f"{clause_id} from {counted_from}"


AGGREGATE_RANK = {"compliant": 0, "open": 1, "undetermined": 2, "violation": 3}


def aggregate_verdict(outcome: Outcome, clause_id: str) -> str:
    """The worst verdict among the versions of `clause_id` judged (KeyError if none)."""
    found = [a.verdict for k, a in outcome.aggregates if k.split(" from ")[0] == clause_id]
    if not found:
        raise KeyError(clause_id)
    return max(found, key=AGGREGATE_RANK.__getitem__)


@dataclass(frozen=True)
class Outcome:
    """Everything the differential tests compare, per deployment id and aggregate clause."""

    deployments: tuple[tuple[str, DeploymentOutcome], ...]
    aggregates: tuple[tuple[str, AggregateOutcome], ...]


class TooManyCompletions(Exception):
    """The deployment has more completions than the brute force tries."""


#: The most completions the reference enumerates for one deployment.
MAX_COMPLETIONS = 20_000


def _compared(clauses: Sequence[m.Clause]) -> tuple[dict[str, list[m.Constant]], list[str]]:
    """Per name, the constants compared with it; and every name read, in order."""
    constants: dict[str, list[m.Constant]] = {}
    names: list[str] = []

    def walk(c: m.Condition | None) -> None:
        if c is None:
            return
        if isinstance(c, m.Not):
            walk(c.item)
        elif isinstance(c, m.And | m.Or):
            for i in c.items:
                walk(i)
        elif isinstance(c, m.Relation):
            for ref in c.refs():
                if ref.name not in names:
                    names.append(ref.name)
                # Not completed: a marker no constant compares equal to.
                constants.setdefault(ref.name, []).append(_RELATED)  # type: ignore[arg-type]
        else:
            if c.ref.name not in names:
                names.append(c.ref.name)
            if isinstance(c, m.Compare):
                constants.setdefault(c.ref.name, []).append(c.value)

    for clause in clauses:
        reads_region = clause.scope.regions is not None or (
            isinstance(clause.rule, m.Exclusivity) and clause.rule.target == "region")
        if reads_region and "region" not in names:
            names.append("region")
        walk(clause.scope.condition)
        if isinstance(clause.rule, m.Requirement):
            walk(clause.rule.condition)
    return constants, names


#: What `_compared` records for a name that a relation reads: such names are not completed.
_RELATED = object()


def candidate_values(terms: m.Terms, name: str) -> list[object] | None:
    """Values standing for every value of a missing fact or field (None: never completed)."""
    vocab = terms.vocabulary
    if name in reference_states.stated(terms):
        return reference_states.reachable(terms, name)  # an undetermined clause state
    constants, _ = _compared(terms.clauses)
    if any(c is _RELATED for c in constants.get(name, [])):
        return None   # compared with another operand: Kleene logic decides
    if name == "region":
        return list(vocab.regions) or None
    if name == "value":
        dimension = "money"
    elif name in vocab.facts:
        t = vocab.facts[name].type
        if t.kind is m.FactKind.BOOL:
            return [False, True]
        if t.kind is m.FactKind.ENUM:
            return list(t.values)
        if t.kind is m.FactKind.DATE:
            out: set[dt.date] = set()
            for c in constants.get(name, []):
                assert isinstance(c, dt.date)
                out |= {c + dt.timedelta(days=k) for k in (-1, 0, 1)}
            return sorted(out) or [terms.effective]
        dimension = t.dimension
    else:
        return None   # capacity, end: a unit or an open end that no value stands for
    amounts = sorted({c.amount for c in constants.get(name, [])
                      if isinstance(c, Quantity) and c.dimension == dimension})
    picks = {Decimal(0), *amounts}
    picks |= {(a + b) / 2 for a, b in itertools.pairwise(amounts)}
    if amounts:
        picks.add(amounts[-1] + 1)
    return [Quantity(a, dimension) for a in sorted(picks)]


def completions(terms: m.Terms, d: Deployment, clauses: Sequence[m.Clause]
                ) -> tuple[list[str], list[tuple[object, ...]], list[list[object]]]:
    """The missing names the clauses read, every combination of their values, the values."""
    _, read_names = _compared(clauses)
    stated = reference_states.stated(terms)
    names: list[str] = []
    domains: list[list[object]] = []
    for name in read_names:
        if name in ("region", "value"):
            missing = getattr(d, name) is None
        else:
            missing = (name in terms.vocabulary.facts or name in stated) \
                and name not in d.facts
        values = candidate_values(terms, name) if missing else None
        if values is not None:
            names.append(name)
            domains.append(values)
    total = 1
    for values in domains:
        total *= len(values)
    if total > MAX_COMPLETIONS:
        raise TooManyCompletions(f"{total} completions")
    return names, list(itertools.product(*domains)), domains


def complete(d: Deployment, names: Sequence[str], values: Sequence[object]) -> Deployment:
    facts = dict(d.facts)
    fields: dict[str, object] = {}
    for name, value in zip(names, values, strict=True):
        if name in ("region", "value"):
            fields[name] = value
        else:
            facts[name] = value  # type: ignore[assignment]
    return dataclasses.replace(d, facts=facts, **fields)  # type: ignore[arg-type]


def judge_deployment(terms: m.Terms, d: Deployment, as_of: dt.date | None,
                     operators: Mapping[str, str]) -> DeploymentOutcome:
    """The outcome every completion of `d` agrees on (see the module's docstring)."""
    day = as_of if as_of is not None else d.start
    names, combos, domains = completions(terms, d, in_force(terms, day))
    per: dict[tuple[object, ...], KleeneOutcome] = {
        combo: judge_complete(terms, complete(d, names, combo), as_of, operators)
        for combo in combos}
    verdicts = {o.verdict for o in per.values()}
    verdict = verdicts.pop() if len(verdicts) == 1 else "undetermined"
    covered = any(not o.not_covered for o in per.values())
    clause_ids = sorted({c for o in per.values() for c in o.findings})

    def changes(level: Callable[[KleeneOutcome], object], position: int) -> bool:
        """Whether the name at `position` alone changes `level` in some completion."""
        for combo, outcome in per.items():
            for other in domains[position]:
                flipped = (*combo[:position], other, *combo[position + 1:])
                if level(per[flipped]) != level(outcome):
                    return True
        return False

    deciding_verdict = {names[i] for i in range(len(names))
                        if changes(lambda o: o.verdict, i)}
    findings: dict[str, FindingOutcome] = {}
    advisory = {c.id for c in in_force(terms, day) if c.advisory}
    for clause in clause_ids:
        target = clause in advisory
        seen = [o.findings.get(clause) for o in per.values()]
        kinds = {f.outcome if f is not None else "absent" for f in seen}
        if kinds <= {"absent", "satisfied"}:
            findings[clause] = FindingOutcome("satisfied", advisory=target)
        elif kinds == {"violated"}:
            findings[clause] = FindingOutcome("violated", advisory=target)
        elif kinds <= {"absent", "satisfied", "overridden"}:
            lifting = [f.overridden_by for f in seen if f is not None
                       and f.outcome == "overridden"]
            everywhere = frozenset.intersection(*lifting)
            findings[clause] = FindingOutcome(
                "overridden", overridden_by=everywhere or frozenset.union(*lifting),
                advisory=target)
        else:
            def level(o: KleeneOutcome, clause: str = clause) -> int:
                f = o.findings.get(clause)
                return {"violated": 2, "unknown": 1}.get(f.outcome if f else "", 0)
            missing: set[str] = set()
            if target or verdict == "undetermined":
                # A target's own deciding facts; a promise's must also change the verdict.
                missing = {names[i] for i in range(len(names))
                           if (target or names[i] in deciding_verdict) and changes(level, i)}
                for f in seen:
                    if f is not None and f.outcome == "unknown":
                        missing |= f.missing
            findings[clause] = FindingOutcome("unknown", frozenset(missing), advisory=target)
    return DeploymentOutcome(verdict, day, not covered, tuple(sorted(findings.items())))


@dataclass(frozen=True)
class KleeneOutcome:
    """One completion's verdict, coverage and findings by Kleene's case analysis."""

    verdict: str
    not_covered: bool
    findings: dict[str, FindingOutcome]


def judge_complete(terms: m.Terms, d: Deployment, as_of: dt.date | None,
                   operators: Mapping[str, str]) -> KleeneOutcome:
    """One deployment by Kleene logic alone: a completion has only what no value decides."""
    day = as_of if as_of is not None else d.start
    clauses = in_force(terms, day)
    findings: dict[str, FindingOutcome] = {}
    covered = False
    for c in clauses:
        applies = scope(c.scope, d, operators)
        if c.kind.is_aggregate:
            rule = c.rule
            assert isinstance(rule, m.Aggregate)
            inside = ((rule.window_from is None or d.start >= rule.window_from)
                      and (rule.window_through is None or d.start <= rule.window_through))
            covered = covered or (inside and applies.value is not False)
            continue
        if applies.value is False:
            continue
        covered = True
        if c.kind is m.ClauseKind.PERMISSION:
            continue
        breach = broken(c, d, operators)
        violated = j_and([applies, breach])
        if violated.value is False:
            findings[c.id] = FindingOutcome("satisfied")
            continue
        lifted, applying = overridden(c.id, d, clauses, operators)
        if lifted.value is True:
            findings[c.id] = FindingOutcome("overridden", overridden_by=frozenset(applying))
            continue
        binds = j_and([applies, breach, j_not(lifted)])
        if binds.value is True:
            findings[c.id] = FindingOutcome("violated")
        else:
            findings[c.id] = FindingOutcome("unknown", binds.unknowns)
    outcomes = {f.outcome for i, f in findings.items()
                if not next(c.advisory for c in clauses if c.id == i)}
    verdict = ("violation" if "violated" in outcomes
               else "undetermined" if "unknown" in outcomes else "compliant")
    return KleeneOutcome(verdict, not covered, findings)


def _window(c: m.Clause) -> tuple[dt.date, dt.date | None]:
    """The first and last start (inclusive; None: no end) one version counts."""
    rule = c.rule
    assert isinstance(rule, m.Aggregate)
    first = c.in_force_from
    if rule.window_from is not None and rule.window_from > first:
        first = rule.window_from
    last: dt.date | None = None
    for bound in (c.in_force_through, rule.window_through, rule.deadline):
        if bound is not None and (last is None or bound < last):
            last = bound
    return first, last


def _aggregate_verdict(c: m.Clause, known: Decimal, possible: Decimal, unbounded: bool,
                       passed: bool) -> str:
    rule = c.rule
    assert isinstance(rule, m.Aggregate)
    if c.kind is m.ClauseKind.CAP:
        if _over_cap(rule, known):
            return "violation"
        if unbounded or _over_cap(rule, known + possible):
            return "undetermined"
        return "compliant"
    if _met(rule, known):
        return "compliant"
    if unbounded or _met(rule, known + possible):
        return "undetermined"
    return "violation" if passed else "open"


def _over_cap(rule: m.Aggregate, total: Decimal) -> bool:
    """`is at most L` breaks above L; `is less than L` breaks at L already."""
    if rule.strict:
        return not total < rule.limit.amount
    return total > rule.limit.amount


def _met(rule: m.Aggregate, total: Decimal) -> bool:
    """`reaches L` is met at L; `exceeds L` only beyond it."""
    if rule.strict:
        return total > rule.limit.amount
    return not total < rule.limit.amount


def _measured(rule: m.Aggregate, d: Deployment) -> Decimal | None:
    """What `d` adds: 1 when counting deployments, else its quantity in the limit's dimension."""
    if rule.measure == "deployments":
        return Decimal(1)
    quantity = getattr(d, rule.measure)
    if quantity is None or quantity.dimension != rule.limit.dimension:
        return None
    return Decimal(quantity.amount)


def judge_aggregate(c: m.Clause, deployments: Sequence[Deployment], as_of: dt.date | None,
                    latest: dt.date | None, operators: Mapping[str, str]) -> AggregateOutcome:
    """One version of an aggregate clause, on `as_of` or (None) over the whole scenario."""
    rule = c.rule
    assert isinstance(rule, m.Aggregate)
    first, last = _window(c)
    binds_at_deadline = rule.deadline is not None and (
        c.in_force_through is None or c.in_force_through >= rule.deadline)
    if as_of is None:
        cutoff = None
        passed = binds_at_deadline
        if passed:
            assert rule.deadline is not None
            day = rule.deadline
        elif last is not None:
            day = last
        else:
            day = first if latest is None or latest < first else latest
    else:
        day = as_of
        if c.in_force_through is not None and c.in_force_through < as_of:
            day = c.in_force_through
        cutoff = day
        passed = binds_at_deadline and rule.deadline is not None and as_of > rule.deadline
    if rule.period is not None:
        return _judge_per_period(c, deployments, as_of, day, latest, operators)
    known = possible = Decimal(0)
    contributors: list[str] = []
    missing: list[str] = []
    unknown_scope: list[str] = []
    # For the projection: every deployment of the window, and the running total.
    every_known = every_possible = Decimal(0)
    every_missing = False
    dated: list[tuple[dt.date, Decimal]] = []
    for d in deployments:
        if d.start < first or (last is not None and d.start > last):
            continue
        applies = scope(c.scope, d, operators).value
        if applies is False:
            continue
        found = _measured(rule, d)
        measured = found is not None
        amount = found if found is not None else Decimal(0)
        if applies:
            every_known += amount
            if measured:
                dated.append((d.start, amount))
        else:
            every_possible += amount
        every_missing = every_missing or not measured
        if cutoff is not None and d.start > cutoff:
            continue
        if applies:
            contributors.append(d.id)
            known += amount
        else:
            unknown_scope.append(d.id)
            possible += amount
        if not measured:
            missing.append(d.id)
    verdict = _aggregate_verdict(c, known, possible, bool(missing), passed)
    projected_verdict = _aggregate_verdict(c, every_known, every_possible, every_missing,
                                           binds_at_deadline)
    crossed: dt.date | None = None
    running = Decimal(0)
    for start, amount in sorted(dated, key=lambda x: x[0]):
        running += amount
        over = _over_cap(rule, running) if c.kind is m.ClauseKind.CAP else _met(rule, running)
        if over:
            crossed = start
            break
    dim = rule.limit.dimension
    return AggregateOutcome(str(c.kind), verdict, format_amount(known, dim, exact=True),
                            tuple(contributors), tuple(missing), tuple(unknown_scope), day,
                            (format_amount(every_known, dim, exact=True), projected_verdict,
                             crossed), c.advisory)


def _percent(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "n/a"
    hundredths = (part * 10000 / whole).to_integral_value(rounding="ROUND_HALF_EVEN")
    text = f"{hundredths / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def _share_verdict(rule: m.Aggregate,
                   rows: Sequence[tuple[frozenset[tuple[int, int]], Decimal | None]]) -> str:
    """A share over its rows: per deployment, the (in the part, in the whole) pairs its
    completions may give, and its amount (None: any amount).

    `part - p * whole` is summed row by row at its least and its greatest.
    """
    share = rule.share
    assert share is not None
    p = rule.limit.amount / 100
    if all(amount == 0 for _, amount in rows):
        return "open" if share.at_least else "compliant"
    least = greatest = Decimal(0)
    least_unbounded = greatest_unbounded = False
    for pairs, amount in rows:
        factors = [n - p * w for n, w in pairs]
        if amount is None:
            least_unbounded = least_unbounded or min(factors) < 0
            greatest_unbounded = greatest_unbounded or max(factors) > 0
        else:
            least += min(factors) * amount
            greatest += max(factors) * amount
    if share.at_least:
        if not least_unbounded and least >= 0:
            return "compliant"
        if not greatest_unbounded and greatest < 0:
            return "violation"
        return "undetermined"
    if not greatest_unbounded and greatest <= 0:
        return "compliant"
    if not least_unbounded and least > 0:
        return "violation"
    return "undetermined"


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; the last day of the month when it has no such day."""
    for last in (31, 30, 29, 28):
        try:
            return dt.date(day.year + years, day.month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def _periods(kind: str, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Every period from the one holding `first` to the one holding `last`, clipped."""
    starts: list[dt.date] = []
    if kind == "calendar year":
        starts = [dt.date(y, 1, 1) for y in range(first.year, last.year + 2) if y <= 9999]
    elif kind == "quarter":
        for y in range(first.year, min(last.year + 1, 9999) + 1):
            starts += [dt.date(y, month, 1) for month in (1, 4, 7, 10)]
    else:
        years = 0
        while True:
            try:
                start = _years_later(first, years)
            except (ValueError, OverflowError):
                break
            starts.append(start)
            if start > last:
                break
            years += 1
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else dt.date.max
        if end < first or start > last:
            continue
        out.append((max(start, first), min(end, last)))
    return out


def _judge_per_period(c: m.Clause, deployments: Sequence[Deployment], as_of: dt.date | None,
                      day: dt.date, latest: dt.date | None,
                      operators: Mapping[str, str]) -> AggregateOutcome:
    """A per-period cap or commitment: the limit applied to each period on its own."""
    rule = c.rule
    assert isinstance(rule, m.Aggregate) and rule.period is not None
    first, last = _window(c)
    rank = {"compliant": 0, "open": 1, "undetermined": 2, "violation": 3}
    dim = rule.limit.dimension
    counted = []
    for d in deployments:
        if d.start < first or (last is not None and d.start > last):
            continue
        applies = scope(c.scope, d, operators).value
        if applies is False:
            continue
        counted.append((d, applies, _measured(rule, d)))

    def judged(until: dt.date, cutoff: dt.date | None, all_ended: bool,
               ) -> list[tuple[dt.date, dt.date, str, str]]:
        out = []
        end = until if last is None else min(until, last)
        for p_first, p_last in _periods(rule.period or "", first, end):
            known = possible = Decimal(0)
            unbounded = False
            for d, applies, amount in counted:
                if not p_first <= d.start <= p_last:
                    continue
                if cutoff is not None and d.start > cutoff:
                    continue
                if amount is None:
                    unbounded = True
                elif applies:
                    known += amount
                else:
                    possible += amount
            ended = all_ended or p_last < until
            out.append((p_first, p_last, format_amount(known, dim, exact=True),
                        _aggregate_verdict(c, known, possible, unbounded, ended)))
        return out

    def overall(periods: list[tuple[dt.date, dt.date, str, str]]) -> str:
        if not periods:
            return "compliant" if c.kind is m.ClauseKind.CAP else "open"
        return max((v for *_, v in periods), key=rank.__getitem__)

    now = judged(day, day if as_of is not None else None, as_of is None and last is not None)
    projection_end = last if last is not None else max(latest or first, first)
    every = judged(projection_end, None, last is not None)
    by_cutoff = [(d, a, q) for d, a, q in counted if as_of is None or d.start <= day]
    zero = format_amount(Decimal(0), dim, exact=True)
    return AggregateOutcome(
        str(c.kind), overall(now), now[-1][2] if now else zero,
        tuple(d.id for d, a, _ in by_cutoff if a),
        tuple(d.id for d, _, q in by_cutoff if q is None),
        tuple(d.id for d, a, _ in by_cutoff if a is None), day,
        (every[-1][2] if every else (now[-1][2] if now else zero), overall(every), None),
        advisory=c.advisory, periods=tuple(now))


#: The most placements of uncertain deployments the brute force of `in addition to` tries.
MAX_PLACEMENTS = 4096


def judge_addition(c: m.Clause, terms: m.Terms, deployments: Sequence[Deployment],
                   as_of: dt.date | None, latest: dt.date | None,
                   operators: Mapping[str, str]) -> AggregateOutcome:
    """`A reaches Q in addition to B`: A's total counts what B also counts only beyond B's
    target, B filled by its own deployments first. Every completion of the uncertain
    deployments (in or out of each, a missing amount nothing or without bound) is tried."""
    rule = c.rule
    assert isinstance(rule, m.Aggregate) and rule.in_addition_to is not None
    plain = judge_aggregate(c, deployments, as_of, latest, operators)
    day = plain.evaluated_on
    versions = [b for b in terms.clauses if b.id == rule.in_addition_to]
    started = [b for b in versions if b.in_force_from <= day]
    other = max(started, key=lambda b: b.in_force_from) if started else versions[0]
    other_rule = other.rule
    assert isinstance(other_rule, m.Aggregate)
    target = other_rule.limit.amount
    huge = Decimal(10) ** 60

    def counted(clause: m.Clause, cutoff: dt.date | None) -> dict[str, tuple[int, ...]]:
        first, last = _window(clause)
        out = {}
        for d in deployments:
            if d.start < first or (last is not None and d.start > last):
                continue
            if cutoff is not None and d.start > cutoff:
                continue
            value = scope(clause.scope, d, operators).value
            if value is not False:
                out[d.id] = (1,) if value else (0, 1)
        return out

    amounts = {d.id: _measured(rule, d) for d in deployments}

    def bounds(cutoff: dt.date | None) -> tuple[Decimal, Decimal]:
        mine, theirs = counted(c, cutoff), counted(other, cutoff)  # both by `as_of`
        ids = list(dict.fromkeys([*mine, *theirs]))
        choices = []
        for i in ids:
            pairs = [(x, y) for x in mine.get(i, (0,)) for y in theirs.get(i, (0,))]
            amount = amounts[i]
            values = [Decimal(0), huge] if amount is None else [amount]
            choices.append([(x, y, v) for x, y in pairs for v in values])
        total_choices = 1
        for options in choices:
            total_choices *= len(options)
        if total_choices > MAX_PLACEMENTS:
            raise TooManyCompletions(f"{total_choices} placements")
        results = []
        for combo in itertools.product(*choices):
            a_only = sum((v for x, y, v in combo if x and not y), Decimal(0))
            shared = sum((v for x, y, v in combo if x and y), Decimal(0))
            b_only = sum((v for x, y, v in combo if y and not x), Decimal(0))
            results.append(a_only + min(shared, max(Decimal(0), b_only + shared - target)))
        return (min(results), max(results)) if results else (Decimal(0), Decimal(0))

    def verdict(low: Decimal, high: Decimal, passed: bool) -> str:
        return _aggregate_verdict(c, low, high - low, high >= huge, passed)

    binds_at_deadline = rule.deadline is not None and (
        c.in_force_through is None or c.in_force_through >= rule.deadline)
    passed = binds_at_deadline if as_of is None else (
        binds_at_deadline and rule.deadline is not None and as_of > rule.deadline)
    low, high = bounds(as_of)
    every_low, every_high = bounds(None)
    dim = rule.limit.dimension
    return dataclasses.replace(
        plain, verdict=verdict(low, high, passed), total=format_amount(low, dim, exact=True),
        projected=(format_amount(every_low, dim, exact=True),
                   verdict(every_low, every_high, binds_at_deadline), None))


def judge_share(c: m.Clause, deployments: Sequence[Deployment], as_of: dt.date | None,
                latest: dt.date | None, operators: Mapping[str, str]) -> AggregateOutcome:
    """A share clause: judged on `as_of` (or at the end of its window) like a cap, but a
    continuing obligation on its two totals; its total is the percentage. A deployment
    counts in the whole when in the clause's scope, in the part when also in the part's
    own selections; each of the two three-valued."""
    rule = c.rule
    assert isinstance(rule, m.Aggregate) and rule.share is not None
    first, last = _window(c)
    if as_of is None:
        cutoff = None
        day = last if last is not None else (
            first if latest is None or latest < first else latest)
    else:
        day = as_of if c.in_force_through is None or c.in_force_through >= as_of \
            else c.in_force_through
        cutoff = day

    def values(s: m.Scope, d: Deployment) -> tuple[int, ...]:
        value = scope(s, d, operators).value
        return (0, 1) if value is None else (int(value),)

    def amount_of(d: Deployment) -> Decimal | None:
        if rule.measure == "deployments":
            return Decimal(1)
        q = getattr(d, rule.measure)
        return q.amount if q is not None and q.dimension == rule.share.dimension else None

    Rows = list[tuple[str, frozenset[tuple[int, int]], Decimal | None]]
    every: Rows = []
    now: Rows = []
    for d in deployments:
        if d.start < first or (last is not None and d.start > last):
            continue
        whole = values(c.scope, d)
        if whole == (0,):
            continue
        pairs = frozenset((r * w, w) for r in values(rule.share.part, d) for w in whole)
        row = (d.id, pairs, amount_of(d))
        every.append(row)
        if cutoff is None or d.start <= cutoff:
            now.append(row)

    def percent_of(rows: Rows) -> str:
        part = whole = Decimal(0)
        for _, pairs, amount in rows:
            if amount is not None and all(w == 1 for _, w in pairs):
                whole += amount
                if all(n == 1 for n, _ in pairs):
                    part += amount
        return _percent(part, whole)

    return AggregateOutcome(
        "share", _share_verdict(rule, [(p, a) for _, p, a in now]), percent_of(now),
        tuple(i for i, pairs, _ in now if all(w == 1 for _, w in pairs)),
        tuple(i for i, _, a in now if a is None),
        tuple(i for i, pairs, _ in now if len(pairs) > 1), day,
        (percent_of(every), _share_verdict(rule, [(p, a) for _, p, a in every]), None),
        advisory=c.advisory)


def judge(terms: m.Terms, deployments: Sequence[Deployment],
          as_of: dt.date | None = None) -> Outcome:
    """Every deployment's and every aggregate's outcome, by the letter of language.md §10."""
    operators = {name: p.operator for name, p in terms.vocabulary.providers.items()}

    def verdict_of(c: m.Clause, ds: Sequence[Deployment], day: dt.date | None,
                   latest: dt.date | None) -> str:
        return judge_version(c, terms, ds, day, latest, operators).verdict

    # Clause states: every deployment carries those on its evaluation date.
    deployments = reference_states.with_states(terms, deployments, as_of, verdict_of)
    per_deployment = tuple(
        (d.id, judge_deployment(terms, d, as_of, operators)) for d in deployments)
    latest = max((d.start for d in deployments), default=None)
    aggregates = []
    for c in terms.clauses:
        if not c.kind.is_aggregate:
            continue
        if c.in_force_through is not None and c.in_force_through < c.in_force_from:
            continue   # never in force
        if as_of is not None and c.in_force_from > as_of:
            continue   # not in effect yet
        judged = judge_version(c, terms, deployments, as_of, latest, operators)
        aggregates.append((version_key(c.id, _window(c)[0]), judged))
    return Outcome(per_deployment, tuple(sorted(aggregates, key=pair_order)))


def judge_version(c: m.Clause, terms: m.Terms, deployments: Sequence[Deployment],
                  as_of: dt.date | None, latest: dt.date | None,
                  operators: Mapping[str, str]) -> AggregateOutcome:
    """One version of an aggregate clause, judged as its kind says."""
    rule = c.rule
    if isinstance(rule, m.Aggregate) and rule.in_addition_to is not None:
        return judge_addition(c, terms, deployments, as_of, latest, operators)
    return (judge_share if c.kind is m.ClauseKind.SHARE else judge_aggregate)(
        c, deployments, as_of, latest, operators)


def pair_order(pair: tuple[str, object]) -> tuple[str, str]:
    """A total order on (key, outcome) pairs: two outcomes under one key compare by value.

    For aggregates by version key, and findings by clause id. The outcomes
    themselves are not orderable (their fields mix dates, None and sets), so
    sorting the bare pairs fails as soon as two of them share a key.
    """
    key, outcome = pair
    return key, repr(outcome)
