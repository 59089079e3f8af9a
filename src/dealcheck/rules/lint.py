"""Static analysis over the resolved terms: warnings that are not errors.

Each pass is a pure function `Terms -> list[Diagnostic]`, run in order by `lint`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from dealcheck.dsl.diagnostics import Diagnostic, Related, warning
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.units import BUILTIN_UNITS

#: Warning codes, with what each one means (documented in docs/language.md).
CODES: dict[str, str] = {
    "DC201": "a fact or unit that no clause reads",
    "DC202": "a permission that overrides nothing in its window",
    "DC203": "a clause revoked or ended before it takes effect",
    "DC204": "a restriction and a permission that does not name it apply to the same deployments",
    "DC205": "two declared names of one kind that differ only by case",
    "DC220": "a comparison of a field or fact with itself, which every deployment decides alike",
}


def _sets_meet(a: frozenset[str] | None, a_neg: bool, b: frozenset[str] | None,
               b_neg: bool) -> bool:
    """Whether two (possibly negated) name sets can hold the same value."""
    if a is None or b is None:
        return True
    if not a_neg and not b_neg:
        return bool(a & b)
    if a_neg and b_neg:
        return True
    positive, negative = (a, b) if not a_neg else (b, a)
    return bool(positive - negative)


def scopes_meet(a: m.Scope, b: m.Scope) -> bool:
    """Whether some deployment could be in both scopes (conditions are assumed satisfiable)."""
    return (_sets_meet(a.parties, False, b.parties, False)
            and _sets_meet(a.workloads, False, b.workloads, False)
            and _sets_meet(a.providers, a.providers_negated, b.providers, b.providers_negated)
            and _sets_meet(a.regions, a.regions_negated, b.regions, b.regions_negated))


def windows_meet(a: m.Clause, b: m.Clause) -> bool:
    a_end = a.in_force_through or dt.date.max
    b_end = b.in_force_through or dt.date.max
    return a.in_force_from <= b_end and b.in_force_from <= a_end


def unused(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for name, fact in terms.vocabulary.facts.items():
        if name not in used.get("fact", set()):
            out.append(warning("DC201", f"fact `{name}` is never read by a clause",
                               fact.span, "use it in a condition, or remove it"))
    for name, span in terms.vocabulary.declared_units.items():
        if name not in used.get("unit", set()):
            out.append(warning("DC201", f"unit `{name}` is never used", span,
                               "use it in a quantity, or remove it"))
    return out


def case_twins(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    """Names of one kind that differ only by case (`provider Azure`, `provider azure`).

    Names are case-sensitive, so these are two names that print alike: a
    scenario that means one may name the other.
    """
    v = terms.vocabulary
    kinds: tuple[tuple[str, str, dict[str, Span]], ...] = (
        ("party", "parties", v.parties),
        ("provider", "providers", {n: p.span for n, p in v.providers.items()}),
        ("workload", "workloads", v.workloads),
        ("region", "regions", v.regions),
        ("fact", "facts", {n: f.span for n, f in v.facts.items()}),
        ("unit", "units", v.declared_units),
    )
    out: list[Diagnostic] = []
    for kind, plural, spans in kinds:
        first: dict[str, str] = {}
        if kind == "unit":
            first = {u.casefold(): u for u in BUILTIN_UNITS if u not in spans}
        for name, span in spans.items():
            seen = first.setdefault(name.casefold(), name)
            if seen == name:
                continue
            where = spans.get(seen)
            other = f"{kind} `{seen}`" if where is not None else f"the built-in unit `{seen}`"
            out.append(warning(
                "DC205", f"{kind} `{name}` differs from {other} only by case", span,
                f"names are case-sensitive, so these are two {plural}: keep one spelling",
                [Related(where, "first declared here")] if where is not None else []))
    return out


def empty_windows(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for c in terms.clauses:
        if c.in_force_through is not None and c.in_force_through < c.in_force_from:
            out.append(warning(
                "DC203", f"clause `{c.id}` ends before it takes effect", c.span,
                f"it would take effect on {c.in_force_from} but is not in force after "
                f"{c.in_force_through}: it never binds"))
    return out


def idle_permissions(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    by_id: dict[str, list[m.Clause]] = {}
    for c in terms.clauses:
        by_id.setdefault(c.id, []).append(c)
    for p in terms.clauses:
        if p.kind is not m.ClauseKind.PERMISSION:
            continue
        for target_id in p.overrides:
            targets = by_id.get(target_id, [])
            if targets and not any(windows_meet(p, t) and scopes_meet(p.scope, t.scope)
                                   for t in targets):
                out.append(warning(
                    "DC202", f"permission `{p.id}` overrides nothing of `{target_id}`",
                    p.span, f"no deployment in its scope is in the scope of `{target_id}` "
                    "while both are in force",
                    [Related(targets[0].span, f"`{target_id}` is defined here")]))
    return out


#: How many of the restrictions a DC204 warning names (the others are counted).
SHOWN = 3


def _scope_key(c: m.Clause) -> tuple[object, ...]:
    """What decides whether a clause meets another: its name sets and its window."""
    s = c.scope
    return (s.parties, s.workloads, s.providers, s.providers_negated, s.regions,
            s.regions_negated, c.in_force_from, c.in_force_through)


def unrelated_permissions(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    """DC204: one warning per permission, naming the restrictions it meets and does not name.

    Restrictions with the same name sets and window meet the same
    permissions, so they are tested as one group, and the groups are indexed
    by party: a permission costs one test per group it may meet, not one per
    restriction.
    """
    out: list[Diagnostic] = []
    overrides = {c.id: set(c.overrides) for c in terms.clauses}

    def reaches(start: str) -> set[str]:
        """Every clause an exception overrides, directly or through the exceptions it overrides."""
        seen: set[str] = set()
        stack = [start]
        while stack:
            for target in overrides.get(stack.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen

    groups: dict[tuple[object, ...], list[int]] = {}
    versions: dict[str, list[int]] = {}  # restriction id -> its positions
    for position, c in enumerate(terms.clauses):
        if c.kind.is_restriction:
            groups.setdefault(_scope_key(c), []).append(position)
            versions.setdefault(c.id, []).append(position)
    members = list(groups.values())  # each in file order
    group_of = {i: number for number, group in enumerate(members) for i in group}
    any_party: list[int] = []
    by_party: dict[str, list[int]] = {}
    for number, group in enumerate(members):
        parties = terms.clauses[group[0]].scope.parties
        if parties is None:
            any_party.append(number)
        for party in parties or ():
            by_party.setdefault(party, []).append(number)
    for p in terms.clauses:
        if p.kind is not m.ClauseKind.PERMISSION:
            continue
        candidates: Iterable[int]
        if p.scope.parties is None:
            candidates = range(len(members))
        else:
            candidates = sorted({*any_party, *(g for party in p.scope.parties
                                               for g in by_party.get(party, ()))})
        met = {g for g in candidates
               if windows_meet(p, terms.clauses[members[g][0]])
               and scopes_meet(p.scope, terms.clauses[members[g][0]].scope)}
        if not met:
            continue
        meeting = [members[g] for g in sorted(met)]
        named = reaches(p.id)
        unnamed = sum(map(len, meeting)) - sum(
            1 for n in named for i in versions.get(n, ()) if group_of[i] in met)
        if not unnamed:
            continue
        # The first few in file order: at most SHOWN unnamed ones from each group.
        first: list[int] = []
        for group in meeting:
            taken = 0
            for i in group:
                if terms.clauses[i].id not in named:
                    first.append(i)
                    taken += 1
                    if taken == SHOWN:
                        break
        shown = [terms.clauses[i] for i in sorted(first)[:SHOWN]]
        out.append(_unrelated(p, shown, unnamed))
    return out


def _unrelated(p: m.Clause, shown: list[m.Clause], count: int) -> Diagnostic:
    related = [Related(r.span, f"`{r.id}` is defined here") for r in shown]
    if count == 1:
        [r] = shown
        return warning(
            "DC204", f"permission `{p.id}` does not name `{r.id}`, which applies to "
            "the same deployments", p.span,
            f"`{r.id}` still binds where both apply; add it to `notwithstanding` "
            "if the permission is meant to override it", related)
    names = [f"`{r.id}`" for r in shown]
    more = count - len(shown)
    listed = (", ".join(names) + f" and {more:,} more" if more
              else ", ".join(names[:-1]) + " and " + names[-1])
    return warning(
        "DC204", f"permission `{p.id}` does not name {count:,} restrictions that apply to "
        f"the same deployments: {listed}", p.span,
        "they still bind where both apply; add to `notwithstanding` those the permission "
        "is meant to override", related)


def self_comparisons(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    """DC220: `start <= start + 30 days` holds for every deployment that gives `start`:
    most likely another field or fact was meant."""
    out: list[Diagnostic] = []
    seen: set[Span] = set()
    for clause in terms.clauses:
        conditions = [clause.scope.condition]
        if isinstance(clause.rule, m.Requirement):
            conditions.append(clause.rule.condition)
        for relation in (r for c in conditions for r in m.relations_in(c)):
            left, right = relation.left.ref, relation.right.ref
            if left is None or right is None or left.name != right.name \
                    or relation.span in seen:
                continue
            seen.add(relation.span)
            out.append(warning(
                "DC220", f"this comparison reads `{left.name}` on both sides: it is the same "
                "for every deployment", relation.span,
                "compare it with another field or fact"))
    return out


PASSES: tuple[Callable[[m.Terms, dict[str, set[str]]], list[Diagnostic]], ...] = (
    unused, empty_windows, idle_permissions, unrelated_permissions, case_twins,
    self_comparisons,
)


def lint(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    """Every warning of every pass, in pass order."""
    out: list[Diagnostic] = []
    for run in PASSES:
        out.extend(run(terms, used))
    return out
