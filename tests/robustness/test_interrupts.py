"""Ctrl-C and SIGTERM unwind a command as exceptions (`dealcheck.interrupts`), also when they
stop a DuckDB query, which reports them as an error of its own and drops theirs."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest

from dealcheck.interrupts import Terminated, signals_raise


def _signalled(signum: int) -> None:
    """Send `signum` to this process and take the exception its handler raises, as DuckDB
    does when the signal comes during a query; then fail as DuckDB does."""
    with contextlib.suppress(KeyboardInterrupt, Terminated):
        os.kill(os.getpid(), signum)  # its handler runs before the next line
    raise RuntimeError("Query interrupted")


@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGINT, KeyboardInterrupt),
                                                (signal.SIGTERM, Terminated)])
def test_a_query_a_signal_stopped_raises_the_signals_exception(
        signum: int, raised: type[BaseException]) -> None:
    with pytest.raises(raised), signals_raise():
        _signalled(signum)


def test_the_same_error_without_a_signal_is_left_as_it_is() -> None:
    with pytest.raises(RuntimeError, match="Query interrupted"), signals_raise():
        raise RuntimeError("Query interrupted")


def test_a_real_interrupted_query_is_ctrl_c() -> None:
    import threading

    import duckdb

    con = duckdb.connect(config={"threads": 1})
    # Interrupted between two of its many small tasks: a join of generated rows.
    query = ("SELECT count(*) FROM range(200000000) a(x) JOIN range(200000000) b(y) "
             "ON a.x = b.y + 1")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt), signals_raise():
            con.execute(query).fetchall()
    finally:
        timer.cancel()
        con.close()


def test_handlers_are_restored_and_an_ignored_ctrl_c_stays_ignored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_raise():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == before
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with signals_raise():
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
