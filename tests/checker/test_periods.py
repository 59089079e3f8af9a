"""Per-period totals: `per calendar year|quarter|contract year` (issue 16: yearly minimums)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import dealcheck
from dealcheck import AggregateVerdict
from dealcheck.checker.periods import period_start, spans
from dealcheck.checker.results import PeriodResult
from dealcheck.dsl.format import format_source
from dealcheck.report.markdown import render_markdown
from dealcheck.report.model import ReportDocument, report_json_schema
from helpers import run_dealcheck, validate_json

V, C, OPEN, U = (AggregateVerdict.VIOLATION, AggregateVerdict.COMPLIANT, AggregateVerdict.OPEN,
              AggregateVerdict.UNDETERMINED)

TERMS = """\
agreement "Distribution" effective 2025-01-01
party Acme
provider Plant operated by Acme
workload product
region EU, US

clause yearly_minimum:
  total value of deployments starting from 2025-01-01 through 2027-12-31 \
per calendar year reaches 1M USD

clause few_sites:
  number of deployments in US per quarter is at most 2

clause contract_years:
  total capacity of deployments starting from 2025-03-26 per contract year exceeds 1 GW
"""


def site(ident: str, start: str, *, region: str | None = "EU", value: str | None = None,
         capacity: str | None = None) -> dict[str, object]:
    d: dict[str, object] = {"id": ident, "party": "Acme", "workload": "product",
                            "provider": "Plant", "start": start}
    for key, given in (("region", region), ("value", value), ("capacity", capacity)):
        if given is not None:
            d[key] = given
    return d


def judged(deployments: list[dict[str, object]], clause: str,
           as_of: dt.date | None = None) -> dealcheck.AggregateResult:
    return dealcheck.loads(TERMS, "terms.deal").check(deployments, as_of=as_of) \
        .aggregate(clause)


PLAN = [site("a", "2025-02-01", value="1.2M USD"), site("b", "2026-05-01", value="300k USD")]


# ---------------------------------------------------------------- periods


def test_calendar_years_quarters_and_contract_years() -> None:
    first = dt.date(2025, 3, 26)
    assert list(spans("calendar year", first, dt.date(2026, 2, 1))) == [
        (first, dt.date(2025, 12, 31)), (dt.date(2026, 1, 1), dt.date(2026, 2, 1))]
    assert period_start("quarter", first, dt.date(2025, 12, 31)) == dt.date(2025, 10, 1)
    assert list(spans("contract year", first, dt.date(2027, 3, 26)))[1:] == [
        (dt.date(2026, 3, 26), dt.date(2027, 3, 25)), (dt.date(2027, 3, 26), dt.date(2027, 3, 26))]


def test_a_contract_year_from_the_29th_of_february_ends_on_the_27th_in_common_years() -> None:
    leap = dt.date(2024, 2, 29)
    assert list(spans("contract year", leap, dt.date(2025, 3, 1))) == [
        (leap, dt.date(2025, 2, 27)), (dt.date(2025, 2, 28), dt.date(2025, 3, 1))]


# ---------------------------------------------------------------- commitments per period


def test_a_year_short_is_a_violation_once_it_has_ended() -> None:
    found = judged(PLAN, "yearly_minimum", as_of=dt.date(2027, 2, 1))
    assert found.verdict is V
    assert found.periods == (
        PeriodResult(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "1.2M USD", C),
        PeriodResult(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "300k USD", V),
        PeriodResult(dt.date(2027, 1, 1), dt.date(2027, 2, 1), "0 USD", OPEN))
    assert found.message == ("total value per calendar year missed the commitment of 1M USD "
                             "in 2026 (300k USD)")
    assert found.total == "0 USD"          # the current period's


def test_the_current_year_is_open_and_a_year_met_does_not_carry_over() -> None:
    found = judged(PLAN, "yearly_minimum", as_of=dt.date(2026, 12, 31))
    assert found.verdict is OPEN            # 2026 still has a day left
    assert [p.verdict for p in found.periods or ()] == [C, OPEN]
    assert found.message == ("total value per calendar year met the commitment of 1M USD in "
                             "1 calendar year(s) ended; open in 2026 (300k USD)")
    # The surplus of 2025 does not make up for 2026.
    assert judged(PLAN, "yearly_minimum", as_of=dt.date(2027, 1, 1)).verdict is V


def test_the_whole_plan_judges_every_year_of_the_window() -> None:
    found = judged(PLAN, "yearly_minimum")
    assert found.verdict is V
    assert [(p.first.year, p.verdict) for p in found.periods or ()] == [
        (2025, C), (2026, V), (2027, V)]
    assert "in 2026 (300k USD), 2027 (0 USD)" in found.message
    assert found.projected is not None and found.projected.verdict is V


def test_a_missing_value_in_a_year_short_leaves_it_undetermined() -> None:
    plan = [*PLAN, site("c", "2026-07-01")]
    found = judged(plan, "yearly_minimum", as_of=dt.date(2027, 2, 1))
    assert found.verdict is U
    assert [p.verdict for p in found.periods or ()] == [C, U, OPEN]
    assert found.message.endswith("in 2026 (300k USD); 1 deployment(s) lack `value`")


def test_contract_years_count_from_the_clauses_start_and_exceeds_is_strict() -> None:
    plan = [site("early", "2025-03-25", capacity="5 GW"),   # before the clause's start
            site("a", "2025-04-01", capacity="1 GW"), site("b", "2026-03-26", capacity="2 GW")]
    found = judged(plan, "contract_years", as_of=dt.date(2026, 4, 1))
    assert found.verdict is V
    assert found.periods is not None
    assert [(p.first, p.last, p.total, p.verdict) for p in found.periods] == [
        (dt.date(2025, 3, 26), dt.date(2026, 3, 25), "1 GW", V),   # exactly 1 GW: not more
        (dt.date(2026, 3, 26), dt.date(2026, 4, 1), "2 GW", C)]
    assert "early" not in found.contributors


# ---------------------------------------------------------------- caps per period


def test_a_cap_per_quarter_is_judged_in_the_current_quarter_too() -> None:
    three = [site(x, f"2025-0{i + 1}-02", region="US") for i, x in enumerate("abc")]
    assert judged(three, "few_sites").verdict is V
    found = judged(three, "few_sites", as_of=dt.date(2025, 3, 3))
    assert found.verdict is V and found.message == (
        "number of deployments per quarter exceeds the cap of 2 in 2025-Q1 (3)")
    spread = [site("a", "2025-01-02", region="US"), site("b", "2025-03-31", region="US"),
              site("c", "2025-04-01", region="US")]
    assert judged(spread, "few_sites").verdict is C


def test_a_deployment_that_may_count_leaves_only_its_quarter_undetermined() -> None:
    plan = [site("a", "2025-01-02", region="US"), site("b", "2025-02-02", region="US"),
            site("c", "2025-03-02", region=None), site("d", "2025-05-02", region=None)]
    found = judged(plan, "few_sites")
    assert found.verdict is U
    assert [p.verdict for p in found.periods or ()] == [U, C]
    assert found.unknown_scope == ("c", "d")


# ---------------------------------------------------------------- reports and engines


def test_the_json_report_lists_the_periods(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"deployments": PLAN}), "utf-8")
    done = run_dealcheck("check", terms, plan, "--format", "json", "--as-of", "2027-02-01",
                         cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    validate_json(document, report_json_schema())
    by_clause = {a["clause"]: a for a in document["aggregates"]}
    assert by_clause["yearly_minimum"]["periods"] == [
        {"first": "2025-01-01", "last": "2025-12-31", "total": "1.2M USD", "verdict": "compliant"},
        {"first": "2026-01-01", "last": "2026-12-31", "total": "300k USD", "verdict": "violation"},
        {"first": "2027-01-01", "last": "2027-02-01", "total": "0 USD", "verdict": "open"}]
    # The model reads the report back and writes it byte for byte.
    assert ReportDocument.from_json(done.stdout).to_json() + "\n" in (done.stdout,
                                                                      done.stdout + "\n")
    text = run_dealcheck("check", terms, plan, "--as-of", "2027-02-01", cwd=tmp_path).stdout
    assert "missed the commitment of 1M USD in 2026 (300k USD)" in text


def test_an_aggregate_without_periods_has_no_periods_key() -> None:
    report = dealcheck.loads(TERMS.replace(" per calendar year", ""), "t.deal").check(PLAN)
    document = json.loads(report.to_json())
    by_clause = {a["clause"]: a for a in document["aggregates"]}
    assert "periods" not in by_clause["yearly_minimum"]
    assert "periods" in by_clause["few_sites"]


def test_markdown_names_the_missed_periods() -> None:
    report = dealcheck.loads(TERMS, "terms.deal").check(PLAN)
    assert ("total value per calendar year missed the commitment of 1M USD in 2026 (300k USD), "
            "2027 (0 USD)") in render_markdown(report)


def _mixed() -> list[dict[str, object]]:
    return [site(f"d{i}", f"{2025 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                 region=(None, "US", "EU")[i % 3], value=(None, "300k USD", "1M USD")[i % 3],
                 capacity=(None, "600 MW", "1 GW")[i % 3 - 1])
            for i in range(30)]


def test_the_reference_evaluator_gives_the_same_periods(
        monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = _mixed()

    def run() -> list[Any]:
        terms = dealcheck.loads(TERMS, "terms.deal")
        return [(a.clause, a.verdict, a.total, a.periods, a.projected, a.contributors)
                for as_of in (None, dt.date(2025, 6, 1), dt.date(2026, 7, 1))
                for a in terms.check(deployments, as_of=as_of).aggregates]

    generated = run()
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    assert run() == generated


def test_the_duckdb_engine_gives_the_python_report(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    rows = tmp_path / "plan.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in _mixed()), "utf-8")
    for as_of in ((), ("--as-of", "2026-07-01")):
        python = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "python",
                               *as_of, cwd=tmp_path)
        duck = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "duckdb",
                             *as_of, cwd=tmp_path)
        assert (duck.returncode, duck.stderr) == (python.returncode, python.stderr)
        assert duck.stdout == python.stdout
        assert all("periods" in a for a in json.loads(python.stdout)["aggregates"])


# ---------------------------------------------------------------- writing periods


def test_the_formatter_keeps_periods() -> None:
    out = format_source(TERMS, "terms.deal")
    assert "number of deployments in US per quarter is at most 2\n" in out
    assert dealcheck.parse(out, "terms.deal") == dealcheck.parse(TERMS, "terms.deal")
    assert format_source(out, "terms.deal") == out


def test_a_share_per_period_is_a_located_error() -> None:
    text = TERMS + ("\nclause share:\n  total value of deployments in US per calendar year "
                    "is at least 50% of total value of deployments\n")
    _, diagnostics = dealcheck.analyze(text, "terms.deal")
    assert [(d.code, d.message, d.span.line, d.span.column) for d in diagnostics] == [
        ("DC132", "a share is judged on the evaluation date, not per calendar year", 17, 66)]


def test_coverage_expects_a_violation_of_a_commitment_per_period_without_deadline() -> None:
    from dealcheck.checker.examples import possible_outcomes

    terms = dealcheck.loads(TERMS, "terms.deal")
    clause = next(c for c in terms.clauses if c.id == "yearly_minimum")
    assert "violation" in possible_outcomes(clause, terms)
