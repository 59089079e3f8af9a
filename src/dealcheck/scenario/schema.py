"""The JSON Schema of scenario files (`dealcheck schema scenario`), from the validator itself.

The schema of a deployment is the one `scenario.generated` builds to validate
deployments; with the terms' vocabulary, its declared names are enumerations
and `facts` lists each declared fact with its type, so that an editor
completes and checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic_core import core_schema as cs

from dealcheck.scenario.generated import QUANTITY_PATTERN, RowValidator

if TYPE_CHECKING:
    from dealcheck.rules.model import Vocabulary

__all__ = ["QUANTITY_PATTERN", "scenario_json_schema"]


def scenario_json_schema(vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a YAML or JSON scenario file.

    Args:
        vocabulary: the terms' declared names; given, the party, workload,
            provider and region fields are enumerations of them and `facts`
            lists each declared fact with its type. Without it, names and facts
            are free text.

    >>> scenario_json_schema()["additionalProperties"]
    False
    """
    from pydantic.json_schema import GenerateJsonSchema

    validator = RowValidator(vocabulary)
    deployment = validator.core_schema()
    document = cs.typed_dict_schema(
        {"scenario": cs.typed_dict_field(
            cs.with_default_schema(cs.nullable_schema(cs.str_schema()), default=None),
            required=False,
            metadata={"pydantic_js_updates": {"description": "The scenario's name.",
                                              "examples": ["OpenAI compute plan 2025"]}}),
         "facts": cs.typed_dict_field(
            cs.with_default_schema(cs.nullable_schema(validator.facts_core_schema()),
                                   default=None),
            required=False,
            metadata={"pydantic_js_updates": {
                "description": "Facts of the whole scenario (share prices, notices, events): "
                "every deployment that does not give its own value holds them. "
                "`dealcheck check --fact NAME=VALUE` overrides them."}}),
         "deployments": cs.typed_dict_field(
             cs.list_schema(deployment),
             metadata={"pydantic_js_updates": {"description": "The proposed deployments."}})},
        extra_behavior="forbid",
        metadata={"pydantic_js_updates": {
            "title": "Scenario",
            "description": "A scenario file: an optional name, optional facts of the whole\n"
            "scenario and the deployments it proposes.\n\n"
            "CSV and JSON Lines files hold the same deployments one a row (CSV facts in\n"
            "columns named `facts.NAME`)."}})
    schema = GenerateJsonSchema().generate(document)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
