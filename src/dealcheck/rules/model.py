"""The resolved terms model: vocabulary, clauses, amendments — all plain data.

Scopes and conditions stay data (not closures) so that static analysis can
reason over them; the checker compiles them into an index.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import assert_never

from dealcheck.dsl.span import Span
from dealcheck.rules.durations import Duration
from dealcheck.rules.units import Quantity, UnitTable
from dealcheck.scenario.model import Deployment

# --------------------------------------------------------------------------
# Vocabulary


class FactKind(enum.StrEnum):
    BOOL = "bool"
    ENUM = "enum"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class FactType:
    kind: FactKind
    values: tuple[str, ...] = ()       # ENUM: the members, in declaration order
    unit: str | None = None            # NUMBER: the declared unit, if any
    dimension: str = ""                # NUMBER: the unit's dimension ("" = plain number)

    def describe(self) -> str:
        if self.kind is FactKind.ENUM:
            return "one of " + ", ".join(self.values)
        if self.kind is FactKind.NUMBER:
            return f"number {self.unit}" if self.unit else "number"
        return str(self.kind)


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: FactType
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    operator: str
    span: Span = field(compare=False)


@dataclass(slots=True)
class Vocabulary:
    """Every name a clause or a scenario may use, with where it was declared."""

    parties: dict[str, Span] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    provider_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    workloads: dict[str, Span] = field(default_factory=dict)
    workload_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    regions: dict[str, Span] = field(default_factory=dict)
    region_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    units: UnitTable = field(default_factory=UnitTable)
    declared_units: dict[str, Span] = field(default_factory=dict)

    def names_of(self, kind: str) -> list[str]:
        """The declared names of one kind: party, provider, workload, region, fact."""
        from dealcheck.rules.kinds import KINDS

        return list(KINDS[kind].names_in(self))


# --------------------------------------------------------------------------
# Conditions (three-valued at evaluation time)

#: Deployment fields a condition may read, with the kind of value they hold.
DEPLOYMENT_FIELDS: dict[str, str] = {
    "party": "party", "workload": "workload", "provider": "provider", "region": "region",
    "start": "date", "end": "date", "capacity": "quantity", "value": "quantity",
    "operator": "party",
}


class CmpOp(enum.StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


Constant = bool | str | Quantity | dt.date


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A deployment field (`provider`, `start`, …) or a fact (`rofr_declined`).

    `state`: the verdict of the aggregate clause `name` on the evaluation date
    (``minimums is compliant``), read as a fact of that name whose value is the
    verdict (`checker.states` sets it; absent when the verdict is undetermined).
    """

    name: str
    is_fact: bool
    span: Span = field(compare=False)
    state: bool = False


@dataclass(frozen=True, slots=True)
class Compare:
    ref: FieldRef
    op: CmpOp
    value: Constant
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Member:
    """``ref in {values}`` (`negated` for ``not in``); groups already expanded."""

    ref: FieldRef
    values: frozenset[str]
    negated: bool
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Truthy:
    """A bare boolean fact: ``microsoft_consent`` means ``microsoft_consent = true``."""

    ref: FieldRef
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Condition, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Condition, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Operand:
    """One side of a `Relation`: a field or fact (`ref`) or a constant, moved by `shift`.

    Each shift is ``(sign, duration)``, applied in order: ``signed + 30 days``
    is ``((1, 30 days),)``.
    """

    ref: FieldRef | None
    constant: Constant | None = None
    shifts: tuple[tuple[int, Duration], ...] = ()

    def refs(self) -> tuple[FieldRef, ...]:
        return () if self.ref is None else (self.ref,)


@dataclass(frozen=True, slots=True)
class Relation:
    """Two operands compared when neither is a plain constant: ``value <= mfn_price``,
    ``start <= signed + 30 days``. Unknown when either side is absent."""

    left: Operand
    op: CmpOp
    right: Operand
    span: Span = field(compare=False)

    def refs(self) -> tuple[FieldRef, ...]:
        return self.left.refs() + self.right.refs()


Condition = Compare | Member | Truthy | Not | And | Or | Relation


def relations_in(cond: Condition | None) -> Iterator[Relation]:
    """The relations of a condition, in order of appearance."""
    match cond:
        case Relation():
            yield cond
        case Not():
            yield from relations_in(cond.item)
        case And() | Or():
            for item in cond.items:
                yield from relations_in(item)
        case _:
            return


def relations_of(terms: Terms) -> Iterator[Relation]:
    """The relations of every clause's conditions (scope, then `only if`), in file order."""
    for clause in terms.clauses:
        yield from clause_relations(clause)


def clause_relations(clause: Clause) -> Iterator[Relation]:
    """The relations of a clause's conditions (scope, then `only if`)."""
    yield from relations_in(clause.scope.condition)
    if isinstance(clause.rule, Requirement):
        yield from relations_in(clause.rule.condition)


#: The states a condition may test (``CLAUSE is …``), with the aggregate verdict each means.
STATE_VERDICTS: dict[str, str] = {"compliant": "compliant", "violated": "violation", "open": "open"}


def state_test(clause: str, word: str, span: Span, name_span: Span) -> Member:
    """``CLAUSE is compliant|violated|open``: the clause's verdict is the one named."""
    return Member(FieldRef(clause, True, name_span, state=True),
                  frozenset((STATE_VERDICTS[word],)), False, span)


def is_state_test(cond: Condition) -> bool:
    return isinstance(cond, Member) and cond.ref.state


def states_in(cond: Condition | None) -> Iterator[Member]:
    """The state tests of a condition (``CLAUSE is …``), in order of appearance."""
    match cond:
        case Member() if cond.ref.state:
            yield cond
        case Not():
            yield from states_in(cond.item)
        case And() | Or():
            for item in cond.items:
                yield from states_in(item)
        case _:
            return


def clause_states_read(clause: Clause) -> Iterator[Member]:
    """The state tests of a clause's conditions (scope, then `only if`)."""
    yield from states_in(clause.scope.condition)
    if isinstance(clause.rule, Requirement):
        yield from states_in(clause.rule.condition)


def possible_states(clause: Clause) -> tuple[str, ...]:
    """The verdicts an aggregate clause can reach on a date (none for other clauses).

    A cap is never open, nor a share bounded from above; a commitment, and a
    share of at least P%, are open until met (or missed).
    """
    rule = clause.rule
    if not isinstance(rule, Aggregate):
        return ()
    if clause.kind is ClauseKind.CAP or (rule.share is not None and not rule.share.at_least):
        return ("compliant", "violation")
    return ("compliant", "violation", "open")


def facts_in(cond: Condition | None) -> Iterator[str]:
    """The fact names a condition reads, in order of appearance."""
    match cond:
        case None:
            return
        case Relation():
            for ref in cond.refs():
                if ref.is_fact:
                    yield ref.name
        case Compare() | Member() | Truthy():
            if cond.ref.is_fact and not cond.ref.state:
                yield cond.ref.name
        case Not():
            yield from facts_in(cond.item)
        case And() | Or():
            for item in cond.items:
                yield from facts_in(item)
        case unreachable:
            assert_never(unreachable)


# --------------------------------------------------------------------------
# Scopes and clauses


@dataclass(frozen=True, slots=True)
class Scope:
    """Which deployments a clause speaks of.

    ``None`` means "any". Sets are expanded (groups replaced by members).
    A negated set means "not one of these" (``off Azure``, ``outside EU``).
    """

    parties: frozenset[str] | None = None
    workloads: frozenset[str] | None = None
    providers: frozenset[str] | None = None
    providers_negated: bool = False
    regions: frozenset[str] | None = None
    regions_negated: bool = False
    condition: Condition | None = None


class ClauseKind(enum.StrEnum):
    EXCLUSIVITY = "exclusivity"
    PROHIBITION = "prohibition"
    REQUIREMENT = "requirement"
    PERMISSION = "permission"
    CAP = "cap"
    COMMITMENT = "commitment"
    SHARE = "share"

    @property
    def is_aggregate(self) -> bool:
        return self in (ClauseKind.CAP, ClauseKind.COMMITMENT, ClauseKind.SHARE)

    @property
    def is_restriction(self) -> bool:
        return self in (ClauseKind.EXCLUSIVITY, ClauseKind.PROHIBITION, ClauseKind.REQUIREMENT)


@dataclass(frozen=True, slots=True)
class Exclusivity:
    """Deployments in scope run only on `allowed` (providers or regions)."""

    target: str                       # "provider" or "region"
    allowed: frozenset[str]
    written: tuple[str, ...]          # the names as written (groups unexpanded), for messages


@dataclass(frozen=True, slots=True)
class Prohibition:
    """Deployments in scope must not happen."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """Deployments in scope must satisfy `condition`."""

    condition: Condition


@dataclass(frozen=True, slots=True)
class Permission:
    """For deployments in scope, the clauses in `Clause.overrides` do not bind."""


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A cap (``total <= limit``) or a commitment (``total >= limit`` by `deadline`).

    A count (`measure` is `COUNT`) adds 1 for each deployment; its limit is a
    plain number. `strict`: a cap's total must stay below the limit
    (``is less than``), a commitment's must go beyond it (``exceeds``).
    """

    measure: str                      # "value", "capacity" or COUNT
    limit: Quantity
    window_from: dt.date | None
    window_through: dt.date | None
    deadline: dt.date | None = None   # commitments only
    strict: bool = False
    #: A share (``… is at least|at most P% of …``): `limit` is the percentage.
    share: Share | None = None
    #: ``per calendar year|quarter|contract year``: the limit applies to each period.
    period: str | None = None
    #: ``reaches Q in addition to CLAUSE``: what both select counts beyond CLAUSE's target.
    in_addition_to: str | None = None

    @property
    def counted(self) -> bool:
        """Whether this is ``number of deployments``: each deployment counts 1."""
        return self.measure == COUNT

    def amount_of(self, d: Deployment) -> Decimal | None:
        """What `d` adds to the total: its quantity of the limit's dimension, else None."""
        if self.measure == COUNT:
            return _ONE
        quantity: Quantity | None = getattr(d, self.measure)
        if quantity is None or quantity.dimension != self.limit.dimension:
            return None
        return quantity.amount

    def breaks_cap(self, total: Decimal) -> bool:
        """Whether a known `total` breaks the cap (``is at most`` / ``is less than``)."""
        return total >= self.limit.amount if self.strict else total > self.limit.amount

    def meets(self, total: Decimal) -> bool:
        """Whether a `total` meets the commitment (``reaches`` / ``exceeds``)."""
        return total > self.limit.amount if self.strict else total >= self.limit.amount


@dataclass(frozen=True, slots=True)
class Share:
    """What a share clause bounds: the part of its total that `part` selects, as a share.

    The clause's scope (with its `when`) selects the deployments of the whole
    (the total after ``of``); a deployment of the whole counts in the part
    (the total before ``is``) when it is also in `part`, the part's own
    selections. `at_least`: ``is at least P%``, else ``is at most P%``. Both
    totals sum the clause's measure, in `dimension`.
    """

    part: Scope
    at_least: bool
    dimension: str

    def total(self, rule: Aggregate) -> Aggregate:
        """One side of the share as a plain total (its limit unused): what its tally counts."""
        return Aggregate(rule.measure, Quantity(Decimal(0), self.dimension), rule.window_from,
                         rule.window_through)


#: The measure of ``number of deployments``: not a field, each deployment counts 1.
COUNT = "deployments"
_ONE = Decimal(1)


Rule = Exclusivity | Prohibition | Requirement | Permission | Aggregate


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause as it stands in one version of the terms.

    `in_force_from` / `in_force_through` are the effective window after
    amendments are applied (inclusive; ``None`` = open-ended).
    """

    id: str
    kind: ClauseKind
    scope: Scope
    rule: Rule
    label: str | None
    sources: tuple[str, ...]
    overrides: tuple[str, ...]        # `notwithstanding` targets (permissions)
    in_force_from: dt.date
    in_force_through: dt.date | None
    introduced_by: str | None         # amendment id, None for the base agreement
    span: Span = field(compare=False)
    #: A target, not a promise (``clause ID advisory:``): its findings and its aggregate
    #: verdicts are reported but never change a deployment's or the report's verdict.
    advisory: bool = False

    def in_force_on(self, day: dt.date) -> bool:
        return self.in_force_from <= day and (
            self.in_force_through is None or day <= self.in_force_through)


@dataclass(frozen=True, slots=True)
class Amendment:
    id: str
    title: str | None
    effective: dt.date
    added: tuple[str, ...]
    revoked: tuple[str, ...]
    replaced: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class ExampleDeployment:
    deployment: Deployment
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Expectation:
    subject: str | None   # a deployment id or an aggregate clause id; None: the only deployment
    verdict: str
    clauses: tuple[str, ...]
    missing: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    as_of: dt.date | None
    deployments: tuple[ExampleDeployment, ...]
    expectations: tuple[Expectation, ...]
    span: Span = field(compare=False)


@dataclass(slots=True)
class Terms:
    """A resolved terms file: vocabulary, every version of every clause, amendments.

    `clauses` holds each clause version once, in file order; a replaced clause
    appears twice (same id, disjoint windows). Plain data: what judges
    deployments against it is `dealcheck.Terms` (`checker.terms`), which
    `dealcheck.load` returns.
    """

    path: str
    title: str
    effective: dt.date
    vocabulary: Vocabulary
    clauses: tuple[Clause, ...]
    amendments: tuple[Amendment, ...]
    examples: tuple[Example, ...]
    source: str = ""
    sha256: str = ""

    def states(self) -> dict[str, tuple[str, ...]]:
        """The clauses whose state some condition reads -> the verdicts they can reach."""
        read = {t.ref.name for c in self.clauses for t in clause_states_read(c)}
        out: dict[str, tuple[str, ...]] = {}
        for c in self.clauses:
            if c.id in read:
                out[c.id] = tuple(dict.fromkeys([*out.get(c.id, ()), *possible_states(c)]))
        return out

    def in_force(self, day: dt.date) -> list[Clause]:
        """The clauses in force on `day`, in file order."""
        return [c for c in self.clauses if c.in_force_on(day)]

    def clause(self, clause_id: str, day: dt.date | None = None) -> Clause | None:
        for c in self.clauses:
            if c.id == clause_id and (day is None or c.in_force_on(day)):
                return c
        return None
