"""Texts of dates, facts and names converted in SQL only where the scenario reader agrees."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from test_engine_duckdb import MSFT

import dealcheck
from dealcheck.engines.values import INVALID, ValueJudge


def _judged(texts: dict[str, list[tuple[str, str]]]) -> ValueJudge:
    """A judge of the distinct (family, text) cells of some fields."""
    vocabulary = dealcheck.load(MSFT).vocabulary
    judge = ValueJudge(duckdb.connect(), vocabulary)
    judge.judge_all(texts)
    return judge


def _converted(judge: ValueJudge, expression: str, family: str, text: str) -> object:
    found = judge.con.execute(f"SELECT {expression} FROM (SELECT ? AS t, ? AS f)",
                              [text, family]).fetchone()
    assert found is not None
    return found[0]


@pytest.mark.parametrize(("name", "cells"), [
    ("start", [("json", '"2025-01-05"'), ("text", "2025-01-05"), ("json", '"2025-02-30"'),
               ("json", "true")]),
    ("fact:microsoft_consent", [("json", "true"), ("json", "false"), ("text", "true"),
                                ("json", '"true"')]),
    ("fact:customer", [("json", '"commercial"'), ("text", "us_national_security"),
                       ("json", "true")]),
])
def test_a_conversion_that_agrees_on_every_text_gives_the_readers_values(
        name: str, cells: list[tuple[str, str]]) -> None:
    judge = _judged({name: cells})
    expression = judge.direct(name, "t", "f")
    assert expression is not None
    for family, text in cells:
        value = judge.values[name].found[(family, text)]
        got = _converted(judge, expression, family, text)
        assert got == (None if value is INVALID else value)
    assert any(judge.values[name].found[c] is INVALID for c in cells)  # refusals are NULL


def test_a_conversion_that_disagrees_on_one_text_is_not_used() -> None:
    # SQL reads `2025-1-5` as a date; the scenario reader does not.
    judge = _judged({"start": [("json", '"2025-01-05"'), ("text", "2025-1-5")],
                     "fact:customer": [("json", '"commercial"'), ("json", '"nobody"')]})
    assert judge.values["start"].found[("json", '"2025-01-05"')] == dt.date(2025, 1, 5)
    assert judge.values["start"].found[("text", "2025-1-5")] is INVALID
    assert judge.direct("start", "t", "f") is None
    # A value the terms do not declare: SQL does not know the declared values.
    assert judge.values["fact:customer"].found[("json", '"nobody"')] is INVALID
    assert judge.direct("fact:customer", "t", "f") is None


def test_quantities_are_always_joined() -> None:
    judge = _judged({"value": [("json", '"825M USD"')]})
    assert judge.direct("value", "t", "f") is None
