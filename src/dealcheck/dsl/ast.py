"""The typed, frozen AST of a terms file, built from Lark's tree by `dsl.transform`.

Every node carries a `Span`, excluded from equality so that formatting
round-trips compare equal. No Lark type appears here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dealcheck.dsl.span import UNKNOWN_SPAN, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    span: Span = field(default=UNKNOWN_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Name(Node):
    """An identifier as written, with its own span for precise carets."""

    value: str


@dataclass(frozen=True, slots=True)
class DateLit(Node):
    """An ISO date as written; validity is checked by resolution (2025-02-30)."""

    text: str


@dataclass(frozen=True, slots=True)
class QuantityLit(Node):
    """``11.9B USD``: a number (with optional k/M/B/T multiplier) and an optional unit."""

    number: str
    unit: Name | None


@dataclass(frozen=True, slots=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class DurationLit(Node):
    """``3 years``, ``10 business days``: a count as written and its unit's word."""

    count: str
    unit: str


@dataclass(frozen=True, slots=True)
class Shifted(Node):
    """``start + 30 days``, ``2025-01-01 - 2 weeks``: a date moved by a duration."""

    base: Name | DateLit
    sign: str
    duration: DurationLit


Value = Name | DateLit | QuantityLit | BoolLit | Shifted

# ---------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare(Node):
    left: Name
    op: str
    right: Value


@dataclass(frozen=True, slots=True)
class CompareExpr(Node):
    """A comparison whose left side is a date expression: ``start + 30 days <= end``."""

    left: Shifted | DateLit
    op: str
    right: Value


@dataclass(frozen=True, slots=True)
class Within(Node):
    """``start within 30 days after signed``: ``start >= signed and start <= signed + 30 days``."""

    left: Name
    duration: DurationLit
    after: Value


@dataclass(frozen=True, slots=True)
class Member(Node):
    left: Name
    values: tuple[Name, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Truthy(Node):
    name: Name


@dataclass(frozen=True, slots=True)
class ClauseState(Node):
    """``minimums is compliant``: an aggregate clause's verdict on the evaluation date."""

    clause: Name
    state: str                        # "compliant", "violated" or "open"


@dataclass(frozen=True, slots=True)
class Not(Node):
    item: Cond


@dataclass(frozen=True, slots=True)
class And(Node):
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class Group(Node):
    """Parentheses, kept so the formatter reproduces the author's grouping."""

    item: Cond


Cond = Compare | CompareExpr | Within | Member | Truthy | ClauseState | Not | And | Or | Group

# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class Agreement(Node):
    title: str
    effective: DateLit


@dataclass(frozen=True, slots=True)
class PartyDecl(Node):
    names: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class ProviderDecl(Node):
    name: Name
    operator: Name


@dataclass(frozen=True, slots=True)
class ProviderGroupDecl(Node):
    name: Name
    members: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class WorkloadDecl(Node):
    names: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class WorkloadGroupDecl(Node):
    name: Name
    members: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class RegionDecl(Node):
    names: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class RegionGroupDecl(Node):
    name: Name
    members: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class BoolType(Node):
    pass


@dataclass(frozen=True, slots=True)
class EnumType(Node):
    values: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class NumberType(Node):
    unit: Name | None


@dataclass(frozen=True, slots=True)
class DateType(Node):
    pass


FactTypeNode = BoolType | EnumType | NumberType | DateType


@dataclass(frozen=True, slots=True)
class FactDecl(Node):
    name: Name
    type: FactTypeNode


@dataclass(frozen=True, slots=True)
class UnitDecl(Node):
    name: Name
    #: ``money`` or ``count`` in ``unit EUR: money``; None for a unit of its own kind.
    dimension: Name | None = None


#: The declarations of a named group of names of one kind.
GroupDecl = ProviderGroupDecl | WorkloadGroupDecl | RegionGroupDecl

Declaration = (PartyDecl | ProviderDecl | ProviderGroupDecl | WorkloadDecl | WorkloadGroupDecl
               | RegionDecl | RegionGroupDecl | FactDecl | UnitDecl)

# ---------------------------------------------------------------- scopes and rules


@dataclass(frozen=True, slots=True)
class Selection(Node):
    """A set of names, or "any" when `names` is None; `negated` for `off`/`outside`."""

    names: tuple[Name, ...] | None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Pattern(Node):
    """The deployments a rule speaks of; None fields were not written."""

    parties: Selection
    workloads: Selection
    providers: Selection | None = None
    regions: Selection | None = None
    when: Cond | None = None


@dataclass(frozen=True, slots=True)
class OnlyOn(Node):
    names: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class OnlyIn(Node):
    names: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class OnlyIf(Node):
    cond: Cond


RestrictionKind = OnlyOn | OnlyIn | OnlyIf


@dataclass(frozen=True, slots=True)
class Restriction(Node):
    """``P runs W … only on X`` / ``only in R`` / ``only if C``."""

    pattern: Pattern
    kind: RestrictionKind


@dataclass(frozen=True, slots=True)
class Prohibition(Node):
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class Permission(Node):
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class Aggregate(Node):
    """``total value of deployments … is at most Q`` / ``reaches Q [by D]``.

    `counted`: ``number of deployments …`` (`measure` is then the word
    ``number``); `strict`: ``is less than Q`` (a cap) or ``exceeds Q`` (a
    commitment) rather than ``is at most`` / ``reaches``; `period`: ``per
    calendar year|quarter|contract year`` before the limit.
    """

    measure: Name
    pattern: Pattern
    window_from: DateLit | None
    window_through: DateLit | None
    is_cap: bool
    limit: QuantityLit
    deadline: DateLit | None
    counted: bool = False
    strict: bool = False
    share: ShareOf | None = None
    period: str | None = None   # "calendar year", "quarter" or "contract year"
    in_addition_to: Name | None = None   # ``reaches Q in addition to CLAUSE``


@dataclass(frozen=True, slots=True)
class ShareOf(Node):
    """``… is at least|at most P% of TOTAL``: the total the aggregate is a share of.

    The aggregate's `limit` is then the percentage (``50`` for ``50%``) and
    `is_cap` says ``at most``. `measure` is ``number`` when `counted`.
    """

    measure: Name
    counted: bool
    pattern: Pattern


Rule = Restriction | Prohibition | Permission | Aggregate


@dataclass(frozen=True, slots=True)
class Clause(Node):
    id: Name
    label: str | None
    from_date: DateLit | None
    through_date: DateLit | None
    notwithstanding: tuple[Name, ...]
    sources: tuple[str, ...]
    rule: Rule
    #: ``for 3 years``: the window's length from its start (instead of `through_date`).
    duration: DurationLit | None = field(default=None, metadata={"dump": "when-set"})
    #: ``clause ID advisory:`` — a target, not a promise: its findings never change a verdict.
    advisory: bool = field(default=False, metadata={"dump": "when-set"})


@dataclass(frozen=True, slots=True)
class Replace(Node):
    clause: Clause


@dataclass(frozen=True, slots=True)
class Revoke(Node):
    ids: tuple[Name, ...]


AmendmentItem = Clause | Replace | Revoke


@dataclass(frozen=True, slots=True)
class Amendment(Node):
    id: Name
    title: str | None
    effective: DateLit
    items: tuple[AmendmentItem, ...]


# ---------------------------------------------------------------- examples


@dataclass(frozen=True, slots=True)
class FactValueLit(Node):
    name: Name
    value: Value


@dataclass(frozen=True, slots=True)
class DeploymentLit(Node):
    id: Name | None
    party: Name
    workload: Name
    provider: Name
    region: Name | None
    start: DateLit
    end: DateLit | None
    capacity: QuantityLit | None
    value: QuantityLit | None
    facts: tuple[FactValueLit, ...]


@dataclass(frozen=True, slots=True)
class Expectation(Node):
    subject: Name | None
    verdict: str
    clauses: tuple[Name, ...]
    missing: tuple[Name, ...]


@dataclass(frozen=True, slots=True)
class Example(Node):
    title: str
    as_of: DateLit | None
    items: tuple[DeploymentLit | Expectation, ...]


Item = Declaration | Clause | Amendment | Example


@dataclass(frozen=True, slots=True)
class Comment(Node):
    """A ``# comment``; `own_line` is False for a comment after code on its line."""

    text: str
    own_line: bool


@dataclass(frozen=True, slots=True)
class Document(Node):
    agreement: Agreement
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
