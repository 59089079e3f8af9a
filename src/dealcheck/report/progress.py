"""The progress bar of a long check, drawn on standard error while its deployments pass.

Rich draws it, and is imported only to draw it: a check whose standard error
is no terminal (a pipeline, a CI log) and whose report is not text never
pays for importing rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TextIO, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["PROGRESS_MIN_TOTAL", "with_progress"]

T = TypeVar("T")

#: Inputs shorter than this finish before a progress bar is worth drawing.
PROGRESS_MIN_TOTAL = 1000


def with_progress(
    iterable: Iterable[T],
    total: int | None,
    enabled: bool,
    *,
    description: str = "checking",
    min_total: int = PROGRESS_MIN_TOTAL,
    console: Console | None = None,
    size: Callable[[T], int] | None = None,
) -> Iterator[T]:
    """Yield the items of `iterable`, drawing a progress bar on stderr while they pass.

    The bar appears only when `enabled`, the console (stderr by default) is a terminal and
    the input is long (`total` unknown, or at least `min_total`); otherwise the items pass
    straight through. The bar is removed when the iteration ends.

    Args:
        iterable: the items, for example deployments being checked.
        total: how many items there are, if known.
        enabled: the caller's switch (e.g. only for `--format text`).
        description: the label before the bar.
        min_total: below this total no bar is drawn.
        console: where to draw; stderr if omitted.
        size: how far each item moves the bar (1 if omitted): a run of
            deployments judged elsewhere counts as its deployments.

    Returns:
        An iterator over the same items in the same order.
    """
    if not enabled or (total is not None and total < min_total):
        yield from iterable
        return
    if console is None and not _may_be_terminal(sys.stderr):
        yield from iterable
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    out = console if console is not None else Console(stderr=True)
    if not out.is_terminal:
        yield from iterable
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as progress:
        if size is None:
            yield from progress.track(iterable, total=total, description=description)
            return
        task = progress.add_task(description, total=total)
        for item in iterable:
            yield item
            progress.advance(task, size(item))


def _may_be_terminal(stream: TextIO) -> bool:
    """False only when rich's console on `stream` is certainly no terminal.

    Rich takes a stream for a terminal when ``TTY_COMPATIBLE=1``, when
    ``FORCE_COLOR`` is set and not empty, or when the stream is a TTY (and
    ``TTY_COMPATIBLE`` is not ``0``); in every other case it is none, and
    rich need not be imported to learn it.
    """
    if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
