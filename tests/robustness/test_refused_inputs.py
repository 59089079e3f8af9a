"""Values refused, not dropped: every one a located `DiagnosticsError`, exit code 2.

Negative, NaN, infinite, over-limit and float amounts given to `Terms.check`;
a capacity in a declared unit; bad `as_of` values, read by the library and the
CLI with the same function; a revoke dated on the first day there is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from robustness_helpers import run_cli

import dealcheck
from dealcheck import limits
from dealcheck.rules.units import Quantity

TERMS_TEXT = """\
agreement "Stargate" effective 2025-01-01
party OpenAI
provider Oracle operated by OpenAI
workload training
unit Trainium2
fact share: number
clause spend_cap:
  total value of deployments is at most 500B USD
clause small_share:
  OpenAI runs training only if share <= 9007199254740992
"""
TERMS = dealcheck.loads(TERMS_TEXT)
BASE: dict[str, object] = {
    "party": "OpenAI", "workload": "training", "provider": "Oracle", "start": "2025-02-01",
}


def deployment(ident: str, **fields: object) -> dealcheck.Deployment:
    return dealcheck.Deployment(ident, "OpenAI", "training", "Oracle", dt.date(2025, 2, 1),
                                **fields)  # type: ignore[arg-type]


def refusal(deployments: list[object], **kwargs: object) -> list[tuple[str, str, str]]:
    """Code, place and message of every diagnostic `TERMS.check` raises (failing if none)."""
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        TERMS.check(deployments, **kwargs)  # type: ignore[arg-type]
    return [(d.code, f"{d.span.file}:{d.span.line}:{d.span.column}", d.message)
            for d in caught.value.diagnostics]


def test_a_negative_value_no_longer_hides_a_cap_breach() -> None:
    over = {**BASE, "id": "big", "value": "600B USD"}
    assert TERMS.check([over]).aggregate("spend_cap").verdict \
        is dealcheck.AggregateVerdict.VIOLATION
    negative = {**BASE, "id": "refund", "value": Quantity(Decimal("-200e9"), "money")}
    assert refusal([over, negative]) == [
        ("DC307", "deployments[1]:1:1", "the amount of the quantity in `value` is negative: "
         "`-200000000000`")]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("-5"), "is negative: `-5`"),
        (Decimal("NaN"), "is not a number (`NaN`)"),
        (Decimal("Infinity"), "is infinite: `Infinity`"),
        (Decimal("-Infinity"), "is infinite: `-Infinity`"),
        (1.5, "is a float (`1.5`), which cannot hold every decimal exactly"),
        (float("nan"), "is not a number (`NaN`)"),
        ("5", "is text `5`, not a number"),
    ],
)
def test_unsound_amounts_are_refused_in_dicts_and_objects(amount: object, message: str) -> None:
    value = Quantity(amount, "money")  # type: ignore[arg-type]
    capacity = Quantity(amount, "power")  # type: ignore[arg-type]
    as_dict = {**BASE, "id": "d", "value": value}
    as_object = deployment("o", capacity=capacity)
    assert refusal([as_dict, as_object]) == [
        ("DC307", "deployments[0]:1:1", f"the amount of the quantity in `value` {message}"),
        ("DC307", "deployments[1]:1:1", f"the amount of the quantity in `capacity` {message}"),
    ]


def test_the_help_for_an_unsound_amount_is_code_that_works() -> None:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        TERMS.check([deployment("o", capacity=Quantity(2.5, "power"))])  # type: ignore[arg-type]
    (found,) = caught.value.diagnostics
    assert found.help == ("build it with a `Decimal` of zero or more, e.g. "
                          "`Quantity(Decimal('2.5'), 'power')`")
    suggested = found.help.split("`")[-2]
    fixed = eval(suggested, {"Quantity": Quantity, "Decimal": Decimal})
    report = TERMS.check([deployment("o", capacity=fixed, value=Quantity(Decimal(1), "money"),
                                     facts={"share": Decimal(1)})])
    assert report.verdict_of("o") is dealcheck.Verdict.COMPLIANT


def test_a_float_number_fact_is_refused() -> None:
    # 9007199254740993.0 is already 2**53 as a float: it cannot be read exactly.
    row = {**BASE, "id": "d", "facts": {"share": 9007199254740993.0}}
    assert refusal([row]) == [
        ("DC307", "deployments[0]:1:1",
         "fact `share` is a float `9007199254740992.0`, which cannot hold every decimal exactly")]
    exact = {**BASE, "id": "d", "facts": {"share": Decimal("9007199254740993.0")}}
    assert TERMS.check([exact]).verdict_of("d") is dealcheck.Verdict.VIOLATION


def test_an_over_limit_quantity_is_refused_in_objects() -> None:
    with limits.configured(max_quantity=10**12):
        found = refusal([deployment("o", value=Quantity(Decimal("2e12"), "money"))])
    assert found == [("DC307", "deployments[0]:1:1", "`2T USD` in `value` is too large")]


def test_a_capacity_in_a_declared_unit_is_refused() -> None:
    row = {**BASE, "id": "d", "capacity": "500000 Trainium2"}
    as_object = deployment("o", capacity=Quantity(Decimal(500000), "Trainium2"))
    assert [code for code, _, _ in refusal([row, as_object])] == ["DC309", "DC309"]
    assert refusal([row])[0][2] == (
        "`capacity` must be power or a count, found a quantity of `Trainium2` "
        "`500000 Trainium2`")


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2025-W01-1", "malformed date `2025-W01-1` in `as_of`"),
        ("20250101", "malformed date `20250101` in `as_of`"),
        ("2025-02-30", "invalid date `2025-02-30` in `as_of`: February 2025 has 28 days"),
        ("", "malformed date `` in `as_of`"),
        (20250101, "`as_of` must be a date, found `20250101` of type `int`"),
        (dt.datetime(2025, 3, 10, 9, 30),
         "`as_of` must be a date, found a date and time `2025-03-10 09:30:00`"),
    ],
)
def test_bad_as_of_values_are_diagnostics(as_of: object, message: str) -> None:
    (found,) = refusal([{**BASE, "id": "d"}], as_of=as_of)
    assert found[0] == "DC910"
    assert found[2] == message


def test_library_and_cli_accept_the_same_as_of(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(TERMS_TEXT)
    scenario = tmp_path / "plan.csv"
    scenario.write_text("id,party,workload,provider,start\nd,OpenAI,training,Oracle,2025-02-01\n")
    for as_of in ("2025-W01-1", "2025-02-30", "2025-1-1", "2025-01-01"):
        run = run_cli("check", str(terms), str(scenario), "--as-of", as_of,
                      "--error-format", "json")
        try:
            TERMS.check([{**BASE, "id": "d"}], as_of=as_of)
        except dealcheck.DiagnosticsError as exc:
            assert run.code == 2
            (found,) = exc.diagnostics
            assert [(d["code"], d["message"]) for d in run.diagnostics()] == [
                ("DC910", found.message.replace("`as_of`", "`--as-of`"))]
        else:
            assert run.code == 0, run.stderr


def test_the_cli_locates_a_bad_as_of() -> None:
    run = run_cli("check", "t.deal", "s.csv", "--as-of", "2025-W01-1")
    assert run.code == 2
    assert run.stderr.splitlines()[:4] == [
        "--as-of:1:1: error[DC910]: malformed date `2025-W01-1` in `--as-of`",
        "   1 | 2025-W01-1",
        "       ^^^^^^^^^^",
        "  help: write the date as YYYY-MM-DD, e.g. `2025-03-10`, or `today`",
    ]


FIRST_DAY = """\
agreement "Early" effective 0001-01-01
party Acme
provider Cloud operated by Acme
workload api
clause api_only:
  Acme runs api only on Cloud
amendment a1 effective {day}:
  {verb} api_only{body}
"""


@pytest.mark.parametrize(("verb", "body"), [
    ("revoke", ""), ("replace clause", ":\n    Acme runs api only on Cloud"),
])
def test_a_revoke_on_the_first_day_is_a_located_error(verb: str, body: str) -> None:
    text = FIRST_DAY.format(day="0001-01-01", verb=verb, body=body)
    terms, diagnostics = dealcheck.analyze(text, "early.deal")
    assert terms is None
    past = verb.split()[0] + "d"
    assert [(d.code, d.span.line, d.span.column, d.message, d.help) for d in diagnostics] == [
        ("DC104", 8, len(verb) + 4,
         f"clause `api_only` cannot be {past} on 0001-01-01: it would end the day before, "
         "and no date comes before it", "date amendment `a1` on or after 0001-01-02")]
    # The help, applied, works.
    fixed = dealcheck.loads(FIRST_DAY.format(day="0001-01-02", verb=verb, body=body))
    row = {"id": "d", "party": "Acme", "workload": "api", "provider": "Cloud",
           "start": "0001-01-01"}
    assert fixed.check([row]).verdict_of("d") is dealcheck.Verdict.COMPLIANT


def test_every_command_refuses_a_revoke_on_the_first_day(tmp_path: Path) -> None:
    terms = tmp_path / "early.deal"
    terms.write_text(FIRST_DAY.format(day="0001-01-01", verb="revoke", body=""))
    scenario = tmp_path / "plan.csv"
    scenario.write_text("id,party,workload,provider,start\nd,Acme,api,Cloud,0001-01-01\n")
    for argv in (["lint", str(terms)], ["check", str(terms), str(scenario)],
                 ["test", str(terms)], ["explain", str(terms), str(scenario), "--id", "d"]):
        run = run_cli(*argv)
        assert run.code == 2, (argv, run.stderr)
        assert "error[DC104]" in run.stderr


def test_a_bare_number_fact_on_a_deployment_object_is_read_not_dropped() -> None:
    given = deployment("o", value=Quantity(Decimal(1), "money"),
                       facts={"share": Decimal("9007199254740993")})
    report = TERMS.check([given])
    assert report.verdict_of("o") is dealcheck.Verdict.VIOLATION
    (result,) = report.deployments
    assert [f.missing_facts for f in result.findings] == [()]
