"""`dealcheck check TERMS PLAN.json --map MAP.yaml`: the multi-cloud plan of examples/terraform
(AWS and Google Cloud in one plan) judged as its map and terms say, reports pointing back at
the resources."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path("examples/terraform")
CHECK = ("check", EXAMPLE / "terms.deal", EXAMPLE / "plan.json", "--map", EXAMPLE / "map.yaml")


def test_the_aws_and_gcp_resources_are_judged_as_the_map_and_terms_say() -> None:
    done = run_dealcheck(*CHECK, "--format", "json", cwd=ROOT)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["scenarios"][0]["path"] == "examples/terraform/plan.json"
    found = {d["id"]: (d["verdict"], [(f["clause"], f["outcome"]) for f in d["findings"]],
                       d["source"]["line"])
             for d in report["deployments"]}
    # map.yaml: ASG and compute instance are training, buckets storage, the launch
    # template left out; AWS in us-west-2 (its provider), GCP in us-central1-a and US.
    # terms.deal: training only on GCP, storage only in US.
    assert found == {
        "aws_autoscaling_group.example": ("violation", [("training_on_gcp", "violated")], 211),
        "aws_s3_bucket.example": ("compliant", [("data_in_us", "satisfied")], 362),
        "google_compute_instance.default": ("compliant", [("training_on_gcp", "satisfied")],
                                            411),
        "google_storage_bucket.example": ("compliant", [("data_in_us", "satisfied")], 540),
    }
    assert report["deployments"][0]["source"]["file"] == "examples/terraform/plan.json"
    plan = (ROOT / EXAMPLE / "plan.json").read_text("utf-8").splitlines()
    for deployment in report["deployments"]:
        line = plan[deployment["source"]["line"] - 1:deployment["source"]["line"] + 1]
        assert f'"address": "{deployment["id"]}"' in "\n".join(line)


def test_the_text_report_points_at_the_resource_in_the_plan() -> None:
    done = run_dealcheck(*CHECK, cwd=ROOT)
    assert done.returncode == 1
    assert ("violation aws_autoscaling_group.example\n"
            "  at examples/terraform/plan.json:211:5") in done.stdout


def test_importing_then_checking_is_checking_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "scenario.yaml"
    done = run_dealcheck("import", "terraform", EXAMPLE / "plan.json", "--map",
                         EXAMPLE / "map.yaml", "-o", out, cwd=ROOT)
    assert done.returncode == 0
    direct = json.loads(run_dealcheck(*CHECK, "--format", "json", cwd=ROOT).stdout)
    written = json.loads(run_dealcheck("check", EXAMPLE / "terms.deal", out, "--format", "json",
                                       cwd=ROOT).stdout)
    assert ([(d["id"], d["verdict"], d["findings"]) for d in written["deployments"]]
            == [(d["id"], d["verdict"], d["findings"]) for d in direct["deployments"]])


def test_start_goes_with_map_and_one_agreement() -> None:
    done = run_dealcheck("check", EXAMPLE / "terms.deal", EXAMPLE / "plan.json", "--start",
                         "2026-01-01", cwd=ROOT)
    assert done.returncode == 2 and "--start goes with --map MAP" in done.stderr
    done = run_dealcheck("check", EXAMPLE / "terms.deal", "examples/stargate/terms.deal",
                         EXAMPLE / "plan.json", "--map", EXAMPLE / "map.yaml", cwd=ROOT)
    assert done.returncode == 2 and "give one TERMS file" in done.stderr


def test_an_asset_export_is_checked_through_its_map(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(
        "party: OpenAI\nstart: 2026-01-01\nprovider: {google: GCP}\n"
        "workload: {storage.googleapis.com/*: storage, sqladmin.googleapis.com/*: storage}\n"
        "region: {us-*: US, US: US, europe-*: EU}\n", "utf-8")
    done = run_dealcheck("check", EXAMPLE / "terms.deal", "tests/fixtures/inventory/"
                         "gcp-cai-storage-buckets.json", "tests/fixtures/inventory/"
                         "gcp-cai-sql-instances.json", "--map", tmp_path / "map.yaml",
                         "--format", "json", cwd=ROOT)
    report = json.loads(done.stdout)
    verdicts = {d["id"].rsplit("/", 1)[1]: d["verdict"] for d in report["deployments"]}
    # Buckets in US and US-CENTRAL1: in the United States. SQL instances in Asia and
    # Australia: no `region:` entry, so their region is unknown and `data_in_us` undecided.
    assert verdicts == {"my-storage-bucket": "compliant",
                        "my-storage-bucket-with-logging": "compliant",
                        "my-storage-bucket-with-secure-logging": "compliant",
                        "test-instance-1-singapore": "undetermined",
                        "test-instance-2-singapore": "undetermined",
                        "mysql-2nd-gen-singapore": "undetermined",
                        "mysql-2nd-gen-sydney": "undetermined",
                        "postgres-11-sydney": "undetermined"}
    assert done.stderr.count("note: region unknown for") == 5


def test_the_html_page_of_a_plan_draws_its_matrix(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = run_dealcheck(*CHECK, "--format", "html", "-o", page, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    text = page.read_text("utf-8")
    matrix = text[text.index('id="matrix"'):text.index("</table>")]
    assert ('<tr><th scope="row">AWS</th><td class="compliant" title="1 compliant">1</td>'
            '<td class="violation" title="1 violation">1</td></tr>') in matrix
