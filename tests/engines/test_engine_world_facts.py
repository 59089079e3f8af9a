"""Facts of the whole check (`--fact`) in the DuckDB and Spark engines: the python engine's report.

Each engine is spied on to be sure it checked the rows itself rather than
handing them to the Python reader.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import MSFT, _boundary_records, write_csv, write_jsonl, write_parquet

import dealcheck

WORLD = """\
agreement "World" effective 2025-01-01
party Acme
provider Cloud operated by Acme
workload training, api
fact ipo: bool
fact price: number USD
fact notice: date
fact tier: one of gold, silver

clause gated:
  Acme runs training only if ipo or price >= 10 USD

clause noticed:
  Acme runs api only if notice <= 2025-03-01 and tier = gold

clause spend:
  total value of deployments by Acme on Cloud reaches 50 USD by 2025-12-31
"""

#: The facts of the whole check for the World terms, and for the Microsoft–OpenAI ones.
WORLD_FACTS = {"ipo": False, "price": "12 USD", "notice": "2025-02-01", "tier": "gold"}
MSFT_FACTS = {"rofr_declined": True, "customer": "commercial", "microsoft_consent": False}


def _world_records(count: int, seed: int) -> list[dict[str, Any]]:
    """Rows giving each fact or not, so that some take the check's value and some keep theirs."""
    rng = random.Random(seed)
    choices: dict[str, list[object]] = {
        "ipo": [True, False], "price": ["5 USD", "10 USD", "11.5 USD"],
        "notice": ["2025-01-15", "2025-03-02"], "tier": ["gold", "silver"]}
    records = []
    for number in range(count):
        facts = {name: rng.choice(values) for name, values in choices.items()
                 if rng.random() < 0.4}
        record: dict[str, Any] = {
            "id": f"w{number}", "party": "Acme", "workload": rng.choice(["training", "api"]),
            "provider": "Cloud", "start": f"2025-0{rng.randrange(1, 9)}-1{rng.randrange(10)}",
            "value": f"{rng.randrange(1, 9)} USD"}
        if facts:
            record["facts"] = facts
        records.append(record)
    return records


def _judged(report: dealcheck.Report) -> list[tuple[object, ...]]:
    """Each deployment's verdict and findings, wherever it was read from."""
    return [(d.id, d.verdict, d.evaluated_on, d.not_covered,
             [(f.clause, f.outcome, f.message, f.missing_facts, f.fix) for f in d.findings])
            for d in report.deployments]


@pytest.mark.parametrize(("terms_text", "facts", "records"), [
    (WORLD, WORLD_FACTS, _world_records(120, seed=3)),
    (None, MSFT_FACTS, None),
], ids=["world", "microsoft-openai"])
def test_duckdb_with_facts_of_the_check_gives_the_python_report(
        tmp_path: Path, opened: list[bool], terms_text: str | None, facts: dict[str, object],
        records: list[dict[str, Any]] | None) -> None:
    terms = MSFT
    if terms_text is not None:
        terms = tmp_path / "terms.deal"
        terms.write_text(terms_text, encoding="utf-8")
    rows = records if records is not None else _boundary_records(MSFT)
    jsonl = write_jsonl(tmp_path / "plan.jsonl", rows)
    csv = write_csv(tmp_path / "plan.csv", rows)
    parquet = write_parquet(tmp_path / "plan.parquet", csv)
    without = dealcheck.check_files(terms, [jsonl], engine="python")
    for path in (jsonl, csv):
        python = dealcheck.check_files(terms, [path], engine="python", facts=facts)
        duckdb = dealcheck.check_files(terms, [path], engine="duckdb", facts=facts)
        assert duckdb.to_json() == python.to_json(), path.name
        assert _judged(python) != _judged(without)  # the facts did change verdicts
        assert python.facts == dealcheck.check_files(terms, [path], facts=facts).facts
    from_parquet = dealcheck.check_files(terms, [parquet], engine="duckdb", facts=facts)
    assert _judged(from_parquet) == _judged(dealcheck.check_files(
        terms, [csv], engine="python", facts=facts))
    assert from_parquet.facts == python.facts != {}
    assert opened == [True, True, True, True, True]


def test_duckdb_with_facts_hands_bad_rows_to_the_python_reader(
        tmp_path: Path, opened: list[bool]) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(WORLD, encoding="utf-8")
    rows = _world_records(5, seed=4)
    rows[2]["facts"] = {"tier": "bronze"}
    csv = write_csv(tmp_path / "plan.csv", rows)
    with pytest.raises(dealcheck.DiagnosticsError) as info:
        dealcheck.check_files(terms, [csv], engine="duckdb", facts=WORLD_FACTS)
    assert [d.span.line for d in info.value.diagnostics] == [4]
    assert opened == [False]


def test_the_cli_takes_fact_with_engine_duckdb(tmp_path: Path) -> None:
    from helpers import run_dealcheck

    (tmp_path / "terms.deal").write_text(WORLD, encoding="utf-8")
    write_csv(tmp_path / "plan.csv", _world_records(30, seed=5))
    args = ["check", "terms.deal", "plan.csv", "--format", "json", "--fact", "ipo=true",
            "--fact", "tier=silver"]
    duckdb = run_dealcheck(*args, "--engine", "duckdb", cwd=tmp_path)
    python = run_dealcheck(*args, "--engine", "python", cwd=tmp_path)
    assert (duckdb.returncode, duckdb.stderr, duckdb.stdout) == (
        python.returncode, python.stderr, python.stdout)
    assert json.loads(duckdb.stdout)["facts"] == {"ipo": True, "tier": "silver"}


@pytest.mark.slow
def test_spark_with_facts_of_the_check_gives_the_python_report(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.engines import spark as spark_engine

    found: list[bool] = []
    files = spark_engine._SparkCheck.files

    def spy(self: Any, paths: list[str]) -> Any:
        run = files(self, paths)
        found.append(run is not None)
        return run

    monkeypatch.setattr(spark_engine._SparkCheck, "files", spy)
    terms = tmp_path / "terms.deal"
    terms.write_text(WORLD, encoding="utf-8")
    rows = _world_records(60, seed=6)
    jsonl = write_jsonl(tmp_path / "plan.jsonl", rows[:30])
    csv = write_csv(tmp_path / "plan.csv", rows[30:])
    python = dealcheck.check_files(terms, [jsonl, csv], engine="python", facts=WORLD_FACTS)
    on_spark = dealcheck.check_files(terms, [jsonl, csv], engine="spark", facts=WORLD_FACTS)
    assert on_spark.to_json() == python.to_json()
    assert found == [True]
