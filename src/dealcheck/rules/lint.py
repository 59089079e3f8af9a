"""Static analysis over the resolved terms: warnings that are not errors.

Each pass is a pure function `Terms -> list[Diagnostic]`, run in order by `lint`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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
    for p in terms.clauses:
        if p.kind is not m.ClauseKind.PERMISSION:
            continue
        for target_id in p.overrides:
            targets = [c for c in terms.clauses if c.id == target_id]
            if targets and not any(windows_meet(p, t) and scopes_meet(p.scope, t.scope)
                                   for t in targets):
                out.append(warning(
                    "DC202", f"permission `{p.id}` overrides nothing of `{target_id}`",
                    p.span, f"no deployment in its scope is in the scope of `{target_id}` "
                    "while both are in force",
                    [Related(targets[0].span, f"`{target_id}` is defined here")]))
    return out


def unrelated_permissions(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
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

    for p in terms.clauses:
        if p.kind is not m.ClauseKind.PERMISSION:
            continue
        named = reaches(p.id)
        for r in terms.clauses:
            if not r.kind.is_restriction or r.id in named:
                continue
            if windows_meet(p, r) and scopes_meet(p.scope, r.scope):
                out.append(warning(
                    "DC204", f"permission `{p.id}` does not name `{r.id}`, which applies to "
                    "the same deployments", p.span,
                    f"`{r.id}` still binds where both apply; add it to `notwithstanding` "
                    "if the permission is meant to override it",
                    [Related(r.span, f"`{r.id}` is defined here")]))
    return out


PASSES: tuple[Callable[[m.Terms, dict[str, set[str]]], list[Diagnostic]], ...] = (
    unused, empty_windows, idle_permissions, unrelated_permissions, case_twins,
)


def lint(terms: m.Terms, used: dict[str, set[str]]) -> list[Diagnostic]:
    """Every warning of every pass, in pass order."""
    out: list[Diagnostic] = []
    for run in PASSES:
        out.extend(run(terms, used))
    return out
