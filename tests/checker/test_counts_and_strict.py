"""`number of deployments …`, `is less than`, `exceeds`: count aggregates, strict limits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import dealcheck
from dealcheck import AggregateVerdict
from dealcheck.dsl.format import format_source
from dealcheck.report.model import report_json_schema
from dealcheck.report.text import render_text
from helpers import run_dealcheck, validate_json

TERMS = """\
agreement "Regional build-out" effective 2025-01-01
party Acme
provider Cloud operated by Acme
provider Other operated by Acme
workload api, training
region US, EU
fact priority: bool

clause few_sites:
  number of deployments by Acme of training outside EU is less than 3

clause at_most_two:
  number of deployments on Other is at most 2

clause us_sites:
  number of deployments by Acme in US reaches 2 by 2025-12-31

clause more_sites:
  number of deployments of api exceeds 1 GPU when priority

clause beyond_a_gigawatt:
  total capacity of deployments of training exceeds 1 GW by 2026-06-30

clause below_ten_billion:
  total value of deployments is less than 10B USD
"""


def site(ident: str, start: str, *, workload: str = "training", provider: str = "Cloud",
         region: str | None = "US", capacity: str | None = None, value: str | None = None,
         facts: dict[str, object] | None = None) -> dict[str, object]:
    d: dict[str, object] = {"id": ident, "party": "Acme", "workload": workload,
                            "provider": provider, "start": start}
    for key, given in (("region", region), ("capacity", capacity), ("value", value),
                       ("facts", facts)):
        if given is not None:
            d[key] = given
    return d


def verdicts(deployments: list[dict[str, object]],
             as_of: dt.date | None = None) -> dict[str, AggregateVerdict]:
    report = dealcheck.loads(TERMS, "terms.deal").check(deployments, as_of=as_of)
    return {a.clause: a.verdict for a in report.aggregates}


# ---------------------------------------------------------------- counting deployments


def test_each_deployment_counts_one_whatever_its_quantity() -> None:
    report = dealcheck.loads(TERMS, "terms.deal").check([
        site("a", "2025-02-01", capacity="5 GW"), site("b", "2025-03-01")])
    few = report.aggregate("few_sites")
    assert (few.total, few.limit, few.contributors) == ("2", "3", ("a", "b"))
    assert few.missing_quantity == ()       # a count never lacks a quantity
    assert few.verdict is AggregateVerdict.COMPLIANT
    assert few.message == "number of deployments of 2 is within the cap of less than 3"


def test_a_count_cap_is_not_broken_by_deployments_outside_its_scope() -> None:
    inside = [site(x, "2025-02-01") for x in "ab"]
    outside = [site(x, "2025-02-01", region="EU") for x in "cdef"]
    assert verdicts(inside + outside)["few_sites"] is AggregateVerdict.COMPLIANT


def test_a_deployment_that_may_count_leaves_a_count_undetermined() -> None:
    # c has no region: it may be outside the EU, and a third site breaks `less than 3`.
    found = dealcheck.loads(TERMS, "terms.deal").check(
        [site("a", "2025-02-01"), site("b", "2025-02-01"), site("c", "2025-02-01", region=None)]
    ).aggregate("few_sites")
    assert found.verdict is AggregateVerdict.UNDETERMINED
    assert found.unknown_scope == ("c",)
    assert "1 may or may not count" in found.message


def test_an_unknown_condition_that_cannot_change_the_count_does_not_matter() -> None:
    # `more_sites` needs more than 1 api deployment when priority; two certain ones meet it.
    deployments = [site("a", "2025-02-01", workload="api", facts={"priority": True}),
                   site("b", "2025-02-01", workload="api", facts={"priority": True}),
                   site("c", "2025-02-01", workload="api")]
    assert verdicts(deployments)["more_sites"] is AggregateVerdict.COMPLIANT
    assert verdicts(deployments[:1] + deployments[2:])["more_sites"] \
        is AggregateVerdict.UNDETERMINED


def test_a_count_commitment_is_open_before_its_deadline_and_missed_after() -> None:
    one = [site("a", "2025-02-01")]
    assert verdicts(one, dt.date(2025, 6, 1))["us_sites"] is AggregateVerdict.OPEN
    assert verdicts(one, dt.date(2026, 1, 1))["us_sites"] is AggregateVerdict.VIOLATION
    two = [*one, site("b", "2025-11-01", region="US")]
    assert verdicts(two, dt.date(2026, 1, 1))["us_sites"] is AggregateVerdict.COMPLIANT


# ---------------------------------------------------------------- strict comparisons


def test_less_than_is_broken_by_a_total_equal_to_the_limit() -> None:
    three = [site(x, "2025-02-01") for x in "abc"]
    assert verdicts(three[:2])["few_sites"] is AggregateVerdict.COMPLIANT
    assert verdicts(three)["few_sites"] is AggregateVerdict.VIOLATION
    # `is at most` beside it: a total equal to the limit complies.
    on_other = [site(x, "2025-02-01", provider="Other") for x in "xy"]
    assert verdicts(on_other)["at_most_two"] is AggregateVerdict.COMPLIANT
    assert verdicts([*on_other, site("z", "2025-02-01", provider="Other")])["at_most_two"] \
        is AggregateVerdict.VIOLATION


def test_less_than_on_a_total_breaks_at_the_limit() -> None:
    assert verdicts([site("a", "2025-02-01", value="9.999B USD")])["below_ten_billion"] \
        is AggregateVerdict.COMPLIANT
    assert verdicts([site("a", "2025-02-01", value="10B USD")])["below_ten_billion"] \
        is AggregateVerdict.VIOLATION


def test_exceeds_is_not_met_by_a_total_equal_to_the_limit() -> None:
    exactly = [site("a", "2025-02-01", capacity="500 MW"),
               site("b", "2025-03-01", capacity="500 MW")]
    assert verdicts(exactly, dt.date(2026, 1, 1))["beyond_a_gigawatt"] is AggregateVerdict.OPEN
    report = dealcheck.loads(TERMS, "terms.deal").check(exactly, as_of=dt.date(2026, 7, 1))
    missed = report.aggregate("beyond_a_gigawatt")
    assert missed.verdict is AggregateVerdict.VIOLATION
    assert missed.message == ("the commitment of more than 1 GW by 2026-06-30 was missed: "
                              "1 GW reached")
    beyond = [*exactly, site("c", "2025-04-01", capacity="1 kW")]
    assert verdicts(beyond, dt.date(2026, 7, 1))["beyond_a_gigawatt"] \
        is AggregateVerdict.COMPLIANT


def test_crossed_on_follows_the_strict_limit() -> None:
    report = dealcheck.loads(TERMS, "terms.deal").check([
        site("a", "2025-02-01", capacity="500 MW"), site("b", "2025-03-01", capacity="500 MW"),
        site("c", "2025-04-01", capacity="1 MW")])
    projected = report.aggregate("beyond_a_gigawatt").projected
    assert projected is not None
    assert projected.crossed_on == dt.date(2025, 4, 1)    # beyond 1 GW, not at it
    few = report.aggregate("few_sites").projected
    assert few is not None and few.crossed_on == dt.date(2025, 4, 1)  # the third reaches 3


# ---------------------------------------------------------------- reports and engines


def test_the_json_report_shows_counts_as_plain_numbers(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"deployments": [site(x, "2025-02-01") for x in "abc"]}),
                    "utf-8")
    done = run_dealcheck("check", terms, plan, "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    validate_json(document, report_json_schema())
    few = {a["clause"]: a for a in document["aggregates"]}["few_sites"]
    assert (few["total"], few["limit"], few["verdict"]) == ("3", "3", "violation")
    assert few["projected"] == {"total": "3", "verdict": "violation", "crossed_on": "2025-02-01"}
    text = run_dealcheck("check", terms, plan, cwd=tmp_path).stdout
    assert "few_sites: number of deployments of 3 breaks the cap of less than 3" in text


def _mixed() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(24):
        out.append(site(
            f"d{i}", f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}",
            workload=("api", "training")[i % 2], provider=("Cloud", "Other")[i % 3 == 0],
            region=(None, "US", "EU")[i % 3], capacity=(None, "300 MW", "2 GPU")[i % 3],
            value=(None, "2B USD")[i % 2], facts={"priority": True} if i % 4 else None))
    return out


def test_the_reference_evaluator_gives_the_same_aggregates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = _mixed()

    def run() -> list[Any]:
        terms = dealcheck.loads(TERMS, "terms.deal")
        return [(a.clause, a.verdict, a.total, a.contributors, a.unknown_scope, a.projected)
                for as_of in (None, dt.date(2025, 2, 2), dt.date(2025, 3, 3))
                for a in terms.check(deployments, as_of=as_of).aggregates]

    generated = run()
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    assert run() == generated
    assert {v for _, v, *_ in generated} >= {AggregateVerdict.VIOLATION,
                                             AggregateVerdict.UNDETERMINED}


def test_the_duckdb_engine_gives_the_python_report(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    rows = tmp_path / "plan.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in _mixed()), "utf-8")
    python = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "python",
                           cwd=tmp_path)
    duck = run_dealcheck("check", terms, rows, "--format", "json", "--engine", "duckdb",
                         cwd=tmp_path)
    assert (duck.returncode, duck.stderr) == (python.returncode, python.stderr)
    assert duck.stdout == python.stdout
    few = {a["clause"]: a for a in json.loads(python.stdout)["aggregates"]}["few_sites"]
    assert few["total"] != "0"


def test_the_text_report_names_the_strict_commitment() -> None:
    report = dealcheck.loads(TERMS, "terms.deal").check(
        [site("a", "2025-02-01", capacity="1 GW")], as_of=dt.date(2026, 7, 1))
    assert "the commitment of more than 1 GW by 2026-06-30 was missed" in render_text(report)


# ---------------------------------------------------------------- mistakes


def test_a_count_limit_in_power_is_a_located_error() -> None:
    text = TERMS.replace("is at most 2\n", "is at most 2 GW\n")
    _, diagnostics = dealcheck.analyze(text, "terms.deal")
    (found,) = diagnostics
    assert (found.code, found.span.line, found.span.column) == ("DC106", 13, 45)
    assert found.message == "a number of deployments is a plain number, but `2 GW` is power"
    assert found.help == "count deployments with a plain number: `2`"


def test_the_formatter_keeps_counts_and_strict_limits() -> None:
    out = format_source(TERMS, "terms.deal")
    for line in ("number of deployments by Acme of training outside EU is less than 3",
                 "number of deployments of api exceeds 1 GPU when priority",
                 "total value of deployments is less than 10B USD"):
        assert line in out
    assert dealcheck.parse(out, "terms.deal") == dealcheck.parse(TERMS, "terms.deal")
    assert format_source(out, "terms.deal") == out
