"""Several agreements checked together: the one vocabulary their scenarios are read with.

A scenario checked against several agreements may use any name that one of
them declares: its deployments are validated against the union of their
vocabularies, so a name that no agreement declares is still an error. Each
agreement then judges with its own clauses: a party or workload it does not
declare is one none of its clauses scopes (the deployment is `not_covered`
there), and a provider or region it does not declare is simply not one of
those its clauses name. Two things cannot be merged (DC950, DC951): a fact
declared with different types, and two agreements with the same title
(findings name their agreement by its title).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Related, error
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m

__all__ = ["FACT_CONFLICT", "SAME_TITLE", "merged_vocabulary", "with_providers"]

#: A fact declared with different types by two agreements checked together.
FACT_CONFLICT = "DC950"
#: Two agreements checked together under the same title.
SAME_TITLE = "DC951"


def _same_type(a: m.FactType, b: m.FactType) -> bool:
    """Equal types; an enumeration's members in any order."""
    return (a.kind, frozenset(a.values), a.unit, a.dimension) == (
        b.kind, frozenset(b.values), b.unit, b.dimension)


def _declaration(fact: m.Fact) -> str:
    """The declaration of `fact` as written in a terms file."""
    t = fact.type
    if t.kind is m.FactKind.ENUM:
        return f"fact {fact.name}: one of {', '.join(t.values)}"
    return f"fact {fact.name}: {t.describe()}"


def merged_vocabulary(agreements: Sequence[m.Terms]) -> m.Vocabulary:
    """The union of the agreements' vocabularies, for reading a scenario checked against all.

    The first agreement to declare a name gives its declaration (a provider's
    operator, a group's members).

    Raises:
        DiagnosticsError: located in the later file, for each fact declared
            with another type than before (DC950) and each title used twice (DC951).
    """
    merged = m.Vocabulary()
    merged.units = dataclasses.replace(agreements[0].vocabulary.units,
                                       units=dict(agreements[0].vocabulary.units.units))
    problems: list[Diagnostic] = []
    titles: dict[str, m.Terms] = {}
    for terms in agreements:
        if terms.title in titles:
            first = titles[terms.title]
            problems.append(error(
                SAME_TITLE, f"agreements `{first.path}` and `{terms.path}` have the same title "
                f"`{terms.title}`", Span.point(terms.path, 1, 1),
                "findings name their agreement by its title: give each agreement checked "
                "together its own title", [Related(Span.point(first.path, 1, 1),
                                                   "the first agreement with that title")]))
        titles.setdefault(terms.title, terms)
        vocab = terms.vocabulary
        for table in ("parties", "providers", "provider_groups", "workloads",
                      "workload_groups", "regions", "region_groups", "declared_units"):
            into = getattr(merged, table)
            for name, value in getattr(vocab, table).items():
                into.setdefault(name, value)
        for name in vocab.declared_units:
            merged.units.declare(name)
        for name, fact in vocab.facts.items():
            before = merged.facts.setdefault(name, fact)
            if not _same_type(before.type, fact.type):
                problems.append(error(
                    FACT_CONFLICT, f"fact `{name}` is `{fact.type.describe()}` here but "
                    f"`{before.type.describe()}` in `{_path_of(before, agreements)}`",
                    fact.span, f"declare it alike in every agreement checked together: "
                    f"`{_declaration(before)}`", [Related(before.span, "declared here first")]))
    if problems:
        raise DiagnosticsError(problems, {t.path: t.source for t in agreements})
    return merged


def _path_of(fact: m.Fact, agreements: Sequence[m.Terms]) -> str:
    return next((t.path for t in agreements if t.vocabulary.facts.get(fact.name) is fact),
                fact.span.file)


def with_providers(terms: m.Terms, merged: m.Vocabulary) -> m.Vocabulary:
    """`terms`' own vocabulary, knowing the operator of every provider of `merged`.

    A deployment on a provider that only another agreement declares still has
    an operator, which a condition on `operator` may read.
    """
    own = terms.vocabulary
    if all(name in own.providers for name in merged.providers):
        return own
    return dataclasses.replace(own, providers={**merged.providers, **own.providers})
