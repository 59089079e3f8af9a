"""Scenario source text: reading bytes, decoding UTF-8 and turning offsets into spans."""

from __future__ import annotations

import bisect
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.io_text import too_large
from dealcheck.scenario import errors

BOM = "\ufeff"


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a `DiagnosticsError` saying why it cannot be read.

    A file over `limits.MAX_FILE_BYTES` is refused (DC902) without reading it.
    """
    limit = limits.MAX_FILE_BYTES.value()
    try:
        with Path(path).open("rb") as handle:
            size: int | None = os.fstat(handle.fileno()).st_size
            # A bounded read even when the size looks fine: a pipe reports 0.
            data = handle.read(limit + 1) if size is not None and size <= limit else b""
            if len(data) > limit:
                size = None
    except OSError as exc:
        raise DiagnosticsError([unreadable(str(path), exc)]) from None
    if size is None or size > limit:
        raise too_large(str(path), size, limit)
    return data


def unreadable(file: str, exc: OSError) -> Diagnostic:
    reason = (exc.strerror or str(exc)).lower()
    return error(errors.MALFORMED_FILE, f"cannot read `{file}`: {reason}", Span.point(file, 1, 1))


def decode_text(data: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """Decode UTF-8 (a leading BOM is dropped); report each line holding bytes that are not UTF-8.

    Returns the text (undecodable bytes replaced, so carets still render) and
    the diagnostics; the text is only parsed when there are none.
    """
    try:
        return _drop_bom(data.decode("utf-8")), []
    except UnicodeDecodeError:
        pass
    index = LineIndex(file)
    diagnostics: list[Diagnostic] = []
    for number, line in enumerate(io.BytesIO(data), 1):
        text, problem = decode_line(
            line, file, number, index.offset_of_line(number), first=number == 1
        )
        index.add_line(text)
        if problem is not None:
            diagnostics.append(problem)
    return _drop_bom(data.decode("utf-8", errors="replace")), diagnostics


def decode_line(
    raw: bytes, file: str, line: int, offset: int, first: bool = False
) -> tuple[str, Diagnostic | None]:
    """Decode one physical line; on bad bytes, a diagnostic pointing at the first of them."""
    try:
        text = raw.decode("utf-8")
        return (_drop_bom(text) if first else text), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        if first:
            before = _drop_bom(before)
        column = len(before) + 1
        span = Span(file, offset + column - 1, offset + column, line, column, line, column + 1)
        bad = raw[exc.start : exc.end].hex(" ")
        text = raw.decode("utf-8", errors="replace")
        return (_drop_bom(text) if first else text), error(
            errors.MALFORMED_FILE,
            f"invalid UTF-8 (byte `{bad}`)",
            span,
            help="save the file as UTF-8",
        )


def quote_tokens(message: str) -> str:
    """Library messages quote tokens with ``'…'``; ours put them in backticks."""
    return re.sub(r"'([^']*)'", r"`\1`", message)


def _drop_bom(text: str) -> str:
    return text[1:] if text.startswith(BOM) else text


@dataclass(slots=True)
class LineIndex:
    """Character offsets of line starts, to turn an offset into a line and column.

    Lines end at ``\\n`` only (a ``\\r`` before it belongs to the line), as
    Python splits a binary file and as the csv and json modules count. The
    indexed text may be a piece of the file: `first_line` is the line it
    starts on and `base` its offset.
    """

    file: str
    starts: list[int] = field(default_factory=lambda: [0])
    first_line: int = 1
    base: int = 0

    @classmethod
    def of(cls, file: str, text: str, *, first_line: int = 1, base: int = 0) -> LineIndex:
        index = cls(file, [0], first_line, base)
        position = text.find("\n")
        while position != -1:
            index.starts.append(position + 1)
            position = text.find("\n", position + 1)
        return index

    def add_line(self, line: str) -> None:
        """Record the next physical line (with its line ending)."""
        self.starts.append(self.starts[-1] + len(line))

    def offset_of_line(self, line: int) -> int:
        return self.starts[min(line - self.first_line, len(self.starts) - 1)]

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column (1-based) of an offset into the indexed text."""
        number = bisect.bisect_right(self.starts, offset)
        return self.first_line + number - 1, offset - self.starts[number - 1] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of `text[start:end]`, with offsets in the whole file."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(
            self.file, self.base + start, self.base + end, line, column, end_line, end_column
        )


def line_span(file: str, line: int, offset: int, text: str) -> Span:
    """The span of a whole physical line, without its line ending."""
    width = len(text.rstrip("\r\n"))
    return Span(file, offset, offset + width, line, 1, line, width + 1)


def excerpt(path: str | Path, lines: Iterable[int]) -> str:
    """The file's text with only the given lines kept (others left empty), for rendering carets.

    Reads the file as a stream, so a diagnostic deep in a large inventory does
    not load the whole file.
    """
    wanted = sorted(set(lines))
    if not wanted:
        return ""
    keep = set(wanted)
    out: list[str] = []
    # Each line is read with a bound: a diagnostic may be about a line too long to hold.
    limit = limits.MAX_LINE_BYTES.value()
    try:
        with Path(path).open("rb") as stream:
            number = 0
            while raw := stream.readline(limit + 1):
                number += 1
                if number > wanted[-1]:
                    break
                if not raw.endswith(b"\n") and len(raw) > limit:
                    raw = raw[:limit]
                    while number < wanted[-1] and (rest := stream.readline(limit + 1)):
                        if rest.endswith(b"\n"):
                            break  # skipped the rest of the long line
                if number not in keep:
                    out.append("\n")
                    continue
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                out.append((_drop_bom(text) if number == 1 else text) + "\n")
    except OSError:
        return ""
    return "".join(out)
