"""On drawn terms and inventories, the DuckDB engine's report is the Python engine's."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck.checker.files import CheckRun, check_files_into, collect_report
from dealcheck.dsl.format import format_document
from dealcheck.engines.duckdb import duckdb_run
from dealcheck.engines.plan import declined
from dealcheck.report.json import render_json
from dealcheck.report.output import make_renderer, rows_renderer, stream_report
from dealcheck.testing import _documents, scenario_document, scenarios
from hypothesis_profiles import examples

# A DuckDB session per example: the slow tier.
pytestmark = pytest.mark.slow


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_drawn_terms_and_inventories_give_the_same_report(data: st.DataObject) -> None:
    text = data.draw(_documents.terms_plans().map(lambda p: format_document(p.document())),
                     label="terms")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "t.deal").write_text(text, encoding="utf-8")
        terms = dealcheck.load(root / "t.deal")
        ds = data.draw(scenarios(terms, min_size=1, max_size=30), label="deployments")
        as_of = data.draw(st.none() | st.dates(dt.date(2018, 1, 1), dt.date(2032, 12, 31)),
                          label="as_of")
        entries = scenario_document(ds)["deployments"]
        assert isinstance(entries, list)
        if data.draw(st.booleans(), label="as CSV"):
            path = root / "plan.csv"
            _write_csv(path, entries, list(terms.vocabulary.facts))
        else:
            path = root / "plan.jsonl"
            path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
        python = check_files_into(terms, [path], collect_report, as_of=as_of)
        if declined(terms) is not None:
            # Terms comparing two operands are the Python engine's: `auto` takes them there.
            auto = check_files_into(terms, [path], collect_report, as_of=as_of, engine="auto")
            assert render_json(auto) == render_json(python)
            return
        with duckdb_run(terms, [path], as_of) as run:
            assert run is not None  # the engine judged them itself
        duck = check_files_into(terms, [path], collect_report, as_of=as_of, engine="duckdb")
        assert render_json(duck) == render_json(python)
        # The formats whose rows the engine renders in bulk: the same bytes.
        fmt = data.draw(st.sampled_from(["json", "jsonl", "parquet"]), label="format")
        texts = [check_files_into(terms, [path], _written(fmt), as_of=as_of, engine=engine,
                                  rows=rows_renderer(fmt)) for engine in ("python", "duckdb")]
        assert texts[1] == texts[0]


def _written(fmt: str) -> Callable[[CheckRun], str]:
    """A sink giving the report in `fmt` as the CLI writes it."""

    def sink(run: CheckRun) -> str:
        return "".join(stream_report(make_renderer(fmt), run.meta, run.results, run.aggregates))

    return sink


def _write_csv(path: Path, entries: list[dict[str, Any]], facts: list[str]) -> None:
    columns = ["id", "party", "workload", "provider", "region", "capacity", "value", "start",
               "end"]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*columns, *(f"facts.{f}" for f in facts)])
        for entry in entries:
            given = entry.get("facts") or {}
            writer.writerow([entry.get(c, "") for c in columns]
                            + [_cell(given.get(f)) for f in facts])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
