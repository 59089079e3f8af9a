"""Advisory clauses (docs/language.md §6.9): targets, reported, never changing a verdict."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, Phase, find, settings

import dealcheck
from dealcheck import Outcome, Verdict
from dealcheck.checker.examples import run_examples
from dealcheck.dsl.format import format_source
from dealcheck.testing import terms_sources

HEADER = """\
agreement "Letter of intent" effective 2025-01-01
party Acme, Cloudco
provider Main operated by Cloudco
provider Other operated by Cloudco
provider Third operated by Cloudco
workload api, training
fact consent: bool
"""

TARGETS = """
clause api_main "2.1":
  Acme runs api only on Main

clause training_target "3.1" advisory:
  Acme runs training only on Main

clause consent_target advisory:
  Acme runs training only if consent

clause spend_target advisory:
  total value of deployments by Acme on Main reaches 10M USD by 2025-12-31

clause spend_cap:
  total value of deployments by Acme is at most 100M USD
"""


def terms(body: str = TARGETS) -> dealcheck.Terms:
    return dealcheck.loads(HEADER + body, "loi.deal")


def dep(ident: str = "d", **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": ident, "party": "Acme", "workload": "training",
                               "provider": "Other", "start": "2025-03-01"}
    base.update(fields)
    return base


def finding(report: dealcheck.Report, ident: str, clause: str) -> dealcheck.Finding:
    return next(f for f in report.result_of(ident).findings if f.clause == clause)


def test_a_missed_target_is_reported_and_is_no_violation() -> None:
    report = terms().check([dep(facts={"consent": True})])
    assert report.verdict_of("d") is Verdict.COMPLIANT
    missed = finding(report, "d", "training_target")
    assert (missed.outcome, missed.advisory, missed.fix) == (
        Outcome.VIOLATED, True, "run on `Main`")
    assert report.advisories[0] == missed   # then the spend target, missed too
    # The same clause as a promise decides the verdict.
    promised = terms(TARGETS.replace('"3.1" advisory:', '"3.1":'))
    assert promised.check([dep(facts={"consent": True})]).verdict_of("d") is Verdict.VIOLATION


def test_an_unknown_target_names_its_facts_and_leaves_the_verdict_decided() -> None:
    report = terms().check([dep(provider="Main")])
    assert report.verdict_of("d") is Verdict.COMPLIANT
    unknown = finding(report, "d", "consent_target")
    assert (unknown.outcome, unknown.missing_facts, unknown.advisory) == (
        Outcome.UNKNOWN, ("consent",), True)
    assert unknown.message == "whether `consent_target` is met depends on `consent`, which " \
                              "is unknown"
    assert unknown.fix == "have `consent = true`"


def test_a_binding_finding_does_not_lean_on_a_missed_target() -> None:
    body = TARGETS + "\nclause consent_rule:\n  Acme runs training only if consent\n"
    report = terms(body).check([dep()])
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    rule = finding(report, "d", "consent_rule")
    assert (rule.outcome, rule.missing_facts, rule.advisory) == (
        Outcome.UNKNOWN, ("consent",), False)
    assert "training_target" not in rule.message


def test_a_fix_may_miss_a_target_but_not_break_a_promise() -> None:
    body = """
clause api_main:
  Acme runs api only on Main

clause api_elsewhere_target advisory:
  Acme runs api only on Other, Third
"""
    report = terms(body).check([dep(workload="api", provider="Third")])
    assert report.verdict_of("d") is Verdict.VIOLATION
    assert finding(report, "d", "api_main").fix == "run on `Main`"
    promised = terms(body.replace(" advisory:", ":"))
    assert finding(promised.check([dep(workload="api", provider="Third")]), "d",
                   "api_main").fix is None


def test_a_deployment_scoped_only_by_targets_is_covered() -> None:
    report = terms("clause t advisory:\n  Acme runs training only on Main\n").check([dep()])
    result = report.result_of("d")
    assert (result.verdict, result.not_covered) == (Verdict.COMPLIANT, False)


def test_an_advisory_aggregate_never_changes_the_report_verdict() -> None:
    report = terms().check([dep(workload="api", provider="Main", value="1M USD")])
    target = report.aggregate("spend_target")
    assert (target.verdict, target.advisory) == (dealcheck.AggregateVerdict.VIOLATION, True)
    assert report.aggregate("spend_cap").advisory is False
    assert report.verdict is Verdict.COMPLIANT
    assert report.summary()["aggregates"] == {"compliant": 1, "violation": 0, "open": 0,
                                              "undetermined": 0}
    assert report.aggregate_violations == []
    assert report.advisories == [target]


def test_an_advisory_aggregate_is_judged_like_any_other_on_an_as_of_date() -> None:
    report = terms().check([dep(workload="api", provider="Main", value="12M USD")],
                           as_of=dt.date(2025, 6, 1))
    assert report.aggregate("spend_target").verdict is dealcheck.AggregateVerdict.COMPLIANT
    assert report.advisories == []


def test_a_replaced_version_keeps_or_drops_advisory_as_written() -> None:
    body = TARGETS + """
amendment firm effective 2025-06-01:
  replace clause training_target:
    Acme runs training only on Main
"""
    before = terms(body).check([dep(facts={"consent": True})])
    after = terms(body).check([dep(start="2025-07-01", facts={"consent": True})])
    assert before.verdict_of("d") is Verdict.COMPLIANT
    assert after.verdict_of("d") is Verdict.VIOLATION
    assert finding(after, "d", "training_target").advisory is False


def test_the_examples_speak_of_the_targets_they_name() -> None:
    body = TARGETS + """
example "a missed target":
  deployment d: Acme runs training on Other starting 2025-03-01 with consent = true
  expect compliant
  expect violation of training_target
  expect compliant of consent_target

example "wrongly expected met":
  deployment d: Acme runs training on Other starting 2025-03-01
  expect compliant of training_target
  expect violation of consent_target

example "a binding clause named with a target":
  deployment d: Acme runs api on Other starting 2025-03-01
  expect violation of api_main
"""
    outcomes = run_examples(terms(body))
    assert [o.failures for o in outcomes] == [
        [],
        ["`d`: advisory `training_target` is violated, expected compliant: `training` by "
         "`Acme` runs on `Other`, but `training_target` allows only `Main`",
         "`d`: advisory `consent_target` is unknown, expected violation: whether "
         "`consent_target` is met depends on `consent`, which is unknown"],
        [],
    ]


def test_explain_says_a_clause_is_advisory() -> None:
    from dealcheck.checker.explain import explain, render_explanation
    from dealcheck.scenario.read import parse_deployments

    t = terms()
    [d] = parse_deployments([dep()], t.vocabulary)
    text = render_explanation(explain(t.compiled(), d), t)
    assert "  training_target: scopes it" in text
    assert "    advisory: a target, not a promise; it never changes the verdict" in text
    assert text.rstrip().endswith("verdict: compliant")


@pytest.mark.parametrize("header", [
    "clause t advisory:",
    'clause t "1" from 2025-01-01 through 2025-12-31 advisory:',
])
def test_the_formatter_keeps_advisory(header: str) -> None:
    source = HEADER + f"\n{header}\n  Acme runs training only on Main\n"
    formatted = format_source(source)
    assert f"\n{header}\n" in formatted
    assert format_source(formatted) == formatted
    assert dealcheck.parse(formatted) == dealcheck.parse(source)
    assert dealcheck.loads(formatted).clauses[0].advisory is True


@pytest.mark.slow
def test_the_strategies_generate_advisory_clauses() -> None:
    source = find(terms_sources(max_clauses=3, max_amendments=0),
                  lambda s: " advisory:\n" in s,
                  settings=settings(database=None, deadline=None, max_examples=2000,
                                    phases=[Phase.generate],  # any will do: no shrinking
                                    suppress_health_check=list(HealthCheck)))
    assert any(c.advisory for c in dealcheck.loads(source, "t.deal").clauses)


def test_advisory_per_period_shares_and_additions_are_marked_advisory() -> None:
    # Each second-edition aggregate builds its own result: each must carry `advisory`.
    terms = dealcheck.loads(
        'agreement "Targets" effective 2025-01-01\n'
        "party Acme\nprovider Sky operated by Acme\nprovider Vault operated by Acme\n"
        "workload api\n"
        "clause yearly advisory:\n"
        "  total value of deployments by Acme per calendar year is at most 1B USD\n"
        "clause mostly_sky advisory:\n"
        "  total value of deployments on Sky is at least 50% of total value of deployments\n"
        "clause first:\n"
        "  total value of deployments reaches 1B USD\n"
        "clause further advisory:\n"
        "  total value of deployments reaches 1B USD in addition to first\n")
    report = terms.check([{"id": "v", "party": "Acme", "workload": "api", "provider": "Vault",
                           "start": "2025-02-01", "value": "2B USD"}])
    marked = {a.clause: a.advisory for a in report.aggregates}
    assert marked == {"yearly": True, "mostly_sky": True, "first": False, "further": True}
    # Missed targets never count in the summary's aggregates nor in the verdict.
    assert report.summary()["aggregates"]["violation"] == 0
