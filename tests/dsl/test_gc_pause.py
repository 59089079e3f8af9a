"""The cycle collector is paused while terms are built, and left working as it was found."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import pytest

from dealcheck._speed import paused_gc

SOURCE = """\
agreement "Pause" effective 2025-01-01

party OpenAI
provider Azure operated by Microsoft
workload api

clause api_on_azure:
  OpenAI runs api only on Azure
"""


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_many_parses_leave_no_garbage_behind() -> None:
    # Regression (found by the fuzzer): nodes moved unscanned to the oldest
    # generation after each pause stopped the collector's full collections,
    # and the garbage cycles of every parse (tracebacks of the errors it
    # recovers from) piled up: 1,100 objects a file, never freed.
    import dealcheck

    broken = SOURCE.replace("clause api_on_azure:", "clause api on azure:")
    gc.collect()
    before = len(gc.get_objects())
    for number in range(600):
        with contextlib.suppress(dealcheck.DiagnosticsError):
            dealcheck.loads(broken if number % 2 else SOURCE, "pause.deal")
    grown = len(gc.get_objects()) - before  # no explicit collection: as a service runs
    assert grown < 50_000, grown


def test_a_collector_that_was_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_back_on_after_an_error() -> None:
    with pytest.raises(ZeroDivisionError), paused_gc():
        1 / 0  # noqa: B018
    assert gc.isenabled()
