"""Judging a batch of dict rows (`Terms.check` on dicts): outcomes first, results when read.

A batch of `DeploymentRow`s (`scenario.generated.RowValidator.table`) is
judged by the generated evaluators that stop at the outcome
(`codegen.OutcomeOf`): per row, the verdict, `not_covered` flag and findings
its key shares with every row of the same key. The `DeploymentResult` of a
row — id, outcome, evaluation date, source — is built only when the report's
`deployments` are read (`Results`), all of them at once, once.

With ``DEALCHECK_EVALUATOR=reference`` (`CompiledTerms.reference`) nothing
here runs: `check.check` judges the rows as it judges any deployment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast, overload

from dealcheck.checker.codegen import NOT_COVERED, Outcome, OutcomeOf, generated_outcome
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.results import DeploymentResult
from dealcheck.scenario.generated import DeploymentRow
from dealcheck.scenario.model import Deployment

_MISSING: Any = object()
#: Days whose evaluator tables a batch remembers before it starts again.
_MAX_TABLE_DAYS = 1 << 16


def judge_rows(ct: CompiledTerms, rows: Sequence[DeploymentRow], as_of: dt.date | None,
               observe: Callable[[Sequence[Deployment]], object] | None = None) -> Results:
    """The outcome of every row, in order, as the generated evaluators find it.

    `observe` (the aggregate tallies, `AggregateBook.add_all`) sees the rows
    (read like `Deployment`s) before any is judged.
    """
    if observe is not None:
        observe(cast(Sequence[Deployment], rows))
    return Results(rows, _outcomes(ct, rows, as_of), as_of)


def _outcomes(ct: CompiledTerms, rows: Sequence[DeploymentRow],
              as_of: dt.date | None) -> list[Outcome]:
    # INVARIANT: `tables[day]` is the outcome table of day's epoch, or None before
    # the agreement; days repeat heavily, so each is looked up once.
    tables: dict[dt.date, dict[str, dict[str, OutcomeOf]] | None] = {}
    missing = _MISSING
    found: list[Outcome] = []
    append = found.append
    for d in rows:
        day = as_of or d.start
        table = tables.get(day, missing)
        if table is missing:
            epoch = ct.epoch(day)
            table = tables[day] = None if epoch is None else epoch.outcomes
            if len(tables) > _MAX_TABLE_DAYS:
                tables.clear()
        if table is None:
            append(NOT_COVERED)  # before the agreement: `constant_outcome`
            continue
        row = table.get(d.party)
        fn = None if row is None else row.get(d.workload)
        if fn is None:
            fn = generated_outcome(ct, day, d.party, d.workload)
        append(fn(d, day))  # type: ignore[arg-type]
    return found


class Results(Sequence[DeploymentResult]):
    """The results of a batch of rows, built from their outcomes when first read.

    A read-only sequence, equal to the list of the same results.
    """

    __slots__ = ("_as_of", "_built", "_outcomes", "_rows")

    def __init__(self, rows: Sequence[DeploymentRow], outcomes: list[Outcome],
                 as_of: dt.date | None) -> None:
        self._rows = rows
        self._outcomes = outcomes
        self._as_of = as_of
        self._built: list[DeploymentResult] | None = None

    def _all(self) -> list[DeploymentResult]:
        built = self._built
        if built is None:
            as_of, new = self._as_of, DeploymentResult
            built = self._built = [
                new(d.id, o[0], as_of or d.start, o[1], o[2], d.source)
                for d, o in zip(self._rows, self._outcomes, strict=True)]
            self._rows, self._outcomes = (), []
        return built

    def __len__(self) -> int:
        return len(self._outcomes) if self._built is None else len(self._built)

    @overload
    def __getitem__(self, index: int) -> DeploymentResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[DeploymentResult]: ...

    def __getitem__(self, index: int | slice) -> DeploymentResult | list[DeploymentResult]:
        return self._all()[index]

    def __iter__(self) -> Iterator[DeploymentResult]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Results):
            return self._all() == other._all()
        if isinstance(other, list):
            return self._all() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())
