"""JSON read by the C decoder, with exact spans for its first levels only.

A Terraform plan holds every attribute of every resource, but a map reads
a few of them, and a diagnostic or a report only ever points at the first
levels (the plan's keys, a resource, its address and provider). This reader
scans those levels itself and hands every deeper value to the C decoder;
a deeper node carries the span of the value it sits in. It is several
times faster than `read_json.parse_json`, which records where every value
is. On any input it does not read as plain JSON, or nested deeper than
`limits.MAX_NESTING`, it gives up (None), and `parse_json` then explains
the problem, located.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # documented in its module

from dealcheck import limits
from dealcheck.dsl.span import Span
from dealcheck.scenario.read_json import reject_constant
from dealcheck.scenario.source import LineIndex
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, Seq

__all__ = ["shallow_tree"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_constant=reject_constant)


class _NotPlain(Exception):
    """The text is not JSON this reader takes: `parse_json` explains it."""


def shallow_tree(text: str, file: str, levels: int = 3) -> Node | None:
    """The tree of a JSON document, spans exact in its first `levels` levels; None if not JSON.

    >>> tree = shallow_tree('{"a": [{"b": {"c": 1}}]}', "x.json")
    >>> item = tree.entries[0].value.items[0]
    >>> item.entries[0].key_span.column, item.entries[0].value.span.column
    (9, 14)
    """
    index = LineIndex.of(file, text)
    try:
        start = _skip(text, 0)
        node, end = _value(text, start, index, levels)
        if _skip(text, end) != len(text):
            return None
    except (_NotPlain, ValueError, IndexError, RecursionError):
        return None
    return node


def _skip(text: str, position: int) -> int:
    found = _WHITESPACE.match(text, position)
    return found.end() if found else position


def _value(text: str, position: int, index: LineIndex, levels: int) -> tuple[Node, int]:
    first = text[position]
    if levels > 0 and first == "{":
        return _object(text, position, index, levels - 1)
    if levels > 0 and first == "[":
        return _array(text, position, index, levels - 1)
    value, end = _DECODER.raw_decode(text, position)
    return _node(value, index.span(position, end), limits.MAX_NESTING.value() - 3), end


def _object(text: str, start: int, index: LineIndex, levels: int) -> tuple[Map, int]:
    entries: list[Entry] = []
    position = _skip(text, start + 1)
    if text[position] == "}":
        return Map((), index.span(start, position + 1)), position + 1
    while True:
        if text[position] != '"':
            raise _NotPlain
        key, end = scanstring(text, position + 1)
        key_span = index.span(position, end)
        position = _skip(text, end)
        if text[position] != ":":
            raise _NotPlain
        value, end = _value(text, _skip(text, position + 1), index, levels)
        entries.append(Entry(key, key_span, value))
        position = _skip(text, end)
        if text[position] == "}":
            return Map(tuple(entries), index.span(start, position + 1)), position + 1
        if text[position] != ",":
            raise _NotPlain
        position = _skip(text, position + 1)


def _array(text: str, start: int, index: LineIndex, levels: int) -> tuple[Seq, int]:
    items: list[Node] = []
    position = _skip(text, start + 1)
    if text[position] == "]":
        return Seq((), index.span(start, position + 1)), position + 1
    while True:
        item, end = _value(text, position, index, levels)
        items.append(item)
        if len(items) > limits.MAX_DEPLOYMENTS.value():
            raise _NotPlain  # the exact reader's DC907 (no list longer than that)
        position = _skip(text, end)
        if text[position] == "]":
            return Seq(tuple(items), index.span(start, position + 1)), position + 1
        if text[position] != ",":
            raise _NotPlain
        position = _skip(text, position + 1)


def _node(value: object, span: Span, room: int) -> Node:
    """Decoded data as a tree whose spans are all `span` (the value it was read from);
    `room`: the levels it may still nest."""
    if isinstance(value, dict | list) and room <= 0:
        raise _NotPlain  # (the first levels are counted as if they were all there)
    if isinstance(value, dict):
        return Map(tuple(Entry(k, span, _node(v, span, room - 1)) for k, v in value.items()),
                   span)
    if isinstance(value, list):
        if len(value) > limits.MAX_DEPLOYMENTS.value():
            raise _NotPlain
        return Seq(tuple(_node(v, span, room - 1) for v in value), span)
    return Scalar(value, span)
