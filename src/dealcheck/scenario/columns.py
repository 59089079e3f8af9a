"""A batch of dicts validated column by column, as `Terms.check` judges it.

In a batch the same values recur (a few parties and providers, a few
thousand days): each field's schema — the one `scenario.generated` applies to
a whole deployment — checks each distinct value of its column once, and each
row only looks its values up; the rows (`DeploymentRow`) are built in C. No
rule is written here: only which values can be checked once for all (those
of `_COLUMN_TYPES` and `_FACT_TYPES`, equal only when they are the same
value). Anything else gives the batch up (None), and the validator of whole
deployments, with its diagnostics, looks closer.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any, cast, overload

from pydantic_core import SchemaValidator, ValidationError

from dealcheck.scenario.generated import (
    FIELDS,
    NO_FACTS,
    DeploymentRow,
)

_FIELD_SET = frozenset(FIELDS)
_NONE = type(None)
#: The types of a column's values checked once per distinct value: values of these
#: types are equal only when they are the same value.
_COLUMN_TYPES: dict[str, frozenset[type]] = {
    "party": frozenset((str,)), "workload": frozenset((str,)), "provider": frozenset((str,)),
    "start": frozenset((str, dt.date)), "region": frozenset((str, _NONE)),
    "end": frozenset((str, dt.date, _NONE)), "capacity": frozenset((str, _NONE)),
    "value": frozenset((str, _NONE)),
}
#: The types of fact values checked once per distinct (name, value).
_FACT_TYPES = frozenset((bool, str))
_new_row = functools.partial(tuple.__new__, DeploymentRow)
_NOTHING: dict[object, object] = {None: None}


class DictBatch(Sequence[DeploymentRow]):
    """A list of plain dicts, each a valid deployment as it is (`check_dicts`).

    Read as the `DeploymentRow`s they describe (made on demand), or, by the
    generated evaluators, as the dicts themselves: every value but a date or
    a quantity is its own validated value, and `starts` holds each row's
    validated start.
    """

    __slots__ = ("_memos", "ids", "items", "starts")

    def __init__(self, items: list[dict[str, Any]], ids: list[str], starts: list[dt.date],
                 memos: Mapping[str, Mapping[object, object]]) -> None:
        self.items = items
        #: Each row's id (valid as given).
        self.ids = ids
        self.starts = starts
        #: end, capacity, value -> each value given (None included) -> its validated value.
        self._memos = memos

    def row(self, d: dict[str, Any], start: dt.date) -> DeploymentRow:
        """The row of `d`, one of `items`, whose start is `start`."""
        memos, get = self._memos, d.get
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


def table(columns: Mapping[str, SchemaValidator],
          items: list[dict[str, object]]) -> list[DeploymentRow] | None:
    """The rows of `check_dicts`, or None."""
    batch = check_dicts(columns, items)
    return None if batch is None else list(batch)


def check_dicts(columns: Mapping[str, SchemaValidator],
                items: list[dict[str, Any]]) -> DictBatch | None:
    """A list of plain dicts (exactly `dict`) checked column by column, if each is valid as it is.

    `columns` holds each field's schema over a list of values. None unless
    every row is valid as it is — its id and names as given, values of the
    types `_COLUMN_TYPES` and `_FACT_TYPES` allow — with distinct ids and no
    `end` before its `start`.
    """
    if not items:
        return DictBatch([], [], [], dict.fromkeys(_QUANTITIES_AND_END, _NOTHING))
    keys: set[str] = set().union(*items)
    if not keys <= _FIELD_SET:
        return None
    try:
        found = _checked(columns, items, keys)
    except (KeyError, TypeError, ValidationError):
        # KeyError: a required field left out; TypeError: an unhashable value.
        return None
    if found is None:
        return None
    ids, starts, memos = found
    if "end" in keys:
        ends = map(memos["end"].__getitem__, map(dict.get, items, repeat("end")))
        if any(end is not None and end < start  # type: ignore[operator]
               for start, end in zip(starts, ends, strict=True)):
            return None
    return DictBatch(items, ids, starts, memos)


def _checked(columns: Mapping[str, SchemaValidator], items: list[dict[str, Any]], keys: set[str],
             ) -> tuple[list[str], list[dt.date], dict[str, dict[object, object]]] | None:
    """`check_dicts` of dicts with known keys: their ids, starts and memos; or None.

    Raises:
        KeyError: when a required field is left out.
        TypeError: when a value cannot be a key (a list, a dict).
        pydantic_core.ValidationError: when a value is refused.
    """
    getitem, get = dict.__getitem__, dict.get
    ids = list(map(getitem, items, repeat("id")))
    if columns["id"].validate_python(ids) != ids or len(set(ids)) != len(items):
        return None
    for name in ("party", "workload", "provider", "region"):
        if name != "region" or name in keys:
            read = get if name == "region" else getitem
            if not _as_given(columns[name], name, set(map(read, items, repeat(name)))):
                return None
    given = list(map(getitem, items, repeat("start")))
    memo = _memo(columns["start"], "start", set(given))
    memos = {name: _memo(columns[name], name, set(map(get, items, repeat(name))))
             if name in keys else _NOTHING for name in _QUANTITIES_AND_END}
    if memo is None or any(m is None for m in memos.values()):
        return None
    if "facts" in keys and not _facts(columns["facts"], list(map(get, items, repeat("facts")))):
        return None
    return ids, cast(list[dt.date], list(map(memo.__getitem__, given))), cast(
        dict[str, dict[object, object]], memos)


_QUANTITIES_AND_END = ("end", "capacity", "value")


def _as_given(validator: SchemaValidator, name: str, distinct: set[object]) -> bool:
    """Whether every value of a column is valid as itself (a declared name, or none)."""
    values = list(distinct)
    if not set(map(type, values)) <= _COLUMN_TYPES[name]:
        return False
    made = validator.validate_python(values)
    return all(type(a) is type(b) and a == b for a, b in zip(values, made, strict=True))


def _memo(validator: SchemaValidator, name: str,
          distinct: set[object]) -> dict[object, object] | None:
    """Each distinct value of a column -> its validated value; None for a type not allowed.

    Raises:
        pydantic_core.ValidationError: when one is refused.
    """
    values = list(distinct)
    if not set(map(type, values)) <= _COLUMN_TYPES[name]:
        return None
    made = validator.validate_python([v for v in values if v is not None])
    memo = dict(zip([v for v in values if v is not None], made, strict=True))
    memo[None] = None
    return memo


def _facts(validator: SchemaValidator, column: list[object]) -> bool:
    """Whether the facts of each row are valid as given: each distinct (name, value) is.

    False when a value is of another type, or valid only as another value
    (a number fact's `Quantity`, a date fact's date).
    """
    if not set(map(type, column)) <= {dict, _NONE}:
        return False
    given = cast(list[dict[str, object]], list(filter(None, column)))
    if set(map(type, itertools.chain.from_iterable(map(dict.values, given)))) - _FACT_TYPES:
        return False
    pairs = list(set(itertools.chain.from_iterable(map(dict.items, given))))
    checked = validator.validate_python([dict((pair,)) for pair in pairs])
    for (name, value), valid in zip(pairs, checked, strict=True):
        if type(valid[name]) is not type(value) or valid[name] != value:
            return False
    return True
