"""Texts of dates, facts and names converted in SQL only where the scenario reader agrees."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_duckdb import MSFT

import dealcheck
from dealcheck import limits
from dealcheck.engines.values import INVALID, ValueJudge
from dealcheck.rules.units import Quantity
from hypothesis_profiles import examples


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


# ---------------------------------------------------------------- canonical texts, unjudged

#: Terms with a field or fact of every kind: units declared, number facts with a default.
CANONICAL_TERMS = """agreement "Canonical texts" effective 2025-01-01

party A, B
provider P operated by A
workload w
region R

unit EUR: money
unit TPU
unit cases: count

fact kind: one of alpha, beta_2
fact ok: bool
fact due: date
fact draw: number MW
fact share: number
fact pods: number TPU

clause c:
  A runs w only on P
"""

_QUANTITY = (r"\A ?[0-9][0-9_,]{0,31}(\.[0-9]{0,11})?[kMBT]? {0,2}"
             r"(USD|EUR|W|kW|MW|GW|GPU|GPUs|TPU|cases|usd|Mw|xyz)? ?\Z")
_DATE = r"\A ?[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}( |T00:00)?\Z"
#: Texts near each field's canonical form, as a CSV cell would hold them.
_TEXTS: dict[str, st.SearchStrategy[str]] = {
    "date": st.one_of(st.dates().map(dt.date.isoformat), st.from_regex(_DATE),
                      st.sampled_from(["0000-01-01", "10000-01-01", "2024-02-29", "2025-02-29",
                                       "2025-1-5",
                                       "2025/01/05", "+2025-01-05", "20250105"])),
    "quantity": st.one_of(
        st.from_regex(_QUANTITY),
        st.builds(lambda n, f, m, u: f"{n}{f}{m} {u}".strip(),
                  st.integers(0, 10**31).map(str),
                  st.sampled_from(["", ".5", ".000000001", ".0000000001", ".123456789"]),
                  st.sampled_from(["", "k", "M", "B", "T"]),
                  st.sampled_from(["", "USD", "EUR", "W", "GW", "GPU", "TPU", "cases"]))),
    "bool": st.sampled_from(["true", "false", "True", "FALSE", "tRUE", "False", "1", "yes",
                             " true", ""]),
    "name": st.sampled_from(["alpha", "beta_2", "Alpha", " alpha", "alpha ", "gamma", ""]),
}
_FIELDS = {"start": "date", "end": "date", "fact:due": "date", "capacity": "quantity",
           "value": "quantity", "fact:draw": "quantity", "fact:share": "quantity",
           "fact:pods": "quantity", "fact:ok": "bool", "fact:kind": "name"}


def _cells(text: str) -> list[tuple[str, str]]:
    """The (family, text) cells a text is given as: a CSV cell, a JSON string, a JSON literal."""
    cells = [("text", text), ("json", json.dumps(text)), ("json", json.dumps(text,
                                                                           ensure_ascii=False))]
    if text in ("true", "false"):
        cells.append(("json", text))
    return cells


def _strictly(judge: ValueJudge, name: str, cells: list[tuple[str, str]]) -> list[Any]:
    """What `ValueJudge.strict` converts each cell to: (value, dimension), None if it does not."""
    found = judge.strict(name, "t", "f", "a")
    if found is None:
        return [None] * len(cells)
    first, value, dimension = found
    rows = judge.con.execute(
        f"SELECT {value}, {dimension} FROM (SELECT *, {first or 'NULL'} AS a FROM "
        "(SELECT unnest(?::VARCHAR[]) AS t, unnest(?::VARCHAR[]) AS f, "
        "unnest(range(?)) AS n)) ORDER BY n",
        [[t for _, t in cells], [f for f, _ in cells], len(cells)]).fetchall()
    return [None if v is None else (v, d) for v, d in rows]


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> ValueJudge:
    path = tmp_path_factory.mktemp("canonical") / "terms.deal"
    path.write_text(CANONICAL_TERMS, encoding="utf-8")
    return ValueJudge(duckdb.connect(), dealcheck.load(path).vocabulary)


@pytest.mark.parametrize("name", sorted(_FIELDS))
@settings(max_examples=examples(160), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), ceiling=st.sampled_from([None, 10**12, 10**29, 10**29 + 1]))
def test_a_text_converted_without_judging_is_the_readers_value(
        canonical: ValueJudge, name: str, data: st.DataObject, ceiling: int | None) -> None:
    """Differential: whatever text `ValueJudge.strict` converts, the scenario reader
    accepts, with the same value (a quantity: amount and dimension)."""
    texts = data.draw(st.lists(_TEXTS[_FIELDS[name]], min_size=1, max_size=8), label="texts")
    cells = [cell for text in texts for cell in _cells(text)]
    with limits.configured(**({} if ceiling is None else {"max_quantity": ceiling})):
        converted = _strictly(canonical, name, cells)
        for (family, text), got in zip(cells, converted, strict=True):
            if got is None:
                continue
            value = canonical.judge(name, family, text)
            assert value is not INVALID, (family, text, got)
            if isinstance(value, Quantity):
                assert (value.amount, value.dimension) == got, (family, text)
            else:
                assert (value, None) == got, (family, text)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("start", "2025-01-05", dt.date(2025, 1, 5)),
    ("end", '"0001-01-01"', dt.date(1, 1, 1)),
    ("fact:due", '"2024-02-29"', dt.date(2024, 2, 29)),
    ("value", '"825M USD"', (Decimal(825 * 10**6), "money")),
    ("value", "0.5k EUR", (Decimal(500), "EUR")),
    ("capacity", '"1.5 GW"', (Decimal(15 * 10**8), "power")),
    ("capacity", "4608 GPUs", (Decimal(4608), "count")),
    ("capacity", "1.000000001T GW", (Decimal("1000000001000000000000"), "power")),
    ("capacity", "12345678.5T GW", (Decimal("12345678500000000000000000000"), "power")),
    ("fact:draw", "12.5", (Decimal("12500000"), "power")),
    ("fact:share", '"0.000000001"', (Decimal("1E-9"), "")),
    ("fact:pods", "3 TPU", (Decimal(3), "TPU")),
    ("fact:ok", "true", True),
    ("fact:ok", "false", False),
    ("fact:ok", "TRUE", True),
    ("fact:ok", "False", False),
    ("fact:kind", '"beta_2"', "beta_2"),
])
def test_canonical_texts_convert(canonical: ValueJudge, name: str, text: str,
                                 expected: object) -> None:
    family = "json" if text.startswith('"') else "text"
    [got] = _strictly(canonical, name, [(family, text)])
    assert got == (expected if isinstance(expected, tuple) else (expected, None))


@pytest.mark.parametrize(("name", "text"), [
    ("start", " 2025-01-05"), ("start", "2025-1-5"), ("start", '"2025-01-05 "'),
    ("start", "0000-01-01"), ("start", '"2025\\u002d01-05"'), ("start", "10000-01-01"),
    ("fact:due", '"10000-01-01"'),
    ("value", "825,000,000 USD"), ("value", "825M  USD"), ("value", "1_000 USD"),
    ("value", "825 MW"), ("value", "825"), ("value", "1.0000000001 USD"),
    ("value", "100000000000000000000000000000 USD"), ("capacity", "300MW"),
    ("capacity", "123456789T GW"),  # 30 digits before the point
    ("fact:share", "5 MW"), ("fact:ok", "tRUE"), ("fact:ok", '"true"'),
    ("fact:ok", '"True"'), ("fact:ok", " true"),
    ("fact:kind", " alpha"), ("fact:kind", '"gamma"'),
])
def test_other_texts_are_left_to_the_reader(canonical: ValueJudge, name: str, text: str) -> None:
    family = "json" if text.startswith('"') else "text"
    assert _strictly(canonical, name, [(family, text)]) == [None]
