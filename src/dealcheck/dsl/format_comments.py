"""The formatter's second stage: canonical lines + comments + kept blank lines → text.

Each output line is first matched to the source lines it came from (a
"spot"), exactly from the source text or, without it, from the nodes' spans;
comments and blank lines are then placed by those source lines.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from dealcheck.dsl import ast
from dealcheck.dsl.format_layout import INDENT, FormatError, Line
from dealcheck.dsl.span import UNKNOWN_SPAN

# ---------------------------------------------------------------- where lines were in the source


@dataclass(frozen=True, slots=True)
class Spot:
    """Where an output line came from: first and last source line, indentation column."""

    start: int
    end: int
    column: int


@dataclass(frozen=True, slots=True)
class Placed:
    """A comment to print: its text, whether it had a line of its own, its source place."""

    text: str
    own_line: bool
    line: int
    column: int


def spots_from_text(
    source: str,
    lines: Sequence[Line],
    comments: Sequence[ast.Comment],
) -> tuple[list[Spot], list[int], list[int]]:
    """Exact positions, from a scan of the source for logical lines.

    A logical line starts on a physical line that holds code outside
    parentheses and ends where its last parenthesis closes, as in the
    grammar's `DealIndenter`.

    Returns:
        The spot of each line, the numbers of the blank source lines, and each
        comment's visual column.
    """
    text = source[1:] if source.startswith("\ufeff") else source
    physical = text.split("\n")  # INVARIANT: only "\n" ends a line, as for Lark's positions
    spots: list[Spot] = []
    blanks: list[int] = []
    parens = 0
    for number, raw in enumerate(physical, 1):
        continued = parens > 0
        first_code, parens = _scan_code(raw, parens)
        if not raw.strip(" \t\r"):
            blanks.append(number)
        if first_code < 0:
            continue
        if continued and spots:
            spots[-1] = Spot(spots[-1].start, number, spots[-1].column)
        else:
            spots.append(Spot(number, number, _visual_column(raw, first_code)))
    if len(spots) != len(lines):
        raise FormatError(
            f"the source has {len(spots)} logical lines but the document "
            f"{len(lines)}: was it parsed from this text?"
        )
    return spots, blanks, [_comment_column(physical, c) for c in comments]


def _scan_code(raw: str, parens: int) -> tuple[int, int]:
    """The index of the first code character of a physical line (-1: none) and the open
    parentheses after it, given those open before it. Strings and comments hold no code."""
    first_code = -1
    in_string = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == "#":
            break
        elif ch not in " \t\r":
            if first_code < 0:
                first_code = i
            if ch == '"':
                in_string = True
            elif ch == "(":
                parens += 1
            elif ch == ")":
                parens = max(0, parens - 1)
        i += 1
    return first_code, parens


def _comment_column(physical: Sequence[str], c: ast.Comment) -> int:
    line = physical[c.span.line - 1] if 0 < c.span.line <= len(physical) else ""
    column = c.span.column
    return _visual_column(line, column - 1) if column - 1 <= len(line) else column


def _visual_column(line: str, index: int) -> int:
    return len(line[:index].expandtabs(8)) + 1


def spots_from_spans(
    lines: Sequence[Line],
    comments: Sequence[ast.Comment],
) -> tuple[list[Spot], list[int], list[int]]:
    """Positions inferred from the nodes' spans, when the source text is not at hand.

    Only start lines are trusted: a line-ending node's span runs on over the
    end-of-line token to the next line of code. A line without a usable span
    (a ``source`` line; with Lark versions whose positions skip keywords, a
    rule made only of ``any …`` words) is taken to be the next line that
    holds no comment. Block headers' columns come from their spans too.
    """
    comment_lines = {c.span.line for c in comments if c.own_line}
    spots: list[Spot] = []
    previous_end = 0
    for line in lines:
        anchor = line.anchor
        if anchor is not None and anchor != UNKNOWN_SPAN and anchor.line > previous_end:
            start = anchor.line
            end = max(line.end_line, start)
            column = 1 if line.depth == 0 else max(1, anchor.column - line.prefix)
        else:
            start = previous_end + 1
            while start in comment_lines:
                start += 1
            end = start
            column = 1 + len(INDENT) * line.depth
        spots.append(Spot(start, end, column))
        previous_end = end
    last = max([previous_end, *(c.span.line for c in comments)])
    covered = set(comment_lines)
    for spot in spots:
        covered.update(range(spot.start, spot.end + 1))
    blanks = [n for n in range(1, last + 1) if n not in covered]
    return spots, blanks, [c.span.column for c in comments]


# ---------------------------------------------------------------- comments and blank lines


@dataclass(frozen=True, slots=True)
class _Element:
    """One printed line: a comment or a code line, with the source lines it came from."""

    text: str
    depth: int
    start: int
    end: int
    is_comment: bool
    top_declaration: bool = False


@dataclass(slots=True)
class _Sorted:
    """The comments by where they go, for output line k (`gaps` has one more slot, the end)."""

    gaps: list[list[Placed]]  # before line k: own-line comments between code lines
    inside: list[list[Placed]]  # within a multi-line condition: hoisted before line k
    trailing: list[str | None]  # after the code of line k


def _sort_comments(spots: Sequence[Spot], comments: Sequence[Placed]) -> _Sorted:
    n = len(spots)
    ends = [spot.end for spot in spots]
    placed = _Sorted([[] for _ in range(n + 1)], [[] for _ in range(n)], [None] * n)
    for c in comments:
        k = bisect_left(ends, c.line)
        if k < n and spots[k].start <= c.line:
            if not c.own_line and c.line == spots[k].end and placed.trailing[k] is None:
                placed.trailing[k] = c.text
            else:
                placed.inside[k].append(c)
        else:
            placed.gaps[k].append(c)
    return placed


def _blank_between(blanks: Sequence[int], after: int, before: int) -> bool:
    return bisect_right(blanks, after) < bisect_left(blanks, before)


def _needs_separator(previous: str | None, group: str | None) -> bool:
    """A blank line is required between top-level items of these kinds (None: end of file)."""
    if previous is None:
        return False
    if group is None:
        return previous in ("agreement", "block")
    return previous == "agreement" or "block" in (previous, group) or previous != group


def _gap_elements(
    gap: Sequence[Placed], target: int, before: Line | None, header_columns: Sequence[int]
) -> list[_Element]:
    """The own-line comments before a line at depth `target` (0 at the end of the file)."""
    deepest = target if before is None or before.opens else max(before.depth, target)
    elements: list[_Element] = []
    for c in gap:
        # A comment after the last line of a block stays in the deepest block
        # whose header it is indented past; depths never increase within a gap,
        # so the comments keep their order.
        depth = target
        for candidate in range(deepest, target, -1):
            if c.column > header_columns[candidate - 1]:
                depth = candidate
                break
        deepest = depth
        elements.append(_Element(INDENT * depth + c.text, depth, c.line, c.line, True))
    return elements


def _line_elements(
    line: Line, spot: Spot, inside: Sequence[Placed], trailing: str | None
) -> list[_Element]:
    """A code line, after the comments hoisted out of it, with its trailing comment."""
    elements = [
        _Element(INDENT * line.depth + c.text, line.depth, spot.start, spot.start, True)
        for c in inside
    ]
    text = INDENT * line.depth + line.text
    if trailing is not None:
        text += f"  {trailing}"
    declaration = line.depth == 0 and line.group not in ("agreement", "block")
    elements.append(_Element(text, line.depth, spot.start, spot.end, False, declaration))
    return elements


class _Printer:
    """Prints elements in order, with the blank lines the layout requires or keeps."""

    def __init__(self, blanks: Sequence[int]) -> None:
        self.blanks = blanks
        self.out: list[str] = []
        self.previous: _Element | None = None

    def print(self, elements: Sequence[_Element], separator_at: int) -> None:
        """Print `elements`, with a required blank line before the one at `separator_at`."""
        for i, element in enumerate(elements):
            previous = self.previous
            if previous is not None:
                kept = _blank_between(self.blanks, previous.end, element.start) and (
                    previous.is_comment
                    or element.is_comment
                    or (previous.top_declaration and element.top_declaration)
                )
                if i == separator_at or kept:
                    self.out.append("")
            self.out.append(element.text)
            self.previous = element

    def text(self) -> str:
        return "\n".join(self.out) + "\n"


def render(
    lines: Sequence[Line],
    spots: Sequence[Spot],
    comments: Sequence[Placed],
    blanks: Sequence[int],
) -> str:
    """The formatted text: `lines` with the comments and the blank lines placed among them.

    Args:
        lines: the canonical lines, from `layout`.
        spots: where each line was in the source.
        comments: the comments to print, in source order.
        blanks: the numbers of the blank source lines, ascending.
    """
    n = len(lines)
    placed = _sort_comments(spots, comments)
    printer = _Printer(blanks)
    header_columns: list[int] = []  # source column of the open block header at each depth
    previous_group: str | None = None
    for k in range(n + 1):
        line = lines[k] if k < n else None
        target = line.depth if line is not None else 0
        before = lines[k - 1] if k > 0 else None
        elements = _gap_elements(placed.gaps[k], target, before, header_columns)
        if line is not None:
            elements += _line_elements(line, spots[k], placed.inside[k], placed.trailing[k])
        separator_at = -1
        group = line.group if line is not None else None
        if k > 0 and target == 0 and _needs_separator(previous_group, group):
            separator_at = next((i for i, e in enumerate(elements) if e.depth == 0), -1)
        printer.print(elements, separator_at)
        if line is not None:
            if line.opens:
                del header_columns[line.depth :]
                header_columns.append(spots[k].column)
            if line.depth == 0:
                previous_group = line.group
    return printer.text()
