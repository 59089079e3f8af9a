"""Units with a dimension: currencies and counts of one's own, never converted into each other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dealcheck
from dealcheck.checker.results import AggregateVerdict, Verdict
from helpers import run_dealcheck

TERMS = """\
agreement "Currencies" effective 2025-01-01
party Acme
provider Cloud operated by Acme
workload training
unit EUR: money
unit TPU: count
fact price: number EUR

clause eu_cap:
  total value of deployments is at most 5M EUR

clause usd_cap:
  total value of deployments is at most 5M USD

clause tpus:
  total capacity of deployments reaches 100 TPU

clause cheap:
  Acme runs training only if value <= 2M EUR
"""


def _row(ident: str, *, capacity: str | None = None, value: str | None = None,
         **facts: object) -> dict[str, Any]:
    row: dict[str, Any] = {"id": ident, "party": "Acme", "workload": "training",
                           "provider": "Cloud", "start": "2025-02-01"}
    if capacity is not None:
        row["capacity"] = capacity
    if value is not None:
        row["value"] = value
    if facts:
        row["facts"] = facts
    return row


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS, "terms.deal")


def _aggregate(report: Any, clause: str) -> Any:
    return next(a for a in report.aggregates if a.clause == clause)


def test_euros_add_up_in_a_total_in_euros(terms: dealcheck.Terms) -> None:
    report = terms.check([_row("a", value="1M EUR"), _row("b", value="3.5M EUR")])
    eu = _aggregate(report, "eu_cap")
    assert (eu.verdict, eu.total, eu.missing_quantity) == (
        AggregateVerdict.COMPLIANT, "4500000 EUR", ())


def test_dollars_are_an_unknown_quantity_for_a_total_in_euros(terms: dealcheck.Terms) -> None:
    report = terms.check([_row("a", value="1M EUR"), _row("b", value="3M USD")])
    eu, usd = _aggregate(report, "eu_cap"), _aggregate(report, "usd_cap")
    assert eu.verdict is AggregateVerdict.UNDETERMINED
    assert eu.missing_quantity == ("b",)
    assert eu.total == "1000000 EUR"
    assert "1 deployment(s) lack `value` in EUR" in eu.message
    # and the euros are unknown to the total in dollars, named the same way
    assert usd.verdict is AggregateVerdict.UNDETERMINED
    assert usd.missing_quantity == ("a",)
    assert "lack `value` in USD" in usd.message


def test_the_known_part_decides_a_total_despite_another_currency(
        terms: dealcheck.Terms) -> None:
    report = terms.check([_row("a", value="6M EUR"), _row("b", value="3M USD")])
    eu = _aggregate(report, "eu_cap")
    assert eu.verdict is AggregateVerdict.VIOLATION
    assert eu.missing_quantity == ("b",)


def test_a_count_unit_is_a_capacity_and_gpus_never_count_as_tpus(
        terms: dealcheck.Terms) -> None:
    met = terms.check([_row("a", capacity="60 TPU"), _row("b", capacity="40 TPU")])
    assert _aggregate(met, "tpus").verdict is AggregateVerdict.COMPLIANT
    mixed = terms.check([_row("a", capacity="60 TPU"), _row("b", capacity="4608 GPU")])
    tpus = _aggregate(mixed, "tpus")
    assert (tpus.verdict, tpus.missing_quantity) == (AggregateVerdict.UNDETERMINED, ("b",))
    assert "lack `capacity` in TPU" in tpus.message


def test_a_value_in_another_currency_leaves_a_condition_unknown_and_named(
        terms: dealcheck.Terms) -> None:
    report = terms.check([_row("x", value="3M USD"), _row("a", value="1M USD"),
                          _row("b", value="1M EUR"), _row("c", value="3M EUR"), _row("d")])
    assert [report.verdict_of(x) for x in "abc"] == [
        Verdict.UNDETERMINED, Verdict.COMPLIANT, Verdict.VIOLATION]
    a = next(d for d in report.deployments if d.id == "a")
    finding = next(f for f in a.findings if f.clause == "cheap")
    # a deployment without a value is unknown too, but its value is not in another unit
    absent = next(f for d in report.deployments if d.id == "d" for f in d.findings)
    assert absent.message.endswith("which is unknown")
    assert finding.missing_facts == ("value",)
    assert finding.message.endswith(
        "(`value` is given in a unit never converted to the one it is compared with)")


def test_a_total_without_other_units_keeps_its_message(tmp_path: Path) -> None:
    plain = dealcheck.loads(TERMS.replace("unit EUR: money\n", "").replace(
        "fact price: number EUR\n", "").replace(
        "clause eu_cap:\n  total value of deployments is at most 5M EUR\n\n", "").replace(
        "value <= 2M EUR", "value <= 2M USD"), "terms.deal")
    usd = _aggregate(plain.check([_row("a")]), "usd_cap")
    assert usd.message.endswith("1 deployment(s) lack `value`")


@pytest.mark.parametrize(("row", "message"), [
    (_row("a", value="5 TPU"), "`value` must be money, found a count `5 TPU`"),
    (_row("a", capacity="5M EUR"), "`capacity` must be power or a count, found money `5M EUR`"),
    (_row("a", price="5 USD"), "fact `price` is in EUR (money), found money `5 USD`"),
])
def test_a_scenario_quantity_of_the_wrong_kind_is_refused(tmp_path: Path, row: dict[str, Any],
                                                          message: str) -> None:
    (tmp_path / "terms.deal").write_text(TERMS, encoding="utf-8")
    (tmp_path / "plan.json").write_text(json.dumps({"deployments": [row]}), encoding="utf-8")
    run = run_dealcheck("check", "terms.deal", "plan.json", cwd=tmp_path)
    assert run.returncode == 2
    assert "plan.json:1:" in run.stderr
    assert message in run.stderr


def test_the_duckdb_engine_gives_the_python_report_on_currencies(tmp_path: Path) -> None:
    (tmp_path / "terms.deal").write_text(TERMS, encoding="utf-8")
    rows = [_row("a", value="1M EUR", capacity="60 TPU"), _row("b", value="3M USD"),
            _row("c", value="4.5M EUR", capacity="50 GPU"), _row("d", capacity="45 TPU"),
            _row("e")]
    (tmp_path / "plan.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                         encoding="utf-8")
    python = run_dealcheck("check", "terms.deal", "plan.jsonl", "--format", "json",
                           "--engine", "python", cwd=tmp_path)
    duck = run_dealcheck("check", "terms.deal", "plan.jsonl", "--format", "json",
                         "--engine", "duckdb", cwd=tmp_path)
    assert (duck.returncode, duck.stderr) == (python.returncode, python.stderr)
    assert duck.stdout == python.stdout
    aggregates = {a["clause"]: a for a in json.loads(python.stdout)["aggregates"]}
    assert aggregates["eu_cap"]["missing_quantity"] == ["b", "d", "e"]


def test_a_fix_never_gives_a_fact_a_quantity_in_another_currency() -> None:
    # `value` in EUR against `price` in USD: no value of `price` (in USD) settles it, and a
    # `price` in EUR would be refused by the scenario's validation: no such fix is offered.
    terms = dealcheck.loads(
        'agreement "Fx" effective 2025-01-01\n'
        "party Acme\nprovider Sky operated by Acme\nworkload api\n"
        "unit EUR: money\nfact price: number USD\n"
        "clause c1:\n  Acme must not run api\n"
        "amendment a1 effective 2025-01-01:\n"
        "  clause c2 notwithstanding c1:\n    Acme may run api when value < price\n")
    report = terms.check([{"id": "d1", "party": "Acme", "workload": "api", "provider": "Sky",
                           "start": "2025-01-01", "value": "0 EUR"}])
    fixes = [f.fix or "" for f in report.deployments[0].findings]
    assert fixes and not any("EUR" in fix for fix in fixes)
