"""Reading input files as text, with located diagnostics for what is not text."""

from __future__ import annotations

import os

from dealcheck import limits
from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span


def read_text(path: str) -> str:
    """The file's text, UTF-8 (a BOM is dropped, CRLF kept for the parser to handle).

    Raises `DiagnosticsError` (DC900-range codes) when the file is missing,
    too large or not UTF-8.
    """
    where = Span.point(path, 1, 1)
    limit = limits.MAX_FILE_BYTES.value()
    try:
        with open(path, "rb") as handle:
            # The size on disk first; then a bounded read, for files whose size
            # the file system does not know (a pipe, /dev/zero).
            size: int | None = os.fstat(handle.fileno()).st_size
            data = handle.read(limit + 1) if size is not None and size <= limit else b""
            if len(data) > limit:
                size = None
    except OSError as exc:
        reason = str(exc.strerror or exc)
        reason = reason[:1].lower() + reason[1:]
        raise DiagnosticsError([error("DC901", f"cannot read `{path}`: {reason}", where,
                                      "check the path")]) from None
    if size is None or size > limit:
        raise too_large(path, size, limit)
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


def too_large(path: str, size: int | None, limit: int) -> DiagnosticsError:
    """The DC902 error for a file over `limits.MAX_FILE_BYTES`; `size` None when unknown (a pipe).

    The file's text is not part of the error: rendering it must not read the file.
    """
    message = (f"`{path}` is {size} bytes, over the limit of {limit}" if size is not None
               else f"`{path}` is over the limit of {limit} bytes")
    return DiagnosticsError(
        [error("DC902", message,
               Span.point(path, 1, 1), limits.over_limit_help(limits.MAX_FILE_BYTES))],
        {path: ""})
