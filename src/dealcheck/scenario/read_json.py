"""Read JSON scenario text into the raw input tree, with exact spans for every key and value."""

# The stdlib decoder gives no positions, so this one keeps its grammar and
# errors (the pure-Python scanner, with hooks for objects and arrays) and only
# records where each value starts and ends. It is ~40x faster than reading JSON
# as YAML, which bulk JSON scenarios need.

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from json.decoder import (  # type: ignore[attr-defined]  # undocumented, stable since 2.6
    JSONArray,
    JSONObject,
)
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, error
from dealcheck.scenario import errors
from dealcheck.scenario.source import LineIndex, quote_tokens
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, Seq

Scan = Callable[[str, int], tuple[Any, int]]


class NonFiniteNumber(ValueError):
    """``NaN`` or ``Infinity``: Python's json accepts them, JSON does not."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def reject_constant(name: str) -> object:
    raise NonFiniteNumber(name)


def parse_int(digits: str) -> int | Decimal:
    """A JSON integer; as a `Decimal` past the digits `int()` converts (4300 by default).

    The validator then reports it as a number too large, rather than Python
    raising `ValueError` mid-parse.
    """
    return int(digits) if len(digits) <= 4000 else Decimal(digits)


class _OverLimit(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _PositionalDecoder(json.JSONDecoder):
    """A `JSONDecoder` whose objects and arrays come out as `Map` and `Seq` with spans."""

    def __init__(self, index: LineIndex) -> None:
        super().__init__(parse_constant=reject_constant, parse_int=parse_int, parse_float=Decimal)
        self.index = index
        self.parse_object = self._parse_object
        self.parse_array = self._parse_array
        self.scan_once = py_make_scanner(self)
        self.depth = 0
        self.max_depth = limits.MAX_NESTING.value()
        self.max_items = limits.MAX_DEPLOYMENTS.value()

    def _enter(self, start: int) -> None:
        """One level deeper, at `start` (the bracket): DC906 past `limits.MAX_NESTING`."""
        self.depth += 1
        if self.depth > self.max_depth:
            raise _OverLimit(
                error(
                    limits.MAX_NESTING.code,
                    f"JSON nested deeper than {self.max_depth} levels",
                    self.index.span(start, start + 1),
                    help="a scenario nests four levels deep: document, deployments, "
                    "deployment, facts",
                )
            )

    def _recording(
        self, scan_once: Scan, positions: list[tuple[int, int]], max_items: int | None = None
    ) -> Scan:
        def scan(text: str, start: int) -> tuple[Any, int]:
            if max_items is not None and len(positions) >= max_items:
                raise _OverLimit(
                    error(
                        limits.MAX_DEPLOYMENTS.code,
                        f"more than {max_items} items in one list",
                        self.index.span(start, start + 1),
                        help="split the scenario, or "
                        + limits.over_limit_help(limits.MAX_DEPLOYMENTS),
                    )
                )
            try:
                value, end = scan_once(text, start)
            except NonFiniteNumber as exc:
                raise json.JSONDecodeError(f"`{exc.name}` is not valid JSON", text, start) from None
            positions.append((start, end))
            return value, end

        return scan

    def _wrap(self, value: object, start: int, end: int) -> Node:
        if isinstance(value, Map | Seq):
            return value
        return Scalar(value, self.index.span(start, end))

    def _parse_object(
        self,
        text_and_end: tuple[str, int],
        strict: bool,
        scan_once: Scan,
        object_hook: object,
        object_pairs_hook: object,
        memo: object = None,
        *_: object,
    ) -> tuple[Map, int]:
        text, after_brace = text_and_end
        positions: list[tuple[int, int]] = []
        pairs: list[tuple[str, object]]
        self._enter(after_brace - 1)
        pairs, end = JSONObject(
            text_and_end, strict, self._recording(scan_once, positions), None, _keep_pairs, memo
        )
        self.depth -= 1
        entries: list[Entry] = []
        previous = after_brace
        for (key, value), (start, stop) in zip(pairs, positions, strict=True):
            # Between the previous value (or the brace) and this key there is only
            # whitespace and a comma; between the key and its value, only `:`.
            key_start = text.index('"', previous)
            key_end = text.rindex('"', key_start + 1, start) + 1
            entries.append(
                Entry(key, self.index.span(key_start, key_end), self._wrap(value, start, stop))
            )
            previous = stop
        return Map(tuple(entries), self.index.span(after_brace - 1, end)), end

    def _parse_array(
        self, text_and_end: tuple[str, int], scan_once: Scan, *_: object
    ) -> tuple[Seq, int]:
        positions: list[tuple[int, int]] = []
        self._enter(text_and_end[1] - 1)
        values, end = JSONArray(
            text_and_end, self._recording(scan_once, positions, self.max_items)
        )
        self.depth -= 1
        items = tuple(
            self._wrap(value, start, stop)
            for value, (start, stop) in zip(values, positions, strict=True)
        )
        return Seq(items, self.index.span(text_and_end[1] - 1, end)), end


def _keep_pairs(pairs: list[tuple[str, object]]) -> list[tuple[str, object]]:
    return pairs


def parse_json(
    text: str, file: str, *, first_line: int = 1, base: int = 0
) -> tuple[Node | None, list[Diagnostic]]:
    """Parse JSON text into a tree; duplicate keys are kept for the validator to report.

    Args:
        text: the document, or one line of a JSON Lines file.
        file: the file name spans carry.
        first_line: the line number of `text`'s first line in the file.
        base: the character offset of `text` in the file.

    Returns:
        the tree (``None`` if the text is not JSON) and the diagnostics.
    """
    index = LineIndex.of(file, text, first_line=first_line, base=base)
    decoder = _PositionalDecoder(index)
    try:
        value = decoder.decode(text)
    except _OverLimit as exc:
        return None, [exc.diagnostic]
    except NonFiniteNumber as exc:
        start = len(text) - len(text.lstrip())
        return None, [_syntax_error(f"`{exc.name}` is not valid JSON", index, start, text)]
    except json.JSONDecodeError as exc:
        return None, [_syntax_error(exc.msg, index, exc.pos, text)]
    except RecursionError:
        return None, [
            error(errors.MALFORMED_FILE, "invalid JSON: nesting too deep", index.span(0, 0))
        ]
    if isinstance(value, Map | Seq):
        return value, []
    start = len(text) - len(text.lstrip())
    return Scalar(value, index.span(start, len(text.rstrip()))), []


def _syntax_error(message: str, index: LineIndex, offset: int, text: str) -> Diagnostic:
    before = text[:offset].rstrip()
    if text[offset:offset + 1] in ("}", "]") and before.endswith(","):
        # The error is found at the bracket; the mistake is the comma before it.
        last = "member of an object" if text[offset] == "}" else "item of an array"
        return error(errors.MALFORMED_FILE, f"invalid JSON: a comma after the last {last}",
                     index.span(len(before) - 1, len(before)),
                     help="remove the comma: JSON allows none there")
    # At the end of the text, point just after the last character rather than
    # at a line past the end that has no source to show.
    offset = min(offset, len(text.rstrip()))
    message = quote_tokens(message[:1].lower() + message[1:])
    return error(errors.MALFORMED_FILE, f"invalid JSON: {message}", index.span(offset, offset + 1))
