"""docs/language.md §10, rule by rule, through the public library API."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import dealcheck
from dealcheck import AggregateVerdict, Outcome, Verdict

HEADER = """\
agreement "Test terms" effective 2025-01-01
party Acme, Cloudco
provider Main operated by Cloudco
provider Other operated by Cloudco
provider Third operated by Cloudco
workload api, batch, training
workload group serving = api, batch
region US, EU
region group domestic = US
fact consent: bool
fact declined: bool
fact customer: one of commercial, government
fact budget: number USD
fact signed: date
"""


def terms(body: str) -> dealcheck.Terms:
    return dealcheck.loads(HEADER + body, "test.deal")


def dep(ident: str = "d", **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": ident, "party": "Acme", "workload": "api",
                               "provider": "Other", "start": "2025-06-01"}
    base.update(fields)
    return base


def finding(report: dealcheck.Report, ident: str, clause: str) -> dealcheck.Finding:
    return next(f for f in report.result_of(ident).findings if f.clause == clause)


EXCLUSIVE = """
clause main_only from 2025-03-01 through 2025-09-30:
  Acme runs serving only on Main
"""


# ---------------------------------------------------------------- evaluation date


@pytest.mark.parametrize(("start", "verdict", "covered"), [
    ("2025-02-28", Verdict.COMPLIANT, False),   # the day before the window
    ("2025-03-01", Verdict.VIOLATION, True),    # first day of the window
    ("2025-09-30", Verdict.VIOLATION, True),    # last day of the window
    ("2025-10-01", Verdict.COMPLIANT, False),   # the day after
])
def test_window_first_and_last_day(start: str, verdict: Verdict, covered: bool) -> None:
    report = terms(EXCLUSIVE).check([dep(start=start)])
    result = report.result_of("d")
    assert result.verdict is verdict
    assert result.not_covered is (not covered)
    assert result.evaluated_on == dt.date.fromisoformat(start)


def test_as_of_replaces_the_start_date() -> None:
    t = terms(EXCLUSIVE)
    late = dep(start="2026-01-01")
    assert t.check([late]).verdict_of("d") is Verdict.COMPLIANT
    report = t.check([late], as_of="2025-06-01")
    assert report.verdict_of("d") is Verdict.VIOLATION
    assert report.result_of("d").evaluated_on == dt.date(2025, 6, 1)


def test_amendment_revokes_from_its_date_and_adds_clauses() -> None:
    t = terms("""
clause main_only:
  Acme runs serving only on Main

amendment relax "Relaxed" effective 2025-07-01:
  revoke main_only
  clause eu_ban:
    Acme must not run any workload in EU
""")
    before = t.check([dep(start="2025-06-30", region="EU")])
    assert [f.clause for f in before.result_of("d").findings] == ["main_only"]
    after = t.check([dep(start="2025-07-01", region="EU")])
    assert [f.clause for f in after.result_of("d").findings] == ["eu_ban"]
    assert after.verdict_of("d") is Verdict.VIOLATION


def test_replace_clause_swaps_versions() -> None:
    t = terms("""
clause where:
  Acme runs serving only on Main

amendment widen "Widen" effective 2025-07-01:
  replace clause where:
    Acme runs serving only on Main, Other
""")
    assert t.check([dep(start="2025-06-30")]).verdict_of("d") is Verdict.VIOLATION
    assert t.check([dep(start="2025-07-01")]).verdict_of("d") is Verdict.COMPLIANT


# ---------------------------------------------------------------- three-valued facts


REQUIRE = """
clause needs_consent:
  Acme runs serving off Main only if consent or declined
"""


def test_kleene_or_true_or_unknown_is_true() -> None:
    report = terms(REQUIRE).check([dep(facts={"consent": True})])
    assert report.verdict_of("d") is Verdict.COMPLIANT
    assert finding(report, "d", "needs_consent").outcome is Outcome.SATISFIED


def test_kleene_false_or_unknown_is_unknown_and_names_the_fact() -> None:
    report = terms(REQUIRE).check([dep(facts={"consent": False})])
    f = finding(report, "d", "needs_consent")
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    assert f.outcome is Outcome.UNKNOWN
    assert f.missing_facts == ("declined",)
    assert "declined = true" in (f.fix or "")


def test_missing_facts_named_in_the_report_json() -> None:
    report = terms(REQUIRE).check([dep()])
    [deployment] = json.loads(report.to_json())["deployments"]
    assert deployment["findings"][0]["missing_facts"] == ["consent", "declined"]


def test_kleene_and_false_short_circuits_unknown() -> None:
    t = terms("""
clause both:
  Acme runs serving off Main only if consent and declined
""")
    report = t.check([dep(facts={"consent": False})])
    assert report.verdict_of("d") is Verdict.VIOLATION
    assert finding(report, "d", "both").missing_facts == ()


def test_unknown_fact_that_cannot_change_the_outcome_is_ignored() -> None:
    # The scope's condition is unknown, but the deployment runs on Main,
    # so the exclusivity is met whatever `customer` turns out to be.
    t = terms("""
clause gov_main:
  Acme runs serving only on Main when customer = government
""")
    report = t.check([dep(provider="Main")])
    assert report.verdict_of("d") is Verdict.COMPLIANT
    assert finding(report, "d", "gov_main").outcome is Outcome.SATISFIED
    unknown = t.check([dep(provider="Other")])
    assert unknown.verdict_of("d") is Verdict.UNDETERMINED
    assert finding(unknown, "d", "gov_main").missing_facts == ("customer",)


def test_absent_region_is_unknown_for_region_exclusivity() -> None:
    t = terms("""
clause home:
  Acme runs any workload only in domestic
""")
    assert t.check([dep(region="US")]).verdict_of("d") is Verdict.COMPLIANT
    assert t.check([dep(region="EU")]).verdict_of("d") is Verdict.VIOLATION
    report = t.check([dep()])
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    assert finding(report, "d", "home").missing_facts == ("region",)
    assert finding(t.check([dep(region="EU")]), "d", "home").fix == "run in `domestic`"


# ---------------------------------------------------------------- verdict order


def test_violation_beats_undetermined_beats_compliant() -> None:
    t = terms("""
clause main_only:
  Acme runs serving only on Main

clause needs_consent:
  Acme runs any workload only if consent
""")
    both = t.check([dep()])  # violates main_only, needs_consent unknown
    assert both.verdict_of("d") is Verdict.VIOLATION
    outcomes = {f.clause: f.outcome for f in both.result_of("d").findings}
    assert outcomes == {"main_only": Outcome.VIOLATED, "needs_consent": Outcome.UNKNOWN}
    assert t.check([dep(provider="Main")]).verdict_of("d") is Verdict.UNDETERMINED
    assert t.check([dep(provider="Main", facts={"consent": True})]).verdict_of("d") \
        is Verdict.COMPLIANT


def test_not_covered_is_compliant_and_flagged() -> None:
    report = terms(EXCLUSIVE).check([dep(workload="training", start="2025-06-01")])
    result = report.result_of("d")
    assert result.verdict is Verdict.COMPLIANT
    assert result.not_covered is True
    assert result.findings == ()
    assert report.summary()["not_covered"] == 1


def test_check_explain_and_test_agree_on_a_permission_that_may_scope_it() -> None:
    """A permission whose `when` rests on a missing date fact may scope the deployment:
    covered (no finding), and `dealcheck test` says why rather than "no clause scopes it"."""
    from dealcheck.checker.examples import run_examples
    from dealcheck.checker.explain import explain, render_explanation
    from dealcheck.terms import validate_deployment

    body = """
clause main_only:
  Acme runs training only on Main

clause early notwithstanding main_only:
  Acme may run any workload on Other when signed <= 2025-03-01

example "no date":
  deployment d: Acme runs api on Other starting 2025-06-01
  expect not_covered
"""
    model = terms(body)
    result = model.check([dep()]).result_of("d")
    assert (result.verdict, result.not_covered, result.findings) == (
        Verdict.COMPLIANT, False, ())
    deployment = validate_deployment(model.vocabulary, dep())
    text = render_explanation(explain(model.compiled(), deployment, None), model)
    assert "  early: may scope it: " in text
    [outcome] = run_examples(model)
    assert outcome.failures == [
        "`d`: expected not_covered, got compliant (covered: `early` may scope it)"]
    early = body.replace("2025-06-01\n", "2025-06-01 with signed = 2025-01-01\n")
    assert run_examples(terms(early))[0].failures == [
        "`d`: expected not_covered, got compliant (covered: `early` scopes it)"]
    late = body.replace("2025-06-01\n", "2025-06-01 with signed = 2025-04-01\n")
    assert run_examples(terms(late))[0].failures == []  # then nothing scopes it


# ---------------------------------------------------------------- permissions


PERMIT = """
clause main_only:
  Acme runs serving only on Main

clause consented notwithstanding main_only:
  Acme may run serving on any provider when consent
"""


def test_permission_overrides_the_clause_it_names() -> None:
    report = terms(PERMIT).check([dep(facts={"consent": True})])
    f = finding(report, "d", "main_only")
    assert report.verdict_of("d") is Verdict.COMPLIANT
    assert f.outcome is Outcome.OVERRIDDEN
    assert f.overridden_by == ("consented",)


def test_permission_with_unknown_condition_leaves_violation_undetermined() -> None:
    report = terms(PERMIT).check([dep()])
    f = finding(report, "d", "main_only")
    assert report.verdict_of("d") is Verdict.UNDETERMINED
    assert f.missing_facts == ("consent",)
    assert f.fix == "run on `Main`, or have `consent = true` (`consented`)"


def test_permission_does_not_bind_against_unnamed_restriction() -> None:
    t = terms(PERMIT + """
clause no_eu:
  Acme must not run serving in EU
""")
    report = t.check([dep(region="EU", facts={"consent": True})])
    outcomes = {f.clause: f.outcome for f in report.result_of("d").findings}
    assert outcomes == {"main_only": Outcome.OVERRIDDEN, "no_eu": Outcome.VIOLATED}
    assert report.verdict_of("d") is Verdict.VIOLATION


def test_nested_exception_restores_the_rule() -> None:
    t = terms(PERMIT + """
clause not_for_government notwithstanding consented:
  Acme may run serving on any provider when customer = government
""")
    plain = t.check([dep(facts={"consent": True, "customer": "commercial"})])
    assert plain.verdict_of("d") is Verdict.COMPLIANT
    # The exception to the exception applies: `consented` no longer overrides.
    nested = t.check([dep(facts={"consent": True, "customer": "government"})])
    assert nested.verdict_of("d") is Verdict.VIOLATION
    assert finding(nested, "d", "main_only").outcome is Outcome.VIOLATED
    unknown = t.check([dep(facts={"consent": True})])
    assert unknown.verdict_of("d") is Verdict.UNDETERMINED
    assert finding(unknown, "d", "main_only").missing_facts == ("customer",)


def test_prohibition_and_its_fix() -> None:
    t = terms("""
clause no_third:
  Acme must not run any workload on Third
""")
    report = t.check([dep(provider="Third")])
    f = finding(report, "d", "no_third")
    assert f.outcome is Outcome.VIOLATED
    assert f.fix == "run on a provider other than `Third`"
    assert t.check([dep(provider="Main")]).result_of("d").not_covered


def test_conditions_over_fields_and_typed_facts() -> None:
    t = terms("""
clause late_big:
  Acme runs any workload only if budget <= 5M USD when start >= 2025-06-01 and signed < 2025-01-01
""")
    fine = t.check([dep(facts={"budget": "4000k USD", "signed": "2024-12-31"})])
    assert fine.verdict_of("d") is Verdict.COMPLIANT
    big = t.check([dep(facts={"budget": "6M USD", "signed": "2024-12-31"})])
    assert big.verdict_of("d") is Verdict.VIOLATION
    early = t.check([dep(start="2025-05-31", facts={"budget": "6M USD"})])
    assert early.result_of("d").findings == ()


# ---------------------------------------------------------------- aggregates

AGGREGATES = """
clause spend_cap:
  total value of deployments by Acme starting from 2025-01-01 through 2025-12-31 is at most 10B USD

clause power_commitment:
  total capacity of deployments on Main reaches 2 GW by 2025-12-31
"""


def test_cap_sums_with_unit_conversion_and_lists_contributors() -> None:
    t = terms(AGGREGATES)
    report = t.check([dep("a", value="6B USD"), dep("b", value="5000M USD"),
                      dep("c", value="1B USD", start="2026-02-01")])
    cap = report.aggregate("spend_cap")
    assert cap.verdict is AggregateVerdict.VIOLATION
    assert cap.total == "11B USD"
    assert cap.contributors == ("a", "b")


def test_cap_with_missing_quantity_is_undetermined_unless_decided() -> None:
    t = terms(AGGREGATES)
    report = t.check([dep("a", value="6B USD"), dep("b")])
    cap = report.aggregate("spend_cap")
    assert cap.verdict is AggregateVerdict.UNDETERMINED
    assert cap.missing_quantity == ("b",)
    decided = t.check([dep("a", value="12B USD"), dep("b")]).aggregate("spend_cap")
    assert decided.verdict is AggregateVerdict.VIOLATION


def test_commitment_open_before_deadline_violation_after() -> None:
    t = terms(AGGREGATES)
    deps = [dep("a", provider="Main", capacity="1500 MW", start="2025-05-01")]
    assert t.check(deps, as_of="2025-12-31").aggregate("power_commitment").verdict \
        is AggregateVerdict.OPEN
    late = t.check(deps, as_of="2026-01-01").aggregate("power_commitment")
    assert late.verdict is AggregateVerdict.VIOLATION
    met = t.check([*deps, dep("b", provider="Main", capacity="0.5 GW")], as_of="2026-01-01")
    assert met.aggregate("power_commitment").verdict is AggregateVerdict.COMPLIANT
    assert met.aggregate("power_commitment").total == "2 GW"


def test_commitment_with_missing_quantity_after_deadline_is_undetermined() -> None:
    t = terms(AGGREGATES)
    deps = [dep("a", provider="Main", capacity="1 GW"), dep("b", provider="Main")]
    result = t.check(deps, as_of="2026-01-01").aggregate("power_commitment")
    assert result.verdict is AggregateVerdict.UNDETERMINED
    assert result.missing_quantity == ("b",)


# ---------------------------------------------------------------- determinism


def test_same_inputs_give_byte_identical_json() -> None:
    t = terms(PERMIT + AGGREGATES)
    deps = [dep(str(i), provider=["Main", "Other"][i % 2], value=f"{i}B USD",
                facts={"consent": bool(i % 3)} if i % 5 else {}) for i in range(50)]
    first = t.check(deps).to_json()
    second = terms(PERMIT + AGGREGATES).check(list(deps)).to_json()
    assert first == second
