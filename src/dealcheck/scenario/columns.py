"""A batch of dicts each valid as it is, as `Terms.check` judges it.

In a batch the same values recur (a few parties and providers, a few
thousand days): `scenario.rowpass` reads each row once, looking its values
up among those each field's schema found valid, and, given a judge, judges
it in the same pass. The rows (`DeploymentRow`) are built in C, only where a
dict itself cannot be read. Anything else gives the batch up (None), and the
validator of whole deployments, with its diagnostics, looks closer.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, overload

from dealcheck.scenario.generated import (
    NO_FACTS,
    DeploymentRow,
)
from dealcheck.scenario.rowpass import Judge, RowPass, check_rows

_new_row = functools.partial(tuple.__new__, DeploymentRow)
_ID = operator.itemgetter("id")
_START = operator.itemgetter("start")


class DictBatch(Sequence[DeploymentRow]):
    """A list of plain dicts, each a valid deployment as it is (`check_dicts`).

    Read as the `DeploymentRow`s they describe (made on demand), or, by the
    generated evaluators, as the dicts themselves: every value but a date or
    a quantity is its own validated value, and `starts` holds each row's
    validated start.
    """

    __slots__ = ("_ids", "_starts", "days", "items", "judge", "memos", "outcomes")

    def __init__(self, items: list[dict[str, Any]],
                 memos: Mapping[str, Mapping[object, object]], outcomes: list[Any] | None = None,
                 judge: Judge | None = None) -> None:
        self.items = items
        #: Each row's outcome as `judge` judged it while the rows were read; None if not judged.
        self.outcomes = outcomes
        self.judge = judge
        self._ids: list[str] | None = None
        self._starts: list[dt.date] | None = None
        #: The distinct starts.
        self.days: Collection[dt.date] = ()
        #: start, end, capacity, value -> each value given (None included) -> its validated value.
        self.memos = memos

    @property
    def ids(self) -> list[str]:
        """Each row's id (valid as given), listed when first read."""
        if self._ids is None:
            self._ids = list(map(_ID, self.items))
        return self._ids

    @property
    def starts(self) -> list[dt.date]:
        """Each row's validated start, made when first read (in C, from `memos`)."""
        if self._starts is None:
            self._starts = list(map(self.memos["start"].__getitem__,  # type: ignore[arg-type]
                                    map(_START, self.items)))
        return self._starts

    def row(self, d: dict[str, Any], start: dt.date) -> DeploymentRow:
        """The row of `d`, one of `items`, whose start is `start`."""
        memos, get = self.memos, d.get
        return _new_row((d["id"], d["party"], d["workload"], d["provider"], start, get("region"),
                         memos["end"][get("end")], memos["capacity"][get("capacity")],
                         memos["value"][get("value")], get("facts") or NO_FACTS, None))

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> DeploymentRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[DeploymentRow]: ...

    def __getitem__(self, index: int | slice) -> DeploymentRow | list[DeploymentRow]:
        if isinstance(index, slice):
            return list(map(self.row, self.items[index], self.starts[index]))
        return self.row(self.items[index], self.starts[index])

    def __iter__(self) -> Iterator[DeploymentRow]:
        return map(self.row, self.items, self.starts)


def table(rows: RowPass, items: list[dict[str, Any]]) -> list[DeploymentRow] | None:
    """The rows of `check_dicts`, or None."""
    batch = check_dicts(rows, items)
    return None if batch is None else list(batch)


def check_dicts(rows: RowPass, items: list[dict[str, Any]],
                judge: Judge | None = None) -> DictBatch | None:
    """A list of plain dicts (exactly `dict`) checked row by row, if each is valid as it is.

    `rows` holds each field's schema and the values it found valid. None
    unless every row is valid as it is — its id and names as given, values
    of the types `rowpass` remembers — with distinct ids and no `end` before
    its `start`. With a `judge`, each row is judged as it is read: the
    batch's `outcomes`, in order.
    """
    ids: set[str] = set()
    outcomes: list[Any] = []
    memos = rows.memos()
    batch = DictBatch(items, memos, None if judge is None else outcomes, judge)
    days = check_rows(rows, memos, items, ids, judge, outcomes, batch.row)
    if days is None or not rows.valid_ids(ids, items):
        return None
    batch.days = days
    return batch
