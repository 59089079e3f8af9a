"""Where a resource's region comes from, against a model of the rules (docs/inputs.md).

Random plans of AWS resources, each with or without a region of its own
(known, or known only after apply), on the default provider configuration
or an alias, whose region is a constant, a variable (given or not) or
another expression; the region imported must be the model's.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from helpers import run_dealcheck

MAP = """\
party: OpenAI
start: 2026-01-01
provider: {aws: AWS}
workload: {"*": api}
region: {us-*: US, eu-*: EU}
"""
REGIONS = {"us-east-1": "US", "eu-west-1": "EU", "ap-south-1": None}
LOCATIONS = st.sampled_from(sorted(REGIONS))

#: A resource's own region: ("known", L), ("set later",) configured from an unknown
#: value, ("computed",) unknown but not configured, ("absent",).
OWN = st.one_of(st.tuples(st.just("known"), LOCATIONS),
                st.tuples(st.sampled_from(["set later", "computed", "absent"])))
#: A provider configuration's region: None (no such configuration), ("constant", L),
#: ("var", NAME), ("other",) a reference to anything else, ("none",) no region.
PROVIDER = st.one_of(st.none(), st.tuples(st.just("constant"), LOCATIONS),
                     st.tuples(st.just("var"), st.sampled_from(["region", "unset"])),
                     st.tuples(st.sampled_from(["other", "none"])))


def model(own: tuple[str, ...], key: str, providers: dict[str, Any],
          variables: dict[str, str]) -> str | None:
    if own[0] == "known":
        return REGIONS[own[1]]
    if own[0] == "set later":
        return None
    config = providers.get(key) or providers.get("aws")
    if config is None or config[0] in ("other", "none"):
        return None
    location = config[1] if config[0] == "constant" else variables.get(config[1])
    return None if location is None else REGIONS[location]


def plan_of(resources: list[tuple[tuple[str, ...], str]], providers: dict[str, Any],
            variables: dict[str, str]) -> dict[str, Any]:
    changes, configured = [], []
    for number, (own, key) in enumerate(resources):
        address = f"aws_instance.r{number}"
        after = {"region": own[1]} if own[0] == "known" else {}
        unknown = {"region": True} if own[0] in ("set later", "computed") else {}
        changes.append({"address": address, "mode": "managed", "type": "aws_instance",
                        "name": f"r{number}",
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "after": after,
                                   "after_unknown": unknown}})
        expressions = ({"region": {"references": ["aws_instance.other.region"]}}
                       if own[0] in ("set later", "known") else {})
        configured.append({"address": address, "provider_config_key": key,
                           "expressions": expressions})
    configs = {}
    for key, config in providers.items():
        if config is None:
            continue
        expression: dict[str, Any] = (
            {"region": {"constant_value": config[1]}} if config[0] == "constant"
            else {"region": {"references": [f"var.{config[1]}"]}} if config[0] == "var"
            else {"region": {"references": ["data.x.y"]}} if config[0] == "other" else {})
        configs[key] = {"name": "aws", "expressions": expression,
                        **({"alias": key.split(".")[1]} if "." in key else {})}
    return {"format_version": "1.0", "variables": {k: {"value": v} for k, v in variables.items()},
            "resource_changes": changes,
            "configuration": {"provider_config": configs,
                              "root_module": {"resources": configured}}}


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(resources=st.lists(st.tuples(OWN, st.sampled_from(["aws", "aws.alt"])), min_size=1,
                          max_size=5),
       default=PROVIDER, alias=PROVIDER, variable=LOCATIONS)
def test_the_imported_region_is_the_models(resources: list[tuple[tuple[str, ...], str]],
                                           default: Any, alias: Any, variable: str,
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("plan")
    providers = {"aws": default, "aws.alt": alias}
    variables = {"region": variable}
    (work / "plan.json").write_text(json.dumps(plan_of(resources, providers, variables)),
                                    "utf-8")
    (work / "map.yaml").write_text(MAP, "utf-8")
    done = run_dealcheck("import", "terraform", "plan.json", "--map", "map.yaml", cwd=work)
    assert done.returncode == 0, done.stderr
    found = YAML(typ="safe").load(io.StringIO(done.stdout))["deployments"]
    assert [d.get("region") for d in found] == [
        model(own, key, providers, variables) for own, key in resources]
    unknown = sum(d.get("region") is None for d in found)
    assert done.stderr.count("note: region unknown for ") == unknown


def test_the_model_reads_as_the_docs_say() -> None:
    """A region of its own first; one set from a value known later stays unknown."""
    resources = [(("known", "eu-west-1"), "aws"), (("set later",), "aws"),
                 (("computed",), "aws.alt"), (("absent",), "aws.alt")]
    providers = {"aws": ("constant", "us-east-1"), "aws.alt": ("var", "region")}
    assert [model(own, key, providers, {"region": "eu-west-1"}) for own, key in resources] \
        == ["EU", None, "EU", "EU"]
    assert model(("absent",), "aws.alt", {"aws": ("constant", "us-east-1"), "aws.alt": None},
                 {}) == "US"
