"""The check itself: evaluate every deployment and aggregate, and build the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

from dealcheck._speed import paused_gc
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.batch import judge_dicts
from dealcheck.checker.codegen import evaluate_stream
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.results import DeploymentResult, Report, SourceRef
from dealcheck.scenario.columns import DictBatch
from dealcheck.scenario.generated import DeploymentRow
from dealcheck.scenario.model import Deployment


def check(ct: CompiledTerms, deployments: Iterable[Deployment] | Iterable[DeploymentRow],
          as_of: dt.date | None = None, scenarios: list[SourceRef] | None = None) -> Report:
    """Evaluate all deployments and aggregates into one report (in input order).

    The rows of a batch of dicts (`DeploymentRow`) are judged as the
    deployments they stand for: the compiled evaluators and the aggregates'
    observers read their fields as attributes, and the reference evaluator
    gets the `Deployment` itself (`generated.as_deployment`). A `DictBatch`
    (`Terms.check` on dicts) is judged as its dicts are, by the generated
    evaluators that read them (`checker.batch`); with the reference evaluator,
    as its rows.
    """
    results: Sequence[DeploymentResult]
    # Results form no cycles, and each collection would rescan all those kept so
    # far: with a million of them, half the time of the check.
    with paused_gc():
        if isinstance(deployments, DictBatch) and not ct.reference:
            # Plain dicts judged as they are, results built when read (`checker.batch`).
            results, book = judge_dicts(ct, deployments, as_of)
        else:
            book = AggregateBook(ct, as_of)
            results = list(stream(ct, cast(Iterable[Deployment], deployments), book, as_of))
    return Report(
        terms=SourceRef(ct.terms.path, ct.terms.sha256), scenarios=list(scenarios or []),
        as_of=as_of, deployments=results, aggregates=book.results(),
    )


def stream(ct: CompiledTerms, deployments: Iterable[Deployment], book: AggregateBook,
           as_of: dt.date | None) -> Iterator[DeploymentResult]:
    """Evaluate lazily, feeding the aggregate tallies as deployments go by.

    Terms that read clause states (``minimums is compliant``) first judge those
    aggregates over every deployment (`checker.states`), then stream.
    """
    from dealcheck.checker.states import with_states

    return evaluate_stream(ct, with_states(ct, deployments, as_of), as_of,
                           book.add if book.tallies else None)
