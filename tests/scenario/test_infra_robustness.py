"""Any plan, map value or export: a scenario or located diagnostics, never another exception.

Real plans with one value anywhere in them replaced by arbitrary JSON, read
through a map against real terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.scenario.infra_map import load_map
from dealcheck.scenario.infra_read import InfraReader
from dealcheck.scenario.load import load_file
from dealcheck.scenario.stream import Budget
from dealcheck.scenario.validate import UniqueIds

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SOURCES = [*sorted(FIXTURES.glob("terraform/*.json")), *sorted(FIXTURES.glob("inventory/*.json"))]
TERMS = dealcheck.load(ROOT / "examples" / "microsoft-openai" / "terms.deal")
MAP = """\
party: OpenAI
start: 2026-01-01
provider: {aws: AWS, google: GCP, azurerm: Azure}
workload: {"tag:Stage=*": chatgpt, aws_iam_*: ~, "*": api}
region: {us-*: US, US: US, eastus: US, westeurope: EU, "*": JP}
"""

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["create", "delete", "us-east-1", "var.region",
                                             "1.2", "2.0", "aws", "managed"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["region", "zone", "location", "address", "type", "tags", "name",
                         "actions", "after", "references", "constant_value", "x"]),
        inner, max_size=3),
    max_leaves=8)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found += _paths(item, (*path, number))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> InfraReader:
    path = tmp_path_factory.mktemp("map") / "map.yaml"
    path.write_text(MAP, "utf-8")
    return InfraReader(load_map(path))


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_plan_with_any_value_anywhere_reads_or_is_diagnosed(
        source: Path, data: st.DataObject, reader: InfraReader, tmp_path: Path) -> None:
    document = json.loads(source.read_text("utf-8"))
    path = data.draw(st.sampled_from(_paths(document)))
    changed = _replaced(document, path, data.draw(JSON))
    target = tmp_path / "plan.json"
    target.write_text(json.dumps(changed), "utf-8")
    try:
        scenario = load_file(target, TERMS.vocabulary, UniqueIds(), Budget(), infra=reader)
    except DiagnosticsError as exc:
        assert exc.diagnostics
        assert all(d.span.file in (str(target), reader.imap.path) for d in exc.diagnostics)
        return
    assert all(d.source is not None and d.source.file == str(target)
               for d in scenario.deployments)
