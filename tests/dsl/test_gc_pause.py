"""The cycle collector is paused while terms are built, and left as it was found."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dealcheck.dsl.parse import parse, paused_gc

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
def test_what_a_pause_built_goes_to_the_oldest_generation_unscanned() -> None:
    collections = sum(s["collections"] for s in gc.get_stats())
    with paused_gc():
        assert not gc.isenabled()
        document = parse(SOURCE, "pause.deal")
    assert gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(document) in oldest
    assert id(document.items[0]) in oldest
    # No collection ran during the pause (the nodes were never scanned young).
    assert sum(s["collections"] for s in gc.get_stats()) == collections


@pytest.mark.usefixtures("collector_on")
def test_a_program_that_froze_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            parse(SOURCE, "pause.deal")
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


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
