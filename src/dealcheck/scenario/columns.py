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
import operator
from collections.abc import Mapping
from typing import cast

from pydantic_core import SchemaValidator, ValidationError

from dealcheck.scenario.generated import (
    DEPLOYMENT_FIELDS,
    FIELDS,
    NO_FACTS,
    REQUIRED_FIELDS,
    DeploymentRow,
)

_FIELD_SET = frozenset(FIELDS)
#: A row's required fields, as one tuple (a `KeyError` when one is absent).
_required_of = operator.itemgetter(*REQUIRED_FIELDS)
#: The fields a row may leave out.
_OPTIONAL = tuple(name for name in DEPLOYMENT_FIELDS if name not in REQUIRED_FIELDS)
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


def table(columns: Mapping[str, SchemaValidator],
          items: list[dict[str, object]]) -> list[DeploymentRow] | None:
    """The deployments a list of plain dicts describes, validated column by column; or None.

    `columns` holds each field's schema over a list of values. None unless
    every row is valid as it is, with values of the types `_COLUMN_TYPES` and
    `_FACT_TYPES` allow, distinct ids and no `end` before its `start`.
    """
    if not items:
        return []
    keys: set[str] = set().union(*items)
    if not keys <= _FIELD_SET:
        return None
    try:
        required = zip(*map(_required_of, items), strict=True)
    except KeyError:
        return None
    given: dict[str, list[object]] = dict(zip(REQUIRED_FIELDS, map(list, required), strict=True))
    for name in _OPTIONAL:
        if name in keys:
            given[name] = list(map(dict.get, items, itertools.repeat(name)))
    found: dict[str, list[object]] = {}
    for name, column in given.items():
        values = _column(columns[name], name, column)
        if values is None:
            return None
        found[name] = values
    ids, starts, ends = found["id"], found["start"], found.get("end")
    if len(set(ids)) != len(items):
        return None
    if ends is not None and any(end is not None and end < start  # type: ignore[operator]
                                for start, end in zip(starts, ends, strict=True)):
        return None
    # The fields in order, a field no row gives as an endless repeat of its default.
    nothing = itertools.repeat(None)
    return list(map(_new_row, zip(
        *(found.get(name, nothing) for name in DEPLOYMENT_FIELDS if name != "facts"),
        found.get("facts", itertools.repeat(NO_FACTS)), nothing, strict=False)))


def _column(validator: SchemaValidator, name: str, column: list[object]) -> list[object] | None:
    """A column's values as its field's schema makes them; None if one is refused."""
    try:
        if name == "id":
            # Each row's own (`table` then finds any id given twice).
            return validator.validate_python(column)  # type: ignore[no-any-return]
        if name == "facts":
            return _facts(validator, column)
        distinct = list(set(column))
        if not set(map(type, distinct)) <= _COLUMN_TYPES[name]:
            return None
        made = validator.validate_python(distinct)
    except (ValidationError, TypeError):  # TypeError: an unhashable value
        return None
    if all(type(a) is type(b) and a == b for a, b in zip(distinct, made, strict=True)):
        return column  # every value is its own (a declared name, or none)
    return list(map(dict(zip(distinct, made, strict=True)).__getitem__, column))


def _facts(validator: SchemaValidator, column: list[object]) -> list[object] | None:
    """The facts of each row, as given, once each distinct (name, value) is valid as it is.

    None when a value is of another type, or valid only as another value
    (a number fact's `Quantity`, a date fact's date).
    """
    if not set(map(type, column)) <= {dict, _NONE}:
        return None
    given = cast(list[dict[str, object]], list(filter(None, column)))
    if set(map(type, itertools.chain.from_iterable(map(dict.values, given)))) - _FACT_TYPES:
        return None
    pairs = list(set(itertools.chain.from_iterable(map(dict.items, given))))
    checked = validator.validate_python([dict((pair,)) for pair in pairs])
    for (name, value), valid in zip(pairs, checked, strict=True):
        if type(valid[name]) is not type(value) or valid[name] != value:
            return None
    return [facts or NO_FACTS for facts in column]
