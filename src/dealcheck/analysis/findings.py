"""`dealcheck analyze`: dead, vacuous, shadowed, conflicting and redundant clauses (DESIGN §6b).

The space is split for one file's clauses (`analysis.space`, every value
known: what a clause can do to a fully described deployment). In each leaf
the compiled clauses themselves say whether each clause in force scopes the
leaf's deployment and whether it breaks it; a permission whether it
applies. The leaves are numbered, and each clause gets the set of leaves it
scopes and the set it breaks, as bits of an integer; every kind is then a
comparison of those sets, exact over the whole space.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from dealcheck.analysis.render import witness_text
from dealcheck.analysis.space import Item, Splitter, build_space
from dealcheck.checker.compile import Plan
from dealcheck.dsl.diagnostics import Diagnostic, warning
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment
from dealcheck.terms import Terms

KINDS = ("dead", "vacuous", "shadowed", "conflict", "redundant")


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: its kind, the clauses (the one found first), where, and a witness."""

    kind: str
    clauses: tuple[str, ...]
    message: str
    location: Span
    witness: Deployment | None = None


@dataclass(slots=True)
class Analysis:
    """The findings of one terms file, in file order (what `Terms.analyze` returns)."""

    terms: m.Terms
    findings: tuple[Finding, ...]

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def to_text(self) -> str:
        from dealcheck.analysis.render import analysis_text

        return analysis_text(self)

    def to_json(self) -> str:
        from dealcheck.analysis.render import analysis_json

        return analysis_json(self)


@dataclass(slots=True)
class _Sets:
    """Per clause version (its position in the file), the leaves as bits of an integer."""

    scoped: dict[int, int] = field(default_factory=dict)
    broken: dict[int, int] = field(default_factory=dict)
    applies: dict[int, int] = field(default_factory=dict)   # permissions
    lifts: dict[int, int] = field(default_factory=dict)     # … over a clause they name
    rescues: dict[int, int] = field(default_factory=dict)   # … that the clause breaks
    witnesses: list[Deployment] = field(default_factory=list)

    def add(self, table: dict[int, int], at: int, bit: int) -> None:
        table[at] = table.get(at, 0) | bit

    def witness(self, bits: int) -> Deployment:
        return self.witnesses[(bits & -bits).bit_length() - 1]


def _sets(terms: Terms) -> _Sets:
    """Judge every leaf of the split with the clauses in force on its start."""
    space = build_space([terms])
    splitter = Splitter(space, [None], complete=True)
    position = {id(c): i for i, c in enumerate(terms.clauses)}
    items = [Item(0, c) for c in terms.clauses if not c.kind.is_aggregate]
    compiled = terms.compiled()
    out = _Sets()
    for n, (_, d, _) in enumerate(splitter.leaves(items)):
        bit = 1 << n
        out.witnesses.append(d)
        epoch = compiled.epoch(d.start)
        if epoch is None:
            continue
        scoping: dict[str, tuple[int, bool]] = {}
        for plan in epoch.restrictions_for(d.party, d.workload):
            if plan.full_match(d) is True:
                at = position[id(plan.clause)]
                out.add(out.scoped, at, bit)
                broken = plan.breach(d) is True
                if broken:
                    out.add(out.broken, at, bit)
                scoping[plan.id] = (at, broken)
        applying = [p for p in epoch.permissions_for(d.party, d.workload)
                    if p.full_match(d) is True]
        # An exception to an exception lifts a permission that applies: that counts as
        # lifting something that binds (the restriction the inner one lifted binds again).
        scoping.update({p.id: (-1, True) for p in applying})
        for plan in applying:
            _permission(out, position[id(plan.clause)], plan, scoping, bit)
    return out


def _permission(out: _Sets, at: int, plan: Plan, scoping: dict[str, tuple[int, bool]],
                bit: int) -> None:
    out.add(out.applies, at, bit)
    named = [scoping[t] for t in plan.clause.overrides if t in scoping]
    if named:
        out.add(out.lifts, at, bit)
    if any(broken for _, broken in named):
        out.add(out.rescues, at, bit)


def analyze_terms(terms: m.Terms) -> Analysis:
    """Every finding of `terms`, each with the clauses' locations and a witness where one exists.

    """
    terms = Terms.of(terms)
    sets = _sets(terms)
    found = [*_dead(terms, sets), *_vacuous(terms, sets), *_conflicts(terms, sets),
             *_redundant(terms, sets)]
    found.sort(key=lambda f: (f.location.start, KINDS.index(f.kind), f.clauses))
    return Analysis(terms, tuple(found))


def _label(clause: m.Clause) -> str:
    return f"`{clause.id}`" + (f" (from {clause.in_force_from})" if clause.introduced_by else "")


def _dead(terms: m.Terms, sets: _Sets) -> Iterator[Finding]:
    for at, clause in enumerate(terms.clauses):
        through = clause.in_force_through
        if through is not None and through < clause.in_force_from:
            yield Finding("dead", (clause.id,), f"clause {_label(clause)} is never in force: "
                          f"it ends on {through} before it takes effect on "
                          f"{clause.in_force_from}", clause.span)
        elif clause.kind.is_aggregate:
            continue
        elif not (sets.applies if clause.kind is m.ClauseKind.PERMISSION
                  else sets.scoped).get(at):
            yield Finding("dead", (clause.id,), f"clause {_label(clause)} is in force but "
                          "scopes no deployment", clause.span)


def _vacuous(terms: m.Terms, sets: _Sets) -> Iterator[Finding]:
    for at, clause in enumerate(terms.clauses):
        if clause.kind.is_restriction:
            scoped = sets.scoped.get(at, 0)
            if scoped and not sets.broken.get(at):
                yield Finding("vacuous", (clause.id,), f"restriction {_label(clause)} scopes "
                              "deployments but none of them can break it", clause.span,
                              sets.witness(scoped))
        elif clause.kind is m.ClauseKind.PERMISSION and sets.applies.get(at):
            lifts = sets.lifts.get(at, 0)
            names = ", ".join(f"`{t}`" for t in clause.overrides)
            if not lifts:
                yield Finding("vacuous", (clause.id, *clause.overrides),
                              f"permission {_label(clause)} never applies to a deployment "
                              f"that {names} scopes", clause.span)
            elif not sets.rescues.get(at):
                yield Finding("shadowed", (clause.id, *clause.overrides),
                              f"permission {_label(clause)} lifts {names} only where it "
                              "restricts nothing anyway", clause.span, sets.witness(lifts))


def _restrictions(terms: m.Terms) -> list[int]:
    return [i for i, c in enumerate(terms.clauses) if c.kind.is_restriction]


def _conflicts(terms: m.Terms, sets: _Sets) -> Iterator[Finding]:
    chosen = [i for i in _restrictions(terms)
              if terms.clauses[i].kind is not m.ClauseKind.PROHIBITION and sets.scoped.get(i)]
    for x, a in enumerate(chosen):
        for b in chosen[x + 1:]:
            common = sets.scoped[a] & sets.scoped[b]
            if not common:
                continue
            broken_a, broken_b = sets.broken.get(a, 0), sets.broken.get(b, 0)
            if common & ~(broken_a | broken_b) or not common & ~broken_a \
                    or not common & ~broken_b:
                continue
            first, second = terms.clauses[a], terms.clauses[b]
            yield Finding("conflict", (first.id, second.id),
                          f"{_label(first)} and {_label(second)} are in force together, and "
                          "no deployment they both scope can satisfy both", second.span,
                          sets.witness(common))


def _redundant(terms: m.Terms, sets: _Sets) -> Iterator[Finding]:
    chosen = [i for i in _restrictions(terms) if sets.broken.get(i)]
    for a in chosen:
        broken_a = sets.broken[a]
        for b in chosen:
            clause, other = terms.clauses[a], terms.clauses[b]
            if clause.id == other.id or broken_a & ~sets.broken[b]:
                continue
            if not sets.broken[b] & ~broken_a and b > a:
                continue      # the two say the same: the later one is reported
            yield Finding("redundant", (clause.id, other.id),
                          f"restriction {_label(clause)} is implied by {_label(other)}: every "
                          f"deployment that breaks it breaks {_label(other)} too", clause.span,
                          sets.witness(broken_a))
            break


def merged(analyses: Sequence[Analysis]) -> Analysis:
    """The findings of several files, one file after another (the first file's terms)."""
    return Analysis(analyses[0].terms, tuple(f for a in analyses for f in a.findings))


#: The `lint` warning of each kind.
LINT_CODES = {"dead": "DC230", "vacuous": "DC231", "shadowed": "DC232", "conflict": "DC233",
              "redundant": "DC234"}


#: `lint` analyzes terms of at most this many clauses (`dealcheck analyze` any size):
#: the pairwise kinds grow with the square of the clauses, lint must stay editor-fast.
LINT_MAX_CLAUSES = 400


def lint_warnings(terms: m.Terms, existing: Sequence[Diagnostic] = ()) -> list[Diagnostic]:
    """The findings as `lint` warnings, but for what `existing` warnings say already: a
    clause never in force (DC203), a permission that overrides nothing (DC202)."""
    out: list[Diagnostic] = []
    if len(terms.clauses) > LINT_MAX_CLAUSES:
        return out
    said = {(d.code, d.span) for d in existing}
    for f in analyze_terms(terms).findings:
        if f.kind == "dead" and "never in force" in f.message:
            continue
        if f.kind == "vacuous" and ("DC202", f.location) in said:
            continue
        help_text = None if f.witness is None else "for example: " + witness_text(f.witness)
        out.append(warning(LINT_CODES[f.kind], f.message, f.location, help=help_text))
    return out
