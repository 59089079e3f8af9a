"""The grammar of terms files, and its LALR parser kept in the user's cache directory.

Building the LALR tables from ``deal.lark`` takes longer than parsing a
terms file; Lark can save the built parser and load it again. The file is
kept in the user's own cache directory (``$XDG_CACHE_HOME/dealcheck``, else
``~/.cache/dealcheck``), never in a directory other users can write to, since
loading it runs what it holds. Its name carries a digest of the grammar and
of the Lark and Python versions, so a changed grammar or an upgrade never
loads a stale parser. It is written to a private temporary name and moved
into place whole: a process never reads a half-written file. When the
directory cannot be made or written (read-only home, no home at all), the
parser is simply built each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark


@cache
def grammar_text() -> str:
    """The grammar of terms files (``deal.lark``)."""
    return resources.files("dealcheck.dsl").joinpath("deal.lark").read_text("utf-8")


def cache_directory() -> Path | None:
    """Where the built parser is kept: the user's cache directory, or None without a home."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home directory to be found
            return None
    return Path(base) / "dealcheck"


def cache_file(directory: Path, options: dict[str, Any]) -> Path:
    """The cache file in `directory` of this grammar, these options, Lark and Python."""
    key = "\0".join((grammar_text(), _describe(options), lark.__version__, sys.version))
    return directory / f"deal-parser-{hashlib.sha256(key.encode()).hexdigest()[:24]}.lark"


def _describe(value: object) -> str:
    """Options as text that is the same in every process (no addresses of objects)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in sorted(value.items())) + "}"
    if value is None or isinstance(value, str | int | float):
        return repr(value)
    named = value if hasattr(value, "__qualname__") else type(value)
    return f"{named.__module__}.{named.__qualname__}"


def lalr_parser(directory: Path | None, **options: Any) -> Lark:
    """The LALR parser of ``deal.lark`` with `options`, loaded from `directory` when saved there.

    Args:
        directory: the cache directory (None: always build the parser).
        options: Lark options (the post-lexer and callbacks are saved by reference).

    Returns:
        The parser, the same whether it was built or loaded.
    """
    options = {"parser": "lalr", **options}
    if directory is None:
        return Lark(grammar_text(), **options)
    target = cache_file(directory, options)
    try:
        with open(target, "rb") as saved:
            loaded: Lark = Lark.load(saved)
        return loaded
    except Exception:  # missing, unreadable or damaged (any error unpickling): build it
        pass
    parser = Lark(grammar_text(), **options)
    _save(parser, target)
    return parser


def _save(parser: Lark, target: Path) -> None:
    """Save `parser` as `target`, whole or not at all (a read-only directory is fine)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".deal-parser-", dir=target.parent)
    except OSError:  # not a directory, or read-only: the parser is built each time
        return
    try:
        with os.fdopen(handle, "wb") as out:
            parser.save(out)
        os.replace(temporary, target)
    except (OSError, pickle.PicklingError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
