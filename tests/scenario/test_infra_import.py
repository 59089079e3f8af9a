"""`dealcheck import terraform|gcp-assets` on real plans and exports (tests/fixtures/terraform,
tests/fixtures/inventory; SOURCES.md there), compared with deployments listed by hand."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
PLANS = Path("tests/fixtures/terraform")
ASSETS = Path("tests/fixtures/inventory")

# Regions named after the location they come from, so that each test shows
# which location was resolved (the resource's own, its group's, its provider's).
MAP = """\
party: OpenAI
start: 2026-01-01
provider:
  aws: AWS
  google: GCP
  azurerm: Azure
workload:
  "tag:Stage=Prod": chatgpt
  aws_autoscaling_group: training
  google_compute_*: training
  aws_iam_*: ~
  azurerm_resource_group: ~
  "*": api
region:
  us-west-2: USW
  us-east-1: USE
  us-central1*: USC
  US: US
  eastus: USE
  westeurope: EU
  asia-*: ASIA
"""

Row = tuple[str, str, str, str, str | None]  # id (the resource address), party, workload,
# provider, region


def imported(kind: str, source: Path, tmp_path: Path, map_text: str = MAP) -> list[Row]:
    (tmp_path / "map.yaml").write_text(map_text, "utf-8")
    done = run_dealcheck("import", kind, source, "--map", tmp_path / "map.yaml", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    document = YAML(typ="safe").load(io.StringIO(done.stdout))
    found = [(d["id"], d["party"], d["workload"], d["provider"], d.get("region"))
             for d in document["deployments"]]
    assert resources_at(done.stdout, ROOT / source) == [row[0] for row in found]
    return found


def resources_at(written: str, source: Path) -> list[str]:
    """The address (or name) of the resource that each deployment's comment points at."""
    text = source.read_text("utf-8")
    lines = text.splitlines(keepends=True)
    found = []
    for line, column in re.findall(r"^  - id: .*  # .*:(\d+):(\d+)$", written, re.MULTILINE):
        offset = sum(len(x) for x in lines[:int(line) - 1]) + int(column) - 1
        resource, _ = json.JSONDecoder().raw_decode(text, offset)
        found.append(resource.get("address") or resource["name"])
    return found


def test_multicloud_plan_aws_region_from_provider_gcp_from_resources(tmp_path: Path) -> None:
    # aws: no region on the resources, `region = "us-west-2"` in the provider block;
    # google: no provider region, a `zone` and a `location` on the resources.
    assert imported("terraform", PLANS / "regula-multicloud-aws-gcp.plan.json", tmp_path) == [
        ("aws_autoscaling_group.example", "OpenAI", "training", "AWS", "USW"),
        ("aws_launch_template.example", "OpenAI", "api", "AWS", "USW"),
        # tagged Stage=Prod; its `region` attribute is computed after apply but not set
        # in its configuration: the provider's region.
        ("aws_s3_bucket.example", "OpenAI", "chatgpt", "AWS", "USW"),
        ("google_compute_instance.default", "OpenAI", "training", "GCP", "USC"),
        # labelled Stage=Prod (GCP labels are its tags)
        ("google_storage_bucket.example", "OpenAI", "chatgpt", "GCP", "US"),
    ]


def test_azure_plan_locations_and_resource_group(tmp_path: Path) -> None:
    assert imported("terraform", PLANS / "infracost-azure-firewall.plan.json", tmp_path) == [
        ("azurerm_firewall.non_usage", "OpenAI", "api", "Azure", "USE"),
        ("azurerm_firewall.premium", "OpenAI", "api", "Azure", "USE"),
        ("azurerm_firewall.premium_virtual_hub", "OpenAI", "api", "Azure", "USE"),
        ("azurerm_firewall.standard", "OpenAI", "api", "Azure", "USE"),
        ("azurerm_firewall.standard_virtual_hub", "OpenAI", "api", "Azure", "USE"),
        ("azurerm_public_ip.example", "OpenAI", "api", "Azure", "EU"),
        # azurerm_resource_group.example: mapped to `~`, left out.
        # No location of its own: its resource group's (westeurope).
        ("azurerm_subnet.example", "OpenAI", "api", "Azure", "EU"),
        ("azurerm_virtual_hub.example", "OpenAI", "api", "Azure", "EU"),
        ("azurerm_virtual_network.example", "OpenAI", "api", "Azure", "EU"),
        ("azurerm_virtual_wan.example", "OpenAI", "api", "Azure", "EU"),
    ]


def test_provider_alias_and_variable_region(tmp_path: Path) -> None:
    # Both resources use the alias `aws.current_region`, whose `region = var.region`
    # is us-west-2 in the plan's variables; the IAM policy is mapped to `~`.
    assert imported("terraform", PLANS / "checkov-aws-alias-var-region.plan.json",
                    tmp_path) == [
        ("aws_dynamodb_table.cross-environment-violations", "OpenAI", "api", "AWS", "USW"),
        ("aws_s3_bucket.test-bucket1", "OpenAI", "api", "AWS", "USW"),
    ]


def test_aws_plan_region_from_provider(tmp_path: Path) -> None:
    assert imported("terraform", PLANS / "infracost-aws-ec2-lambda.plan.json", tmp_path) == [
        ("aws_instance.web_app", "OpenAI", "api", "AWS", "USE"),
        ("aws_lambda_function.hello_world", "OpenAI", "api", "AWS", "USE"),
    ]


def test_format_1_2_nested_modules(tmp_path: Path) -> None:
    assert imported("terraform", PLANS / "terraform-compliance-format-1.2-modules.plan.json",
                    tmp_path) == [
        ("module.outer[0].aws_lambda_permission.example", "OpenAI", "api", "AWS", "USE"),
        ("module.outer[0].module.inner.aws_cloudwatch_event_rule.example", "OpenAI", "api",
         "AWS", "USE"),
    ]


def test_gcp_asset_exports(tmp_path: Path) -> None:
    assert imported("gcp-assets", ASSETS / "gcp-cai-storage-buckets.json", tmp_path) == [
        ("//storage.googleapis.com/my-storage-bucket", "OpenAI", "api", "GCP", "US"),
        ("//storage.googleapis.com/my-storage-bucket-with-logging", "OpenAI", "api", "GCP",
         "USC"),
        ("//storage.googleapis.com/my-storage-bucket-with-secure-logging", "OpenAI", "api",
         "GCP", "USC"),
    ]
    sql = "//cloudsql.googleapis.com/projects/"
    sydney = MAP.replace("  asia-*: ASIA\n", "  asia-*: ASIA\n  australia-*: AU\n")
    assert imported("gcp-assets", ASSETS / "gcp-cai-sql-instances.json", tmp_path, sydney) == [
        (f"{sql}test-project-1/instances/test-instance-1-singapore", "OpenAI", "api", "GCP",
         "ASIA"),
        (f"{sql}test-project-2/instances/test-instance-2-singapore", "OpenAI", "api", "GCP",
         "ASIA"),
        (f"{sql}test-project-2/instances/mysql-2nd-gen-singapore", "OpenAI", "api", "GCP",
         "ASIA"),
        (f"{sql}test-project-2/instances/mysql-2nd-gen-sydney", "OpenAI", "api", "GCP", "AU"),
        (f"{sql}test-project-2/instances/postgres-11-sydney", "OpenAI", "api", "GCP", "AU"),
    ]


def test_gcp_assets_as_json_lines(tmp_path: Path) -> None:
    assets = json.loads((ROOT / ASSETS / "gcp-cai-sql-instances.json").read_text("utf-8"))
    lines = tmp_path / "export.jsonl"
    lines.write_text("".join(json.dumps(a) + "\n" for a in assets[:2]), "utf-8")
    found = imported("gcp-assets", lines, tmp_path)
    assert [row[0].rsplit("/", 1)[1] for row in found] == ["test-instance-1-singapore",
                                                           "test-instance-2-singapore"]


def test_a_zone_given_as_a_url(tmp_path: Path) -> None:
    # As Compute Engine assets give it.
    asset = {"name": "//compute.googleapis.com/projects/p/zones/us-central1-a/instances/vm",
             "asset_type": "compute.googleapis.com/Instance",
             "resource": {"data": {"zone": "https://www.googleapis.com/compute/v1/projects/p/"
                                           "zones/us-central1-a", "labels": {"Stage": "Prod"}}}}
    (tmp_path / "export.json").write_text(json.dumps([asset]), "utf-8")
    assert imported("gcp-assets", tmp_path / "export.json", tmp_path) == [
        (asset["name"], "OpenAI", "chatgpt", "GCP", "USC")]


def test_an_export_as_gcloud_writes_it(tmp_path: Path) -> None:
    # JSON Lines, `assetType`, and the location of the resource beside its data.
    asset = {"name": "//compute.googleapis.com/projects/p/regions/europe-west4/x",
             "assetType": "compute.googleapis.com/Address",
             "resource": {"location": "us-east1", "data": {"region": "elsewhere"}}}
    (tmp_path / "export.jsonl").write_text(json.dumps(asset) + "\n", "utf-8")
    assert imported("gcp-assets", tmp_path / "export.jsonl", tmp_path) == [
        (asset["name"], "OpenAI", "api", "GCP", None)]
    (tmp_path / "export.jsonl").write_text(json.dumps(asset).replace("us-east1", "US") + "\n",
                                           "utf-8")
    assert imported("gcp-assets", tmp_path / "export.jsonl", tmp_path) == [
        (asset["name"], "OpenAI", "api", "GCP", "US")]


def test_a_location_no_region_entry_matches_is_unknown_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(MAP.replace("  asia-*: ASIA\n", ""), "utf-8")
    done = run_dealcheck("import", "gcp-assets", ASSETS / "gcp-cai-sql-instances.json",
                         "--map", tmp_path / "map.yaml", cwd=ROOT)
    assert done.returncode == 0
    assert "\n    region:" not in done.stdout
    assert ("note: region unknown for //cloudsql.googleapis.com/projects/test-project-1/"
            "instances/test-instance-1-singapore: no `region:` entry matches its location "
            "`asia-southeast1`") in done.stderr


def test_unmatched_types_are_left_out_with_a_note(tmp_path: Path) -> None:
    narrow = MAP.replace('  "*": api\n', "")
    found = imported("terraform", PLANS / "infracost-aws-ec2-lambda.plan.json", tmp_path, narrow)
    assert found == []
    done = run_dealcheck("import", "terraform", PLANS / "infracost-aws-ec2-lambda.plan.json",
                         "--map", tmp_path / "map.yaml", cwd=ROOT)
    assert done.stderr.splitlines() == [
        "note: left out aws_instance.web_app: no `workload:` entry matches its type "
        "`aws_instance`",
        "note: left out aws_lambda_function.hello_world: no `workload:` entry matches its "
        "type `aws_lambda_function`",
    ]
    assert "# note: left out aws_instance.web_app" in done.stdout


@pytest.mark.parametrize("kind", ["terraform", "gcp-assets"])
def test_the_written_scenario_reads_back_with_its_sources(kind: str, tmp_path: Path) -> None:
    source = (PLANS / "regula-multicloud-aws-gcp.plan.json" if kind == "terraform"
              else ASSETS / "gcp-cai-storage-buckets.json")
    (tmp_path / "map.yaml").write_text(MAP, "utf-8")
    out = tmp_path / "scenario.yaml"
    done = run_dealcheck("import", kind, source, "--map", tmp_path / "map.yaml", "-o", out,
                         cwd=ROOT)
    assert (done.returncode, done.stdout) == (0, "")
    text = out.read_text("utf-8")
    first = text.splitlines()[2]
    assert first.startswith("  - id: ") and f"  # {source}:" in first
    assert imported(kind, source, tmp_path) == [
        (d["id"], d["party"], d["workload"], d["provider"], d.get("region"))
        for d in YAML(typ="safe").load(text)["deployments"]]
