"""Clause states as conditions (docs/language.md §7.2): `CLAUSE is compliant|violated|open`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.states import layers
from dealcheck.dsl.format import format_source
from helpers import run_dealcheck

TERMS = """\
agreement "Rights" effective 2025-01-01
party Lab
provider Cloud operated by Lab
provider Other operated by Lab
workload training, api
region US
fact urgent: bool

clause first_gw:
  total capacity of deployments by Lab on Cloud reaches 1 GW by 2026-12-31

clause second_site:
  Lab runs api only if first_gw is compliant

clause elsewhere:
  Lab runs training on Other only if first_gw is compliant or urgent
"""


def deployment(ident: str, workload: str, provider: str, start: str,
               capacity: str | None = None, **facts: object) -> dealcheck.Deployment:
    units = dealcheck.loads(TERMS, "t.deal").vocabulary.units
    return dealcheck.Deployment(
        id=ident, party="Lab", workload=workload, provider=provider, region="US",
        start=dt.date.fromisoformat(start),
        capacity=units.parse(capacity) if capacity else None, facts=facts)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS, "t.deal")


def verdicts(report: dealcheck.Report) -> dict[str, str]:
    return {r.id: str(r.verdict) for r in report.deployments}


# ---------------------------------------------------------------- the language


def test_a_state_formats_as_written_and_idempotently() -> None:
    text = TERMS.replace("only if first_gw is compliant or urgent",
                         "only if not first_gw is violated and (first_gw is open or urgent)")
    once = format_source(text, "t.deal")
    assert "only if not first_gw is violated and (first_gw is open or urgent)" in once
    assert format_source(once, "t.deal") == once


def test_a_state_is_an_unknown_fact_named_like_its_clause(terms: dealcheck.Terms) -> None:
    [test] = [t for c in terms.clauses for t in dealcheck.rules.model.clause_states_read(c)
              if c.id == "second_site"]
    assert (test.ref.name, test.ref.state, test.values) == ("first_gw", True,
                                                            frozenset({"compliant"}))
    assert terms.states() == {"first_gw": ("compliant", "violation", "open")}


# ---------------------------------------------------------------- the as-of rule


def test_each_deployment_sees_the_state_on_its_own_evaluation_date(
        terms: dealcheck.Terms) -> None:
    ds = [deployment("a", "training", "Cloud", "2025-02-01", "600 MW"),
          deployment("early", "api", "Cloud", "2025-03-01", "10 MW"),
          deployment("b", "training", "Cloud", "2025-04-01", "600 MW"),
          deployment("late", "api", "Cloud", "2025-05-01", "10 MW")]
    assert verdicts(terms.check(ds)) == {"a": "compliant", "early": "violation",
                                         "b": "compliant", "late": "compliant"}
    # On one --as-of date, every deployment sees the same state.
    assert verdicts(terms.check(ds, as_of="2025-03-15"))["late"] == "violation"
    assert verdicts(terms.check(ds, as_of="2025-04-01"))["early"] == "compliant"


def test_an_undetermined_state_names_its_clause_as_the_missing_fact(
        terms: dealcheck.Terms) -> None:
    ds = [deployment("a", "training", "Cloud", "2025-02-01"),
          deployment("b", "api", "Cloud", "2025-03-01", "10 MW")]
    report = terms.check(ds, as_of="2027-01-01")
    [finding] = report.result_of("b").findings
    assert (str(report.result_of("b").verdict), finding.missing_facts) == ("undetermined",
                                                                     ("first_gw",))
    # Whatever the state, `urgent` settles the other clause: not undetermined.
    c = deployment("c", "training", "Other", "2025-03-01", "10 MW", urgent=True)
    assert str(terms.check([*ds, c], as_of="2027-01-01").result_of("c").verdict) == "compliant"


def test_every_state_a_clause_can_reach_covers_it() -> None:
    text = TERMS.replace("only if first_gw is compliant\n",
                         "only if first_gw is compliant or first_gw is violated or "
                         "first_gw is open\n")
    terms = dealcheck.loads(text, "t.deal")
    ds = [deployment("a", "training", "Cloud", "2025-02-01"),
          deployment("b", "api", "Cloud", "2025-03-01", "10 MW")]
    assert str(terms.check(ds).result_of("b").verdict) == "compliant"


def test_a_clause_not_in_force_has_no_state() -> None:
    text = TERMS.replace("clause first_gw:", "clause first_gw from 2025-06-01:").replace(
        "only if first_gw is compliant\n", "only if not first_gw is open\n")
    terms = dealcheck.loads(text, "t.deal")
    b = deployment("b", "api", "Cloud", "2025-03-01", "10 MW")
    # Before `first_gw` takes effect it is not open (nor anything else): the test is false.
    assert str(terms.check([b]).result_of("b").verdict) == "compliant"
    assert str(terms.check([b], as_of="2025-07-01").result_of("b").verdict) == "violation"


def test_an_aggregate_counts_by_the_states_its_when_reads() -> None:
    text = TERMS + ("clause second_gw:\n  total capacity of deployments by Lab of training "
                    "reaches 1 GW by 2027-12-31 when first_gw is compliant\n")
    terms = dealcheck.loads(text, "t.deal")
    assert layers(terms) == [["first_gw"]]
    ds = [deployment("a", "training", "Cloud", "2025-02-01", "1 GW"),
          deployment("before", "training", "Other", "2025-01-15", "900 MW", urgent=True),
          deployment("after", "training", "Other", "2025-03-01", "400 MW", urgent=True)]
    second = next(a for a in terms.check(ds).aggregates if a.clause == "second_gw")
    # `before` started while the first gigawatt was still open: it does not count.
    assert set(second.contributors) == {"a", "after"}


def test_layers_follow_the_states_aggregates_read() -> None:
    text = TERMS + """
clause second_gw:
  total capacity of deployments by Lab reaches 2 GW when first_gw is compliant
clause third_gw:
  total capacity of deployments by Lab reaches 3 GW when second_gw is compliant
clause gated:
  Lab runs api only if third_gw is open
"""
    assert layers(dealcheck.loads(text, "t.deal")) == [["first_gw"], ["second_gw"],
                                                        ["third_gw"]]


# ---------------------------------------------------------------- fixes, decide, explain


def test_a_state_that_would_settle_the_finding_is_the_fix(terms: dealcheck.Terms) -> None:
    b = deployment("b", "api", "Cloud", "2025-03-01", "10 MW")
    [finding] = terms.check([b]).result_of("b").findings
    assert finding.fix == "have `first_gw is compliant` first"


def test_decide_judges_the_deployment_as_a_check_of_it_alone(terms: dealcheck.Terms) -> None:
    for d in (deployment("b", "api", "Cloud", "2025-03-01", "10 MW"),
              deployment("big", "api", "Cloud", "2025-03-01", "2 GW")):
        assert terms.decide(d) == terms.check([d]).result_of(d.id)


def test_the_generated_and_reference_evaluators_agree(monkeypatch: pytest.MonkeyPatch,
                                                      terms: dealcheck.Terms) -> None:
    ds = [deployment("a", "training", "Cloud", "2025-02-01", "600 MW"),
          deployment("early", "api", "Cloud", "2025-03-01", "10 MW"),
          deployment("b", "training", "Cloud", "2025-04-01"),
          deployment("late", "api", "Cloud", "2025-05-01", "10 MW")]
    generated = [terms.check(ds).to_json(), terms.check(ds, as_of="2025-04-01").to_json()]
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    again = dealcheck.loads(TERMS, "t.deal")
    assert generated == [again.check(ds).to_json(),
                         again.check(ds, as_of="2025-04-01").to_json()]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    terms = tmp_path / "t.deal"
    terms.write_text(TERMS, encoding="utf-8")
    csv = tmp_path / "plan.csv"
    csv.write_text("id,party,workload,provider,region,start,capacity\n"
                   "a,Lab,training,Cloud,US,2025-02-01,1.5 GW\n"
                   "b,Lab,api,Cloud,US,2025-03-01,10 MW\n", encoding="utf-8")
    return terms, csv


def test_explain_shows_the_states_on_the_evaluation_date(tmp_path: Path) -> None:
    terms, csv = _files(tmp_path)
    run = run_dealcheck("explain", terms, csv, "--id", "b", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "clause states on 2025-03-01: `first_gw` is compliant" in run.stdout
    assert "`first_gw is compliant`, which holds" in run.stdout


def test_engine_duckdb_declines_states_and_auto_picks_python(tmp_path: Path) -> None:
    terms, csv = _files(tmp_path)
    duck = run_dealcheck("check", terms, csv, "--engine", "duckdb", cwd=tmp_path)
    assert duck.returncode == 2
    assert "t.deal:13:24: error[DC129]: the duckdb engine does not evaluate " \
           "`first_gw is compliant`" in duck.stderr
    assert "Traceback" not in duck.stderr
    auto = run_dealcheck("check", terms, csv, "--format", "json", cwd=tmp_path)
    python = run_dealcheck("check", terms, csv, "--format", "json", "--engine", "python",
                           cwd=tmp_path)
    assert auto.returncode == python.returncode == 0, auto.stderr
    assert auto.stdout == python.stdout
