"""`dealcheck schema scenario`: the JSON Schema describes the files the reader accepts."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from scenario_helpers import FIXTURES

from dealcheck.scenario.schema import scenario_json_schema
from dealcheck.scenario.validate import DOCUMENT_FIELDS, FIELDS


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return scenario_json_schema()


def test_schema_is_valid_and_strict(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["deployments"]
    deployment = schema["$defs"]["DeploymentInput"]
    assert deployment["additionalProperties"] is False
    assert sorted(deployment["required"]) == ["id", "party", "provider", "start", "workload"]


def test_schema_fields_match_the_reader(schema: dict[str, Any]) -> None:
    assert tuple(schema["properties"]) == DOCUMENT_FIELDS
    properties = schema["$defs"]["DeploymentInput"]["properties"]
    assert tuple(properties) == FIELDS
    assert all(p.get("description") for p in properties.values())


def test_fixture_validates_against_schema(schema: dict[str, Any]) -> None:
    document = json.loads((FIXTURES / "plan.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)


@pytest.mark.parametrize(
    "change",
    [
        {"regoin": "US"},
        {"capacity": "lots"},
        {"id": ""},
        {"start": "2025-02-30"},
    ],
)
def test_schema_rejects_what_the_reader_rejects(
    schema: dict[str, Any], change: dict[str, str]
) -> None:
    document = json.loads((FIXTURES / "plan.json").read_text(encoding="utf-8"))
    document["deployments"][0].update(change)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert list(validator.iter_errors(document))
