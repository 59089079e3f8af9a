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
"""

from __future__ import annotations

import difflib
import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.parse import parse
from dealcheck.dsl.span import UNKNOWN_SPAN, Span
from dealcheck.io_text import read_text, write_atomic

__all__ = [
    "FormatError",
    "FormatResult",
    "format_document",
    "format_files",
    "format_source",
]

INDENT = "  "
"""One level of indentation in the canonical layout."""


class FormatError(Exception):
    """The formatter would have changed the meaning or the comments of a file (a bug)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
            comments, e.g. for a hand-built AST that no source text can express.
    """
    lines = _layout(doc)
    comments = list(doc.comments)
    if source is not None:
        spots, blanks, columns = _spots_from_text(source, lines, comments)
    else:
        spots, blanks, columns = _spots_from_spans(lines, comments)
    placed = [
        _Placed(c.text.rstrip(), c.own_line, c.span.line, col)
        for c, col in zip(comments, columns, strict=True)
    ]
    output = _render(lines, spots, placed, blanks)
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


# ---------------------------------------------------------------- layout: AST → lines


@dataclass(frozen=True, slots=True)
class _Line:
    """One output line (one logical source line), before comments and blank lines."""

    text: str
    depth: int
    anchor: Span | None = None  # a span that starts on this line, when one exists
    prefix: int = 0  # canonical width of the text before `anchor` (headers only)
    end_line: int = 0  # the last source line of a rule, which may span several lines
    opens: bool = False  # a block header: the following deeper lines are its body
    group: str | None = None  # top-level items: the kind, for blank lines between items


_GROUPS: dict[type, str] = {
    ast.PartyDecl: "party",
    ast.ProviderDecl: "provider",
    ast.ProviderGroupDecl: "provider",
    ast.WorkloadDecl: "workload",
    ast.WorkloadGroupDecl: "workload",
    ast.RegionDecl: "region",
    ast.RegionGroupDecl: "region",
    ast.FactDecl: "fact",
    ast.UnitDecl: "unit",
    ast.Clause: "block",
    ast.Amendment: "block",
    ast.Example: "block",
}


def _layout(doc: ast.Document) -> list[_Line]:
    agreement = doc.agreement
    lines = [
        _Line(
            f"agreement {_quote(agreement.title)} effective {agreement.effective.text}",
            0,
            agreement.span,
            group="agreement",
        )
    ]
    for item in doc.items:
        group = _GROUPS.get(type(item))
        if group is None:
            raise FormatError(f"cannot format a `{type(item).__name__}` as a top-level item")
        if isinstance(item, ast.Clause):
            lines.extend(_clause_lines(item, 0, "", item.span, group))
        elif isinstance(item, ast.Amendment):
            lines.extend(_amendment_lines(item))
        elif isinstance(item, ast.Example):
            lines.extend(_example_lines(item))
        else:
            lines.append(_Line(_declaration(item), 0, item.span, group=group))
    return lines


def _declaration(item: ast.Declaration) -> str:
    if isinstance(item, ast.PartyDecl):
        return f"party {_names(item.names)}"
    if isinstance(item, ast.ProviderDecl):
        return f"provider {item.name.value} operated by {item.operator.value}"
    if isinstance(item, ast.ProviderGroupDecl):
        return f"provider group {item.name.value} = {_names(item.members)}"
    if isinstance(item, ast.WorkloadDecl):
        return f"workload {_names(item.names)}"
    if isinstance(item, ast.WorkloadGroupDecl):
        return f"workload group {item.name.value} = {_names(item.members)}"
    if isinstance(item, ast.RegionDecl):
        return f"region {_names(item.names)}"
    if isinstance(item, ast.RegionGroupDecl):
        return f"region group {item.name.value} = {_names(item.members)}"
    if isinstance(item, ast.FactDecl):
        return f"fact {item.name.value}: {_fact_type(item.type)}"
    return f"unit {item.name.value}"


def _fact_type(node: ast.FactTypeNode) -> str:
    if isinstance(node, ast.BoolType):
        return "bool"
    if isinstance(node, ast.EnumType):
        return f"one of {_names(node.values)}"
    if isinstance(node, ast.NumberType):
        return "number" if node.unit is None else f"number {node.unit.value}"
    return "date"


def _clause_lines(
    clause: ast.Clause, depth: int, keyword: str, span: Span | None, group: str | None = None
) -> list[_Line]:
    head = f"{keyword}clause {clause.id.value}"
    if clause.label is not None:
        head += f" {_quote(clause.label)}"
    if clause.from_date is not None:
        head += f" from {clause.from_date.text}"
    if clause.through_date is not None:
        head += f" through {clause.through_date.text}"
    if clause.notwithstanding:
        head += f" notwithstanding {_names(clause.notwithstanding)}"
    anchor, prefix = clause.id.span, len(f"{keyword}clause ")
    if span is not None and span.line == anchor.line and span.column < anchor.column:
        anchor, prefix = span, 0  # the node's span starts at the keyword (recent Lark)
    lines = [_Line(head + ":", depth, anchor, prefix, opens=True, group=group)]
    lines.extend(_Line(f"source {_quote(text)}", depth + 1) for text in clause.sources)
    lines.append(
        _Line(_rule(clause.rule), depth + 1, clause.rule.span, end_line=_last_line(clause.rule))
    )
    return lines


def _amendment_lines(amendment: ast.Amendment) -> list[_Line]:
    head = f"amendment {amendment.id.value}"
    if amendment.title is not None:
        head += f" {_quote(amendment.title)}"
    head += f" effective {amendment.effective.text}:"
    lines = [_Line(head, 0, amendment.id.span, opens=True, group="block")]
    for item in amendment.items:
        if isinstance(item, ast.Revoke):
            lines.append(_Line(f"revoke {_names(item.ids)}", 1, item.span))
        elif isinstance(item, ast.Replace):
            lines.extend(_clause_lines(item.clause, 1, "replace ", item.span))
        else:
            lines.extend(_clause_lines(item, 1, "", item.span))
    return lines


def _example_lines(example: ast.Example) -> list[_Line]:
    head = f"example {_quote(example.title)}"
    if example.as_of is not None:
        head += f" as of {example.as_of.text}"
    lines = [_Line(head + ":", 0, example.span, opens=True, group="block")]
    for item in example.items:
        text = _deployment(item) if isinstance(item, ast.DeploymentLit) else _expectation(item)
        lines.append(_Line(text, 1, item.span))
    return lines


def _deployment(d: ast.DeploymentLit) -> str:
    text = "deployment" if d.id is None else f"deployment {d.id.value}"
    text += f": {d.party.value} runs {d.workload.value} on {d.provider.value}"
    if d.region is not None:
        text += f" in {d.region.value}"
    text += f" starting {d.start.text}"
    if d.end is not None:
        text += f" ending {d.end.text}"
    if d.capacity is not None:
        text += f" capacity {_quantity(d.capacity)}"
    if d.value is not None:
        text += f" value {_quantity(d.value)}"
    if d.facts:
        text += " with " + ", ".join(f"{f.name.value} = {_value(f.value)}" for f in d.facts)
    return text


def _expectation(e: ast.Expectation) -> str:
    text = "expect"
    if e.subject is not None:
        text += f" {e.subject.value} is"
    text += f" {e.verdict}"
    if e.clauses:
        text += f" of {_names(e.clauses)}"
    if e.missing:
        text += f" missing {_names(e.missing)}"
    return text


# ---------------------------------------------------------------- rules and conditions


def _rule(rule: ast.Rule) -> str:
    if isinstance(rule, ast.Aggregate):
        return _aggregate(rule)
    p = rule.pattern
    if isinstance(rule, ast.Restriction):
        middle = f"runs {_selection(p.workloads, 'workload')}"
    elif isinstance(rule, ast.Prohibition):
        middle = f"must not run {_selection(p.workloads, 'workload')}"
    else:
        middle = f"may run {_selection(p.workloads, 'workload')}"
    parts = [_selection(p.parties, "party"), middle, *_placement(p)]
    if isinstance(rule, ast.Restriction):
        parts.append(_restriction_kind(rule.kind))
    if p.when is not None:
        parts.append(f"when {_cond(p.when)}")
    return " ".join(parts)


def _aggregate(rule: ast.Aggregate) -> str:
    p = rule.pattern
    parts = [f"total {rule.measure.value} of deployments"]
    if p.parties.names is not None:
        parts.append(f"by {_names(p.parties.names)}")
    if p.workloads.names is not None:
        parts.append(f"of {_names(p.workloads.names)}")
    parts.extend(_placement(p))
    if rule.window_from is not None:
        parts.append(f"starting from {rule.window_from.text}")
        if rule.window_through is not None:
            parts.append(f"through {rule.window_through.text}")
    elif rule.window_through is not None:
        parts.append(f"starting through {rule.window_through.text}")
    if rule.is_cap:
        parts.append(f"is at most {_quantity(rule.limit)}")
    else:
        parts.append(f"reaches {_quantity(rule.limit)}")
    if rule.deadline is not None:
        # INVARIANT: only `reaches` takes a deadline; a cap with one fails the soundness check.
        parts.append(f"by {rule.deadline.text}")
    if p.when is not None:
        parts.append(f"when {_cond(p.when)}")
    return " ".join(parts)


def _placement(p: ast.Pattern) -> list[str]:
    parts: list[str] = []
    if p.providers is not None:
        if p.providers.names is None:
            parts.append("on any provider")
        else:
            word = "off" if p.providers.negated else "on"
            parts.append(f"{word} {_names(p.providers.names)}")
    if p.regions is not None:
        if p.regions.names is None:
            parts.append("in any region")
        else:
            word = "outside" if p.regions.negated else "in"
            parts.append(f"{word} {_names(p.regions.names)}")
    return parts


def _last_line(node: ast.Node) -> int:
    """The last source line holding a token of `node`, from its parts' spans.

    A rule's own span runs on to the next line of code (it includes the end of
    line token), so the parts that never include one are measured instead.
    """
    last = 0
    for f in fields(node):
        value = getattr(node, f.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, ast.Node):
                if part.span != UNKNOWN_SPAN and not isinstance(part, _LINE_NODES):
                    last = max(last, part.span.end_line)
                last = max(last, _last_line(part))
    return last


#: Nodes whose span includes the end of their line (and what follows it up to the next code).
_LINE_NODES = (ast.Restriction, ast.Prohibition, ast.Permission, ast.Aggregate, ast.Pattern)


def _selection(s: ast.Selection, noun: str) -> str:
    return f"any {noun}" if s.names is None else _names(s.names)


def _restriction_kind(kind: ast.RestrictionKind) -> str:
    if isinstance(kind, ast.OnlyOn):
        return f"only on {_names(kind.names)}"
    if isinstance(kind, ast.OnlyIn):
        return f"only in {_names(kind.names)}"
    return f"only if {_cond(kind.cond)}"


def _cond(c: ast.Cond) -> str:
    if isinstance(c, ast.Or):
        return " or ".join(_cond(item) for item in c.items)
    if isinstance(c, ast.And):
        return " and ".join(_cond(item) for item in c.items)
    if isinstance(c, ast.Not):
        return f"not {_cond(c.item)}"
    if isinstance(c, ast.Group):
        return f"({_cond(c.item)})"
    if isinstance(c, ast.Compare):
        return f"{c.left.value} {c.op} {_value(c.right)}"
    if isinstance(c, ast.Member):
        word = "not in" if c.negated else "in"
        return f"{c.left.value} {word} {_names(c.values)}"
    return c.name.value


def _value(v: ast.Value) -> str:
    if isinstance(v, ast.Name):
        return v.value
    if isinstance(v, ast.DateLit):
        return v.text
    if isinstance(v, ast.QuantityLit):
        return _quantity(v)
    return "true" if v.value else "false"


def _quantity(q: ast.QuantityLit) -> str:
    return q.number if q.unit is None else f"{q.number} {q.unit.value}"


def _names(names: Sequence[ast.Name]) -> str:
    return ", ".join(n.value for n in names)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# ---------------------------------------------------------------- where lines were in the source


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where an output line came from: first and last source line, indentation column."""

    start: int
    end: int
    column: int


def _spots_from_text(
    source: str,
    lines: Sequence[_Line],
    comments: Sequence[ast.Comment],
) -> tuple[list[_Spot], list[int], list[int]]:
    """Exact positions, from a scan of the source for logical lines.

    A logical line starts on a physical line that holds code outside
    parentheses and ends where its last parenthesis closes, as in the
    grammar's `DealIndenter`.
    """
    text = source[1:] if source.startswith("\ufeff") else source
    physical = text.split("\n")  # INVARIANT: only "\n" ends a line, as for Lark's positions
    spots: list[_Spot] = []
    blanks: list[int] = []
    parens = 0
    for number, raw in enumerate(physical, 1):
        continued = parens > 0
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
        if not raw.strip(" \t\r"):
            blanks.append(number)
        if first_code < 0:
            continue
        if continued and spots:
            spots[-1] = _Spot(spots[-1].start, number, spots[-1].column)
        else:
            spots.append(_Spot(number, number, _visual_column(raw, first_code)))
    if len(spots) != len(lines):
        raise FormatError(
            f"the source has {len(spots)} logical lines but the document "
            f"{len(lines)}: was it parsed from this text?"
        )
    columns = []
    for c in comments:
        line = physical[c.span.line - 1] if 0 < c.span.line <= len(physical) else ""
        column = c.span.column
        columns.append(_visual_column(line, column - 1) if column - 1 <= len(line) else column)
    return spots, blanks, columns


def _visual_column(line: str, index: int) -> int:
    return len(line[:index].expandtabs(8)) + 1


def _spots_from_spans(
    lines: Sequence[_Line],
    comments: Sequence[ast.Comment],
) -> tuple[list[_Spot], list[int], list[int]]:
    """Positions inferred from the nodes' spans, when the source text is not at hand.

    Only start lines are trusted: a line-ending node's span runs on over the
    end-of-line token to the next line of code. A line without a usable span
    (a ``source`` line; with Lark versions whose positions skip keywords, a
    rule made only of ``any …`` words) is taken to be the next line that
    holds no comment. Block headers' columns come from their spans too.
    """
    comment_lines = {c.span.line for c in comments if c.own_line}
    spots: list[_Spot] = []
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
        spots.append(_Spot(start, end, column))
        previous_end = end
    last = max([previous_end, *(c.span.line for c in comments)])
    covered = set(comment_lines)
    for spot in spots:
        covered.update(range(spot.start, spot.end + 1))
    blanks = [n for n in range(1, last + 1) if n not in covered]
    return spots, blanks, [c.span.column for c in comments]


# ---------------------------------------------------------------- comments and blank lines


@dataclass(frozen=True, slots=True)
class _Placed:
    text: str
    own_line: bool
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class _Element:
    """One printed line: a comment or a code line, with the source lines it came from."""

    text: str
    depth: int
    start: int
    end: int
    is_comment: bool
    top_declaration: bool = False


def _blank_between(blanks: Sequence[int], after: int, before: int) -> bool:
    return bisect_right(blanks, after) < bisect_left(blanks, before)


def _needs_separator(previous: str | None, group: str | None) -> bool:
    """A blank line is required between top-level items of these kinds (None: end of file)."""
    if previous is None:
        return False
    if group is None:
        return previous in ("agreement", "block")
    return previous == "agreement" or "block" in (previous, group) or previous != group


def _render(
    lines: Sequence[_Line],
    spots: Sequence[_Spot],
    comments: Sequence[_Placed],
    blanks: Sequence[int],
) -> str:
    n = len(lines)
    ends = [spot.end for spot in spots]
    gaps: list[list[_Placed]] = [[] for _ in range(n + 1)]
    inside: list[list[_Placed]] = [[] for _ in range(n)]
    trailing: list[str | None] = [None] * n
    for c in comments:
        k = bisect_left(ends, c.line)
        if k < n and spots[k].start <= c.line:
            if not c.own_line and c.line == spots[k].end and trailing[k] is None:
                trailing[k] = c.text
            else:
                inside[k].append(c)  # within a multi-line condition: hoisted before it
        else:
            gaps[k].append(c)

    out: list[str] = []
    header_columns: list[int] = []  # source column of the open block header at each depth
    previous_group: str | None = None
    previous: _Element | None = None
    for k in range(n + 1):
        line = lines[k] if k < n else None
        target = line.depth if line is not None else 0
        before = lines[k - 1] if k > 0 else None
        deepest = target if before is None or before.opens else max(before.depth, target)
        elements: list[_Element] = []
        for c in gaps[k]:
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
        if line is not None:
            spot = spots[k]
            for c in inside[k]:
                elements.append(
                    _Element(INDENT * target + c.text, target, spot.start, spot.start, True)
                )
            text = INDENT * line.depth + line.text
            if trailing[k] is not None:
                text += f"  {trailing[k]}"
            declaration = line.depth == 0 and line.group not in ("agreement", "block")
            elements.append(_Element(text, line.depth, spot.start, spot.end, False, declaration))
        separator_at = -1
        if (
            k > 0
            and target == 0
            and _needs_separator(previous_group, line.group if line is not None else None)
        ):
            separator_at = next((i for i, e in enumerate(elements) if e.depth == 0), -1)
        for i, element in enumerate(elements):
            if previous is not None:
                kept = _blank_between(blanks, previous.end, element.start) and (
                    previous.is_comment
                    or element.is_comment
                    or (previous.top_declaration and element.top_declaration)
                )
                if i == separator_at or kept:
                    out.append("")
            out.append(element.text)
            previous = element
        if line is not None:
            if line.opens:
                del header_columns[line.depth :]
                header_columns.append(spots[k].column)
            if line.depth == 0:
                previous_group = line.group
    return "\n".join(out) + "\n"


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
