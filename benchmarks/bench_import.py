"""Reading a Terraform plan through a map, against reading the scenario it stands for.

Run: python benchmarks/bench_import.py [--resources 5000] [--repeat 5]

Builds a plan (format 1.2) of `--resources` AWS and Google resources in
nested modules, regions from the resources, the provider configuration and
a variable, and writes the scenario `dealcheck import` makes of it. Prints,
best CPU time of `--repeat` in one warm process: the plan read and validated through
the map (`load_file` with an `InfraReader`), the written YAML scenario read
and validated, the same deployments as a JSON scenario, and the import
itself (plan to YAML text); then the plan's cost relative to each scenario.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import ROOT, Row, Timing, print_table, rate

sys.path.insert(0, str(ROOT / "src"))

import dealcheck
from dealcheck.scenario.infra_map import load_map
from dealcheck.scenario.infra_read import InfraReader
from dealcheck.scenario.infra_write import scenario_yaml
from dealcheck.scenario.load import load_file, load_scenario
from dealcheck.scenario.stream import Budget
from dealcheck.scenario.validate import UniqueIds

MAP = """\
party: OpenAI
start: 2026-01-01
provider: {aws: AWS, google: GCP}
workload: {aws_autoscaling_group: training, google_compute_*: training, "*": api}
region: {us-*: US, europe-*: EU, eu-*: EU, US: US}
"""
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"


def measure(label: str, items: int, run: Callable[[], object], repeat: int) -> Timing:
    """The best CPU time of `repeat` runs (the machine is shared: wall time is noisier)."""
    timing = Timing(label, items)
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        run()
        timing.seconds.append(time.process_time() - start)
    return timing


def synthetic_plan(count: int) -> dict[str, Any]:
    """A plan of `count` resources: a third AWS by provider region, a third AWS by
    variable through an alias, a third Google with zones, half of them in modules."""
    changes = []
    for n in range(count):
        module = f"module.m{n % 7}[{n % 3}]." if n % 2 else ""
        kind = ("aws_instance", "aws_autoscaling_group", "google_compute_instance")[n % 3]
        after: dict[str, Any] = {"tags": {"Team": f"t{n % 5}"}}
        if kind.startswith("google"):
            after["zone"] = ("us-central1-a", "europe-west4-b")[n % 2]
        changes.append({"address": f"{module}{kind}.r{n}", "mode": "managed", "type": kind,
                        "name": f"r{n}", "provider_name": "registry.terraform.io/hashicorp/"
                        + ("google" if kind.startswith("google") else "aws"),
                        "change": {"actions": ["create"], "before": None, "after": after,
                                   "after_unknown": {"id": True}}})
    resources = [{"address": f"{kind}.r{n}",
                  "provider_config_key": "aws.west" if kind == "aws_autoscaling_group" else kind
                  .split("_")[0]}
                 for n in range(count)
                 for kind in [("aws_instance", "aws_autoscaling_group",
                               "google_compute_instance")[n % 3]] if n % 2 == 0]
    return {"format_version": "1.2", "terraform_version": "1.9.0",
            "variables": {"region": {"value": "eu-west-1"}},
            "resource_changes": changes,
            "configuration": {"provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}},
                "aws.west": {"name": "aws", "alias": "west",
                             "expressions": {"region": {"references": ["var.region"]}}},
                "google": {"name": "google"}},
                "root_module": {"resources": resources}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    vocabulary = dealcheck.load(TERMS).vocabulary
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plan, mapping = work / "plan.json", work / "map.yaml"
        plan.write_text(json.dumps(synthetic_plan(args.resources), indent=2), "utf-8")
        mapping.write_text(MAP, "utf-8")
        reader = InfraReader(load_map(mapping))
        text = plan.read_text("utf-8")
        tree, found = reader(text, str(plan))
        assert tree is not None and not found, found
        scenario = work / "scenario.yaml"
        scenario.write_text(scenario_yaml(tree, []), "utf-8")
        as_json = work / "scenario.json"
        deployments = load_scenario(scenario, vocabulary).deployments
        as_json.write_text(json.dumps({"deployments": [
            {"id": d.id, "party": d.party, "workload": d.workload, "provider": d.provider,
             "region": d.region, "start": d.start.isoformat()} for d in deployments]}), "utf-8")
        count = len(deployments)
        timings = [
            measure("plan through the map", count, lambda: load_file(
                plan, vocabulary, UniqueIds(), Budget(), infra=reader), args.repeat),
            measure("the imported YAML scenario", count,
                    lambda: load_scenario(scenario, vocabulary), args.repeat),
            measure("the same as a JSON scenario", count,
                    lambda: load_scenario(as_json, vocabulary), args.repeat),
            measure("import (plan to YAML text)", count,
                    lambda: scenario_yaml(reader(text, str(plan))[0] or tree, []), args.repeat),
        ]
    rows = [Row(t.label, f"{t.best * 1000:.0f} ms, {rate(t.rate)} deployments") for t in timings]
    plan_time = timings[0].best
    rows += [Row(f"plan / {t.label}", f"{plan_time / t.best:.2f}x") for t in timings[1:3]]
    print_table(f"Reading a Terraform plan of {count} resources through a map", rows)


if __name__ == "__main__":
    main()
