"""The validator generated from the terms (pydantic-core) is the one validation path.

Its errors become dealcheck's diagnostics, each from the rule of the field it
concerns; a differential property test holds its decisions to those rules.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import SchemaValidator, ValidationError

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.span import Span
from dealcheck.rules.kinds import DEPLOYMENT_KINDS
from dealcheck.rules.model import Terms, Vocabulary
from dealcheck.rules.units import Quantity
from dealcheck.scenario import errors, validate
from dealcheck.scenario.fields import FieldRules, parse_date, unique_entries
from dealcheck.scenario.fields import given as given_value
from dealcheck.scenario.generated import RowValidator, cached
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.read import load_scenario
from dealcheck.scenario.tree import Map, node_from_python
from dealcheck.scenario.validate import (
    FIELDS,
    DeploymentValidator,
    parse_deployment,
    parse_deployments,
)
from dealcheck.testing import deployments, scenario_document
from hypothesis_profiles import examples

TERMS = """\
agreement "Differential" effective 2020-01-01
party OpenAI, Microsoft, Amazon
provider Azure operated by Microsoft
provider AWS operated by Amazon
workload api, training
workload group api_products = api
region US, EU
region group americas = US
unit TPU
fact consent: bool
fact customer: one of commercial, government
fact budget: number USD
fact chips: number
fact signed: date
clause only_azure:
  OpenAI runs any workload only on Azure
"""

BASE: dict[str, object] = {
    "id": "d1", "party": "OpenAI", "workload": "api", "provider": "Azure", "start": "2025-03-10",
}


@pytest.fixture(scope="module")
def terms() -> Terms:
    return dealcheck.loads(TERMS)


def _refused(data: object, vocabulary: Vocabulary) -> list[Diagnostic]:
    with pytest.raises(DiagnosticsError) as caught:
        parse_deployments([data], vocabulary)  # type: ignore[list-item]
    return caught.value.diagnostics


def _only(data: object, vocabulary: Vocabulary) -> Diagnostic:
    found = _refused(data, vocabulary)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


# -- the generated path is the one used ---------------------------------------------------


def test_valid_dicts_never_reach_the_tree_path(terms: Terms, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    def no_tree(*args: object, **kwargs: object) -> object:
        raise AssertionError("a valid deployment went through the tree path")

    monkeypatch.setattr(DeploymentValidator, "check", no_tree)
    monkeypatch.setattr(validate, "_parse_each", no_tree)
    rows = [{**BASE, "id": f"d{n}", "value": "1M USD", "facts": {"consent": True}}
            for n in range(3)]
    assert [d.id for d in parse_deployments(rows, terms.vocabulary)] == ["d0", "d1", "d2"]
    assert parse_deployment(BASE, terms.vocabulary).id == "d1"
    assert terms.check(rows).verdict_of("d0") is not None
    inventory = tmp_path / "plan.jsonl"
    inventory.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert len(load_scenario(inventory, terms.vocabulary).deployments) == 3


def test_documents_and_csv_rows_go_through_the_generated_validator(
        terms: Terms, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[object] = []
    validate_row = RowValidator.validate

    def counting(self: RowValidator, data: object) -> Deployment:
        seen.append(data)
        return validate_row(self, data)

    monkeypatch.setattr(RowValidator, "validate", counting)
    document = tmp_path / "plan.json"
    document.write_text(json.dumps({"deployments": [BASE]}))
    assert load_scenario(document, terms.vocabulary).deployments[0].id == "d1"
    table = tmp_path / "plan.csv"
    table.write_text("id,party,workload,provider,start,facts.consent\nd2,OpenAI,api,Azure,"
                     "2025-03-10,TRUE\n")
    assert load_scenario(table, terms.vocabulary).deployments[0].facts == {"consent": True}
    assert len(seen) == 2


def test_the_validator_is_pydantic_core_and_refuses_by_field(terms: Terms) -> None:
    validator = cached(terms.vocabulary)
    assert all(isinstance(batch, SchemaValidator) for batch in validator.batch)
    with pytest.raises(ValidationError) as caught:
        validator.validate({**BASE, "party": "OpenAl", "start": "2025-02-30", "extra": 1})
    assert {(e["loc"][0], e["type"]) for e in caught.value.errors()} >= {
        ("party", "literal_error"), ("extra", "unexpected_keyword_argument")}
    assert {e["loc"][0] for e in caught.value.errors()} == {"party", "start", "extra"}


# -- each kind of error, as dealcheck's diagnostic ----------------------------------------


def test_valid_facts_are_validated_without_python_and_null_ones_still_dropped(
        terms: Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.scenario import generated

    dropped: list[object] = []
    known_facts = generated._known_facts

    def counting(given: dict[str, object] | None) -> object:
        dropped.append(given)
        return known_facts(given)

    monkeypatch.setattr(generated, "_known_facts", counting)
    validator = RowValidator(terms.vocabulary)  # built with the counting rule
    rows = [{**BASE, "id": f"d{n}", "facts": {"consent": True, "customer": "commercial"}}
            for n in range(3)]
    found = validator.rows(rows)
    assert dropped == []  # every row took the schema that runs no Python for its facts
    assert [dict(d.facts) for d in found] == [{"consent": True, "customer": "commercial"}] * 3
    assert all(isinstance(d.facts, MappingProxyType) for d in found)  # read-only
    accepted = validator.accept(rows[0], None)
    assert accepted is not None and dropped == []
    # A null fact is unknown, as if absent: the full schema drops it.
    with_null = [*rows, {**BASE, "id": "d9", "facts": {"consent": None, "chips": 3}}]
    assert [dict(d.facts) for d in validator.rows(with_null)][3] == {
        "chips": Quantity(Decimal(3), "")}
    assert dropped != []
    assert parse_deployments(with_null, terms.vocabulary)[3].facts == {
        "chips": Quantity(Decimal(3), "")}


def test_a_batch_is_validated_with_the_cycle_collector_paused(
        terms: Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    seen: list[bool] = []
    batch = RowValidator.rows

    def watching(self: RowValidator, items: list[object]) -> list[Deployment]:
        seen.append(gc.isenabled())
        return batch(self, items)

    monkeypatch.setattr(RowValidator, "rows", watching)
    assert gc.isenabled()
    assert [d.id for d in parse_deployments([BASE], terms.vocabulary)] == ["d1"]
    assert seen == [False] and gc.isenabled()


def test_terms_check_keeps_the_collector_paused_from_validation_to_the_report(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from dealcheck import terms as facade

    seen: list[bool] = []
    validate_all = facade.deployments_to_judge

    def watching(vocabulary: Vocabulary, items: list[object], judge: object) -> Sequence[object]:
        seen.append(gc.isenabled())
        return validate_all(vocabulary, items, judge)  # type: ignore[arg-type]

    monkeypatch.setattr(facade, "deployments_to_judge", watching)
    assert terms.check([BASE]).verdict_of("d1") is not None
    assert seen == [False] and gc.isenabled()


def test_a_wrong_name_with_its_suggestion(terms: Terms) -> None:
    found = _only({**BASE, "provider": "Azur"}, terms.vocabulary)
    assert (found.code, found.message, found.help) == (
        errors.UNDECLARED_NAME, "undeclared provider `Azur`", "did you mean `Azure`?")
    assert found.span.file == "deployments[0]"


def test_a_group_where_one_name_belongs(terms: Terms) -> None:
    found = _only({**BASE, "workload": "api_products"}, terms.vocabulary)
    assert found.message == "`api_products` is a workload group, not a workload"


@pytest.mark.parametrize(("start", "message", "hint"), [
    ("2025-02-30", "invalid date `2025-02-30` in `start`", "February 2025 has 28 days"),
    ("2025-3-10", "malformed date `2025-3-10` in `start`",
     "write dates as YYYY-MM-DD, e.g. `2025-03-10`"),
    ("２０２５-03-10", "malformed date `２０２５-03-10` in `start`",
     "write dates as YYYY-MM-DD, e.g. `2025-03-10`"),
    (dt.datetime(2025, 3, 10, 9), "`start` must be a date, found a date and time "
     "`2025-03-10 09:00:00`", "drop the time: `2025-03-10`"),
])
def test_a_bad_date(terms: Terms, start: object, message: str, hint: str) -> None:
    found = _only({**BASE, "start": start}, terms.vocabulary)
    assert (found.code, found.message, found.help) == (errors.MALFORMED_DATE, message, hint)


def test_a_bad_quantity(terms: Terms) -> None:
    found = _only({**BASE, "capacity": "300 MX"}, terms.vocabulary)
    assert (found.code, found.message, found.help) == (
        errors.MALFORMED_QUANTITY, "unknown unit `MX` in `capacity`", "did you mean `MW`?")
    comma = _only({**BASE, "value": "1,5M USD"}, terms.vocabulary)
    assert comma.help == "for a decimal, write a point: `1.5M USD`"
    dimension = _only({**BASE, "value": "300 MW"}, terms.vocabulary)
    assert dimension.code == errors.WRONG_DIMENSION


def test_an_unknown_fact(terms: Terms) -> None:
    found = _only({**BASE, "facts": {"consnet": True}}, terms.vocabulary)
    assert (found.code, found.message, found.help) == (
        errors.UNDECLARED_NAME, "undeclared fact `consnet`", "did you mean `consent`?")


@pytest.mark.parametrize(("facts", "message"), [
    ({"consent": "true"}, "fact `consent` must be `true` or `false`, found text `true`"),
    ({"customer": "goverment"}, "`goverment` is not a value of fact `customer`"),
    ({"signed": 20250101}, "fact `signed` must be a date such as `2025-03-10`, "
     "found an integer `20250101`"),
    ({"budget": True}, "fact `budget` must be a number in USD, found a boolean `true`"),
])
def test_a_fact_of_the_wrong_type(terms: Terms, facts: dict[str, object], message: str) -> None:
    found = _only({**BASE, "facts": facts}, terms.vocabulary)
    assert (found.code, found.message) == (errors.WRONG_FACT_TYPE, message)


def test_an_unknown_field(terms: Terms) -> None:
    found = _only({**BASE, "regoin": "US"}, terms.vocabulary)
    assert (found.code, found.message, found.help) == (
        errors.UNKNOWN_FIELD, "unknown field `regoin`", "did you mean `region`?")
    source = _only({**BASE, "source": "plan.yaml"}, terms.vocabulary)
    assert source.message == "unknown field `source`"


def test_a_missing_field_and_a_missing_value(terms: Terms) -> None:
    data = {key: value for key, value in BASE.items() if key not in ("party", "start")}
    found = _only(data, terms.vocabulary)
    assert (found.code, found.message) == (
        errors.MISSING_FIELD, "missing required fields `party` and `start`")
    null = _only({**BASE, "id": None}, terms.vocabulary)
    assert (null.code, null.message) == (errors.MISSING_FIELD,
                                         "missing value for required field `id`")


@pytest.mark.parametrize(("data", "message"), [
    (["d1"], "a deployment must be a mapping, found a list"),
    ({**BASE, "facts": ["consent"]}, "`facts` must be a mapping, found a list"),
    ({**BASE, "id": 7}, "`id` must be text, found an integer `7`"),
    ({**BASE, "party": 7}, "`party` must be a party name, found an integer `7`"),
    ({**BASE, "id": "a\u200bb"}, "`id` contains an invisible format character `\\u200b`"),
])
def test_a_wrong_shape(terms: Terms, data: object, message: str) -> None:
    found = _only(data, terms.vocabulary)
    assert (found.code, found.message) == (errors.WRONG_SHAPE, message)


def test_ends_before_start_points_at_both(terms: Terms) -> None:
    found = _only({**BASE, "end": "2025-01-01"}, terms.vocabulary)
    assert found.code == errors.END_BEFORE_START
    assert [r.message for r in found.related] == ["starts here"]


def test_errors_point_at_the_value_in_a_document(terms: Terms, tmp_path: Path) -> None:
    document = tmp_path / "plan.yaml"
    document.write_text("deployments:\n  - id: d1\n    party: OpenAI\n    workload: api\n"
                        "    provider: Azur\n    start: 2025-02-30\n")
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(document, terms.vocabulary)
    assert [(d.span.line, d.span.column, d.code) for d in caught.value.diagnostics] == [
        (5, 15, errors.UNDECLARED_NAME), (6, 12, errors.MALFORMED_DATE)]


# -- the differential property: the generated validator decides as the field rules do ------


def _by_rules(data: dict[str, object], vocabulary: Vocabulary) -> list[str]:
    """Every field's rule on a row, as the hand-written validator decided before the schema."""
    node = node_from_python(data, Span("row", 0, 0, 1, 1, 1, 1))
    assert isinstance(node, Map)
    found: list[Diagnostic] = []
    rules = FieldRules(vocabulary)
    fields = unique_entries(node, found)
    other = [f"unknown field {key}" for key in fields if key not in FIELDS]
    other += [f"missing {key}" for key in validate.REQUIRED_FIELDS
              if given_value(fields.get(key)) is None]
    rules.read_id(given_value(fields.get("id")), found)
    for kind in DEPLOYMENT_KINDS:
        rules.name(given_value(fields.get(kind.name)), kind, found)
    for key in ("capacity", "value"):
        rules.quantity(given_value(fields.get(key)), key, found)
    start, end = (given_value(fields.get(key)) for key in ("start", "end"))
    first = None if start is None else parse_date(start, "`start`", "DC", found)
    last = None if end is None else parse_date(end, "`end`", "DC", found)
    if first is not None and last is not None and last < first:
        other.append("ends before it starts")
    rules.facts(given_value(fields.get("facts")), found)
    return [d.message for d in found] + other


_ANYTHING: list[object] = [
    None, True, 0, 7, -1, Decimal("1.5"), Decimal("NaN"), 2.5, "", " ", "x", [1], {"a": 1},
    dt.date(2024, 2, 29), Quantity(Decimal(5), "power"),
]
_DATES: list[object] = [
    "2025-02-30", "2025-02-28", "2024-02-29", "2025-13-01", "0000-01-01", "0001-01-01",
    "2025-3-1", " 2025-03-10", "2025-03-10\n", "２０２５-03-10", "20250310",
    "2025-03-10T00:00:00", "2025-03-10 00:00", dt.datetime(2025, 1, 1), dt.date(2019, 1, 1),
]
_QUANTITIES: list[object] = [
    "300 MW", "1,5 MW", "1,500 GPU", "4 TPU", "300 MX", "-5 MW", "11.9B USD", "12", " 3 GW ",
    Quantity(Decimal(-1), "money"), Quantity(Decimal(3), ""), Quantity(Decimal(2), "money"),
    Decimal(12), 12, 1.5, "1e3 USD",
]
_NAMES: list[object] = [
    "OpenAl", "Azure", "AWS", "Amazon", "api", "api_products", "americas", "US", "EU",
    "a\u200bb", "cafe\u0301", "d 1", "\t", "id\n",
]
_FACTS: list[object] = [
    {"consent": True}, {"consent": "true"}, {"consent": 1}, {"budget": "3M USD"},
    {"budget": 3}, {"budget": "3 MW"}, {"chips": 12}, {"chips": "4 TPU"}, {"chips": "4"},
    {"signed": "2025-01-01"}, {"signed": "2025-02-30"}, {"signed": dt.date(2025, 1, 1)},
    {"customer": None}, {"customer": "commercial"}, {"customer": "Commercial"},
    {"consnet": True}, {1: True}, {"consent": None, "chips": None},
]
_POOLS: dict[str, list[object]] = {
    "id": _NAMES, "party": _NAMES, "workload": _NAMES, "provider": _NAMES, "region": _NAMES,
    "start": _DATES, "end": _DATES, "capacity": _QUANTITIES, "value": _QUANTITIES,
    "facts": _FACTS, "extra": _ANYTHING,
}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_generated_validator_decides_as_the_field_rules(terms: Terms, data: Any) -> None:
    vocabulary = terms.vocabulary
    drawn = data.draw(deployments(terms))
    row: dict[str, object] = dict(scenario_document([drawn])["deployments"][0])  # type: ignore[index]
    for _ in range(data.draw(st.integers(0, 2))):
        key = data.draw(st.sampled_from(sorted(_POOLS)))
        choice = data.draw(st.integers(0, 5))
        if choice == 0:
            row.pop(key, None)
        else:
            row[key] = data.draw(st.sampled_from(_POOLS[key] if choice > 1 else _ANYTHING))
    accepted = cached(vocabulary).accept(row, None)
    by_rules = _by_rules(row, vocabulary)
    assert (accepted is not None) == (not by_rules), (row, by_rules)
    checked = DeploymentValidator(vocabulary).check(
        node_from_python(row, Span("row", 0, 0, 1, 1, 1, 1)))
    assert (checked.deployment is None) == bool(checked.diagnostics)
    assert (checked.deployment is not None) == (accepted is not None)
    if accepted is not None:
        assert checked.deployment == accepted


def test_a_refusal_its_rule_does_not_explain_is_still_reported(
        terms: Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FieldRules, "name", lambda *args, **kwargs: None)
    found = _only({**BASE, "provider": "Azur"}, terms.vocabulary)
    assert (found.code, found.message) == (errors.WRONG_SHAPE,
                                           "`provider` is not valid here: text `Azur`")
