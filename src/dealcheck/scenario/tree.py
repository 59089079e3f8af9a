"""The raw input tree every scenario format is read into: scalars, lists and mappings with spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dealcheck.dsl.escape import quote
from dealcheck.dsl.span import Span

# The node classes are not frozen: a frozen dataclass's __init__ goes through
# object.__setattr__, and bulk inventories build ~10 nodes a row. Nothing
# mutates a node once a reader has built it.


@dataclass(slots=True)
class Scalar:
    """One value as the reader found it: text, number, boolean, null (or a date or quantity).

    `textual` marks values that are always text in their format (CSV cells),
    where ``"true"`` spells a boolean and ``"12"`` a number.
    """

    value: object
    span: Span
    textual: bool = False


@dataclass(slots=True)
class Seq:
    """A list."""

    items: tuple[Node, ...]
    span: Span


@dataclass(slots=True)
class Entry:
    """One key of a mapping, in the order written; duplicate keys are kept for diagnostics."""

    key: str
    key_span: Span
    value: Node


@dataclass(slots=True)
class Map:
    """A mapping: a deployment, its facts, or a whole scenario document."""

    entries: tuple[Entry, ...]
    span: Span


Node = Scalar | Seq | Map


def node_from_python(value: object, span: Span, *, depth: int = 8) -> Node:
    """Wrap plain Python data (dicts, lists, scalars) as a tree whose spans are all `span`.

    Used for library input and for rows whose exact positions are only needed
    once they turn out to be invalid.

    >>> node_from_python({"id": "a"}, Span("<input>", 0, 0, 1, 1, 1, 1)).entries[0].key
    'id'
    """
    if isinstance(value, Mapping):
        if depth <= 0:
            return Map((), span)
        entries = []
        for key, item in value.items():
            child = (
                Scalar(item, span)
                if item is None or isinstance(item, str | bool | int | float)
                else node_from_python(item, span, depth=depth - 1)
            )
            entries.append(Entry(key if isinstance(key, str) else repr(key), span, child))
        return Map(tuple(entries), span)
    if isinstance(value, list | tuple):
        if depth <= 0:
            return Seq((), span)
        return Seq(tuple(node_from_python(v, span, depth=depth - 1) for v in value), span)
    return Scalar(value, span)


def code(text: object, limit: int = 60) -> str:
    """User input for a message: in backticks, with control characters escaped and long text cut.

    >>> code("api\\nx")
    '`api\\\\nx`'
    """
    return quote(text, limit)


def listing(items: Sequence[str]) -> str:
    """Names joined for a message: ```a```, ```a`` and ``b```, ```a``, ``b`` and ``c```.

    >>> listing(["id", "party", "start"])
    '`id`, `party` and `start`'
    """
    quoted = [f"`{item}`" for item in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def kind_of(node: Node) -> str:
    """How a node reads in a message: ``a list``, ``a mapping``, ``an integer``, ``null``."""
    if isinstance(node, Seq):
        return "a list"
    if isinstance(node, Map):
        return "a mapping"
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    return f"a `{type(value).__name__}`"


def show(node: Node) -> str:
    """A scalar as the user wrote it, for messages: ``true``, ``2025``, ``null``."""
    if not isinstance(node, Scalar):
        return kind_of(node)
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(node: Node) -> str:
    """A node for a "found …" clause: ``an integer `2025``` or ``a list``."""
    if isinstance(node, Scalar) and node.value is not None:
        return f"{kind_of(node)} {code(show(node))}"
    return kind_of(node)
