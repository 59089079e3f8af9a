"""The oracles' own comparisons: they must order and compare any pair of outcomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import reference_interpreter as ref
from oracles import STARGATE, differences, outcome_of

import dealcheck
from dealcheck.checker.results import AggregateVerdict
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.read import parse_deployments

SITE = {"id": "abilene", "party": "OpenAI", "workload": "training", "provider": "Stargate",
        "region": "US", "start": "2025-09-30", "capacity": "1.2 GW"}


def test_two_results_of_one_clause_are_ordered_and_both_kept() -> None:
    report = dealcheck.load(STARGATE).check([SITE], as_of=dt.date(2026, 1, 1))
    first = report.aggregates[0]
    report.aggregates.append(dataclasses.replace(first, verdict=AggregateVerdict.COMPLIANT,
                                                 total="1B USD"))
    outcome = outcome_of(report)
    shared = [o for key, o in outcome.aggregates if key.split(" from ")[0] == first.clause]
    assert sorted(o.verdict for o in shared) == sorted(["compliant", str(first.verdict)])


def test_the_reference_orders_two_versions_in_force_on_one_day() -> None:
    terms = dealcheck.load(STARGATE)
    [cap] = [c for c in terms.clauses if c.id == "four_year_cap"]
    assert isinstance(cap.rule, m.Aggregate)
    small = dataclasses.replace(cap.rule, limit=Quantity(Decimal(1), "money"))
    doubled = dataclasses.replace(
        terms, clauses=(*terms.clauses, dataclasses.replace(cap, rule=small)), _compiled=None)
    deployments = parse_deployments([{**SITE, "value": "2 USD"}], terms.vocabulary)
    outcome = ref.judge(doubled, deployments, dt.date(2026, 1, 1))
    verdicts = [o.verdict for key, o in outcome.aggregates
                if key.split(" from ")[0] == "four_year_cap"]
    assert verdicts == ["compliant", "violation"]


def test_a_clause_missing_one_of_its_two_results_is_a_difference() -> None:
    report = dealcheck.load(STARGATE).check([SITE], as_of=dt.date(2026, 1, 1))
    one = outcome_of(report)
    report.aggregates.append(dataclasses.replace(report.aggregates[0],
                                                 verdict=AggregateVerdict.COMPLIANT))
    two = outcome_of(report)
    [line] = differences(one, two)
    assert line.startswith(f"aggregate `{report.aggregates[0].clause} from ")
