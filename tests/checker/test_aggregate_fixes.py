"""Fixes of aggregates: a violated cap, commitment, period, `in addition to` or share says
what would make it comply, in the unit of the clause, and applying it makes it comply."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck import AggregateVerdict

TERMS = """\
agreement "Fixes" effective 2025-01-01
party Acme
provider Main operated by Acme
provider Other operated by Acme
workload capped, below, committed, beyond, counted, yearly, shared, first, more, extra

clause cap:
  total value of deployments of capped is at most 20 USD

clause strict_cap:
  total value of deployments of below is less than 20 USD

clause commitment:
  total value of deployments of committed reaches 30 USD by 2025-12-31

clause strict_commitment:
  total value of deployments of beyond exceeds 30 USD by 2025-12-31

clause count_cap:
  number of deployments of counted is at most 3

clause count_commitment:
  number of deployments of counted exceeds 4 by 2025-12-31

clause yearly_minimum:
  total value of deployments of yearly starting from 2025-01-01 through 2026-12-31 \
per calendar year reaches 25 USD

clause yearly_cap:
  total value of deployments of yearly starting from 2025-01-01 through 2026-12-31 \
per calendar year is at most 40 USD

clause primary:
  total value of deployments of shared on Main is at least 60% of total value of deployments \
of shared

clause first_tranche:
  total value of deployments of first, more reaches 10 USD by 2025-12-31

clause further:
  total value of deployments of more, extra reaches 15 USD in addition to first_tranche \
by 2025-12-31
"""

WORKLOADS = ["capped", "below", "committed", "beyond", "counted", "yearly", "shared", "first",
             "more", "extra"]
#: Which workload each clause counts (the one a fix adds to or takes from).
SCOPE = {"cap": "capped", "strict_cap": "below", "commitment": "committed",
         "strict_commitment": "beyond", "count_cap": "counted", "count_commitment": "counted",
         "yearly_minimum": "yearly", "yearly_cap": "yearly", "primary": "shared",
         "first_tranche": "first", "further": "extra"}

_DAYS = [dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(0, 730, 29)]
_HALF = Decimal("0.5")


@functools.cache
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS, "fixes.deal")


def row(ident: str, workload: str, start: dt.date, value: Decimal,
        provider: str = "Main") -> dict[str, Any]:
    return {"id": ident, "party": "Acme", "workload": workload, "provider": provider,
            "start": start.isoformat(), "value": f"{value} USD"}


@st.composite
def plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=14))
    return [row(f"d{i}", draw(st.sampled_from(WORKLOADS)), draw(st.sampled_from(_DAYS)),
                Decimal(draw(st.integers(min_value=0, max_value=25))),
                draw(st.sampled_from(["Main", "Other"]))) for i in range(count)]


def _value(d: dict[str, Any]) -> Decimal:
    return Decimal(str(d["value"]).split()[0])


def _in(d: dict[str, Any], period: tuple[dt.date, dt.date] | None) -> bool:
    start = dt.date.fromisoformat(d["start"])
    return period is None or period[0] <= start <= period[1]


def _take(plan: list[dict[str, Any]], chosen: list[dict[str, Any]], amount: Decimal) -> None:
    """Lower the values of `chosen` (largest first) by `amount` in all."""
    for d in sorted(chosen, key=_value, reverse=True):
        cut = min(_value(d), amount)
        d["value"] = f"{_value(d) - cut} USD"
        amount -= cut
    assert amount <= 0, "the fix asks for more than there is to take"


_PERIOD = re.compile(r" in the period (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)")


def alternatives(fix: str) -> int:
    """How many alternatives the fix offers (`…, or …`)."""
    return 1 + max(part.count(", or ") for part in fix.split("; "))


def apply(plan: list[dict[str, Any]], clause: str, fix: str,
          choice: int = 0) -> list[dict[str, Any]]:
    """The plan changed as the fix says (each part of a per-period fix in turn), taking
    alternative `choice` where it offers several."""
    plan = [dict(d) for d in plan]
    for n, whole in enumerate(fix.split("; ")):
        offered = whole.split(", or ")
        pick = min(choice, len(offered) - 1)
        part = offered[0] if pick == 0 else "add " + offered[pick]
        # What `in addition to`'s target counts too: a deployment both count.
        workload = "more" if "that it counts too" in part else SCOPE[clause]
        found = _PERIOD.search(part)
        period = None if found is None else (dt.date.fromisoformat(found[1]),
                                             dt.date.fromisoformat(found[2]))
        words = _PERIOD.sub("", part)
        amount = Decimal(re.search(r"(?:by|add|count) (?:more than )?([\d.]+)", words)[1])
        if "more than" in words:
            amount += _HALF
        scoped = [d for d in plan if d["workload"] == workload and _in(d, period)]
        if words.startswith("reduce the number of deployments"):
            gone = {id(d) for d in scoped[:int(amount)]}
            plan = [d for d in plan if id(d) not in gone]
        elif words.startswith("reduce"):
            _take(plan, scoped, amount)
        elif words.startswith("add"):
            due = re.search(r"by (\d{4}-\d\d-\d\d)", words)
            day = period[0] if period else dt.date.fromisoformat(due[1]) if due else _DAYS[0]
            copies = int(amount) if "deployment(s)" in words else 1
            value = Decimal(1) if "deployment(s)" in words else amount
            plan += [row(f"fix{n}-{i}", workload, day, value) for i in range(copies)]
        else:  # a share: move between the part (on Main) and the rest (on Other)
            into = "more in the part" in words
            _take(plan, [d for d in scoped if d["provider"] == ("Other" if into else "Main")],
                  amount)
            plan.append(row(f"fix{n}", workload, _DAYS[0], amount,
                            "Main" if into else "Other"))
    return plan


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(plans())
def test_a_fix_applied_makes_the_aggregate_comply(plan: list[dict[str, Any]]) -> None:
    model = terms()
    report = model.check(plan)
    for aggregate in report.aggregates:
        if aggregate.verdict not in (AggregateVerdict.VIOLATION, AggregateVerdict.UNDETERMINED):
            assert aggregate.fix is None
            continue
        assert aggregate.fix, aggregate.clause
        for choice in range(alternatives(aggregate.fix)):
            fixed = model.check(apply(plan, aggregate.clause, aggregate.fix, choice))
            assert fixed.aggregate(aggregate.clause).verdict is AggregateVerdict.COMPLIANT, (
                aggregate.clause, aggregate.fix, choice)


def _fix(plan: list[dict[str, Any]], clause: str) -> str | None:
    return terms().check(plan).aggregate(clause).fix


JAN, JUN = dt.date(2025, 1, 10), dt.date(2025, 6, 1)


def test_each_fix_names_the_amount_in_the_unit_of_the_clause() -> None:
    assert _fix([row("a", "capped", JAN, Decimal(25))], "cap") == \
        "reduce the total value by 5 USD, to at most 20 USD"
    assert _fix([row("a", "below", JAN, Decimal(20))], "strict_cap") == \
        "reduce the total value by more than 0 USD, to less than 20 USD"
    assert _fix([row("a", "committed", JAN, Decimal(12))], "commitment") == \
        "add 18 USD of value by 2025-12-31"
    assert _fix([row("a", "beyond", JAN, Decimal(30))], "strict_commitment") == \
        "add more than 0 USD of value by 2025-12-31"
    counted = [row(f"c{i}", "counted", JAN, Decimal(1)) for i in range(5)]
    assert _fix(counted, "count_cap") == \
        "reduce the number of deployments by 2 deployment(s), to at most 3"
    assert _fix(counted[:2], "count_commitment") == "add 3 deployment(s) by 2025-12-31"
    yearly = [row("y", "yearly", JAN, Decimal(50)), row("z", "yearly", dt.date(2026, 3, 1),
                                                       Decimal(5))]
    assert _fix(yearly, "yearly_cap") == \
        "reduce the total value in the period 2025-01-01 to 2025-12-31 by 10 USD, to at most 40 USD"
    assert _fix(yearly, "yearly_minimum") == \
        "add 20 USD of value in the period 2026-01-01 to 2026-12-31"
    shared = [row("m", "shared", JAN, Decimal(4)), row("o", "shared", JAN, Decimal(6), "Other")]
    assert _fix(shared, "primary") == ("count 2 USD more in the part: move it from the rest "
                                       "of the whole (10 USD) into the part, to reach 60%")
    # `first_tranche` met: what both count beyond its 10 USD counts for `further`.
    tranche = [row("f", "first", JAN, Decimal(4)), row("m", "more", JUN, Decimal(10))]
    assert _fix(tranche, "further") == "add 11 USD of value by 2025-12-31"
    # `first_tranche` 5 USD short: what both count goes to it first.
    short = [row("f", "first", JAN, Decimal(2)), row("m", "more", JUN, Decimal(3))]
    assert _fix(short, "further") == (
        "add 15 USD of value that `first_tranche` does not count by 2025-12-31, or 20 USD "
        "that it counts too (the first 5 USD go to its own 10 USD)")
    for choice in (0, 1):
        fixed = terms().check(apply(short, "further", str(_fix(short, "further")), choice))
        assert fixed.aggregate("further").verdict is AggregateVerdict.COMPLIANT


def test_the_reports_show_an_aggregate_fix() -> None:
    from dealcheck.report.json import aggregate_to_dict
    from dealcheck.report.model import ReportDocument
    from dealcheck.report.text import render_text

    report = terms().check([row("a", "capped", JAN, Decimal(25))])
    cap = report.aggregate("cap")
    assert aggregate_to_dict(cap)["fix"] == "reduce the total value by 5 USD, to at most 20 USD"
    assert "fix: reduce the total value by 5 USD, to at most 20 USD" in render_text(report)
    met = terms().check([row("a", "capped", JAN, Decimal(5))]).aggregate("cap")
    assert "fix" not in aggregate_to_dict(met)
    document = ReportDocument.from_json(report.to_json())
    assert document.to_report().aggregate("cap").fix == cap.fix
    assert document.to_json() == report.to_json()


def test_a_cap_fix_takes_off_what_may_count_and_names_what_is_not_known() -> None:
    source = TERMS.replace('workload capped,', 'fact listed: bool\nworkload capped,', 1) \
        .replace("total value of deployments of capped is at most 20 USD",
                 "total value of deployments of capped is at most 20 USD when listed")
    model = dealcheck.loads(source, "fixes.deal")
    sure = {**row("a", "capped", JAN, Decimal(25)), "facts": {"listed": True}}
    maybe = row("b", "capped", JAN, Decimal(4))  # `listed` not known: it may count
    lacking = {**sure, "id": "c"}
    del lacking["value"]
    cap = model.check([sure, maybe]).aggregate("cap")
    assert (cap.verdict, cap.fix) == (AggregateVerdict.VIOLATION,
                                      "reduce the total value by 9 USD, to at most 20 USD")
    fixed = [{**sure, "value": "16 USD"}, maybe]
    assert model.check(fixed).aggregate("cap").verdict is AggregateVerdict.COMPLIANT
    cap = model.check([sure, lacking]).aggregate("cap")
    assert cap.fix == ("reduce the total value by 5 USD plus what the 1 deployment(s) "
                       "without `value` add, to at most 20 USD")


def test_an_undetermined_cap_or_commitment_has_the_fix_that_settles_it() -> None:
    source = TERMS.replace('workload capped,', 'fact listed: bool\nworkload capped,', 1) \
        .replace("total value of deployments of capped is at most 20 USD",
                 "total value of deployments of capped is at most 20 USD when listed") \
        .replace("total value of deployments of committed reaches 30 USD by 2025-12-31",
                 "total value of deployments of committed reaches 30 USD by 2025-12-31 "
                 "when listed")
    model = dealcheck.loads(source, "fixes.deal")
    listed = {"facts": {"listed": True}}
    plan = [{**row("a", "capped", JAN, Decimal(15)), **listed},
            row("b", "capped", JAN, Decimal(10)),  # may count: `listed` is not known
            {**row("c", "committed", JAN, Decimal(12)), **listed},
            row("d", "committed", JAN, Decimal(25))]  # would meet it, if it counts
    report = model.check(plan)
    cap, commitment = report.aggregate("cap"), report.aggregate("commitment")
    assert (cap.verdict, cap.fix) == (AggregateVerdict.UNDETERMINED,
                                      "reduce the total value by 5 USD, to at most 20 USD")
    assert (commitment.verdict, commitment.fix) == (AggregateVerdict.UNDETERMINED,
                                                    "add 18 USD of value by 2025-12-31")
    fixed = model.check([{**plan[0], "value": "10 USD"}, plan[1], plan[2],
                         {**plan[2], "id": "e", "value": "18 USD"}, plan[3]])
    assert fixed.aggregate("cap").verdict is AggregateVerdict.COMPLIANT
    assert fixed.aggregate("commitment").verdict is AggregateVerdict.COMPLIANT


def test_a_cap_no_total_can_keep_offers_no_fix() -> None:
    source = TERMS.replace("number of deployments of counted is at most 3",
                           "number of deployments of counted is less than 0")
    report = dealcheck.loads(source, "fixes.deal").check([row("c", "counted", JAN, Decimal(1))])
    cap = report.aggregate("count_cap")
    assert (cap.verdict, cap.fix) == (AggregateVerdict.VIOLATION, None)
    per_year = TERMS.replace("per calendar year is at most 40 USD",
                             "per calendar year is less than 0 USD")
    yearly = dealcheck.loads(per_year, "fixes.deal").check([row("y", "yearly", JAN, Decimal(1))])
    assert (yearly.aggregate("yearly_cap").verdict, yearly.aggregate("yearly_cap").fix) == (
        AggregateVerdict.VIOLATION, None)


def test_a_cap_undetermined_only_by_missing_quantities_bounds_them() -> None:
    lacking = row("b", "capped", JAN, Decimal(0))
    del lacking["value"]
    cap = terms().check([row("a", "capped", JAN, Decimal(12)), lacking]).aggregate("cap")
    assert (cap.verdict, cap.fix) == (
        AggregateVerdict.UNDETERMINED,
        "give the 1 deployment(s) without `value` at most 8 USD in all, to keep the total "
        "at most 20 USD")
    given = terms().check([row("a", "capped", JAN, Decimal(12)),
                           {**lacking, "value": "8 USD"}]).aggregate("cap")
    assert given.verdict is AggregateVerdict.COMPLIANT
