"""Commitments `in addition to` another (issue 16: tranches, "a further 1 GW")."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import dealcheck
from dealcheck import AggregateVerdict
from dealcheck.checker.additions import effective
from dealcheck.checker.aggregate import Sums
from dealcheck.dsl.format import format_source
from helpers import run_dealcheck

TERMS = """\
agreement "Compute tranches" effective 2025-01-01
party Lab
provider Cloud operated by Lab
provider Other operated by Lab
workload training, api
region US, EU

clause first_tranche:
  total capacity of deployments by Lab on Cloud reaches 1 GW by 2026-12-31

clause second_tranche:
  total capacity of deployments by Lab of training reaches 1 GW in addition to first_tranche \
by 2027-12-31
"""


def site(ident: str, workload: str, provider: str, capacity: str | None,
         start: str = "2025-02-01", region: str | None = "US") -> dict[str, object]:
    d: dict[str, object] = {"id": ident, "party": "Lab", "workload": workload,
                            "provider": provider, "start": start}
    if capacity is not None:
        d["capacity"] = capacity
    if region is not None:
        d["region"] = region
    return d


def second(deployments: list[dict[str, object]],
           as_of: dt.date | None = None) -> dealcheck.AggregateResult:
    return dealcheck.loads(TERMS, "terms.deal").check(deployments, as_of=as_of) \
        .aggregate("second_tranche")


def test_what_both_count_goes_to_the_first_tranche_first() -> None:
    # first: a (shared) 1.5 GW + b (its own) 0.3 GW; it needs 0.7 GW of a.
    found = second([site("a", "training", "Cloud", "1.5 GW"), site("b", "api", "Cloud", "300 MW"),
                    site("c", "training", "Other", "200 MW")])
    assert (found.verdict, found.total) == (AggregateVerdict.COMPLIANT, "1 GW")
    assert found.message == (
        "total capacity of 1 GW meets the commitment of 1 GW by 2027-12-31; of what "
        "`first_tranche` also counts, only what goes beyond its 1 GW counts")
    assert found.contributors == ("a", "c")


def test_the_first_tranches_own_target_is_not_counted_twice() -> None:
    found = second([site("a", "training", "Cloud", "1.5 GW"),
                    site("c", "training", "Other", "200 MW")])
    assert found.total == "700 MW"             # 0.5 GW beyond the first, 0.2 GW of its own
    assert found.verdict is AggregateVerdict.VIOLATION


def test_nothing_shared_counts_until_the_first_tranche_is_met() -> None:
    found = second([site("a", "training", "Cloud", "800 MW")], as_of=dt.date(2026, 6, 1))
    assert (found.verdict, found.total) == (AggregateVerdict.OPEN, "0 W")


def test_an_unknown_capacity_that_could_make_up_the_difference_is_undetermined() -> None:
    found = second([site("a", "training", "Cloud", "1.5 GW"), site("c", "training", "Other", None)])
    assert found.verdict is AggregateVerdict.UNDETERMINED
    assert found.missing_quantity == ("c",)


def test_an_unknown_capacity_only_the_first_tranche_counts_cannot_hurt() -> None:
    # b counts only for the first tranche: whatever its capacity, it frees more of a.
    found = second([site("a", "training", "Cloud", "2 GW"), site("b", "api", "Cloud", None),
                    site("c", "training", "Other", "1 GW")])
    assert found.verdict is AggregateVerdict.COMPLIANT


def test_a_deployment_that_may_count_for_the_second_only_is_weighed_both_ways() -> None:
    terms = TERMS.replace("of training reaches", "of training in US reaches")
    report = dealcheck.loads(terms, "terms.deal").check(
        [site("a", "training", "Cloud", "1 GW"), site("c", "training", "Other", "1 GW",
                                                      region=None)])
    found = report.aggregate("second_tranche")
    assert (found.verdict, found.total) == (AggregateVerdict.UNDETERMINED, "0 W")
    assert found.unknown_scope == ("c",)


def test_the_least_and_greatest_totals() -> None:
    a = Sums(contributors=["x", "y"], unknown_scope=["z"])
    b = Sums(contributors=["x", "w"], unknown_scope=["z"])
    amounts: dict[str, Decimal | None] = {"x": Decimal(5), "y": Decimal(1), "z": Decimal(3),
                                          "w": Decimal(2)}
    low, high = effective(a, b, amounts, Decimal(4))
    # least: z for neither -> 1 + min(5, max(0, 2 + 5 - 4)) = 4;
    # greatest: z for the second alone -> 1 + 3 + min(5, 3) = 7.
    assert (low, high) == (4, 7)


def _mixed() -> list[dict[str, object]]:
    return [site(f"d{i}", ("training", "api")[i % 2], ("Cloud", "Other")[i % 3 == 0],
                 (None, "300 MW", "1 GW", "50 MW")[i % 4], f"2025-{1 + i % 12:02d}-01",
                 (None, "US", "EU")[i % 3 if i % 5 else 1])
            for i in range(24)]


def test_the_reference_evaluator_gives_the_same_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> list[Any]:
        terms = dealcheck.loads(TERMS, "terms.deal")
        return [(a.clause, a.verdict, a.total, a.projected, a.message)
                for as_of in (None, dt.date(2025, 4, 1), dt.date(2027, 1, 1))
                for a in terms.check(_mixed(), as_of=as_of).aggregates]

    generated = run()
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    assert run() == generated


def test_the_duckdb_engine_gives_the_python_report(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    rows = tmp_path / "plan.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in _mixed()), "utf-8")
    for as_of in ((), ("--as-of", "2025-06-30")):
        python = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "python",
                               *as_of, cwd=tmp_path)
        duck = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "duckdb",
                             *as_of, cwd=tmp_path)
        assert (duck.returncode, duck.stderr) == (python.returncode, python.stderr)
        assert duck.stdout == python.stdout


def test_the_formatter_keeps_in_addition_to() -> None:
    out = format_source(TERMS, "terms.deal")
    assert "reaches 1 GW in addition to first_tranche by 2027-12-31\n" in out
    assert dealcheck.parse(out, "terms.deal") == dealcheck.parse(TERMS, "terms.deal")
    assert format_source(out, "terms.deal") == out
