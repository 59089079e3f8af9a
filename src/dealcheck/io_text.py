"""Reading input files as text, with located diagnostics for what is not text."""

from __future__ import annotations

import os

from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span

#: Input files larger than this are refused before being read (see docs/limits.md).
MAX_FILE_BYTES = int(os.environ.get("DEALCHECK_MAX_FILE_BYTES", 64 * 1024 * 1024))


def read_text(path: str) -> str:
    """The file's text, UTF-8 (a BOM is dropped, CRLF kept for the parser to handle).

    Raises `DiagnosticsError` (DC900-range codes) when the file is missing,
    too large or not UTF-8.
    """
    where = Span.point(path, 1, 1)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise DiagnosticsError([error(
                "DC902", f"`{path}` is {size} bytes, over the limit of {MAX_FILE_BYTES}",
                where, "raise the limit with DEALCHECK_MAX_FILE_BYTES if this is intended")])
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = str(exc.strerror or exc)
        reason = reason[:1].lower() + reason[1:]
        raise DiagnosticsError([error("DC901", f"cannot read `{path}`: {reason}", where,
                                      "check the path")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DiagnosticsError([error(
            "DC903", f"`{path}` is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}", Span(path, exc.start, exc.start + 1, line, column, line, column + 1),
            "save the file as UTF-8")]) from None
    return text[1:] if text.startswith("\ufeff") else text
