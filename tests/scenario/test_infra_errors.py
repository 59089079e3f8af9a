"""Plans and maps that are wrong, and values Terraform only knows after apply.

Bad input is a located diagnostic (file:line:column, what was expected, a
suggestion) and exit code 2; a location known only after apply is unknown,
never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]

MAP = """\
party: OpenAI
start: 2026-01-01
provider:
  aws: AWS
  google: GCP
workload:
  "*": api
region:
  us-*: US
"""

TERMS = """\
agreement "Placement" effective 2025-01-01
party OpenAI, Amazon, Google
provider AWS operated by Amazon
provider GCP operated by Google
workload api
region US, EU
clause api_in_us:
  OpenAI runs api only in US
"""


def change(address: str, kind: str, provider: str = "aws", *, actions: tuple[str, ...] = (
        "create",), after: dict[str, Any] | None = None, unknown: dict[str, Any] | None = None,
           mode: str = "managed") -> dict[str, Any]:
    return {"address": address, "mode": mode, "type": kind, "name": address.split(".")[-1],
            "provider_name": f"registry.terraform.io/hashicorp/{provider}",
            "change": {"actions": list(actions), "before": None, "after": after or {},
                       "after_unknown": unknown or {}}}


def plan(changes: list[dict[str, Any]], *, version: object = "1.2",
         providers: dict[str, Any] | None = None, resources: list[dict[str, Any]] | None = None,
         variables: dict[str, Any] | None = None) -> str:
    document: dict[str, Any] = {"format_version": version, "terraform_version": "1.9.0",
                                "variables": variables or {}, "resource_changes": changes,
                                "configuration": {"provider_config": providers or {},
                                                  "root_module": {"resources": resources or []}}}
    return json.dumps(document, indent=1) + "\n"


def write(tmp_path: Path, plan_text: str, map_text: str = MAP) -> None:
    (tmp_path / "plan.json").write_text(plan_text, "utf-8")
    (tmp_path / "map.yaml").write_text(map_text, "utf-8")
    (tmp_path / "terms.deal").write_text(TERMS, "utf-8")


def imported(tmp_path: Path) -> tuple[int, str, str]:
    done = run_dealcheck("import", "terraform", "plan.json", "--map", "map.yaml", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


# ---------------------------------------------------------------- bad plans


def test_an_unsupported_format_version_is_located(tmp_path: Path) -> None:
    write(tmp_path, '{"format_version": "2.0", "resource_changes": []}\n')
    code, out, err = imported(tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == ("plan.json:1:20: error[DC321]: unsupported Terraform plan "
                                   "`format_version` `2.0`")
    assert "help: dealcheck reads plan formats 0.x and 1.x" in err


def test_a_document_without_format_version_is_not_a_plan(tmp_path: Path) -> None:
    write(tmp_path, '{"deployments": []}\n')
    code, _, err = imported(tmp_path)
    assert code == 2
    assert err.splitlines()[0] == ("plan.json:1:1: error[DC321]: not a Terraform plan: it has "
                                   "no `format_version`")
    assert "help: write the plan as JSON with `terraform show -json PLANFILE > plan.json`" in err


def test_a_number_as_format_version(tmp_path: Path) -> None:
    write(tmp_path, plan([], version=1.2))
    code, _, err = imported(tmp_path)
    assert code == 2
    assert ("plan.json:2:20: error[DC321]: unsupported Terraform plan `format_version` "
            "a number `1.2`") in err


def test_broken_json_is_located(tmp_path: Path) -> None:
    write(tmp_path, '{"format_version": "1.2",\n "resource_changes": [}\n')
    code, _, err = imported(tmp_path)
    assert code == 2
    assert err.startswith("plan.json:2:23: error[DC310]: invalid JSON")
    assert "  help: a plan is the JSON of `terraform show -json PLANFILE`" in err


def test_an_unmapped_provider_is_located_with_the_line_to_add(tmp_path: Path) -> None:
    write(tmp_path, plan([change("random_id.suffix", "random_id", "random")]))
    code, _, err = imported(tmp_path)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == ("plan.json:11:21: error[DC320]: the map names no provider for Terraform "
                        "provider `random` (resource `random_id.suffix`)")
    assert ("  help: add `random_id: ~` at the top of `workload:` in map.yaml to leave it out, "
            "or a line `random:` under `provider:` naming the provider of the terms it runs "
            "on") in lines


def test_the_help_of_an_unmapped_provider_applies(tmp_path: Path) -> None:
    write(tmp_path, plan([change("random_id.suffix", "random_id", "random")]),
          MAP.replace("workload:\n", "workload:\n  random_id: ~\n"))
    code, out, err = imported(tmp_path)
    assert (code, err) == (0, "")
    assert out.endswith("deployments: []\n")


# ---------------------------------------------------------------- bad maps


def test_an_unknown_map_key_suggests_the_key_meant(tmp_path: Path) -> None:
    write(tmp_path, plan([]), MAP.replace("region:", "regoin:"))
    code, _, err = imported(tmp_path)
    assert code == 2
    assert err.splitlines()[:4] == [
        "map.yaml:8:1: error[DC301]: unknown map key `regoin`",
        "   8 | regoin:",
        "       ^^^^^^",
        "  help: did you mean `region`?",
    ]


def test_a_map_without_party_and_with_a_bad_start(tmp_path: Path) -> None:
    write(tmp_path, plan([]), MAP.replace("party: OpenAI\n", "").replace("2026-01-01",
                                                                         "2026-13-01"))
    code, _, err = imported(tmp_path)
    assert code == 2
    assert "map.yaml:1:1: error[DC302]: the map has no `party`" in err
    assert "help: add a line `party:` naming the party of every deployment" in err
    assert "map.yaml:1:8: error[DC306]" in err


def test_start_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance")]),
          MAP.replace("start: 2026-01-01\n", ""))
    code, _, err = imported(tmp_path)
    assert code == 2 and ("help: add a line `start:` with the day every deployment starts "
                          "(YYYY-MM-DD), or give --start") in err
    done = run_dealcheck("import", "terraform", "plan.json", "--map", "map.yaml", "--start",
                         "2027-02-03", cwd=tmp_path)
    assert done.returncode == 0 and "    start: 2027-02-03\n" in done.stdout


def test_import_needs_a_map(tmp_path: Path) -> None:
    write(tmp_path, plan([]))
    done = run_dealcheck("import", "terraform", "plan.json", cwd=tmp_path)
    assert done.returncode == 2 and "Missing option '--map'" in done.stderr


def test_a_bulk_engine_asked_for_with_a_map_is_refused_not_ignored(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance", after={"region": "us-east-1"})]))
    for engine in ("duckdb", "spark"):
        done = run_dealcheck("check", "terms.deal", "plan.json", "--map", "map.yaml",
                             "--engine", engine, cwd=tmp_path)
        assert done.returncode == 2, done.stdout
        assert f"not `--engine {engine}`" in done.stderr
        assert "Traceback" not in done.stderr
    done = run_dealcheck("check", "terms.deal", "plan.json", "--map", "map.yaml",
                         "--engine", "python", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr


def test_a_provider_the_terms_do_not_declare_points_into_the_map(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance", after={"region": "us-east-1"})]),
          MAP.replace("aws: AWS", "aws: Amazon Web Services"))
    done = run_dealcheck("check", "terms.deal", "plan.json", "--map", "map.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "map.yaml:4:8: error[DC303]" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- what is a deployment


def test_only_managed_resources_created_or_updated_are_deployments(tmp_path: Path) -> None:
    after = {"region": "us-east-1"}
    write(tmp_path, plan([
        change("aws_instance.new", "aws_instance", after=after),
        change("aws_instance.changed", "aws_instance", actions=("update",), after=after),
        change("aws_instance.replaced", "aws_instance", actions=("delete", "create"),
               after=after),
        change("aws_instance.gone", "aws_instance", actions=("delete",)),
        change("aws_instance.kept", "aws_instance", actions=("no-op",), after=after),
        change("data.aws_ami.ubuntu", "aws_ami", actions=("read",), mode="data", after=after),
    ]))
    code, out, _ = imported(tmp_path)
    assert code == 0
    assert [line.split()[2] for line in out.splitlines() if line.startswith("  - id:")] == [
        "aws_instance.new", "aws_instance.changed", "aws_instance.replaced"]


# ---------------------------------------------------------------- known after apply


def test_a_location_set_from_an_unknown_value_stays_unknown(tmp_path: Path) -> None:
    # The zone is configured from another resource's output: only apply knows it.
    # The provider's region is not a guess at it.
    write(tmp_path, plan(
        [change("google_compute_instance.vm", "google_compute_instance", "google",
                unknown={"zone": True})],
        providers={"google": {"name": "google",
                              "expressions": {"region": {"constant_value": "us-central1"}}}},
        resources=[{"address": "google_compute_instance.vm", "provider_config_key": "google",
                    "expressions": {"zone": {"references": ["random_shuffle.zone.result"]}}}]))
    code, out, err = imported(tmp_path)
    assert code == 0
    assert "    region:" not in out
    assert ("note: region unknown for google_compute_instance.vm: its `zone` is known only "
            "after apply") in err


def test_a_provider_region_from_an_expression_stays_unknown(tmp_path: Path) -> None:
    write(tmp_path, plan(
        [change("aws_instance.a", "aws_instance")],
        providers={"aws": {"name": "aws",
                           "expressions": {"region": {"references": ["data.external.r"]}}}}))
    code, out, err = imported(tmp_path)
    assert code == 0 and "    region:" not in out
    assert ("region unknown for aws_instance.a: provider configuration `aws` sets `region` "
            "from `data.external.r`, not known before apply") in err


def test_an_unknown_region_is_undetermined_in_a_check(tmp_path: Path) -> None:
    write(tmp_path, plan(
        [change("aws_instance.a", "aws_instance", after={"region": "us-east-1"}),
         change("aws_instance.b", "aws_instance")],
        providers={"aws": {"name": "aws", "alias": "west",
                           "expressions": {"region": {"references": ["var.unset"]}}}}))
    done = run_dealcheck("check", "terms.deal", "plan.json", "--map", "map.yaml", "--format",
                         "json", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert {d["id"]: d["verdict"] for d in report["deployments"]} == {
        "aws_instance.a": "compliant", "aws_instance.b": "undetermined"}
    assert "note: region unknown for aws_instance.b" in done.stderr


def test_the_same_address_in_two_plans_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance", after={"region": "us-east-1"})]))
    (tmp_path / "other.json").write_text((tmp_path / "plan.json").read_text("utf-8"), "utf-8")
    done = run_dealcheck("check", "terms.deal", "plan.json", "other.json", "--map", "map.yaml",
                         cwd=tmp_path)
    assert done.returncode == 2
    assert "other.json:7:15: error[DC304]" in done.stderr


def test_default_tags_of_the_provider_choose_a_workload(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance", after={
        "region": "us-east-1", "tags": {"Name": "a"}, "tags_all": {"Name": "a", "Team": "ml"}})]),
          MAP.replace("workload:\n", "workload:\n  tag:Team=ml: training\n"))
    code, out, _ = imported(tmp_path)
    assert code == 0 and "    workload: training\n" in out


def test_explain_a_resource_of_a_plan(tmp_path: Path) -> None:
    write(tmp_path, plan([change("aws_instance.a", "aws_instance", after={"region": "us-east-1"}),
                          change("aws_instance.b", "aws_instance", after={"region": "eu-west-1"})]),
          MAP.replace("  us-*: US", "  us-*: US\n  eu-*: EU"))
    done = run_dealcheck("explain", "terms.deal", "plan.json", "--map", "map.yaml", "--id",
                         "aws_instance.b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "aws_instance.b" in done.stdout and "api_in_us" in done.stdout
    done = run_dealcheck("explain", "terms.deal", "plan.json", "--map", "map.yaml", "--id",
                         "aws_instance.c", cwd=tmp_path)
    assert done.returncode == 2
    assert "did you mean `aws_instance.a`?" in done.stderr


def test_addresses_and_names_read_back_exactly_from_the_written_scenario(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    addresses = ['aws_instance.a["café \\"x\\"  # not a comment"]', "aws_instance.yes",
                 "aws_instance.b[0]", 'aws_instance.c["2026-01-01"]', "aws_instance.d\u2028e"]
    write(tmp_path, plan([change(a, "aws_instance", after={"region": "us-east-1"})
                          for a in addresses]),
          MAP.replace("party: OpenAI", 'party: "true"'))
    code, out, _ = imported(tmp_path)
    assert code == 0
    read = YAML(typ="safe").load(out)["deployments"]
    assert [(d["id"], d["party"], str(d["start"])) for d in read] == [
        (a, "true", "2026-01-01") for a in addresses]


def test_a_resource_group_named_only_after_apply_is_found_by_reference(tmp_path: Path) -> None:
    # The group's name comes from a random suffix: the subnet's `resource_group_name`
    # is unknown, but its configuration refers to the group, whose location is known.
    group = change("azurerm_resource_group.rg", "azurerm_resource_group", "azurerm",
                   after={"location": "westeurope"}, unknown={"name": True})
    subnet = change("module.net.azurerm_subnet.s[0]", "azurerm_subnet", "azurerm",
                    unknown={"resource_group_name": True})
    write(tmp_path, plan(
        [group, subnet],
        resources=[{"address": "azurerm_resource_group.rg", "provider_config_key": "azurerm",
                    "expressions": {"name": {"references": ["random_id.s.hex"]}}}]),
          MAP.replace("  google: GCP", "  azurerm: Azure").replace("  us-*: US",
                                                                   "  westeurope: EU"))
    document = json.loads((tmp_path / "plan.json").read_text("utf-8"))
    document["configuration"]["root_module"]["module_calls"] = {"net": {"module": {
        "resources": [{"address": "azurerm_subnet.s", "provider_config_key": "net:azurerm",
                       "expressions": {"resource_group_name": {"references": [
                           "azurerm_resource_group.rg.name", "azurerm_resource_group.rg"]}}}]}}}
    (tmp_path / "plan.json").write_text(json.dumps(document), "utf-8")
    code, out, err = imported(tmp_path)
    assert code == 0
    assert out.count("    region: EU\n") == 1, (out, err)
    # In a module, `azurerm_resource_group.rg` is the module's own: none here.
    assert "region unknown for module.net.azurerm_subnet.s[0]" in err
    document["configuration"]["root_module"]["module_calls"]["net"]["module"]["resources"][0][
        "address"] = "azurerm_subnet.t"
    document["resource_changes"][1]["address"] = "azurerm_subnet.t"
    document["configuration"]["root_module"]["resources"].append(
        {"address": "azurerm_subnet.t", "expressions": {"resource_group_name": {
            "references": ["azurerm_resource_group.rg.name", "azurerm_resource_group.rg"]}}})
    (tmp_path / "plan.json").write_text(json.dumps(document), "utf-8")
    code, out, err = imported(tmp_path)
    assert code == 0 and out.count("    region: EU\n") == 2, (out, err)
