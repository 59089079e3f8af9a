"""On inventories built to hit every boundary, DuckDB's results are Python's, row for row.

Every day where something changes — an epoch's start, a clause coming into
or out of force, an aggregate's window opening and closing, a deadline — and
the days either side; every party, workload, provider and region (and no
region); each fact absent, null, and each of its values (true and false).
The per-row results (verdict, findings and their fixes) of both engines must
be the same; so must the aggregates and the summary.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import MSFT, STARGATE, write_csv, write_jsonl

import dealcheck
from dealcheck.rules import model as m
from helpers import run_dealcheck

ONE_DAY = dt.timedelta(days=1)


def boundary_days(terms: dealcheck.Terms) -> list[dt.date]:
    """Each day where the terms change, with the days before and after."""
    marks: set[dt.date] = set(terms.compiled().starts)
    for clause in terms.compiled().terms.clauses:
        marks.add(clause.in_force_from)
        if clause.in_force_through is not None:
            marks.add(clause.in_force_through)
        if isinstance(clause.rule, m.Aggregate):
            marks.update(d for d in (clause.rule.window_from, clause.rule.window_through,
                                     clause.rule.deadline) if d is not None)
    return sorted({day + shift for day in marks for shift in (-ONE_DAY, dt.timedelta(), ONE_DAY)})


def fact_states(fact: m.FactType) -> list[object]:
    """A fact absent (`...`), null, and each of its values."""
    if fact.kind is m.FactKind.BOOL:
        values: list[object] = [True, False]
    elif fact.kind is m.FactKind.ENUM:
        values = list(fact.values)
    elif fact.kind is m.FactKind.NUMBER:
        values = ["0 USD", "1B USD", "5 GW"]
    else:
        values = ["2025-01-01", "2030-12-31"]
    return [..., None, *values]


def boundary_records(terms: dealcheck.Terms, copies: int = 1) -> list[dict[str, Any]]:
    """Rows for every boundary day, cycling through names, regions and fact states."""
    vocabulary = terms.vocabulary
    names = {"party": list(vocabulary.parties), "workload": list(vocabulary.workloads),
             "provider": list(vocabulary.providers)}
    regions: list[str | None] = [*vocabulary.regions, None]
    facts = {name: fact_states(f.type) for name, f in vocabulary.facts.items()}
    width = max(len(regions), *(len(v) for v in names.values()),
                *(len(s) for s in facts.values()))
    records: list[dict[str, Any]] = []
    for day in boundary_days(terms) * copies:
        for step in range(width):
            number = len(records)
            record: dict[str, Any] = {"id": f"b{number}"}
            for field, values in names.items():
                # A different stride per field, so that the combinations vary.
                record[field] = values[(step + number // width * (len(field) + 1)) % len(values)]
            region = regions[(step + number // width) % len(regions)]
            if region is not None:
                record["region"] = region
            record["start"] = day.isoformat()
            if number % 3:
                record["value"] = f"{number % 90 + 1}B USD"
            if number % 4 == 1:
                record["capacity"] = f"{number % 7 + 1} GW"
            given: dict[str, object] = {}
            for offset, (name, states) in enumerate(facts.items()):
                state = states[(step + offset + number // width) % len(states)]
                if state is not ...:
                    given[name] = state
            if given:
                record["facts"] = given
            records.append(record)
    return records


def _lines(terms: Path, path: Path, tmp_path: Path, engine: str, *extra: str) -> list[Any]:
    done = run_dealcheck("check", terms, path, "--format", "jsonl", "--engine", engine, *extra,
                         cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _compare(terms_path: Path, tmp_path: Path, kind: str, copies: int,
             as_of: str | None, opened: list[bool]) -> None:
    terms = dealcheck.load(terms_path)
    records = boundary_records(terms, copies)
    path = tmp_path / f"bounds.{kind}"
    (write_jsonl if kind == "jsonl" else write_csv)(path, records)
    extra = ("--as-of", as_of) if as_of else ()
    python = _lines(terms_path, path, tmp_path, "python", *extra)
    duck = _lines(terms_path, path, tmp_path, "duckdb", *extra)
    assert opened == [True]  # the engine read the rows itself
    assert len(python) == len(duck) > len(records)
    for mine, reference in zip(duck[:len(records)], python[:len(records)], strict=True):
        assert mine == reference, reference["id"]
    assert duck[len(records):] == python[len(records):]  # aggregates and the summary
    # The inventory reaches what it is built for.
    rows = python[:len(records)]
    assert {r["verdict"] for r in rows} >= {"compliant", "undetermined"}
    assert any(f["fix"] for r in rows for f in r["findings"])
    assert not all(r["not_covered"] for r in rows)


@pytest.mark.parametrize("terms", [MSFT, STARGATE], ids=["microsoft-openai", "stargate"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize("as_of", [None, pytest.param("2026-01-01", marks=pytest.mark.slow)])
def test_boundary_rows_are_the_same_row_for_row(tmp_path: Path, terms: Path, kind: str,
                                                as_of: str | None, opened: list[bool]) -> None:
    _compare(terms, tmp_path, kind, 1, as_of, opened)


def test_the_boundaries_cover_every_name_and_fact_state() -> None:
    terms = dealcheck.load(MSFT)
    records = boundary_records(terms)
    days = {r["start"] for r in records}
    assert days == {d.isoformat() for d in boundary_days(terms)}
    for field, names in (("party", terms.vocabulary.parties), ("provider",
                                                              terms.vocabulary.providers)):
        assert {r[field] for r in records} == set(names)
    assert {r.get("region") for r in records} == {*terms.vocabulary.regions, None}
    for name, fact in terms.vocabulary.facts.items():
        seen = {json.dumps(r.get("facts", {}).get(name, "absent")) for r in records}
        assert seen == {json.dumps(s if s is not ... else "absent")
                        for s in fact_states(fact.type)}, name


@pytest.mark.slow
def test_many_boundary_rows_are_the_same_row_for_row(tmp_path: Path,
                                                     opened: list[bool]) -> None:
    # About 5,000 rows, each boundary day many times in other combinations (CI's smaller
    # version: `benchmarks/bench_engines.py --python` compares 1,000,000 rows byte for byte).
    _compare(MSFT, tmp_path, "jsonl", 20, None, opened)
