"""Shares: `TOTAL is at least|at most P% of TOTAL` (issue 16: primary provider, "at least half")."""

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
from helpers import run_dealcheck, validate_json

TERMS = """\
agreement "Primary provider" effective 2025-01-01
party Anthropic
provider AWS operated by Anthropic
provider GCP operated by Anthropic
workload api, training
region US, EU
fact priority: bool

clause primary:
  total capacity of deployments by Anthropic of training on AWS is at least 50% of \
total capacity of deployments by Anthropic of training

clause little_gcp:
  number of deployments on GCP is at most 25% of number of deployments

clause priority_spend:
  total value of deployments on GCP starting from 2025-06-01 is at most 40% of \
total value of deployments when priority
"""


def site(ident: str, provider: str, *, workload: str = "training", start: str = "2025-02-01",
         region: str | None = "US", capacity: str | None = None, value: str | None = None,
         facts: dict[str, object] | None = None) -> dict[str, object]:
    d: dict[str, object] = {"id": ident, "party": "Anthropic", "workload": workload,
                            "provider": provider, "start": start}
    for key, given in (("region", region), ("capacity", capacity), ("value", value),
                       ("facts", facts)):
        if given is not None:
            d[key] = given
    return d


def judged(deployments: list[dict[str, object]], clause: str,
           as_of: dt.date | None = None) -> dealcheck.AggregateResult:
    return dealcheck.loads(TERMS, "terms.deal").check(deployments, as_of=as_of) \
        .aggregate(clause)


# ---------------------------------------------------------------- the share and its limit


def test_at_least_half_is_met_at_exactly_half_and_broken_below() -> None:
    half = judged([site("a", "AWS", capacity="500 MW"), site("b", "GCP", capacity="500 MW")],
                  "primary")
    assert (half.verdict, half.total, half.limit) == (AggregateVerdict.COMPLIANT, "50%", "50%")
    assert half.message == ("the share of total capacity is 500 MW of 1 GW (50%), "
                            "at least 50%")
    below = judged([site("a", "AWS", capacity="499 MW"), site("b", "GCP", capacity="501 MW")],
                   "primary")
    assert below.verdict is AggregateVerdict.VIOLATION
    assert below.total == "49.9%"
    assert below.message.endswith("(49.9%), below the 50% required")


def test_at_most_counts_deployments() -> None:
    four = [site(x, "AWS") for x in "abc"] + [site("d", "GCP")]
    assert judged(four, "little_gcp").verdict is AggregateVerdict.COMPLIANT   # 25%
    five = [*four, site("e", "GCP")]
    over = judged(five, "little_gcp")
    assert (over.verdict, over.total) == (AggregateVerdict.VIOLATION, "40%")
    assert over.message == "the share of deployments is 2 of 5 (40%), above the 25% allowed"


def test_deployments_outside_the_whole_take_no_part() -> None:
    # api deployments are not in `primary`'s whole (training only).
    found = judged([site("a", "AWS", capacity="1 GW"),
                    site("b", "GCP", workload="api", capacity="9 GW")], "primary")
    assert (found.verdict, found.total) == (AggregateVerdict.COMPLIANT, "100%")
    assert found.contributors == ("a",)


# ---------------------------------------------------------------- a whole of zero


def test_a_whole_of_zero_leaves_at_least_open_and_at_most_compliant() -> None:
    nothing = [site("x", "AWS", workload="api")]
    primary = judged(nothing, "primary")
    assert (primary.verdict, primary.total) == (AggregateVerdict.OPEN, "n/a")
    assert judged([], "little_gcp").verdict is AggregateVerdict.COMPLIANT
    # Deployments of zero capacity are a whole of zero too.
    zero = judged([site("a", "GCP", capacity="0 MW")], "primary")
    assert zero.verdict is AggregateVerdict.OPEN


def test_an_open_share_does_not_fail_the_check() -> None:
    report = dealcheck.loads(TERMS, "terms.deal").check([site("x", "AWS", workload="api")])
    assert report.aggregate("primary").verdict is AggregateVerdict.OPEN
    assert report.verdict is dealcheck.Verdict.COMPLIANT


# ---------------------------------------------------------------- unknowns


def test_a_missing_quantity_only_in_the_whole_leaves_it_undetermined() -> None:
    found = judged([site("a", "AWS", capacity="600 MW"), site("b", "GCP", capacity="400 MW"),
                    site("c", "GCP")], "primary")
    assert found.verdict is AggregateVerdict.UNDETERMINED
    assert found.missing_quantity == ("c",)
    assert found.message.endswith("; 1 deployment(s) lack `capacity`")


def test_a_missing_quantity_in_both_totals_cannot_lower_a_share_already_met() -> None:
    # c is on AWS: any capacity it has brings the share nearer 100%.
    found = judged([site("a", "AWS", capacity="600 MW"), site("b", "GCP", capacity="400 MW"),
                    site("c", "AWS")], "primary")
    assert found.verdict is AggregateVerdict.COMPLIANT
    assert found.missing_quantity == ("c",)
    # …but it could raise one that is not met yet.
    short = judged([site("a", "AWS", capacity="400 MW"), site("b", "GCP", capacity="600 MW"),
                    site("c", "AWS")], "primary")
    assert short.verdict is AggregateVerdict.UNDETERMINED


def test_a_capacity_in_gpus_is_an_unknown_quantity_for_a_power_share() -> None:
    found = judged([site("a", "AWS", capacity="400 MW"), site("b", "GCP", capacity="4608 GPU")],
                   "primary")
    assert found.verdict is AggregateVerdict.UNDETERMINED
    assert found.missing_quantity == ("b",)


def test_an_unknown_condition_that_could_decide_it_is_named() -> None:
    deployments = [site("a", "AWS", start="2025-07-01", value="6B USD",
                        facts={"priority": True}),
                   site("b", "GCP", start="2025-07-01", value="3B USD",
                        facts={"priority": True}),
                   site("c", "GCP", start="2025-07-01", value="2B USD")]
    found = judged(deployments, "priority_spend")
    assert found.verdict is AggregateVerdict.UNDETERMINED   # 3 of 9 or 5 of 11
    assert found.unknown_scope == ("c",)
    assert "1 may or may not count" in found.message
    # With c at 1B USD the share is 3 of 9 or 4 of 10: at most 40% either way.
    deployments[2] = {**deployments[2], "value": "1B USD"}
    assert judged(deployments, "priority_spend").verdict is AggregateVerdict.COMPLIANT


def test_the_window_counts_the_same_starts_for_both_totals() -> None:
    # Before 2025-06-01 nothing counts: the whole is zero.
    early = [site("a", "GCP", start="2025-05-31", value="9B USD", facts={"priority": True})]
    assert judged(early, "priority_spend").verdict is AggregateVerdict.COMPLIANT
    assert judged(early, "priority_spend").total == "n/a"


def test_as_of_counts_the_deployments_started_by_then() -> None:
    deployments = [site("a", "AWS", start="2025-02-01", capacity="100 MW"),
                   site("b", "GCP", start="2025-03-01", capacity="300 MW"),
                   site("c", "AWS", start="2025-04-01", capacity="500 MW")]
    march = judged(deployments, "primary", as_of=dt.date(2025, 3, 15))
    assert (march.verdict, march.total) == (AggregateVerdict.VIOLATION, "25%")
    assert march.projected is not None
    assert (march.projected.total, march.projected.verdict, march.projected.crossed_on) == \
        ("66.67%", AggregateVerdict.COMPLIANT, None)
    assert judged(deployments, "primary").verdict is AggregateVerdict.COMPLIANT


# ---------------------------------------------------------------- reports, engines, explain


def _mixed() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(30):
        out.append(site(
            f"d{i}", ("AWS", "GCP")[i % 3 == 0], workload=("api", "training")[i % 2],
            start=f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", region=(None, "US", "EU")[i % 3],
            capacity=(None, "300 MW", "2 GPU", "1 GW")[i % 7 % 4], value=(None, "2B USD")[i % 2],
            facts={"priority": bool(i % 3)} if i % 5 else None))
    return out


def test_the_json_report_validates_and_names_the_kind(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"deployments": [site("a", "AWS", capacity="400 MW"),
                                                site("b", "GCP", capacity="600 MW")]}), "utf-8")
    done = run_dealcheck("check", terms, plan, "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    validate_json(document, report_json_schema())
    primary = {a["clause"]: a for a in document["aggregates"]}["primary"]
    assert (primary["kind"], primary["verdict"], primary["total"], primary["limit"]) == \
        ("share", "violation", "40%", "50%")
    assert primary["projected"] == {"total": "40%", "verdict": "violation", "crossed_on": None}
    text = run_dealcheck("check", terms, plan, cwd=tmp_path).stdout
    assert "primary: the share of total capacity is 400 MW of 1 GW (40%), below the 50% " \
           "required" in text
    assert "projected: violation with 40%" in text


def test_the_reference_evaluator_gives_the_same_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = _mixed()

    def run() -> list[Any]:
        terms = dealcheck.loads(TERMS, "terms.deal")
        return [(a.clause, a.verdict, a.total, a.contributors, a.missing_quantity,
                 a.unknown_scope, a.projected)
                for as_of in (None, dt.date(2025, 3, 3), dt.date(2025, 8, 8))
                for a in terms.check(deployments, as_of=as_of).aggregates]

    generated = run()
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    assert run() == generated
    assert len({v for _, v, *_ in generated}) >= 3


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
        kinds = {a["kind"] for a in json.loads(python.stdout)["aggregates"]}
        assert kinds == {"share"}


def test_explain_says_whether_a_deployment_counts_in_the_share(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS, "utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"deployments": [site("b", "GCP", capacity="300 MW")]}), "utf-8")
    done = run_dealcheck("explain", terms, plan, "--id", "b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("  primary: scopes it: party `Anthropic`; workload `training` is one of training\n"
            "    a share: counted in the total it is a share of; does not count in the share: "
            "provider `GCP` is not AWS (see the aggregates of the check)") in done.stdout


# ---------------------------------------------------------------- writing shares


def test_the_formatter_keeps_shares() -> None:
    out = format_source(TERMS, "terms.deal")
    assert ("number of deployments on GCP is at most 25% of number of deployments\n") in out
    assert dealcheck.parse(out, "terms.deal") == dealcheck.parse(TERMS, "terms.deal")
    assert format_source(out, "terms.deal") == out


def test_a_minimum_on_a_total_still_suggests_reaches() -> None:
    text = TERMS.replace("is at most 25% of number of deployments", "is at least 100 USD")
    _, diagnostics = dealcheck.analyze(text, "terms.deal")
    assert [(d.code, d.help) for d in diagnostics] == [
        ("DC001", "a total with a minimum is a commitment: write `reaches` instead of "
                  "`is at least`")]
