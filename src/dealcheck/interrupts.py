"""Ctrl-C and SIGTERM while a command runs, unwound as exceptions so that its cleanup runs.

SIGTERM (what CI sends on cancel) raises `Terminated` in the main thread, as
Ctrl-C raises `KeyboardInterrupt`: the engine's temporary directory, a
report's spool and a half-written report are removed on the way out. A
signal that comes while DuckDB runs a query stops the query, but DuckDB
reports it as an error of its own (``Query interrupted``) and drops the
exception the signal raised: `signals_raise` notes each signal, and unwinds
such an error as the signal's exception.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "signals_raise"]


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C (exit 143)."""


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """While the body runs: SIGTERM raises `Terminated` (a second one, during the cleanup,
    is ignored), Ctrl-C `KeyboardInterrupt` (unless the process ignores it), and a
    DuckDB query that either stopped raises that exception too.

    Only the main thread can set signal handlers: elsewhere (an embedding
    application) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[type[BaseException]] = []

    def terminate(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        received.append(Terminated)
        raise Terminated

    def interrupt(signum: int, frame: FrameType | None) -> None:
        received.append(KeyboardInterrupt)
        raise KeyboardInterrupt

    previous_term = signal.signal(signal.SIGTERM, terminate)
    # A process started to ignore Ctrl-C (in the background of a shell) keeps ignoring it.
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    except Exception as exc:
        if received and _query_interrupted(exc):
            raise received[-1] from None
        raise
    finally:
        signal.signal(signal.SIGTERM,
                      previous_term if previous_term is not None else signal.SIG_DFL)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)


def _query_interrupted(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB's error for a query a signal stopped."""
    return type(exc).__name__ == "InterruptException" or (
        type(exc) is RuntimeError and str(exc) == "Query interrupted")
