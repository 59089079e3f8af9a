"""Completions decide: a verdict is the one every completion of the missing facts agrees on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dealcheck
from dealcheck import Outcome, Verdict
from dealcheck.cli import main

NATIONAL_SECURITY = """\
agreement "API terms" effective 2025-01-01
party OpenAI, Microsoft, Amazon
provider Azure operated by Microsoft
provider AWS operated by Amazon
workload api, training
region US, EU
fact customer: one of commercial, us_national_security, us_government_civilian

clause api_exclusive:
  OpenAI runs api only on Azure

clause national_security notwithstanding api_exclusive:
  OpenAI may run api on any provider when customer = us_national_security

clause national_security_in_us:
  OpenAI runs api only in US when customer = us_national_security
"""

EU_API = {"id": "eu-api", "party": "OpenAI", "workload": "api", "provider": "AWS",
          "region": "EU", "start": "2025-06-01"}


def test_a_violation_under_every_customer_is_a_violation() -> None:
    """The API on AWS in the EU, customer not given: exclusive to Azure for every customer
    but national security, and national-security work must stay in the US."""
    report = dealcheck.loads(NATIONAL_SECURITY, "api.deal").check([EU_API])
    result = report.result_of("eu-api")
    assert result.verdict is Verdict.VIOLATION
    # Each clause alone still depends on the customer, but the verdict does not:
    # no fact is named as deciding it.
    outcomes = {f.clause: f.outcome for f in result.findings}
    assert outcomes == {"api_exclusive": Outcome.UNKNOWN,
                        "national_security_in_us": Outcome.UNKNOWN}
    assert all(f.missing_facts == () for f in result.findings)
    # The report says why: under each value one of the two clauses is violated.
    for f in result.findings:
        assert ("for every value of `customer`, `api_exclusive` or "
                "`national_security_in_us` is violated") in f.message
    # No fix that does not work: a national-security customer would break the other clause.
    fixes = {f.clause: f.fix for f in result.findings}
    assert fixes == {"api_exclusive": "run on `Azure`", "national_security_in_us": "run in `US`"}


def test_the_cli_fails_a_violation_under_every_customer(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    terms = tmp_path / "api.deal"
    terms.write_text(NATIONAL_SECURITY)
    scenario = tmp_path / "plan.json"
    scenario.write_text(json.dumps({"deployments": [EU_API]}))
    assert main(["check", str(terms), str(scenario), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    [deployment] = document["deployments"]
    assert deployment["verdict"] == "violation"
    assert document["summary"]["violation"] == 1
    assert document["summary"]["undetermined"] == 0
    assert all(f["missing_facts"] == [] for f in deployment["findings"])


def test_a_known_customer_is_judged_as_before() -> None:
    t = dealcheck.loads(NATIONAL_SECURITY, "api.deal")
    commercial = t.check([{**EU_API, "facts": {"customer": "commercial"}}])
    assert commercial.verdict_of("eu-api") is Verdict.VIOLATION
    in_us = t.check([{**EU_API, "region": "US"}])
    assert in_us.verdict_of("eu-api") is Verdict.UNDETERMINED
    [finding] = [f for f in in_us.result_of("eu-api").findings if f.clause == "api_exclusive"]
    assert finding.missing_facts == ("customer",)


HEADER = """\
agreement "Test terms" effective 2025-01-01
party Acme, Cloudco
provider Main operated by Cloudco
provider Other operated by Cloudco
workload api, training
region US, EU
fact consent: bool
fact declined: bool
fact customer: one of commercial, government
fact budget: number USD
fact signed: date
"""


def terms(body: str) -> dealcheck.Terms:
    return dealcheck.loads(HEADER + body, "test.deal")


def dep(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "d", "party": "Acme", "workload": "api",
                               "provider": "Other", "start": "2025-06-01"}
    return {**base, **fields}


@pytest.mark.parametrize("condition", [
    "consent or not consent",
    "customer in commercial, government",
    "customer = commercial or customer = government",
    "budget <= 5M USD or budget > 5M USD",
    "signed < 2025-03-01 or signed >= 2025-03-01",
    "region in US or region != US",
    "(consent and declined) or (consent and not declined) or not consent",
])
def test_a_condition_that_holds_for_every_value_is_decided(condition: str) -> None:
    t = terms(f"clause always:\n  Acme runs api only if {condition}\n")
    report = t.check([dep()])
    assert report.verdict_of("d") is Verdict.COMPLIANT
    [finding] = report.result_of("d").findings
    assert finding.outcome is Outcome.SATISFIED
    assert finding.missing_facts == ()


@pytest.mark.parametrize("condition", [
    "consent and not consent",
    "customer not in commercial, government",
    "budget < 5M USD and budget > 5M USD",
])
def test_a_condition_that_fails_for_every_value_is_a_violation(condition: str) -> None:
    report = terms(f"clause never:\n  Acme runs api only if {condition}\n").check([dep()])
    assert report.verdict_of("d") is Verdict.VIOLATION
    assert report.result_of("d").findings[0].outcome is Outcome.VIOLATED


def test_a_scope_that_holds_for_no_value_does_not_scope_the_deployment() -> None:
    report = terms("clause odd:\n  Acme must not run api when consent and not consent\n"
                   ).check([dep()])
    result = report.result_of("d")
    assert result.verdict is Verdict.COMPLIANT
    assert result.findings == ()
    assert result.not_covered


def test_intervals_of_a_number_each_take_a_value() -> None:
    """`budget < 5M USD or budget > 5M USD` fails at exactly 5M: still undetermined."""
    report = terms("clause not_five:\n  Acme runs api only if budget < 5M USD or budget > 5M USD\n"
                   ).check([dep()])
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    assert report.result_of("d").findings[0].missing_facts == ("budget",)


def test_only_facts_that_change_the_clause_are_named() -> None:
    """`(consent and declined) or (consent and not declined)` is `consent`: `declined`
    cannot change it, although Kleene logic leaves both unknown."""
    report = terms("clause c:\n  Acme runs api only if (consent and declined) or "
                   "(consent and not declined)\n").check([dep()])
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    assert report.result_of("d").findings[0].missing_facts == ("consent",)


def test_only_facts_that_change_the_verdict_are_named() -> None:
    """`both` is violated only when `declined` is, and then `not_declined` is violated
    anyway: `consent` changes the clause but never the verdict."""
    report = terms("""\
clause both:
  Acme runs api only if not (consent and declined)
clause not_declined:
  Acme runs api only if not declined
""").check([dep()])
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    missing = {f.clause: f.missing_facts for f in report.result_of("d").findings}
    assert missing == {"both": ("declined",), "not_declined": ("declined",)}


def test_a_violation_elsewhere_leaves_nothing_to_decide() -> None:
    report = terms("""\
clause main_only:
  Acme runs api only on Main
clause needs_consent:
  Acme runs api only if consent
""").check([dep()])
    result = report.result_of("d")
    assert result.verdict is Verdict.VIOLATION
    [unknown] = [f for f in result.findings if f.outcome is Outcome.UNKNOWN]
    assert unknown.missing_facts == ()
    assert "it cannot change the verdict: `main_only` is violated" in unknown.message


def test_a_permission_that_always_applies_overrides() -> None:
    report = terms("""\
clause main_only:
  Acme runs api only on Main
clause always notwithstanding main_only:
  Acme may run api on any provider when consent or not consent
""").check([dep()])
    [finding] = report.result_of("d").findings
    assert finding.outcome is Outcome.OVERRIDDEN
    assert finding.overridden_by == ("always",)
    assert report.verdict_of("d") is Verdict.COMPLIANT


def test_the_compiled_evaluator_gives_the_same_results() -> None:
    from dealcheck.checker.evaluate import evaluate_reference

    t = dealcheck.loads(NATIONAL_SECURITY, "api.deal")
    report = t.check([EU_API, {**EU_API, "id": "again"}])
    ct = t.compiled()
    for got, d in zip(report.deployments, [EU_API, {**EU_API, "id": "again"}], strict=True):
        from dealcheck.scenario.read import parse_deployments

        [parsed] = parse_deployments([d], t.vocabulary)
        assert got == evaluate_reference(ct, parsed, None)


# ---------------------------------------------------------------- fixes that make sense

TRAINIUM = """\
agreement "Training terms" effective 2025-01-01
party OpenAI, Amazon
provider AWS operated by Amazon
provider Azure operated by Amazon
workload training
fact uses_trainium: bool

clause trainium_on_aws:
  OpenAI runs training on AWS only if uses_trainium
"""


def test_the_fix_is_what_the_clause_asks_for() -> None:
    """"Training on AWS only if it uses Trainium chips": set that fact, not "run elsewhere"."""
    t = dealcheck.loads(TRAINIUM, "train.deal")
    d = {"id": "d", "party": "OpenAI", "workload": "training", "provider": "AWS",
         "start": "2025-06-01"}
    for facts in ({"uses_trainium": False}, {}):
        [finding] = t.check([{**d, "facts": facts}]).result_of("d").findings
        assert finding.fix == "have `uses_trainium = true`"
        [fix] = finding.fixes
        assert [(c.name, c.values) for c in fix.changes] == [("uses_trainium", (True,))]


def test_a_fix_never_repeats_a_condition_that_holds() -> None:
    report = terms("clause both:\n  Acme runs api only if consent and declined\n").check(
        [dep(facts={"consent": True, "declined": False})])
    assert report.result_of("d").findings[0].fix == "have `declined = true`"


def test_a_fix_on_a_number_states_the_interval() -> None:
    report = terms("clause small:\n  Acme runs api only if budget <= 5M USD\n").check(
        [dep(facts={"budget": "6M USD"})])
    assert report.result_of("d").findings[0].fix == "have `budget <= 5M USD`"


def test_a_prohibition_is_fixed_by_leaving_its_scope() -> None:
    report = terms("clause no_other:\n  Acme must not run api on Other\n").check([dep()])
    [fix] = report.result_of("d").findings[0].fixes
    assert fix.text == "run on a provider other than `Other`"
    assert fix.changes[0].values == ("Main",)


def test_explain_says_a_scope_holds_for_no_value() -> None:
    from dealcheck.checker.explain import explain, render_explanation
    from dealcheck.scenario.read import parse_deployments

    t = terms("clause odd:\n  Acme must not run api when consent and not consent\n")
    [d] = parse_deployments([dep()], t.vocabulary)
    text = render_explanation(explain(t.compiled(), d), t)
    assert "odd: does not scope it: `consent and not consent` holds for no value" in text


def test_a_fix_on_a_date_between_two_others_is_one_range() -> None:
    report = terms("clause window:\n  Acme runs api only if signed > 2025-01-01 and "
                   "signed < 2025-03-01\n").check([dep(facts={"signed": "2025-05-01"})])
    assert report.result_of("d").findings[0].fix == \
        "have `signed > 2025-01-01 and signed < 2025-03-01`"


def test_a_fix_of_two_changes_states_each_as_a_condition() -> None:
    report = terms("clause both:\n  Acme runs api only if budget > 5M USD and consent\n").check(
        [dep(facts={"budget": "1M USD", "consent": False})])
    assert report.result_of("d").findings[0].fix == "have `budget > 5M USD` and `consent = true`"


def test_no_fix_is_offered_when_every_change_breaks_another_clause() -> None:
    report = terms("clause on_main:\n  Acme runs api only on Main\n"
                   "clause on_other:\n  Acme runs api only on Other\n").check([dep()])
    [violated] = [f for f in report.result_of("d").findings if f.outcome is Outcome.VIOLATED]
    assert violated.clause == "on_main"
    assert violated.fix is None   # `run on Main` would break `on_other`
    assert violated.fixes == ()
