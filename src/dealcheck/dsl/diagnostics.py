"""Diagnostics as data: code, severity, message, span, help and related spans."""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from dealcheck.dsl.escape import clip, printable
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


#: Characters of a source line shown under a diagnostic; a longer line is cut around
#: the span, with `…` where it was cut, so a minified file does not echo itself.
EXCERPT_WIDTH = 200
#: Of those, how many come before the start of the span when the line is cut.
EXCERPT_BEFORE = 60
#: Diagnostics shown per file and code; the others are counted in one line at the end.
MAX_SHOWN_PER_CODE = 10
#: Characters of a message or help line shown before the rest is cut.
MESSAGE_LIMIT = 1000


def render_text(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                color: bool = False) -> str:
    """Render diagnostics the way rustc and ruff do.

    ``file:line:column: error[CODE]: message``, then the source line with a
    caret under the span, then ``help:``. See `iter_text` for the limits.
    """
    return "".join(iter_text(diagnostics, sources, color))


def iter_text(diagnostics: Iterable[Diagnostic], sources: dict[str, str],
              color: bool = False, per_code: int = MAX_SHOWN_PER_CODE) -> Iterator[str]:
    """`render_text` piece by piece, to write each diagnostic as soon as it is drawn.

    Input text is escaped (`printable`), each excerpt shows at most
    `EXCERPT_WIDTH` characters of its line, and after `per_code` diagnostics
    of one code in one file the others are only counted: a last line says
    ``… and 2,990 more like this``.
    """
    lines = _LineIndex(sources)
    shown: dict[tuple[str, str], int] = {}
    hidden: dict[tuple[str, str, str], int] = {}
    separator = ""
    for d in diagnostics:
        key = (d.span.file, d.code)
        if shown.get(key, 0) >= per_code:
            more = (d.span.file, str(d.severity), d.code)
            hidden[more] = hidden.get(more, 0) + 1
            continue
        shown[key] = shown.get(key, 0) + 1
        yield separator + "\n".join(_block(d, lines, color)) + "\n"
        separator = "\n"
    for (file, severity, code), count in hidden.items():
        yield (f"{separator}{printable(file)}: {_tinted(severity, code, color)}: "
               f"… and {count:,} more like this\n")
        separator = "\n"


def _tinted(severity: str, code: str, color: bool) -> str:
    label = f"{severity}[{code}]"
    if not color:
        return label
    tint = "\x1b[1;31m" if severity == Severity.ERROR else "\x1b[1;33m"
    return f"{tint}{label}\x1b[0m"


def _block(d: Diagnostic, lines: _LineIndex, color: bool) -> list[str]:
    where = f"{printable(d.span.file)}:{d.span.line}:{d.span.column}"
    message = printable(clip(d.message, MESSAGE_LIMIT))
    out = [f"{where}: {_tinted(str(d.severity), d.code, color)}: {message}"]
    out.extend(_snippet(d.span, lines))
    for rel in d.related:
        out.append(f"  note: {printable(rel.span.file)}:{rel.span.line}:{rel.span.column}: "
                   f"{printable(clip(rel.message, MESSAGE_LIMIT))}")
        out.extend(_snippet(rel.span, lines))
    if d.help:
        out.append(f"  help: {printable(clip(d.help, MESSAGE_LIMIT))}")
    return out


class _LineIndex:
    """Where each line of each source starts, computed once per file."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources
        self.starts: dict[str, list[int]] = {}

    def line(self, file: str, number: int) -> tuple[str, int, int] | None:
        """The source of `file` and the offsets of line `number` in it (without its end)."""
        source = self.sources.get(file)
        if source is None:
            return None
        starts = self.starts.get(file)
        if starts is None:
            # Lines end at "\n" only, as spans count them (`splitlines` also splits at
            # U+2028, U+0085, form feeds…, and would show the wrong line).
            starts = self.starts[file] = [0, *(m.end() for m in re.finditer("\n", source))]
        if not 1 <= number <= len(starts):
            return None
        start = starts[number - 1]
        end = starts[number] - 1 if number < len(starts) else len(source)
        if end > start and source[end - 1] == "\r":
            end -= 1
        return source, start, end


def _snippet(span: Span, lines: _LineIndex) -> list[str]:
    found = lines.line(span.file, span.line)
    if found is None:
        return []
    source, start, end = found
    length = end - start
    column = max(0, span.column - 1)
    # INVARIANT: the excerpt holds at most EXCERPT_WIDTH characters of the line.
    lo, hi = 0, length
    if length > EXCERPT_WIDTH:
        lo = max(0, min(column - EXCERPT_BEFORE, length - EXCERPT_WIDTH))
        hi = lo + EXCERPT_WIDTH
    text = source[start + lo:start + hi].replace("\t", " ")
    at = column - lo
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    elif span.end_line > span.line:
        width = len(text.rstrip()) - at
    width = max(1, min(width, len(text) - at + 1))
    under = printable(text[at:at + width])
    carets = max(1, len(under) + max(0, at + width - len(text)))
    before = "…" if lo > 0 else ""
    after = "…" if hi < length else ""
    gutter = f"{span.line:>4} | "
    indent = len(gutter) + len(before) + len(printable(text[:at])) + max(0, at - len(text))
    return [gutter + before + printable(text) + after, " " * indent + "^" * carets]


#: What `json.dumps` leaves raw but a terminal may act on (C1 controls such as CSI,
#: bidirectional and other invisible format characters, line separators).
_JSON_INVISIBLE = re.compile(
    "[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
    "\ufff9-\ufffb]")


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Diagnostics as a JSON document, for editors and CI annotations.

    Characters that a terminal would act on are written as JSON escapes
    (``\\u202e``): the same document for a parser, inert on a screen.
    """
    text = json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2,
                      ensure_ascii=False)
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name`, if one is close enough to be a typo.

    >>> did_you_mean("Azur", ["Azure", "AWS"])
    'Azure'
    """
    return _closest(name, frozenset(candidates))


# A file with one mistake per row asks about the same name thousands of times.
@functools.lru_cache(maxsize=1024)
def _closest(name: str, candidates: frozenset[str]) -> str | None:
    best: tuple[int, str] | None = None
    lowered = name.lower()
    limit = max(1, min(3, len(name) // 3))
    for cand in sorted(candidates):
        if cand.lower() == lowered:
            return cand
        folded = cand.lower()
        if abs(len(folded) - len(lowered)) > limit:
            # The distance is at least the difference in length: no need to
            # compute it (for a megabyte-long word it would take minutes).
            continue
        dist = _levenshtein(lowered, folded)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    if best is None and len(name) >= 3:
        # A unique candidate that starts with what was typed: `coreweave` -> `coreweave-contract`.
        prefixed = [c for c in candidates if c.lower().startswith(lowered)]
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
