"""The check itself: evaluate every deployment and aggregate, and build the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.evaluate import evaluate_deployment
from dealcheck.checker.results import DeploymentResult, Report, SourceRef
from dealcheck.scenario.model import Deployment


def check(ct: CompiledTerms, deployments: Iterable[Deployment], as_of: dt.date | None = None,
          scenarios: list[SourceRef] | None = None) -> Report:
    """Evaluate all deployments and aggregates into one report (in input order)."""
    book = AggregateBook(ct)
    results = list(stream(ct, deployments, book, as_of))
    return Report(
        terms=SourceRef(ct.terms.path, ct.terms.sha256), scenarios=list(scenarios or []),
        as_of=as_of, deployments=results, aggregates=book.results(as_of),
    )


def stream(ct: CompiledTerms, deployments: Iterable[Deployment], book: AggregateBook,
           as_of: dt.date | None) -> Iterator[DeploymentResult]:
    """Evaluate lazily, feeding the aggregate tallies as deployments go by."""
    tallies = bool(book.tallies)
    for d in deployments:
        if tallies:
            book.add(d)
        yield evaluate_deployment(ct, d, as_of)
