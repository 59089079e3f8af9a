"""The oracles' own comparisons: they must order and compare any pair of outcomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import reference_interpreter as ref
from oracles import (
    STARGATE,
    differences,
    outcome_of,
    reference_differences,
    revoked_a_day_late,
)

import dealcheck
from dealcheck.checker.results import AggregateVerdict, Outcome
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


def test_two_findings_of_one_clause_are_ordered_and_both_kept() -> None:
    # An evaluator that holds two versions of a clause in force on one day (as
    # `revoked_a_day_late` does on the revocation day) gives a deployment two
    # findings of that clause: comparing them used to raise TypeError.
    report = dealcheck.load(STARGATE).check([SITE], as_of=dt.date(2026, 1, 1))
    result = report.deployments[0]
    [satisfied] = result.findings
    violated = dataclasses.replace(satisfied, outcome=Outcome.VIOLATED)
    outcomes = []
    for findings in ((satisfied, violated), (violated, satisfied)):
        result.findings = findings
        outcomes.append(outcome_of(report))
    assert outcomes[0] == outcomes[1]  # in either order
    [(_, deployment)] = outcomes[0].deployments
    assert [(c, f.outcome) for c, f in deployment.findings] == [
        (satisfied.clause, "satisfied"), (satisfied.clause, "violated")]
    result.findings = (satisfied,)
    [line] = differences(outcome_of(report), outcomes[0])
    assert line.startswith(f"deployment `{result.id}`")


REPLACED = """agreement "A" effective 2025-01-01

party P
provider X operated by P
provider Y operated by P
workload w
region R

clause only_x:
  P runs any workload only on X

amendment a "A" effective 2025-06-01:
  replace clause only_x:
    P runs any workload only on Y
"""


def test_a_clause_revoked_a_day_late_is_a_difference() -> None:
    # The case `test_mutation` found: on the day `only_x` is replaced, the
    # mutant holds both versions in force.
    terms = dealcheck.loads(REPLACED, "t.deal")
    deployments = parse_deployments([{"id": "d1", "party": "P", "workload": "w", "provider": "X",
                                      "region": "R", "start": "2025-06-01"}], terms.vocabulary)
    assert reference_differences(terms, deployments, None) == []
    [line] = reference_differences(terms, deployments, None, evaluated=revoked_a_day_late(terms))
    assert "('only_x', FindingOutcome(outcome='satisfied'" in line


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
