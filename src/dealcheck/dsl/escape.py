"""Input text made safe to print: invisible and control characters shown as escapes.

Every place that prints text taken from an input (ids, file names, titles,
labels, sources, diagnostic excerpts) goes through `printable`, so that a
file can neither send commands to a terminal (ESC, CSI, OSC sequences) nor
disguise what is shown (bidirectional overrides and other format characters).
"""

from __future__ import annotations

__all__ = ["clip", "printable", "quote"]

#: Longest user input a message quotes before cutting it with `…`.
QUOTE_LIMIT = 60


def printable(text: str) -> str:
    r"""`text` with every non-printable character written as a Python escape.

    Non-printable means what `str.isprintable` says: controls (C0, DEL, C1),
    format characters (bidirectional overrides and isolates, zero-width
    characters…), separators other than the space, surrogates, private-use
    and unassigned code points. What is printable is kept as it is.

    >>> printable("id\x1b]52;c;aGk=\x07")
    'id\\x1b]52;c;aGk=\\x07'
    >>> printable("abc\u202edef")
    'abc\\u202edef'
    >>> printable("Zürich")
    'Zürich'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with `…` when it was cut.

    >>> clip("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def quote(text: object, limit: int = QUOTE_LIMIT) -> str:
    """User input for a message: in backticks, cut to `limit` characters, escaped.

    >>> quote("api\\nx")
    '`api\\\\nx`'
    """
    return f"`{printable(clip(str(text), limit))}`"
