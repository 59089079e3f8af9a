"""Judging a batch of plain dicts (`Terms.check` on dicts): outcomes first, results when read.

A `DictBatch` (dicts each valid as it is, `scenario.columns`) is judged by the
generated evaluators that read the dicts themselves (`codegen.FromDict`):
per dict, the verdict, `not_covered` flag and findings its key shares with
every deployment of the same key. `Terms.check` judges each dict as the
row pass reads it (`DictJudge`, `scenario.rowpass`), and the aggregate
tallies observe it then too; a batch read without one is judged here, in a
loop of its own, its tallies fed by `AggregateBook.add_dicts`. The
`DeploymentResult` of a deployment —
id, outcome, evaluation date — is built only when the report's `deployments`
are read (`Results`), all of them at once, once.

With ``DEALCHECK_EVALUATOR=reference`` (`CompiledTerms.reference`) nothing
here runs: `check.check` judges the batch's rows as it judges any deployment.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Any, overload

from dealcheck._speed import paused_gc
from dealcheck.checker.aggregate import AggregateBook, Observer, Tally
from dealcheck.checker.codegen import (
    NOT_COVERED,
    DictObserver,
    FromDict,
    Outcome,
    RowOf,
    constant_from_dict,
    generated_from_dict,
)
from dealcheck.checker.compile import CompiledTerms, Epoch
from dealcheck.checker.results import DeploymentResult
from dealcheck.scenario.columns import DictBatch
from dealcheck.scenario.rowpass import Memos

_MISSING: Any = object()


class DictJudge:
    """Judges each dict of one batch as the row pass reads it (a `scenario.rowpass.Judge`).

    It also feeds the check's aggregate tallies as it goes (`book`): a key's
    evaluator in a table of starts that some tally's window holds observes
    the row first (`_observing`), so the dicts need no second look.
    """

    __slots__ = ("as_of", "book", "ct", "edges", "tables")

    #: The outcome of a key no clause can scope, in place of `codegen.constant_from_dict`.
    constant = NOT_COVERED

    def __init__(self, ct: CompiledTerms, as_of: dt.date | None) -> None:
        self.ct = ct
        self.as_of = as_of
        #: The tallies of the check, fed in input order; None once `judge_dicts` took them.
        self.book: AggregateBook | None = AggregateBook(ct, as_of)
        self.edges = self.book.edges()
        #: Per epoch (None: before the agreement) and span of starts between two of
        #: `edges`: party -> workload -> evaluator or `constant`.
        self.tables: dict[tuple[Epoch | None, int], dict[str, dict[str, FromDict | Outcome]]] = {}

    def table(self, day: dt.date, start: dt.date) -> dict[str, dict[str, FromDict | Outcome]]:
        """The evaluators of `day`'s epoch for a start on `start`, filled as keys are met."""
        assert self.book is not None  # INVARIANT: a judge reads one batch, then gives its book
        key = (self.ct.epoch(day), bisect.bisect_right(self.edges, start))
        found = self.tables.get(key)
        if found is None:
            found = self.tables[key] = {}
        return found

    def make(self, day: dt.date, start: dt.date, party: str, workload: str,
             memos: Memos) -> FromDict | Outcome:
        """The evaluator of a key met for the first time on `day` and `start`, or `constant`."""
        found = generated_from_dict(self.ct, day, party, workload)
        assert self.book is not None  # INVARIANT: as in `table`
        watch = self.book.watching(party, workload, start)
        if watch:
            return _observing(watch, memos, found)
        return NOT_COVERED if found is constant_from_dict else found

    def restart(self) -> None:
        """Forget every row judged so far: fresh tallies, and evaluators that feed them."""
        self.book = AggregateBook(self.ct, self.as_of)
        self.tables.clear()

    def take_book(self) -> AggregateBook | None:
        """The tallies fed while the batch was read, once; None after."""
        book, self.book = self.book, None
        return book


def _observing(watch: tuple[tuple[DictObserver | None, Observer, Tally], ...], memos: Memos,
               then: FromDict) -> FromDict:
    """`then`, after each tally of `watch` has observed the dict."""

    def judge(d: dict[str, Any], day: dt.date, start: dt.date, row_of: RowOf, provider: str,
              region: str | None, facts: Any) -> Outcome:
        for direct, observe, tally in watch:
            seen = observe(row_of(d, start)) if direct is None else direct(d, start, memos)  # type: ignore[arg-type]
            if seen is not None:
                tally.record(d["id"], start, seen[0], seen[1])
        return then(d, day, start, row_of, provider, region, facts)

    return judge


def judge_dicts(ct: CompiledTerms, batch: DictBatch,
                as_of: dt.date | None) -> tuple[Results, AggregateBook]:
    """The outcome of every deployment of `batch`, in order, and the aggregates it fed."""
    judge, outcomes = batch.judge, batch.outcomes
    book = None
    if (isinstance(judge, DictJudge) and judge.ct is ct and judge.as_of == as_of
            and outcomes is not None):
        book = judge.take_book()
    else:
        outcomes = _outcomes(ct, batch, as_of)
    if book is None:
        book = AggregateBook(ct, as_of)
        if book.tallies:
            book.add_dicts(batch)
    elif batch.days:
        book.latest = max(batch.days)
    # Each row's id and start, listed only if the results are read (`DictBatch`).
    return Results(lambda: batch.ids, None if as_of is not None else lambda: batch.starts,
                   outcomes, as_of), book


def _outcomes(ct: CompiledTerms, batch: DictBatch, as_of: dt.date | None) -> list[Outcome]:
    # INVARIANT: `tables[day]` is the evaluator table of day's epoch, or None before
    # the agreement; the distinct days are far fewer than the deployments.
    tables: dict[dt.date, dict[str, dict[str, FromDict]] | None] = {}
    for day in {as_of} if as_of is not None else set(batch.starts):
        epoch = ct.epoch(day)
        tables[day] = None if epoch is None else epoch.from_dicts
    found: list[Outcome] = []
    append, row_of, not_covered = found.append, batch.row, NOT_COVERED
    for d, start in zip(batch.items, batch.starts, strict=True):
        day = as_of or start
        table = tables[day]
        if table is None:
            append(not_covered)  # before the agreement: `codegen.constant_from_dict`
            continue
        try:
            fn = table[d["party"]][d["workload"]]
        except KeyError:  # the first of its key in this epoch
            fn = generated_from_dict(ct, day, d["party"], d["workload"])
        get = d.get
        append(fn(d, day, start, row_of, d["provider"], get("region"), get("facts")))
    return found


class Results(Sequence[DeploymentResult]):
    """The results of a batch, built from their outcomes when first read.

    A read-only sequence, equal to the list of the same results.
    """

    __slots__ = ("_as_of", "_built", "_ids", "_outcomes", "_starts")

    def __init__(self, ids: Callable[[], Sequence[str]],
                 starts: Callable[[], Sequence[dt.date]] | None,
                 outcomes: list[Outcome], as_of: dt.date | None) -> None:
        """`ids` lists each id; `starts`, each day judged on (None: `as_of`), when first read."""
        self._ids = ids
        self._starts = starts
        self._outcomes = outcomes
        self._as_of = as_of
        self._built: list[DeploymentResult] | None = None

    def _all(self) -> list[DeploymentResult]:
        built = self._built
        if built is None:
            ids = self._ids()
            starts = None if self._starts is None else self._starts()
            days: Sequence[dt.date | None] = (
                starts if starts is not None else [self._as_of] * len(ids))
            # Results form no cycles: a collection now would rescan all those built so far.
            with paused_gc():
                verdicts, not_covered, findings = (list(zip(*self._outcomes, strict=True))
                                                   or [(), (), ()])
                built = self._built = list(map(DeploymentResult, ids, verdicts, days,
                                               not_covered, findings, repeat(None)))
            self._ids, self._outcomes, self._starts = list, [], None
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
