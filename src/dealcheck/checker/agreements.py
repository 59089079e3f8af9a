"""Several agreements in one check: each deployment judged against every one of them.

Each agreement judges the deployments with its own clauses, compiled
evaluators and aggregate tallies, exactly as a check against it alone would
(`rules.agreements` says how names one of them does not declare are read).
A deployment's result is then the worst verdict over the agreements, covered
when one of them covers it, with every agreement's findings, each naming its
agreement by title; the aggregates of every agreement follow one another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from dealcheck._speed import paused_gc
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import stream
from dealcheck.checker.compile import CompiledTerms, compile_terms
from dealcheck.checker.explain import Explanation
from dealcheck.checker.files import CheckRun
from dealcheck.checker.results import (
    AggregateResult,
    AgreementRef,
    DeploymentResult,
    Finding,
    Report,
    ReportMeta,
    SourceRef,
    Verdict,
)
from dealcheck.rules import model as m
from dealcheck.rules.agreements import merged_vocabulary, with_providers
from dealcheck.rules.resolve import parse_as_of
from dealcheck.scenario.model import Deployment, FactValue, written_facts

__all__ = ["Judges", "check_agreement_files", "check_agreements", "explain_agreements",
           "judges_of", "merge_results", "render_explanations"]

_RANK = {Verdict.COMPLIANT: 0, Verdict.UNDETERMINED: 1, Verdict.VIOLATION: 2}


@dataclasses.dataclass(frozen=True, slots=True)
class Judges:
    """The agreements of one check, compiled, with the vocabulary their scenarios are read with."""

    agreements: tuple[m.Terms, ...]
    compiled: tuple[CompiledTerms, ...]
    vocabulary: m.Vocabulary

    @property
    def refs(self) -> tuple[AgreementRef, ...]:
        return tuple(AgreementRef(t.title, t.path, t.sha256) for t in self.agreements)


def judges_of(agreements: Sequence[m.Terms],
              compiled: Sequence[CompiledTerms] | None = None) -> Judges:
    """The agreements ready to judge together (`compiled`: their own compiled forms, if made).

    Raises:
        DiagnosticsError: when their vocabularies cannot be merged (DC950, DC951).
    """
    vocabulary = merged_vocabulary(agreements)
    judges: list[CompiledTerms] = []
    for index, terms in enumerate(agreements):
        own = with_providers(terms, vocabulary)
        if own is terms.vocabulary and compiled is not None:
            judges.append(compiled[index])
        else:
            judges.append(compile_terms(dataclasses.replace(terms, vocabulary=own)
                                        if own is not terms.vocabulary else terms))
    return Judges(tuple(agreements), tuple(judges), vocabulary)


def merge_results(results: Sequence[DeploymentResult], titles: Sequence[str]) -> DeploymentResult:
    """One deployment's results under each agreement, as one result naming the agreements."""
    first = results[0]
    verdict = max((r.verdict for r in results), key=_RANK.__getitem__)
    findings: tuple[Finding, ...] = tuple(
        dataclasses.replace(f, agreement=title)
        for r, title in zip(results, titles, strict=True) for f in r.findings)
    return DeploymentResult(first.id, verdict, first.evaluated_on,
                            all(r.not_covered for r in results), findings, first.source)


def _run(judges: Judges, deployments: list[Deployment], meta: ReportMeta,
         when: dt.date | None) -> CheckRun:
    titles = [t.title for t in judges.agreements]
    books = [AggregateBook(ct, when) for ct in judges.compiled]

    def results() -> Iterator[DeploymentResult]:
        streams = [stream(ct, deployments, book, when)
                   for ct, book in zip(judges.compiled, books, strict=True)]
        for per_agreement in zip(*streams, strict=True):
            yield merge_results(per_agreement, titles)

    def aggregates() -> list[AggregateResult]:
        return [dataclasses.replace(a, agreement=title)
                for book, title in zip(books, titles, strict=True) for a in book.results()]

    return CheckRun(meta, results(), aggregates, False, len(deployments))


def check_agreements(judges: Judges, deployments: Sequence[Deployment],
                     as_of: dt.date | None = None,
                     scenarios: Sequence[SourceRef] = ()) -> Report:
    """Judge validated deployments against every agreement (see the module's docstring)."""
    from dealcheck.checker.files import collect_report

    first = judges.agreements[0]
    meta = ReportMeta(SourceRef(first.path, first.sha256), tuple(scenarios), as_of,
                      agreements=judges.refs)
    with paused_gc():
        return collect_report(_run(judges, list(deployments), meta, as_of))


def check_agreement_files(judges: Judges, scenario_paths: Sequence[str | Path],
                          as_of: dt.date | str | None = None,
                          facts: Mapping[str, FactValue] | None = None) -> CheckRun:
    """The run of a check of scenario files against several agreements, for a report sink.

    The files are read whole (validated against the agreements' merged
    vocabulary) before the first deployment is judged. `facts` (``--fact``,
    read with that vocabulary) hold for each deployment without its own value.

    Raises:
        DiagnosticsError: located in the scenario files, for every problem found
            in them, or at `as_of` (DC910).
    """
    from dealcheck.engines.formats import refuse_parquet
    from dealcheck.scenario.read import open_scenarios

    when = parse_as_of(as_of)
    paths = [str(p) for p in scenario_paths]
    refuse_parquet(paths)
    inputs = open_scenarios(paths, judges.vocabulary, facts=facts)
    with paused_gc():
        deployments = list(inputs.deployments())
    first = judges.agreements[0]
    meta = ReportMeta(SourceRef(first.path, first.sha256),
                      tuple(SourceRef(s.path, s.sha256) for s in inputs.sources), when,
                      facts=written_facts(inputs.facts), agreements=judges.refs)
    return _run(judges, deployments, meta, when)


def explain_agreements(judges: Judges, scenario_path: str | Path, ident: str, *,
                       as_of: dt.date | str | None = None,
                       facts: Mapping[str, FactValue] | None = None) -> list[Explanation]:
    """One deployment's derivation under each agreement, in the order given.

    Raises:
        DiagnosticsError: located in the scenario file, or at `as_of` (DC910).
        NoSuchDeployment: when no deployment has that id.
    """
    from dealcheck.checker.explain import explain
    from dealcheck.checker.files import find_deployment
    from dealcheck.checker.states import in_context
    from dealcheck.scenario.read import open_scenarios

    when = parse_as_of(as_of)
    d = find_deployment(judges.vocabulary, scenario_path, ident, facts=facts)
    return [explain(ct, in_context(ct, d, lambda: open_scenarios(
        [str(scenario_path)], judges.vocabulary, facts=facts).deployments(), when), when)
        for ct in judges.compiled]


def render_explanations(judges: Judges, explanations: Sequence[Explanation]) -> str:
    """Each agreement's explanation under its title, then the verdict over all of them."""
    from dealcheck.checker.explain import render_explanation
    from dealcheck.dsl.escape import printable

    parts = []
    for terms, e in zip(judges.agreements, explanations, strict=True):
        title = printable(f'agreement "{terms.title}" ({terms.path}):')
        parts.append(f"{title}\n\n{render_explanation(e, terms)}")
    merged = merge_results([e.result for e in explanations],
                           [t.title for t in judges.agreements])
    covered = " (not covered: no clause in force scopes it)" if merged.not_covered else ""
    return "\n".join(parts) + f"\nverdict over every agreement: {merged.verdict}{covered}\n"
