"""The formatter: typed AST → canonical terms text, comments kept, checked by re-parsing.

The layout is one canonical form; the original whitespace is ignored except
where it says where a comment goes and whether a blank line is kept:

- two spaces per indentation level; one logical line per output line (a
  condition that was split over several lines inside parentheses is joined);
- the ``agreement`` line first, then the items in source order; declarations
  list their names with ``, ``; fact types as ``bool``, ``one of a, b``,
  ``number [UNIT]``, ``date``;
- a clause header reads ``clause ID "label" from D through D notwithstanding a, b:``;
  its body is the ``source "…"`` lines, then the rule; amendment and example
  items are indented once, the bodies of clauses inside an amendment twice;
- conditions use minimal spacing (``a = b``, ``x in a, b``, ``x not in a``,
  ``not x``, ``a and b or c``); parentheses are kept exactly where the author
  wrote them (`ast.Group`), never added or removed;
- strings are re-quoted, escaping ``"`` and ``\\``; numbers, quantities
  (``11.9B USD``) and dates are printed as written;
- blank lines: exactly one between the ``agreement`` line and the first item,
  before and after every clause, amendment and example, and between two
  declarations of different kinds (parties, providers, workloads and their
  groups, regions and their groups, facts, units); such a blank line goes
  above the comments that lead the item. Elsewhere a run of blank
  lines in the source is kept as one blank line only between two top-level
  declarations of the same kind and next to an own-line comment; every other
  blank line is dropped;
- comments: an own-line comment is printed before the line that follows it in
  the source, at that line's indentation; a comment after the last line of a
  block stays at the end of that block when it is indented deeper than the
  block's header (otherwise it belongs to the enclosing level); a trailing
  comment stays at the end of its line, after two spaces; comments inside a
  condition split over several lines are printed, in order, on their own
  lines before it. Comment text is kept, without trailing whitespace.

Every result is checked before it is returned (as cedar's formatter does): the
output is parsed again and must give an equal AST (spans excluded) and the
same comments in the same order; otherwise `FormatError` is raised and
nothing is written.

Two stages do the work: `dsl.format_layout` prints the AST as canonical
lines, `dsl.format_comments` places the comments and blank lines among them.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from typing import NamedTuple

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.format_comments import Placed, render, spots_from_spans, spots_from_text
from dealcheck.dsl.format_layout import FormatError, layout
from dealcheck.dsl.parse import parse
from dealcheck.dsl.span import UNKNOWN_SPAN
from dealcheck.io_text import read_text, write_atomic

__all__ = [
    "FormatError",
    "FormatResult",
    "format_document",
    "format_files",
    "format_source",
]

# ---------------------------------------------------------------- public API


def format_source(text: str, file: str = "<terms>") -> str:
    """Format the source of a terms file in the canonical layout.

    Args:
        text: the source of a ``.deal`` file.
        file: the name used in spans and diagnostics.

    Returns:
        The canonical text, ending with a newline.

    Raises:
        DiagnosticsError: `text` does not parse.
        FormatError: the formatted text would not mean the same (a formatter bug).

    >>> print(format_source('agreement  "Demo"  effective 2025-01-01\\nparty A ,B'), end="")
    agreement "Demo" effective 2025-01-01
    <BLANKLINE>
    party A, B
    """
    document = parse(text, file)
    return format_document(document, source=text)


def format_document(doc: ast.Document, source: str | None = None) -> str:
    """Print a document in the canonical layout, keeping its comments.

    Args:
        doc: the AST to print, usually from `parse`.
        source: the text `doc` was parsed from. Comments and kept blank lines
            are placed by source line; with the text their places are exact.
            Without it they are inferred from the nodes' spans, which is exact
            for usual files (a ``source`` line carries no span of its own, so
            blank lines inside a clause body can shift a comment there).

    Returns:
        The canonical text, ending with a newline.

    Raises:
        FormatError: the output would not parse back to `doc` with the same
            comments, e.g. for a hand-built AST that no source text can express,
            or `doc` holds a node the formatter does not know.
    """
    lines = layout(doc)
    comments = list(doc.comments)
    if source is not None:
        spots, blanks, columns = spots_from_text(source, lines, comments)
    else:
        spots, blanks, columns = spots_from_spans(lines, comments)
    placed = [
        Placed(c.text.rstrip(), c.own_line, c.span.line, col)
        for c, col in zip(comments, columns, strict=True)
    ]
    output = render(lines, spots, placed, blanks)
    _check_soundness(doc, output)
    return output


class FormatResult(NamedTuple):
    """What `format_files` did or, with ``check``, would do: ``changed, diffs = result``.

    Attributes:
        changed: the files whose text is not canonical, in the order given
            (rewritten unless ``check``).
        diffs: with ``check``, a unified diff per changed file (same order),
            from its text to the canonical text; empty otherwise.
    """

    changed: list[str]
    diffs: list[str]


def format_files(paths: Iterable[str | os.PathLike[str]], check: bool = False) -> FormatResult:
    """Format terms files in place, or with ``check`` only report what would change.

    Every file is read and formatted before any is written. A file that does
    not read or parse is left untouched; the others are still formatted, and
    then `DiagnosticsError` reports every problem at once. Writes are atomic:
    a temporary file in the same directory, then `os.replace`, keeping the
    file's permissions; a failed write leaves the file as it was (``DC904``).

    Args:
        paths: the ``.deal`` files.
        check: do not write; only report the files that would change, with diffs.

    Returns:
        The changed files and, with ``check``, their diffs.

    Raises:
        DiagnosticsError: some files could not be read, parsed or written; it
            carries their diagnostics and the text of those that were read.
        FormatError: the formatter failed its own soundness check on a file
            (a bug); nothing is written then.
    """
    changed: list[str] = []
    diffs: list[str] = []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    pending: list[tuple[str, str]] = []
    for raw_path in paths:
        path = os.fspath(raw_path)
        try:
            text = read_text(path)
            formatted = format_source(text, path)
        except DiagnosticsError as exc:
            diagnostics.extend(exc.diagnostics)
            sources.update(exc.sources)
            continue
        if formatted == text:
            continue
        changed.append(path)
        pending.append((path, formatted))
        if check:
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        _diff_lines(text),
                        _diff_lines(formatted),
                        fromfile=path,
                        tofile=f"{path} (formatted)",
                    )
                )
            )
    if not check:
        for path, formatted in pending:
            try:
                write_atomic(path, formatted)
            except DiagnosticsError as exc:
                diagnostics.extend(exc.diagnostics)
    if diagnostics:
        raise DiagnosticsError(diagnostics, sources)
    return FormatResult(changed, diffs)


# ---------------------------------------------------------------- soundness and writing


def _check_soundness(doc: ast.Document, output: str) -> None:
    """Parse the output again: the same AST and the same comments, or `FormatError`."""
    file = doc.span.file if doc.span != UNKNOWN_SPAN else "<terms>"
    try:
        again = parse(output, file)
    except DiagnosticsError as exc:
        raise FormatError(f"the formatted text of `{file}` does not parse: {exc}") from None
    if again != doc:
        raise FormatError(f"formatting `{file}` would change its meaning")
    expected = [c.text.rstrip() for c in doc.comments]
    actual = [c.text.rstrip() for c in again.comments]
    if expected != actual:
        raise FormatError(f"formatting `{file}` would lose, add or reorder comments")


def _diff_lines(text: str) -> list[str]:
    """Lines for `difflib`, split at "\\n" only, as the parser counts them."""
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1] + "\n\\ No newline at end of file\n")
    return lines
