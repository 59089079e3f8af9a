"""Diagnostics as data: code, severity, message, span, help and related spans."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dealcheck.dsl.span import Span


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location that helps explain a diagnostic."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a user's input.

    Messages are lowercase, have no final period and put user input in
    backticks, e.g. "unknown provider `Azur`".
    """

    code: str
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    related: tuple[Related, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.start, self.span.end, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
            "related": [
                {"message": r.message, "file": r.span.file, "line": r.span.line,
                 "column": r.span.column}
                for r in self.related
            ],
        }


def error(code: str, message: str, span: Span, help: str | None = None,
          related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help, tuple(related))


def warning(code: str, message: str, span: Span, help: str | None = None,
            related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, help, tuple(related))


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file and position, dropping exact duplicates."""
    return sorted(set(diagnostics), key=lambda d: d.sort_key)


class DiagnosticsError(Exception):
    """Bad input: carries every diagnostic found, sorted by position."""

    def __init__(self, diagnostics: Iterable[Diagnostic],
                 sources: dict[str, str] | None = None) -> None:
        self.diagnostics: list[Diagnostic] = sort_diagnostics(diagnostics)
        self.sources: dict[str, str] = dict(sources or {})
        first = self.diagnostics[0] if self.diagnostics else None
        summary = (f"{first.span.file}:{first.span.line}:{first.span.column}: "
                   f"{first.message}" if first else "invalid input")
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def render_text(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                color: bool = False) -> str:
    """Render diagnostics the way rustc and ruff do.

    ``file:line:column: error[CODE]: message``, then the source line with a
    caret under the span, then ``help:``.
    """
    out: list[str] = []
    for d in diagnostics:
        sev = str(d.severity)
        head = f"{d.span.file}:{d.span.line}:{d.span.column}: {sev}[{d.code}]: {d.message}"
        if color:
            tint = "\x1b[1;31m" if d.severity is Severity.ERROR else "\x1b[1;33m"
            head = head.replace(f"{sev}[{d.code}]", f"{tint}{sev}[{d.code}]\x1b[0m", 1)
        out.append(head)
        out.extend(_snippet(d.span, sources.get(d.span.file)))
        for rel in d.related:
            out.append(f"  note: {rel.span.file}:{rel.span.line}:{rel.span.column}: "
                       f"{rel.message}")
            out.extend(_snippet(rel.span, sources.get(rel.span.file)))
        if d.help:
            out.append(f"  help: {d.help}")
        out.append("")
    return "\n".join(out)


def _snippet(span: Span, source: str | None) -> list[str]:
    if source is None:
        return []
    # Lines end at "\n" only, as spans count them (`splitlines` also splits at
    # U+2028, U+0085, form feeds…, and would show the wrong line).
    lines = source.split("\n")
    if not 1 <= span.line <= len(lines):
        return []
    text = lines[span.line - 1].rstrip("\r").replace("\t", " ")
    gutter = f"{span.line:>4} | "
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    elif span.end_line > span.line:
        width = len(text.rstrip()) - span.column + 1
    width = max(1, min(width, len(text) - span.column + 2))
    return [gutter + text, " " * (len(gutter) + span.column - 1) + "^" * width]


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Diagnostics as a JSON document, for editors and CI annotations."""
    return json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2,
                      ensure_ascii=False)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name`, if one is close enough to be a typo.

    >>> did_you_mean("Azur", ["Azure", "AWS"])
    'Azure'
    """
    best: tuple[int, str] | None = None
    lowered = name.lower()
    for cand in sorted(set(candidates)):
        if cand.lower() == lowered:
            return cand
        dist = _levenshtein(lowered, cand.lower())
        limit = max(1, min(3, len(name) // 3))
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    if best is None and len(name) >= 3:
        # A unique candidate that starts with what was typed: `coreweave` -> `coreweave-contract`.
        prefixed = [c for c in set(candidates) if c.lower().startswith(lowered)]
        if len(prefixed) == 1:
            return prefixed[0]
    return best[1] if best else None


def _levenshtein(a: str, b: str) -> int:
    """Edit distance where swapping two neighbouring letters counts as one edit."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
