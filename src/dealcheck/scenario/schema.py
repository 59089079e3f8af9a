"""The scenario input format as pydantic models, for `dealcheck schema scenario` only."""

# Files are validated by `scenario.validate` (hand-written, located diagnostics);
# these models describe the same format for editors and other tools.

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from dealcheck.rules.kinds import DEPLOYMENT_KINDS

if TYPE_CHECKING:
    from dealcheck.rules.model import Fact, Vocabulary

#: The quantities `rules.units` reads, in the regex dialect JSON Schema uses (no named
#: groups): a comma only between groups of three digits.
QUANTITY_PATTERN = (
    r"^\s*([0-9]{1,3}(,[0-9]{3})+|[0-9][0-9_]*)(\.[0-9]+)?[kMBT]?\s*[A-Za-z][A-Za-z0-9_]*\s*$"
)

_NAME = "Must be declared in the terms (case-sensitive)."


class DeploymentInput(BaseModel):
    """One proposed deployment."""

    model_config = ConfigDict(extra="forbid", title="Deployment")

    id: str = Field(
        min_length=1, description="Unique within the scenario.", examples=["coreweave-2025"]
    )
    party: str = Field(description=f"The party that deploys. {_NAME}", examples=["OpenAI"])
    workload: str = Field(
        description=f"The workload (not a workload group). {_NAME}", examples=["training"]
    )
    provider: str = Field(description=f"The provider it runs on. {_NAME}", examples=["CoreWeave"])
    region: str | None = Field(
        None, description=f"Where it runs (not a region group). {_NAME}", examples=["US"]
    )
    capacity: str | None = Field(
        None,
        pattern=QUANTITY_PATTERN,
        description="Power or a count: `<number>[k|M|B|T] <unit>`, e.g. `300 MW`, `4608 GPU`.",
        examples=["300 MW", "4608 GPU"],
    )
    value: str | None = Field(
        None,
        pattern=QUANTITY_PATTERN,
        description="Money: `<number>[k|M|B|T] <unit>`, e.g. `11.9B USD`.",
        examples=["11.9B USD"],
    )
    start: dt.date = Field(
        description="ISO date (YYYY-MM-DD) the deployment starts; the date "
        "it is judged on unless the check gives one.",
        examples=["2025-03-10"],
    )
    end: dt.date | None = Field(
        None, description="ISO date it ends; not before `start`.", examples=["2030-03-10"]
    )
    facts: dict[str, bool | float | str | None] | None = Field(
        None,
        description="Facts declared in the terms, by name. A boolean fact takes `true` or "
        "`false`, an enumeration one of its members, a number a number or a "
        "quantity in the fact's unit, a date an ISO date. An absent (or null) "
        "fact is unknown.",
        examples=[{"rofr_declined": True}],
    )


class ScenarioFile(BaseModel):
    """A scenario file: an optional name and the deployments it proposes.

    CSV and JSON Lines files hold the same deployments one a row (CSV facts in
    columns named `facts.NAME`).
    """

    model_config = ConfigDict(extra="forbid", title="Scenario")

    scenario: str | None = Field(
        None, description="The scenario's name.", examples=["OpenAI compute plan 2025"]
    )
    deployments: list[DeploymentInput] = Field(description="The proposed deployments.")


def scenario_json_schema(vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a YAML or JSON scenario file.

    Args:
        vocabulary: the terms' declared names; given, the party, workload,
            provider and region fields are enumerations of them and `facts`
            lists each declared fact with its type, so that an editor
            completes and checks them.

    >>> scenario_json_schema()["additionalProperties"]
    False
    """
    model = ScenarioFile if vocabulary is None else scenario_model(vocabulary)
    schema = model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def scenario_model(vocabulary: Vocabulary) -> type[ScenarioFile]:
    """`ScenarioFile` with the names `vocabulary` declares as literal types."""
    fields: dict[str, Any] = {}
    for declared in DEPLOYMENT_KINDS:
        name, names = declared.name, list(declared.names_in(vocabulary))
        inherited = DeploymentInput.model_fields[name]
        kind: Any = Literal[tuple(names)] if names else str
        if not inherited.is_required():
            kind = kind | None
        fields[name] = (kind, Field(inherited.default, description=inherited.description))
    facts = create_model(  # type: ignore[call-overload]
        "Facts", __config__=ConfigDict(extra="forbid"),
        **{name: (_fact_type(fact), Field(None, description=f"A fact: {fact.type.describe()}."))
           for name, fact in vocabulary.facts.items()})
    fields["facts"] = (facts | None, Field(None, description=DeploymentInput.model_fields[
        "facts"].description))
    deployment = create_model("DeploymentInput", __base__=DeploymentInput, **fields)
    return create_model(
        "ScenarioFile", __base__=ScenarioFile,
        deployments=(list[deployment], Field(  # type: ignore[valid-type]
            description=ScenarioFile.model_fields["deployments"].description)))


def _fact_type(fact: Fact) -> Any:
    """The JSON values a fact of this type takes in a scenario (None: unknown)."""
    from dealcheck.rules.model import FactKind

    kind = fact.type.kind
    if kind is FactKind.BOOL:
        return bool | None
    if kind is FactKind.ENUM:
        return Literal[fact.type.values] | None
    if kind is FactKind.DATE:
        return dt.date | None
    if fact.type.unit:
        return float | str | None
    return float | None
