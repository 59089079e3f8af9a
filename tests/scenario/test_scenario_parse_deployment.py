"""`parse_deployment`: deployments given as Python data (the library API, executable examples)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import MappingProxyType

import pytest

from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.rules.model import Vocabulary
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.read import load_scenario
from dealcheck.scenario.validate import parse_deployment, parse_deployments

BASE: dict[str, object] = {
    "id": "aws-gov",
    "party": "OpenAI",
    "workload": "api",
    "provider": "AWS",
    "start": "2026-03-17",
}


def test_strings_dates_quantities_and_facts(vocabulary: Vocabulary) -> None:
    deployment = parse_deployment(
        {
            **BASE,
            "start": dt.date(2026, 3, 17),
            "end": "2027-03-17",
            "capacity": Quantity(Decimal("750e6"), "power", "750 MW"),
            "value": "38B USD",
            "facts": {
                "customer": "us_national_security",
                "budget": 10,
                "signed": dt.date(2026, 3, 1),
            },
        },
        vocabulary,
    )
    assert deployment == Deployment(
        id="aws-gov",
        party="OpenAI",
        workload="api",
        provider="AWS",
        start=dt.date(2026, 3, 17),
        end=dt.date(2027, 3, 17),
        capacity=Quantity(Decimal(750_000_000), "power"),
        value=Quantity(Decimal(38_000_000_000), "money"),
        facts={
            "customer": "us_national_security",
            "budget": Quantity(Decimal(10), "money"),
            "signed": dt.date(2026, 3, 1),
        },
    )
    assert isinstance(deployment.facts, MappingProxyType)  # read-only
    assert deployment.source is None


def test_location_is_kept_and_used_in_diagnostics(vocabulary: Vocabulary) -> None:
    where = SourceLocation("terms.deal", 40, 5)
    assert parse_deployment(BASE, vocabulary, where).source == where
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployment({**BASE, "provider": "Azur", "regoin": "US"}, vocabulary, where)
    found = [
        (d.code, d.span.file, d.span.line, d.span.column, d.message, d.help)
        for d in caught.value.diagnostics
    ]
    assert sorted(found) == [
        ("DC301", "terms.deal", 40, 5, "unknown field `regoin`", "did you mean `region`?"),
        ("DC303", "terms.deal", 40, 5, "undeclared provider `Azur`", "did you mean `Azure`?"),
    ]


def test_every_problem_is_reported(vocabulary: Vocabulary) -> None:
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployment(
            {
                "id": 7,
                "party": "OpenAI",
                "workload": "api",
                "provider": "AWS",
                "start": dt.datetime(2025, 1, 1, 9, 30),
                "capacity": 5,
                "facts": {"rofr_declined": "yes", 3: True},
            },
            vocabulary,
        )
    messages = sorted(d.message for d in caught.value.diagnostics)
    assert messages == [
        "`capacity` needs a unit, found `5`",
        "`id` must be text, found an integer `7`",
        "`start` must be a date, found a date and time `2025-01-01 09:30:00`",
        "fact `rofr_declined` must be `true` or `false`, found text `yes`",
        "undeclared fact `3`",
    ]


def test_not_a_mapping(vocabulary: Vocabulary) -> None:
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployment(["id", "a"], vocabulary)  # type: ignore[arg-type]
    (found,) = caught.value.diagnostics
    assert (found.code, found.message) == ("DC311", "a deployment must be a mapping, found a list")


def test_same_result_as_a_scenario_file(vocabulary: Vocabulary) -> None:
    from scenario_helpers import FIXTURES

    from_file = load_scenario(FIXTURES / "plan.yaml", vocabulary).deployments[1]
    from_dict = parse_deployment(
        {
            "id": "aws-api",
            "party": "OpenAI",
            "workload": "api",
            "provider": "AWS",
            "capacity": "4,608 GPU",
            "start": "2025-11-03",
            "facts": {"customer": "us_national_security"},
        },
        vocabulary,
    )
    assert from_dict == from_file


def test_parse_deployments_checks_dicts_and_objects(vocabulary: Vocabulary) -> None:
    ready = parse_deployment(BASE, vocabulary)
    found = parse_deployments([{**BASE, "id": "from-dict"}, ready], vocabulary)
    assert [d.id for d in found] == ["from-dict", "aws-gov"]
    assert found[1] is ready  # objects pass through unchanged


def test_parse_deployments_reports_every_item(vocabulary: Vocabulary) -> None:
    typo = Deployment(
        id="obj", party="OpenAI", workload="api", provider="Azur", start=dt.date(2025, 1, 1)
    )
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployments([BASE, {**BASE, "id": "b", "region": "Mars"}, typo, BASE], vocabulary)
    found = [(d.code, d.span.file, d.message) for d in caught.value.diagnostics]
    assert found == [
        ("DC303", "deployments[1]", "undeclared region `Mars`"),
        ("DC303", "deployments[2]", "undeclared provider `Azur`"),
        ("DC304", "deployments[3]", "duplicate deployment id `aws-gov`"),
    ]
    assert caught.value.diagnostics[2].related[0].span.file == "deployments[0]"


def test_ready_made_deployments_pass_through_and_their_duplicates_are_reported(
        vocabulary: Vocabulary) -> None:
    ready = [parse_deployment({**BASE, "id": f"d{i}"}, vocabulary) for i in range(5)]
    found = parse_deployments(iter(ready), vocabulary)  # any iterable, read once
    assert found == ready and all(a is b for a, b in zip(found, ready, strict=True))
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployments([*ready, ready[3], ready[1]], vocabulary)
    found_problems = [(d.code, d.span.file, d.message, d.related[0].span.file)
                      for d in caught.value.diagnostics]
    assert found_problems == [
        ("DC304", "deployments[5]", "duplicate deployment id `d3`", "deployments[3]"),
        ("DC304", "deployments[6]", "duplicate deployment id `d1`", "deployments[1]"),
    ]
