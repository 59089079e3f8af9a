"""Read CSV and JSON Lines inventories as a stream of rows, one deployment each."""

# Rows come with cheap spans (the whole row) and a way to compute exact ones
# (the cell or key), which is only called for a row that turns out invalid:
# bulk inventories are mostly valid, and exact positions cost a second parse.

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from dealcheck.dsl.diagnostics import Diagnostic, Related, did_you_mean, error
from dealcheck.dsl.span import Span
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario import errors
from dealcheck.scenario.read_json import parse_json, reject_constant
from dealcheck.scenario.source import LineIndex, decode_line, line_span, quote_tokens
from dealcheck.scenario.tree import (
    Entry,
    Map,
    Node,
    Scalar,
    code,
    describe,
    listing,
    node_from_python,
)
from dealcheck.scenario.validate import FIELDS, REQUIRED_FIELDS, unknown_field

#: CSV columns holding facts are named ``facts.NAME``.
FACT_PREFIX = "facts."
_COLUMNS = tuple(f for f in FIELDS if f != "facts")


@dataclass(slots=True)
class Row:
    """One row of an inventory, as read, before validation.

    `node` is ``None`` when the reader already knows the row is unusable
    (syntax, encoding, cell count); `diagnostics` then says why. Otherwise
    `node`'s spans may be coarse (the whole row), and `locate` rebuilds it with
    exact spans.
    """

    line: int
    node: Node | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    locate: Callable[[], Node | None] | None = None
    absent_ok: frozenset[str] = frozenset()
    #: A JSON Lines object as plain data, for `DeploymentValidator.accept`; `node`
    #: is then None until `with_tree` builds it (see `read_jsonl_rows`).
    data: dict[str, object] | None = None
    file: str = ""
    text: str = ""
    offset: int = 0
    #: Whether its values are text in their format (a CSV row's cells).
    textual: bool = False

    def with_tree(self) -> Row:
        """This row with its tree (coarse spans) and `locate`, built from `data`."""
        if self.data is None:
            return self
        span = line_span(self.file, self.line, self.offset, self.text)
        coarse = node_from_python(self.data, span)
        return _jsonl_row(self.line, coarse, [],
                          _relocate_json(self.text, self.file, self.line, self.offset))


# -- JSON Lines ------------------------------------------------------------------


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


#: `json.loads(text, object_pairs_hook=..., parse_constant=...)`, built once. Numbers
#: with a fraction or exponent are read as exact decimals, never through a float.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=reject_constant,
                            parse_float=Decimal)


def read_jsonl_rows(
    lines: Iterable[bytes], file: str, *, whole_file: bool = True, at_start: bool = True
) -> Iterator[Row]:
    """Rows of a JSON Lines file: one JSON object a line, blank lines skipped.

    Each line is parsed with the C decoder; only a line that fails (or later
    turns out invalid) is parsed again for exact positions. An object comes
    as plain `data`, its tree built only if the generated validator refuses it.
    `whole_file` False reads a piece of a file, which
    may hold only blank lines; `at_start` False, a piece after the first
    (where a byte order mark is no longer allowed).
    """
    decode = _DECODER.decode
    offset = 0
    seen_content = False
    for number, raw in enumerate(lines, 1):
        text, problem = decode_line(raw, file, number, offset, first=at_start and number == 1)
        line_offset, offset = offset, offset + len(text)
        if problem is not None:
            seen_content = True
            yield Row(number, None, [problem])
            continue
        if not text.strip():
            continue
        seen_content = True
        try:
            value = decode(text)
        except (ValueError, _DuplicateKey, RecursionError):
            node, diagnostics = parse_json(text, file, first_line=number, base=line_offset)
            if node is None:
                yield Row(number, None, diagnostics)
            else:
                yield _jsonl_row(number, node, diagnostics)
            continue
        if type(value) is dict:
            yield Row(number, None, [], data=value, file=file, text=text, offset=line_offset)
            continue
        coarse = node_from_python(value, line_span(file, number, line_offset, text))
        yield _jsonl_row(number, coarse, [], _relocate_json(text, file, number, line_offset))
    if not seen_content and whole_file:
        yield Row(
            1,
            None,
            [
                error(
                    errors.MALFORMED_FILE,
                    "empty scenario file",
                    Span.point(file, 1, 1),
                    help="a JSON Lines scenario holds one deployment object a line",
                )
            ],
        )


def _jsonl_row(
    number: int,
    node: Node,
    diagnostics: list[Diagnostic],
    locate: Callable[[], Node | None] | None = None,
) -> Row:
    if isinstance(node, Map):
        return Row(number, node, diagnostics, locate)
    if locate is not None:
        node = locate() or node
    return Row(
        number,
        None,
        [
            *diagnostics,
            error(
                errors.WRONG_SHAPE,
                f"each line must be a JSON object, found {describe(node)}",
                node.span,
                help='write one deployment a line: `{"id": "…", "party": "…", …}`',
            ),
        ],
    )


def _relocate_json(text: str, file: str, number: int, offset: int) -> Callable[[], Node | None]:
    def locate() -> Node | None:
        return parse_json(text, file, first_line=number, base=offset)[0]

    return locate


# -- CSV -------------------------------------------------------------------------


class _LineFeed:
    """Decodes lines for `csv.reader` and remembers the lines of the current row."""

    __slots__ = (
        "_lines",
        "diagnostics",
        "file",
        "line",
        "offset",
        "row_line",
        "row_lines",
        "row_offset",
    )

    def __init__(self, lines: Iterable[bytes], file: str) -> None:
        self._lines = iter(lines)
        self.file = file
        self.line = 0
        self.offset = 0
        self.row_lines: list[str] = []
        self.row_line = 1
        self.row_offset = 0
        self.diagnostics: list[Diagnostic] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        raw = next(self._lines)
        self.line += 1
        text, problem = decode_line(raw, self.file, self.line, self.offset, first=self.line == 1)
        if problem is not None:
            self.diagnostics.append(problem)
        self.offset += len(text)
        self.row_lines.append(text)
        return text

    def start_row(self) -> None:
        self.row_lines = []
        self.diagnostics = []
        self.row_line = self.line + 1
        self.row_offset = self.offset

    def row_span(self) -> Span:
        first = self.row_lines[0] if self.row_lines else ""
        return line_span(self.file, self.row_line, self.row_offset, first)

    def last_line_span(self) -> Span:
        text = self.row_lines[-1] if self.row_lines else ""
        return line_span(self.file, max(self.line, 1), self.offset - len(text), text)


def cell_spans(file: str, lines: list[str], first_line: int, offset: int) -> list[Span]:
    """Where each cell of a CSV record is, for exact diagnostics."""
    text = "".join(lines)
    index = LineIndex.of(file, text, first_line=first_line, base=offset)
    return [index.span(start, end) for start, end in cell_bounds(text)]


def cell_bounds(text: str, delimiter: str = ",", quote: str = '"') -> list[tuple[int, int]]:
    """Start and end offsets of each cell of one CSV record (the csv module keeps none).

    >>> cell_bounds('a,"b,c",d')
    [(0, 1), (2, 7), (8, 9)]
    """
    end_of_record = len(text.rstrip("\r\n"))
    bounds: list[tuple[int, int]] = []
    start = 0
    quoted = False
    for position, char in enumerate(text[:end_of_record]):
        if char == quote:
            quoted = not quoted  # a doubled quote toggles twice
        elif char == delimiter and not quoted:
            bounds.append((start, position))
            start = position + 1
    bounds.append((start, end_of_record))
    return bounds


@dataclass(slots=True)
class _Header:
    """What each CSV column holds: a field, a fact (``facts.NAME``), or nothing (ignored)."""

    columns: list[str | None]
    facts: list[str | None]
    missing: frozenset[str]


def read_csv_rows(lines: Iterable[bytes], file: str, vocabulary: Vocabulary) -> Iterator[Row]:
    """Rows of a CSV inventory: a header row naming the fields, then one deployment a row.

    Empty cells are absent values; rows whose cells are all empty are skipped.
    """
    feed = _LineFeed(lines, file)
    reader = csv.reader(feed, strict=True)
    header: _Header | None = None
    unreadable = False
    while True:
        feed.start_row()
        line_before = feed.line
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems = feed.diagnostics or [_csv_error(exc, feed)]
            yield Row(feed.row_line, None, problems)
            unreadable = True
            if feed.line == line_before:
                break  # nothing consumed: the reader cannot move on
            continue
        if feed.diagnostics:
            yield Row(feed.row_line, None, list(feed.diagnostics))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header, problems = _read_header(cells, feed, vocabulary)
            if problems:
                yield Row(feed.row_line, None, problems)
            continue
        if len(cells) != len(header.columns):
            yield Row(
                feed.row_line,
                None,
                [
                    error(
                        errors.WRONG_SHAPE,
                        f"row has {len(cells)} cells, the header has {len(header.columns)}",
                        feed.row_span(),
                        help=_shape_help(cells, len(header.columns)),
                    )
                ],
            )
            continue
        coarse = _csv_node(header, cells, [feed.row_span()] * len(cells))
        locate = _relocate_csv(
            header, cells, feed.file, feed.row_lines, feed.row_line, feed.row_offset
        )
        yield Row(feed.row_line, coarse, [], locate, header.missing, textual=True)
    if header is None and not unreadable:  # an unreadable file is not an empty one
        yield Row(
            1,
            None,
            [
                error(
                    errors.MALFORMED_FILE,
                    "empty scenario file",
                    Span.point(file, 1, 1),
                    help="a CSV scenario starts with a header row, e.g. "
                    "`id,party,workload,provider,start`",
                )
            ],
        )


def _shape_help(cells: Sequence[str], columns: int) -> str:
    """The help for a CSV row of other than `columns` cells."""
    if len(cells) < columns:
        return "leave a cell empty for an absent value, but keep its comma"
    extra = len(cells) - columns
    if not any(cell.strip() for cell in cells[columns:]):
        return ("remove the empty cell at the end of the row, with its comma" if extra == 1
                else f"remove the {extra} empty cells at the end of the row, with their commas")
    return 'quote cells that contain commas: `"4,608 GPU"`'


def _csv_error(exc: csv.Error, feed: _LineFeed) -> Diagnostic:
    message = quote_tokens(str(exc))
    if message.startswith("new-line character seen in unquoted field"):
        # Python's words; the cause is a file whose lines end with `\r` alone.
        return error(
            errors.MALFORMED_FILE,
            "invalid CSV: lines end with a carriage return (`\\r`) alone",
            feed.last_line_span(),
            help="save the file with LF or CRLF line endings",
        )
    return error(
        errors.MALFORMED_FILE,
        f"invalid CSV: {message}",
        feed.last_line_span(),
        help="a cell that holds a comma, a quote or a line break is wrapped in "
        "double quotes, with quotes inside doubled",
    )


def _read_header(
    cells: list[str], feed: _LineFeed, vocabulary: Vocabulary
) -> tuple[_Header, list[Diagnostic]]:
    spans = cell_spans(feed.file, feed.row_lines, feed.row_line, feed.row_offset)
    if len(spans) != len(cells):  # pragma: no cover - a quoted line break in a header
        spans = [feed.row_span()] * len(cells)
    problems: list[Diagnostic] = []
    columns: list[str | None] = []
    facts: list[str | None] = []
    first_at: dict[str, Span] = {}
    for number, (cell, span) in enumerate(zip(cells, spans, strict=True), 1):
        name = cell.strip()
        column: str | None = None
        fact: str | None = None
        if not name:
            problems.append(
                error(
                    errors.WRONG_SHAPE,
                    f"column {number} has no name",
                    span,
                    help="name every column in the header row",
                )
            )
        elif name in first_at:
            problems.append(
                error(
                    errors.DUPLICATE_KEY,
                    f"duplicate column {code(name)}",
                    span,
                    related=[Related(first_at[name], "first given here")],
                    help="give each column once",
                )
            )
        elif name.startswith(FACT_PREFIX):
            fact = name[len(FACT_PREFIX) :]
            if fact not in vocabulary.facts:
                suggestion = did_you_mean(fact, vocabulary.facts)
                problems.append(
                    error(
                        errors.UNDECLARED_NAME,
                        f"undeclared fact {code(fact)}",
                        span,
                        help=f"did you mean `{FACT_PREFIX}{suggestion}`?"
                        if suggestion
                        else "declared facts: " + ", ".join(f"`{f}`" for f in vocabulary.facts),
                    )
                )
                fact = None
        elif name in _COLUMNS:
            column = name
        else:
            problems.append(_unknown_column(name, span))
        if name:
            first_at.setdefault(name, span)
        columns.append(column)
        facts.append(fact)
    missing = frozenset(f for f in REQUIRED_FIELDS if f not in columns)
    if missing:
        names = [f for f in REQUIRED_FIELDS if f in missing]
        problems.append(
            error(
                errors.MISSING_FIELD,
                f"missing required column{'s' if len(names) > 1 else ''} {listing(names)}",
                feed.row_span(),
                help="the header names the columns `id`, `party`, `workload`, `provider` and "
                "`start`, and optionally `region`, `capacity`, `value`, `end` and "
                "`facts.NAME`",
            )
        )
    return _Header(columns, facts, missing), problems


def _unknown_column(name: str, span: Span) -> Diagnostic:
    if name == "facts":
        return error(
            errors.UNKNOWN_FIELD,
            "unknown column `facts`",
            span,
            help="give each fact its own column, named `facts.NAME`",
        )
    diagnostic = unknown_field(name, span, _COLUMNS)
    return error(errors.UNKNOWN_FIELD, f"unknown column {code(name)}", span, help=diagnostic.help)


def _csv_node(header: _Header, cells: list[str], spans: list[Span]) -> Map:
    entries: list[Entry] = []
    facts: list[Entry] = []
    for column, fact, cell, span in zip(header.columns, header.facts, cells, spans, strict=True):
        text = cell.strip()
        value = Scalar(text or None, span, textual=True)
        if column is not None:
            entries.append(Entry(column, span, value))
        elif fact is not None:
            facts.append(Entry(fact, span, value))
    if facts:
        entries.append(Entry("facts", spans[0], Map(tuple(facts), spans[0])))
    return Map(tuple(entries), spans[0] if spans else Span.point("", 1, 1))


def _relocate_csv(
    header: _Header, cells: list[str], file: str, lines: list[str], first_line: int, offset: int
) -> Callable[[], Node | None]:
    # INVARIANT: `lines` is this row's own list: `_LineFeed.start_row` makes a new one.
    def locate() -> Node | None:
        spans = cell_spans(file, lines, first_line, offset)
        if len(spans) != len(cells):
            return None  # the row's text and csv's reading disagree: keep coarse spans
        return _csv_node(header, cells, spans)

    return locate
