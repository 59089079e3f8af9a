"""The one table of name kinds that the resolver, validator, schema and strategies read."""

from __future__ import annotations

import pytest

import dealcheck
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, GROUPED_KINDS, KINDS
from dealcheck.scenario.schema import scenario_json_schema

TERMS = """\
agreement "Demo" effective 2025-01-01
party Acme
provider Azure operated by Acme
provider AWS operated by Acme
workload training, inference
workload group ai = training, inference
region US, EU
region group west = US, EU
fact consent: bool
"""


def test_every_kind_has_its_vocabulary_tables() -> None:
    vocabulary = dealcheck.loads(TERMS, "t.deal").vocabulary
    assert {k: list(kind.names_in(vocabulary)) for k, kind in KINDS.items()} == {
        "party": ["Acme"], "provider": ["Azure", "AWS"], "workload": ["training", "inference"],
        "region": ["US", "EU"], "fact": ["consent"]}
    assert {kind.name: dict(kind.groups_in(vocabulary)) for kind in GROUPED_KINDS} == {
        "provider": {}, "workload": {"ai": frozenset({"training", "inference"})},
        "region": {"west": frozenset({"US", "EU"})}}
    assert KINDS["party"].groups_in(vocabulary) == {}


def test_the_deployment_kinds_are_the_deployment_name_fields() -> None:
    assert [k.name for k in DEPLOYMENT_KINDS] == ["party", "workload", "provider", "region"]


def test_the_schema_enumerates_each_deployment_kind_from_the_table() -> None:
    vocabulary = dealcheck.loads(TERMS, "t.deal").vocabulary
    schema = scenario_json_schema(vocabulary)
    deployment = schema["$defs"]["DeploymentInput"]["properties"]
    assert deployment["workload"]["enum"] == ["training", "inference"]
    assert deployment["provider"]["enum"] == ["Azure", "AWS"]


def test_an_example_deployment_checks_every_name_field_by_its_kind() -> None:
    source = TERMS + ('example "x":\n  deployment d: Acme runs trainin on Azur in Mars '
                      "starting 2025-02-01\n  expect compliant\n")
    with pytest.raises(DiagnosticsError) as caught:
        dealcheck.loads(source, "t.deal")
    assert [(d.code, d.span.line, d.span.column, d.message)
            for d in caught.value.diagnostics] == [
        ("DC101", 11, 27, "unknown workload `trainin`"),
        ("DC101", 11, 38, "unknown provider `Azur`"),
        ("DC101", 11, 46, "unknown region `Mars`")]
