"""Input text made safe to print: invisible and control characters shown as escapes.

Every place that prints text taken from an input (ids, file names, titles,
labels, sources, diagnostic excerpts) goes through `printable`, so that a
file can neither send commands to a terminal (ESC, CSI, OSC sequences) nor
disguise what is shown (bidirectional overrides and other format characters).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

__all__ = ["BIDI_CONTROLS", "UNFIT_CATEGORIES", "clip", "printable", "quote", "unprintable"]

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


#: Characters that reorder the text around them: shown in a report, they disguise it.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNFIT = {"Cc": "a control character", "Cs": "a lone surrogate (not Unicode text)",
          "Zl": "a line separator", "Zp": "a paragraph separator"}
#: The Unicode categories `unprintable` refuses whole (for generators of valid text).
UNFIT_CATEGORIES: tuple[Literal["Cc", "Cs", "Zl", "Zp"], ...] = ("Cc", "Cs", "Zl", "Zp")


def unprintable(text: str, *, invisible: bool = False) -> str | None:
    r"""What makes `text` unfit to print in a report, if anything.

    Ids and the strings of terms files are refused when they hold one of
    these: a control character (C0, DEL, C1: ESC starts terminal commands), a
    bidirectional control, a line or paragraph separator, or a lone surrogate.
    Other invisible characters (zero-width joiners, soft hyphens) are allowed,
    and `printable` shows them escaped, unless `invisible` is set: deployment
    ids refuse every format character, as `aws\u200b-api` would print like
    `aws-api`.

    >>> unprintable("aws\x1b[31m")
    'a control character `\\x1b`'
    >>> unprintable("Zürich") is None
    True
    >>> unprintable("aws\u200b-api", invisible=True)
    'an invisible format character `\\u200b`'
    """
    for char in text:
        what = _UNFIT.get(unicodedata.category(char))
        if what is None and char in BIDI_CONTROLS:
            what = "a bidirectional text control"
        elif what is None and invisible and unicodedata.category(char) == "Cf":
            what = "an invisible format character"
        if what is not None:
            return f"{what} {quote(char)}"
    return None
