"""The one table of name kinds that the resolver, validator, schema and strategies read."""

from __future__ import annotations

import dealcheck
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, GROUPED_KINDS, KINDS
from dealcheck.scenario.schema import scenario_model

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
    schema = scenario_model(vocabulary).model_json_schema()
    deployment = schema["$defs"]["DeploymentInput"]["properties"]
    assert deployment["workload"]["enum"] == ["training", "inference"]
    assert deployment["provider"]["enum"] == ["Azure", "AWS"]
