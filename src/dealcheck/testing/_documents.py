"""Random valid terms documents, built as ASTs: vocabulary, clauses, amendments.

Every document this module draws resolves without error: names are declared
before use and typed, windows are never inverted, revocations hit clauses in
force, and a permission names only earlier clauses (so exceptions never form
a cycle) that share some time with it. Hypothesis is imported at module level:
import this module only from `dealcheck.testing.strategies`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from hypothesis import strategies as st

from dealcheck.dsl import ast
from dealcheck.dsl.escape import BIDI_CONTROLS, UNFIT_CATEGORIES
from dealcheck.rules.durations import UNIT_WORDS, Duration, window_end
from dealcheck.testing._aggregates import PERIODS, link_additions, share
from dealcheck.testing._expressions import WINDOW_DURATIONS, relation_atom
from dealcheck.testing._pools import (  # noqa: F401  (re-exported: tests read the pools here)
    ENUM_MEMBERS,
    FACT_POOL,
    PARTY_POOL,
    PROVIDER_GROUP_POOL,
    PROVIDER_POOL,
    QUANTITY_POOL,
    REGION_GROUP_POOL,
    REGION_POOL,
    UNIT_POOL,
    WORKLOAD_GROUP_POOL,
    WORKLOAD_POOL,
    FactSpec,
)
from dealcheck.testing._states import link_states
from dealcheck.testing._units import dimensions_of, kinded_units

T = TypeVar("T")

#: Titles, labels and sources: any text a terms file accepts in a string (see DC006).
TEXTS = st.text(st.characters(exclude_characters="".join(BIDI_CONTROLS),
                              exclude_categories=UNFIT_CATEGORIES), max_size=16)


# ---------------------------------------------------------------- the vocabulary


@dataclass(frozen=True, slots=True)
class VocabularySpec:
    """The names a generated document declares."""

    parties: tuple[str, ...]
    providers: tuple[tuple[str, str], ...]           # (provider, operator)
    provider_groups: tuple[tuple[str, tuple[str, ...]], ...]
    workloads: tuple[str, ...]
    workload_groups: tuple[tuple[str, tuple[str, ...]], ...]
    regions: tuple[str, ...]
    region_groups: tuple[tuple[str, tuple[str, ...]], ...]
    facts: tuple[FactSpec, ...]
    units: tuple[str, ...]
    #: Units declared with a dimension, by name: their kind (``money``, ``count``).
    kinded: tuple[tuple[str, str], ...] = ()

    def declarations(self) -> list[ast.Item]:
        items: list[ast.Item] = [ast.PartyDecl(_names(self.parties))]
        items += [ast.ProviderDecl(ast.Name(p), ast.Name(o)) for p, o in self.providers]
        items += [ast.ProviderGroupDecl(ast.Name(g), _names(ms)) for g, ms in self.provider_groups]
        items.append(ast.WorkloadDecl(_names(self.workloads)))
        items += [ast.WorkloadGroupDecl(ast.Name(g), _names(ms)) for g, ms in self.workload_groups]
        if self.regions:
            items.append(ast.RegionDecl(_names(self.regions)))
        items += [ast.RegionGroupDecl(ast.Name(g), _names(ms)) for g, ms in self.region_groups]
        items += [ast.UnitDecl(ast.Name(u)) for u in self.units]
        items += [ast.UnitDecl(ast.Name(u), ast.Name(k)) for u, k in self.kinded]
        items += [ast.FactDecl(ast.Name(f.name), _fact_type(f)) for f in self.facts]
        return items


def _names(values: Sequence[str]) -> tuple[ast.Name, ...]:
    return tuple(ast.Name(v) for v in values)


def _fact_type(f: FactSpec) -> ast.FactTypeNode:
    if f.kind == "bool":
        return ast.BoolType()
    if f.kind == "enum":
        return ast.EnumType(_names(f.values))
    if f.kind == "date":
        return ast.DateType()
    return ast.NumberType(ast.Name(f.unit) if f.unit else None)


# Drawing helpers. Documents are drawn with primitive strategies only (an index, a
# boolean): building nested `one_of` trees anew for every clause is far slower.

_BOOLEANS = st.booleans()


def _pick(draw: st.DrawFn, pool: Sequence[T]) -> T:
    """One element of `pool`; shrinks towards the first."""
    return pool[draw(st.integers(0, len(pool) - 1))]


def _some(draw: st.DrawFn, pool: Sequence[T], low: int, high: int) -> tuple[T, ...]:
    """Between `low` and `high` distinct elements of `pool`, in drawn order."""
    left = list(pool)
    count = draw(st.integers(min(low, len(left)), min(high, len(left))))
    return tuple(left.pop(draw(st.integers(0, len(left) - 1))) for _ in range(count))


def _maybe(draw: st.DrawFn, weight_none: int = 1) -> bool:
    """True with probability 1 / (1 + weight_none): whether to write an optional part."""
    return draw(st.integers(0, weight_none)) == weight_none


@st.composite
def vocabularies(draw: st.DrawFn, overlapping: bool = False) -> VocabularySpec:
    """A vocabulary of 1–3 parties, 1–4 providers, 1–4 workloads, 0–3 regions and some facts.

    `overlapping`: one party, one or two workloads, two or three providers and
    at least two facts, so that every clause speaks of the same deployments
    and their conditions share facts.
    """
    if overlapping:
        parties = _some(draw, PARTY_POOL, 1, 1)
        providers = tuple((p, parties[0]) for p in _some(draw, PROVIDER_POOL, 2, 3))
        workloads = _some(draw, WORKLOAD_POOL, 1, 2)
        regions = _some(draw, REGION_POOL, 0, 2)
        facts = _some(draw, FACT_POOL, 2, 4)
        units = tuple(u for u in UNIT_POOL if any(f.unit == u for f in facts))
        return VocabularySpec(parties, providers, (), workloads, (), regions, (), facts, units,
                              kinded_units(draw, [f.unit for f in facts]))
    parties = _some(draw, PARTY_POOL, 1, 3)
    providers = tuple((p, _pick(draw, parties)) for p in _some(draw, PROVIDER_POOL, 1, 4))
    provider_groups = tuple((g, _some(draw, [p for p, _ in providers], 1, 3))
                            for g in _some(draw, PROVIDER_GROUP_POOL, 0, 1))
    workloads = _some(draw, WORKLOAD_POOL, 1, 4)
    workload_groups = tuple((g, _some(draw, workloads, 1, 3))
                            for g in _some(draw, WORKLOAD_GROUP_POOL, 0, 2))
    regions = _some(draw, REGION_POOL, 0, 3)
    region_groups = tuple((g, _some(draw, regions, 1, 2))
                          for g in (_some(draw, REGION_GROUP_POOL, 0, 1) if regions else ()))
    facts = tuple(f for f in FACT_POOL if draw(_BOOLEANS))
    units = tuple(u for u in UNIT_POOL if any(f.unit == u for f in facts))
    return VocabularySpec(parties, providers, provider_groups, workloads, workload_groups,
                          regions, region_groups, facts, units,
                          kinded_units(draw, [f.unit for f in facts]))


# ---------------------------------------------------------------- conditions


def _operand(c: ast.Cond) -> ast.Cond:
    """`c` as an operand of `and`/`not`: compound conditions need parentheses."""
    return ast.Group(c) if isinstance(c, ast.And | ast.Or) else c


def _disjunct(c: ast.Cond) -> ast.Cond:
    return ast.Group(c) if isinstance(c, ast.Or) else c


def _quantity(draw: st.DrawFn, dimension: str) -> ast.QuantityLit:
    number, unit = _pick(draw, QUANTITY_POOL[dimension])
    return ast.QuantityLit(number, ast.Name(unit) if unit else None)


ORDERED = ("<", "<=", ">", ">=", "=", "!=")
EQUALITY = ("=", "!=")


def _name_atom(draw: st.DrawFn, field_name: str, singles: Sequence[str],
               members: Sequence[str]) -> ast.Cond:
    """`field = x`, `field != x` (single names) or `field [not] in a, b` (groups allowed)."""
    left = ast.Name(field_name)
    if draw(_BOOLEANS):
        return ast.Compare(left, _pick(draw, EQUALITY), ast.Name(_pick(draw, singles)))
    return ast.Member(left, _names(_some(draw, members, 1, 2)), draw(_BOOLEANS))


@dataclass(frozen=True, slots=True)
class _Context:
    """What clause generation draws from: the vocabulary and the dates it may mention."""

    vocab: VocabularySpec
    effective: dt.date
    overlapping: bool = False

    def date(self, draw: st.DrawFn, after: dt.date | None = None) -> dt.date:
        return (after or self.effective) + dt.timedelta(days=_offset(draw))

    def providers(self) -> list[str]:
        return [*self.single_providers(), *(g for g, _ in self.vocab.provider_groups)]

    def single_providers(self) -> list[str]:
        return [p for p, _ in self.vocab.providers]

    def workloads(self) -> list[str]:
        return [*self.vocab.workloads, *(g for g, _ in self.vocab.workload_groups)]

    def regions(self) -> list[str]:
        return [*self.vocab.regions, *(g for g, _ in self.vocab.region_groups)]


def _atom(draw: st.DrawFn, cx: _Context) -> ast.Cond:
    """One comparison over a deployment field or a declared fact, correctly typed."""
    vocab = cx.vocab
    if draw(st.integers(0, 5)) == 0:
        return relation_atom(draw, vocab.facts, cx.date)
    fields = ["party", "operator", "provider", "workload", "start", "end", "capacity", "value"]
    if vocab.regions:
        fields.append("region")
    if cx.overlapping and draw(st.integers(0, 3)) > 0:
        fields = []   # mostly facts: the clauses' conditions share them
    choice = _pick(draw, [*fields, *(f.name for f in vocab.facts)])
    name = ast.Name(choice)
    if choice in ("party", "operator"):
        return _name_atom(draw, choice, vocab.parties, vocab.parties)
    if choice == "provider":
        return _name_atom(draw, choice, cx.single_providers(), cx.providers())
    if choice == "workload":
        return _name_atom(draw, choice, vocab.workloads, cx.workloads())
    if choice == "region":
        return _name_atom(draw, choice, vocab.regions, cx.regions())
    if choice in ("start", "end"):
        return ast.Compare(name, _pick(draw, ORDERED), ast.DateLit(cx.date(draw).isoformat()))
    if choice in ("capacity", "value"):
        dimensions = dimensions_of(vocab.kinded, choice)
        return ast.Compare(name, _pick(draw, ORDERED), _quantity(draw, _pick(draw, dimensions)))
    fact = next(f for f in vocab.facts if f.name == choice)
    if fact.kind == "bool":
        if draw(_BOOLEANS):
            return ast.Truthy(name)
        return ast.Compare(name, _pick(draw, EQUALITY), ast.BoolLit(draw(_BOOLEANS)))
    if fact.kind == "enum":
        return _name_atom(draw, choice, fact.values, fact.values)
    if fact.kind == "date":
        return ast.Compare(name, _pick(draw, ORDERED), ast.DateLit(cx.date(draw).isoformat()))
    return ast.Compare(name, _pick(draw, ORDERED), _quantity(draw, fact.dimension))


def _condition(draw: st.DrawFn, cx: _Context, depth: int = 2) -> ast.Cond:
    """A condition nested up to `depth`, shaped as the parser builds it (explicit groups)."""
    shape = draw(st.integers(0, 4)) if depth > 0 else 0
    if shape <= 1:
        return _atom(draw, cx)
    if shape == 2:
        return ast.Not(_operand(_condition(draw, cx, depth - 1)))
    items = [_condition(draw, cx, depth - 1) for _ in range(draw(st.integers(2, 3)))]
    if shape == 3:
        return ast.And(tuple(_operand(i) for i in items))
    return ast.Or(tuple(_disjunct(i) for i in items))


@st.composite
def conditions(draw: st.DrawFn, vocab: VocabularySpec, effective: dt.date,
               depth: int = 2) -> ast.Cond:
    """Conditions over `vocab` nested up to `depth`, mentioning dates after `effective`."""
    return _condition(draw, _Context(vocab, effective), depth)


# ---------------------------------------------------------------- scopes and rules


def _selection(draw: st.DrawFn, pool: Sequence[str]) -> ast.Selection:
    if draw(_BOOLEANS):
        return ast.Selection(None)
    return ast.Selection(_names(_some(draw, pool, 1, 2)))


def _placement(draw: st.DrawFn, pool: Sequence[str]) -> ast.Selection | None:
    shape = draw(st.integers(0, 3)) if pool else 0
    if shape <= 1:
        return None
    if shape == 2:
        return ast.Selection(None)
    return ast.Selection(_names(_some(draw, pool, 1, 2)), draw(_BOOLEANS))


def _pattern(draw: st.DrawFn, cx: _Context) -> ast.Pattern:
    if cx.overlapping:
        # Every clause speaks of the same party and workloads; providers and
        # regions and the condition vary.
        return ast.Pattern(
            ast.Selection(None) if draw(_BOOLEANS) else ast.Selection(_names(cx.vocab.parties)),
            ast.Selection(None),
            _placement(draw, cx.providers()),
            _placement(draw, cx.regions()),
            _condition(draw, cx, 1) if _maybe(draw, 1) else None,
        )
    return ast.Pattern(
        _selection(draw, cx.vocab.parties),
        _selection(draw, cx.workloads()),
        _placement(draw, cx.providers()),
        _placement(draw, cx.regions()),
        _condition(draw, cx) if _maybe(draw, 2) else None,
    )


@st.composite
def patterns(draw: st.DrawFn, vocab: VocabularySpec, effective: dt.date) -> ast.Pattern:
    """Which deployments a rule speaks of: parties, workloads, providers, regions, `when`."""
    return _pattern(draw, _Context(vocab, effective))


#: Kinds of clause the generator writes; `permission` gets its targets at the end.
RESTRICTIONS = ("only_on", "only_in", "only_if", "must_not")
KINDS = (*RESTRICTIONS, "permission", "cap", "commitment", "share")


def _rule(draw: st.DrawFn, cx: _Context, kind: str) -> ast.Rule:
    """A rule of the given kind."""
    pattern = _pattern(draw, cx)
    if kind == "only_on":
        return ast.Restriction(pattern, ast.OnlyOn(_names(_some(draw, cx.providers(), 1, 2))))
    if kind == "only_in":
        return ast.Restriction(pattern, ast.OnlyIn(_names(_some(draw, cx.regions(), 1, 2))))
    if kind == "only_if":
        return ast.Restriction(pattern, ast.OnlyIf(_condition(draw, cx)))
    if kind == "must_not":
        return ast.Prohibition(pattern)
    if kind == "permission":
        return ast.Permission(pattern)
    measure = _pick(draw, ("value", "capacity", "number"))
    counted = measure == "number"
    if kind == "share":
        return share(draw, cx, pattern, ast.Name(measure), counted)
    dimension = ("deployments" if counted
                 else _pick(draw, dimensions_of(cx.vocab.kinded, measure)))
    window_from = cx.date(draw) if _maybe(draw) else None
    window_through = cx.date(draw) if _maybe(draw) else None
    if window_from and window_through and window_through < window_from:
        window_from, window_through = window_through, window_from
    is_cap = kind == "cap"
    deadline = cx.date(draw) if not is_cap and _maybe(draw) else None
    return ast.Aggregate(
        ast.Name(measure), pattern,
        ast.DateLit(window_from.isoformat()) if window_from else None,
        ast.DateLit(window_through.isoformat()) if window_through else None,
        is_cap, _quantity(draw, dimension),
        ast.DateLit(deadline.isoformat()) if deadline else None,
        counted, draw(_BOOLEANS), None, _pick(draw, PERIODS),
    )


# ---------------------------------------------------------------- the timeline


def _class(kind: str) -> str:
    return "aggregate" if kind in ("cap", "commitment", "share") else "rule"


@dataclass(slots=True)
class ClauseVersion:
    """One version of a clause, with the window resolution will compute for it."""

    id: str
    kind: str
    rule: ast.Rule
    start: dt.date                     # the later of its introduction and its `from` date
    through: dt.date | None            # its `through` date, shortened by revocations
    from_date: dt.date | None
    through_date: dt.date | None
    label: str | None
    sources: tuple[str, ...]
    notwithstanding: tuple[str, ...] = ()
    ended: bool = False
    duration: ast.DurationLit | None = None   # `for N UNIT` written instead of `through`
    #: ``clause ID advisory:`` (never a permission: resolution refuses that, DC140).
    advisory: bool = False

    def node(self) -> ast.Clause:
        return ast.Clause(
            ast.Name(self.id), self.label,
            ast.DateLit(self.from_date.isoformat()) if self.from_date else None,
            ast.DateLit(self.through_date.isoformat()) if self.through_date else None,
            _names(self.notwithstanding), self.sources, self.rule, self.duration,
            self.advisory and self.kind != "permission")

    def overlaps(self, other: ClauseVersion) -> bool:
        # The same test as resolution's DC109 check, on the same windows.
        a_end = self.through or dt.date.max
        b_end = other.through or dt.date.max
        return self.start <= b_end and other.start <= a_end


@dataclass(slots=True)
class AmendmentSpec:
    id: str
    title: str | None
    effective: dt.date
    items: list[tuple[str, ClauseVersion | str]]   # ("add"|"replace", version) or ("revoke", id)


@dataclass(slots=True)
class TermsPlan:
    """A generated document before printing; metamorphic tests derive variants from it."""

    title: str
    effective: dt.date
    vocab: VocabularySpec
    base: list[ClauseVersion]
    amendments: list[AmendmentSpec]
    extra: list[ast.Clause] = field(default_factory=list)

    def versions(self) -> list[ClauseVersion]:
        out = list(self.base)
        for a in self.amendments:
            out += [v for verb, v in a.items if verb != "revoke" and isinstance(v, ClauseVersion)]
        return out

    def document(self) -> ast.Document:
        items: list[ast.Item] = self.vocab.declarations()
        items += [v.node() for v in self.base]
        items += self.extra
        for a in self.amendments:
            sub: list[ast.AmendmentItem] = []
            for verb, v in a.items:
                if verb == "revoke":
                    assert isinstance(v, str)
                    sub.append(ast.Revoke((ast.Name(v),)))
                elif verb == "replace":
                    assert isinstance(v, ClauseVersion)
                    sub.append(ast.Replace(v.node()))
                else:
                    assert isinstance(v, ClauseVersion)
                    sub.append(v.node())
            items.append(ast.Amendment(ast.Name(a.id), a.title,
                                       ast.DateLit(a.effective.isoformat()), tuple(sub)))
        return ast.Document(ast.Agreement(self.title, ast.DateLit(self.effective.isoformat())),
                            tuple(items))

    def permuted(self, order: Sequence[int], amendment_orders: Sequence[Sequence[int]]
                 ) -> TermsPlan:
        """The same terms with base clauses and each amendment's items reordered."""
        base = [self.base[i] for i in order]
        amendments = [replace(a, items=[a.items[i] for i in o])
                      for a, o in zip(self.amendments, amendment_orders, strict=True)]
        return replace(self, base=base, amendments=amendments)


_COMMON_OFFSETS = (0, 1, 10, 30, 31, 60)


def _offset(draw: st.DrawFn) -> int:
    """Days after a reference date: mostly a few shared offsets, so that windows,
    amendments and the dates in conditions coincide."""
    if draw(_BOOLEANS):
        return _pick(draw, _COMMON_OFFSETS)
    return draw(st.integers(0, 120))


#: Kinds of clause in overlapping terms: restrictions and their exceptions, mostly.
OVERLAPPING_KINDS = (*RESTRICTIONS, "only_if", "permission", "permission", "permission", "cap")


class _PlanDraft:
    """The clauses of a plan as they are drawn: ids in order, each id's latest version."""

    def __init__(self, draw: st.DrawFn, cx: _Context, kinds: Sequence[str]) -> None:
        self.draw = draw
        self.cx = cx
        self.kinds = kinds
        self.order: dict[str, int] = {}
        self.latest: dict[str, ClauseVersion] = {}
        self.all_versions: list[ClauseVersion] = []

    def text(self) -> str | None:
        return self.draw(TEXTS) if _maybe(self.draw, 2) else None

    def version(self, ident: str, kind: str, intro: dt.date) -> ClauseVersion:
        draw, cx = self.draw, self.cx
        from_date = cx.date(draw, intro) if _maybe(draw, 2) else None
        begin = from_date or intro
        through_date = cx.date(draw, begin) if _maybe(draw, 2) else None
        duration = None
        if through_date is None and _maybe(draw, 3):
            duration = ast.DurationLit(*_pick(draw, WINDOW_DURATIONS))
        label = self.text()
        sources = tuple(t for t in (self.text(),) if t is not None)
        through = through_date if duration is None else window_end(
            begin, Duration(int(duration.count), UNIT_WORDS[duration.unit]))
        v = ClauseVersion(ident, kind, _rule(draw, cx, kind), begin, through,
                          from_date, through_date, label, sources, duration=duration,
                          advisory=kind != "permission" and _maybe(draw, 4))
        self.all_versions.append(v)
        self.latest[ident] = v
        return v

    def new_clause(self, intro: dt.date) -> ClauseVersion:
        ident = f"c{len(self.order) + 1}"
        self.order[ident] = len(self.order)
        return self.version(ident, _pick(self.draw, self.kinds), intro)

    def amendment(self, number: int, when: dt.date) -> AmendmentSpec:
        """Amendment `number`, effective `when`: one to three adds, revokes or replaces."""
        draw = self.draw
        items: list[tuple[str, ClauseVersion | str]] = []
        touched: set[str] = set()
        for _ in range(draw(st.integers(1, 3))):
            live = [i for i, v in self.latest.items() if i not in touched and not v.ended
                    and (v.through is None or v.through >= when)]
            verb = _pick(draw, ("add", "revoke", "replace"))
            if verb != "add" and live:
                ident = _pick(draw, live)
                touched.add(ident)
                items.append(self._end(verb, ident, when))
            else:
                added = self.new_clause(when)
                touched.add(added.id)
                items.append(("add", added))
        return AmendmentSpec(f"a{number}", self.text(), when, items)

    def _end(self, verb: str, ident: str, when: dt.date) -> tuple[str, ClauseVersion | str]:
        """End clause `ident` the day before `when`: revoked, or replaced by a new version."""
        old = self.latest[ident]
        end = when - dt.timedelta(days=1)
        old.through = end if old.through is None else min(old.through, end)
        old.ended = True
        if verb == "revoke":
            return ("revoke", ident)
        same_class = [k for k in self.kinds if _class(k) == _class(old.kind)]
        return ("replace", self.version(ident, _pick(self.draw, same_class), when))

    def link_permissions(self) -> None:
        """Permissions name earlier clauses that share time with them: no cycles, no DC109."""
        by_id: dict[str, list[ClauseVersion]] = {}
        for v in self.all_versions:
            by_id.setdefault(v.id, []).append(v)
        for v in self.all_versions:
            if v.kind != "permission":
                continue
            candidates = [i for i, rank in self.order.items() if rank < self.order[v.id]
                          and _class(by_id[i][0].kind) == "rule"
                          and any(v.overlaps(t) for t in by_id[i])]
            if candidates:
                self._link(v, candidates, by_id)
            else:
                v.kind = "must_not"
                assert isinstance(v.rule, ast.Permission)
                v.rule = ast.Prohibition(v.rule.pattern)

    def _link(self, v: ClauseVersion, candidates: Sequence[str],
              by_id: dict[str, list[ClauseVersion]]) -> None:
        v.notwithstanding = _some(self.draw, candidates, 1, 2)
        if self.draw(_BOOLEANS):
            # An exception usually speaks of the deployments its target restricts,
            # under a condition: share the target's parties and workloads.
            target = by_id[v.notwithstanding[0]][-1].rule
            assert isinstance(target, ast.Restriction | ast.Prohibition | ast.Permission)
            mine = v.rule.pattern
            v.rule = ast.Permission(replace(mine, parties=target.pattern.parties,
                                            workloads=target.pattern.workloads))


@st.composite
def terms_plans(draw: st.DrawFn, min_clauses: int = 1, max_clauses: int = 6,
                max_amendments: int = 2, overlapping: bool = False) -> TermsPlan:
    """A valid document as a plan: vocabulary, base clauses, amendments in date order.

    `overlapping`: several clauses and exceptions over the same deployments
    (see `vocabularies`), their conditions mostly over shared facts.
    """
    effective = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(-800, 800)))
    vocab = draw(vocabularies(overlapping))
    cx = _Context(vocab, effective, overlapping)
    pool = OVERLAPPING_KINDS if overlapping else KINDS
    plan = _PlanDraft(draw, cx, [k for k in pool if k != "only_in" or vocab.regions])
    base = [plan.new_clause(effective)
            for _ in range(draw(st.integers(min_clauses, max_clauses)))]
    amendments: list[AmendmentSpec] = []
    when = effective
    for number in range(1, draw(st.integers(0, max_amendments)) + 1):
        when = cx.date(draw, when)
        amendments.append(plan.amendment(number, when))
    plan.link_permissions()
    link_additions(plan)
    link_states(plan)
    return TermsPlan(draw(TEXTS), effective, vocab, base, amendments)
