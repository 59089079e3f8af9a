"""Comparisons between two operands: date expressions, facts against facts and fields.

`value <= mfn_price`, `notice + 10 business days <= start`, `start within 30 days
after signed`, `operator = party`: how they resolve, what they decide, what a
missing side does, and that every evaluator (generated, reference, the CLI's
engines) says the same.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from located import HEADER, located

import dealcheck
from dealcheck.checker.examples import run_examples
from dealcheck.checker.logic import describe
from dealcheck.rules import model as m
from helpers import run_dealcheck

TERMS = HEADER + """\
provider AWS operated by Beta
fact signed: date
fact notice: date
fact mfn_price: number USD
fact list_price: number USD
fact consent: bool
fact customer: one of commercial, government
fact commercial: bool
clause cure:
  Acme runs training only if start within 30 days after signed
clause notice_period:
  Acme runs api on Azure only if notice + 10 business days <= start
clause mfn:
  Acme runs api on AWS only if value <= mfn_price or consent
clause own:
  Beta runs training only if operator = party
"""


def deployment(ident: str, workload: str, provider: str, start: str, **extra: object
               ) -> dict[str, object]:
    return {"id": ident, "party": extra.pop("party", "Acme"), "workload": workload,
            "provider": provider, "start": start, **extra}


def finding(report: dealcheck.Report, ident: str, clause: str) -> dealcheck.Finding:
    [found] = [f for f in report.result_of(ident).findings if f.clause == clause]
    return found


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS, "t.deal")


@pytest.mark.parametrize(("start", "signed", "verdict"), [
    ("2025-03-01", "2025-03-01", "compliant"),    # the day of signature
    ("2025-03-31", "2025-03-01", "compliant"),    # the thirtieth day after
    ("2025-04-01", "2025-03-01", "violation"),    # the thirty-first
    ("2025-02-28", "2025-03-01", "violation"),    # before the signature
])
def test_within_is_inclusive_at_both_ends(terms: dealcheck.Terms, start: str, signed: str,
                                          verdict: str) -> None:
    d = deployment("d", "training", "Azure", start, facts={"signed": signed})
    assert str(terms.check([d]).verdict_of("d")) == verdict


@pytest.mark.parametrize(("start", "verdict"), [
    ("2025-03-17", "compliant"),   # notice on Monday 3 March + 10 business days
    ("2025-03-14", "violation"),   # the Friday before: one business day short
])
def test_business_days_in_a_condition(terms: dealcheck.Terms, start: str, verdict: str) -> None:
    d = deployment("d", "api", "Azure", start, facts={"notice": "2025-03-03"})
    assert str(terms.check([d]).verdict_of("d")) == verdict


def test_a_missing_date_fact_is_named_with_a_fix_that_settles_it(
        terms: dealcheck.Terms) -> None:
    report = terms.check([deployment("d", "training", "Azure", "2025-04-01")])
    found = finding(report, "d", "cure")
    assert (str(found.outcome), found.missing_facts) == ("unknown", ("signed",))
    assert found.fix == "have `signed = 2025-04-01`"
    [fix] = found.fixes
    for value in fix.changes[0].values:
        fixed = deployment("d", "training", "Azure", "2025-04-01", facts={"signed": value})
        assert str(terms.check([fixed]).verdict_of("d")) == "compliant"


def test_a_fact_compared_with_a_field(terms: dealcheck.Terms) -> None:
    report = terms.check([
        deployment("over", "api", "AWS", "2025-03-01", value="12M USD",
                   facts={"mfn_price": "10M USD", "consent": False}),
        deployment("at", "api", "AWS", "2025-03-01", value="10M USD",
                   facts={"mfn_price": "10000k USD"}),
        deployment("unknown", "api", "AWS", "2025-03-01", value="12M USD")])
    assert str(report.verdict_of("over")) == "violation"
    assert finding(report, "over", "mfn").fix == (
        "have `value = 10M USD`, or have `mfn_price = 12M USD`, or have `consent = true`")
    assert str(report.verdict_of("at")) == "compliant"
    unknown = finding(report, "unknown", "mfn")
    assert unknown.missing_facts == ("consent", "mfn_price")


def test_an_unknown_side_that_cannot_change_the_outcome_is_not_named(
        terms: dealcheck.Terms) -> None:
    report = terms.check([deployment("d", "api", "AWS", "2025-03-01", value="12M USD",
                                     facts={"consent": True})])
    assert str(report.verdict_of("d")) == "compliant"
    assert finding(report, "d", "mfn").missing_facts == ()


def test_a_field_compared_with_a_field(terms: dealcheck.Terms) -> None:
    report = terms.check([
        deployment("theirs", "training", "Azure", "2025-03-01", party="Beta"),
        deployment("own", "training", "AWS", "2025-03-01", party="Beta")])
    assert str(report.verdict_of("theirs")) == "violation"
    assert str(report.verdict_of("own")) == "compliant"


def _conditions(terms: m.Terms) -> dict[str, m.Condition]:
    return {c.id: c.rule.condition for c in terms.clauses
            if isinstance(c.rule, m.Requirement)}


def test_a_date_expression_of_constants_is_folded_into_a_plain_comparison() -> None:
    terms = dealcheck.loads(HEADER + """\
clause c:
  Acme runs api only if 2025-01-31 + 1 month < start and start <= 2025-06-01 - 2 weeks
""", "t.deal")
    cond = _conditions(terms)["c"]
    assert isinstance(cond, m.And)
    assert all(isinstance(i, m.Compare) for i in cond.items)
    assert describe(cond) == "start > 2025-02-28 and start <= 2025-05-18"


def test_a_name_that_is_a_value_of_the_left_side_stays_a_value(terms: dealcheck.Terms) -> None:
    cond = _conditions(dealcheck.loads(TERMS + """\
clause c:
  Acme runs api only if customer = commercial
""", "t.deal"))["c"]
    assert cond == m.Compare(m.FieldRef("customer", True, cond.span), m.CmpOp.EQ,  # type: ignore[union-attr]
                             "commercial", cond.span)


@pytest.mark.parametrize(("condition", "expected"), [
    ("capacity + 3 days <= start",
     ("DC122", 11, 25, "only a date moves by a duration, and `capacity` is power or a count")),
    ("start within 3 days after value",
     ("DC122", 11, 51, "`within … after` takes a date, and `value` is money")),
    ("value <= signed", ("DC123", 11, 25, "`value` is money, but `signed` is a date")),
    ("mfn_price <= capacity",
     ("DC123", 11, 25, "`mfn_price` is money, but `capacity` is power or a count")),
    ("customer = consent",
     ("DC123", 11, 25, "`customer` is one of commercial, government, but `consent` is a bool")),
    ("party < operator", ("DC124", 11, 25, "`<` does not apply to a party")),
    ("2025-01-01 < 2025-01-01 + 1 day",
     ("DC125", 11, 25, "this comparison reads no field or fact: it is always true or always "
                       "false")),
    ("signed + 1.5 days < start", ("DC121", 11, 34, "a duration counts whole days, not `1.5`")),
])
def test_mistakes_are_located(condition: str, expected: tuple[str, int, int, str]) -> None:
    source = HEADER + """\
fact signed: date
fact mfn_price: number USD
fact consent: bool
fact customer: one of commercial, government
clause c:
  Acme runs api only if """ + condition + "\n"
    assert located(source) == [expected]


def test_a_deployment_value_in_another_currency_does_not_compare() -> None:
    # `value` is money; a number fact without a unit is a plain number: DC123.
    assert located(HEADER + "fact share: number\nclause c:\n  Acme runs api only if "
                   "value <= share\n") == [
        ("DC123", 8, 25, "`value` is money, but `share` is a plain number")]


# ---------------------------------------------------------------- every evaluator alike


def test_the_generated_evaluator_agrees_with_the_reference(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = [deployment(f"d{i}", workload, provider, start, **extra)
          for i, (workload, provider, start, extra) in enumerate([
              ("training", "Azure", "2025-04-01", {"facts": {"signed": "2025-03-01"}}),
              ("training", "Azure", "2025-04-01", {"facts": {"signed": "2025-03-15"}}),
              ("training", "Azure", "2025-04-01", {}),
              ("api", "Azure", "2025-03-17", {"facts": {"notice": "2025-03-03"}}),
              ("api", "Azure", "2025-03-14", {"facts": {"notice": "2025-03-03"}}),
              ("api", "Azure", "2025-03-14", {}),
              ("api", "AWS", "2025-03-14", {"value": "1 USD", "facts": {"mfn_price": "2 USD"}}),
              ("api", "AWS", "2025-03-14", {"value": "3 USD", "facts": {"mfn_price": "2 USD"}}),
              ("api", "AWS", "2025-03-14", {"value": "3 USD"}),
              ("training", "AWS", "2025-03-14", {"party": "Beta"}),
          ])]
    generated = [terms.check(ds), terms.check(ds, as_of="2025-04-01")]
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    again = dealcheck.loads(TERMS, "t.deal")
    reference = [again.check(ds), again.check(ds, as_of="2025-04-01")]
    assert [r.to_json() for r in generated] == [r.to_json() for r in reference]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    terms = tmp_path / "t.deal"
    terms.write_text(TERMS, encoding="utf-8")
    csv = tmp_path / "plan.csv"
    csv.write_text("id,party,workload,provider,start,value,facts.mfn_price,facts.consent\n"
                   "a,Acme,api,AWS,2025-03-01,12M USD,10M USD,false\n"
                   "b,Acme,api,AWS,2025-03-01,8M USD,10M USD,false\n", encoding="utf-8")
    return terms, csv


def test_engine_auto_checks_such_terms_with_python(tmp_path: Path) -> None:
    terms, csv = _files(tmp_path)
    auto = run_dealcheck("check", terms, csv, "--format", "json", cwd=tmp_path)
    python = run_dealcheck("check", terms, csv, "--format", "json", "--engine", "python",
                           cwd=tmp_path)
    assert auto.returncode == python.returncode == 1, auto.stderr
    assert auto.stdout == python.stdout


def test_engine_duckdb_says_it_cannot(tmp_path: Path) -> None:
    terms, csv = _files(tmp_path)
    duck = run_dealcheck("check", terms, csv, "--engine", "duckdb", cwd=tmp_path)
    assert duck.returncode == 2
    assert "t.deal:15:30: error[DC129]: the duckdb engine does not evaluate " \
           "`start >= signed`" in duck.stderr
    assert "help: check with `--engine python`" in duck.stderr
    assert "Traceback" not in duck.stderr


def test_dates_move_as_the_calendar_says() -> None:
    from dealcheck.rules.durations import Duration, TimeUnit, shift
    assert shift(dt.date(2025, 1, 31), Duration(1, TimeUnit.MONTHS)) == dt.date(2025, 2, 28)


@pytest.mark.parametrize(("given", "expected"), [
    ("signed = 2025-03-01 + 30 days", None),
    ("signed = start + 3 days",
     ("DC122", 11, 74, "an example gives `signed` a value, and `start + …` depends on the "
                       "deployment")),
    ("consent = 2025-03-01 + 1 day", ("DC108", 11, 75, "`consent` is not a date fact")),
])
def test_an_example_gives_a_date_fact_a_moved_date(given: str,
                                                   expected: tuple[str, int, int, str] | None
                                                   ) -> None:
    source = HEADER + """\
fact signed: date
fact consent: bool
clause c:
  Acme runs api only if start within 1 day after signed and consent
example "x":
  deployment d: Acme runs api on Azure starting 2025-03-31 with """ + given + """
  expect compliant
"""
    if expected is None:
        terms = dealcheck.loads(source.replace("and consent", "or consent"), "t.deal")
        [outcome] = run_examples(terms)
        assert outcome.failures == []
        assert terms.examples[0].deployments[0].deployment.facts["signed"] == \
            dt.date(2025, 3, 31)
    else:
        assert located(source) == [expected]


def test_a_field_compared_with_itself_is_a_warning() -> None:
    source = HEADER + "clause c:\n  Acme runs api only if start <= start + 30 days\n"
    _, diagnostics = dealcheck.analyze(source, "t.deal", warnings=True)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in diagnostics
            if not d.code.startswith("DC23")] == [
        ("DC220", 7, 25, "this comparison reads `start` on both sides: it is the same for "
                         "every deployment")]


def test_a_mismatch_shows_both_sides_as_written_and_help_of_the_left_sides_type() -> None:
    source = HEADER + """\
fact consent: bool
clause c:
  Acme runs api only if start + 3 days <= value or consent = 2025-01-01 + 1 day
"""
    _, diagnostics = dealcheck.analyze(source, "t.deal")
    assert [(d.code, d.message, d.help) for d in diagnostics] == [
        ("DC123", "`start + 3 days` is a date, but `value` is money",
         "compare values of one type, e.g. `start >= 2025-01-01`"),
        ("DC123", "`consent` is a bool, but `2025-01-01 + 1 day` is a date",
         "compare values of one type, e.g. `consent = true`")]
