"""`dealcheck schema scenario`: the JSON Schema describes the files the reader accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from scenario_helpers import FIXTURES

from dealcheck.scenario.schema import scenario_json_schema
from dealcheck.scenario.validate import DOCUMENT_FIELDS, FIELDS
from helpers import validate_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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
    validate_json(document, schema)


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


def test_schema_with_terms_enumerates_their_names() -> None:
    """`dealcheck schema scenario --terms`: declared names as enumerations, facts typed."""
    import dealcheck
    from dealcheck.cli import main

    terms = dealcheck.load(EXAMPLES / "microsoft-openai" / "terms.deal")
    schema = scenario_json_schema(terms.vocabulary)
    jsonschema.Draft202012Validator.check_schema(schema)
    properties = schema["$defs"]["DeploymentInput"]["properties"]
    assert properties["provider"]["enum"] == list(terms.vocabulary.providers)
    assert "Azure" in properties["provider"]["enum"]
    assert properties["region"]["anyOf"][0]["enum"] == list(terms.vocabulary.regions)
    facts = schema["$defs"]["Facts"]
    assert facts["additionalProperties"] is False
    assert set(facts["properties"]) == set(terms.vocabulary.facts)
    # The shipped scenario is valid; a typo in a provider or a fact is not.
    from ruamel.yaml import YAML

    deals = YAML(typ="safe").load((EXAMPLES / "microsoft-openai" / "deals.yaml").read_text())
    deals = json.loads(json.dumps(deals, default=str))
    validate_json(deals, schema)
    for bad in ({"provider": "Azur"}, {"facts": {"rofr_declinde": True}},
                {"facts": {"customer": "military"}}):
        broken = {**deals, "deployments": [{**deals["deployments"][0], **bad}]}
        with pytest.raises(jsonschema.ValidationError):
            validate_json(broken, schema)
    # The CLI prints the same document.
    assert main(["schema", "scenario", "--terms",
                 str(EXAMPLES / "microsoft-openai" / "terms.deal")]) == 0


def test_schema_with_terms_that_do_not_resolve_exits_2(tmp_path: Path) -> None:
    from dealcheck.cli import main

    broken = tmp_path / "t.deal"
    broken.write_text('agreement "x" effective 2025-01-01\nparty A\nclause c:\n  B runs api\n')
    assert main(["schema", "scenario", "--terms", str(broken)]) == 2
    assert main(["schema", "report", "--terms", str(broken)]) == 2
