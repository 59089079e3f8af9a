"""Reading valid scenarios: the four formats give the same deployments."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from scenario_helpers import FIXTURES, write

from dealcheck.rules.model import Vocabulary
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.read import iter_deployments, load_scenario, validate_file

FORMATS = ["plan.yaml", "plan.json", "plan.csv", "plan.jsonl"]

EXPECTED = (
    Deployment(
        id="azure-training",
        party="OpenAI",
        workload="training",
        provider="Azure",
        start=dt.date(2025, 3, 10),
        region="US",
        end=dt.date(2030, 3, 10),
        capacity=Quantity(Decimal("300e6"), "power"),
        value=Quantity(Decimal("11.9e9"), "money"),
        facts={
            "rofr_declined": True,
            "customer": "commercial",
            "budget": Quantity(Decimal("2e9"), "money"),
            "signed": dt.date(2025, 2, 1),
        },
    ),
    Deployment(
        id="aws-api",
        party="OpenAI",
        workload="api",
        provider="AWS",
        start=dt.date(2025, 11, 3),
        capacity=Quantity(Decimal(4608), "count"),
        facts={"customer": "us_national_security"},
    ),
    Deployment(
        id="2025",
        party="Microsoft",
        workload="chatgpt",
        provider="Azure",
        start=dt.date(2026, 1, 1),
        region="EU",
    ),
)

#: Where each deployment starts, per format: (line, column).
SOURCES = {
    "plan.yaml": [(4, 5), (14, 5), (22, 5)],
    "plan.json": [(4, 5), (16, 5), (25, 5)],
    "plan.csv": [(2, 1), (3, 1), (4, 1)],
    "plan.jsonl": [(1, 1), (3, 1), (4, 1)],
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_reads_the_same_deployments(name: str, vocabulary: Vocabulary) -> None:
    scenario = load_scenario(FIXTURES / name, vocabulary)
    assert scenario.deployments == EXPECTED
    facts = scenario.deployments[0].facts
    assert facts["rofr_declined"] is True  # a bool, not the text "TRUE"
    assert isinstance(facts["budget"], Quantity)


@pytest.mark.parametrize("name", FORMATS)
def test_source_locations_point_at_each_deployment(name: str, vocabulary: Vocabulary) -> None:
    path = FIXTURES / name
    scenario = load_scenario(path, vocabulary)
    assert [d.source for d in scenario.deployments] == [
        SourceLocation(str(path), line, column) for line, column in SOURCES[name]
    ]


@pytest.mark.parametrize("name", FORMATS)
def test_scenario_records_path_name_and_sha256(name: str, vocabulary: Vocabulary) -> None:
    path = FIXTURES / name
    scenario = load_scenario(path, vocabulary)
    assert scenario.path == str(path)
    assert scenario.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    has_name = name in ("plan.yaml", "plan.json")
    assert scenario.name == ("OpenAI compute plan 2025" if has_name else None)


@pytest.mark.parametrize("name", FORMATS)
def test_validate_then_iterate(name: str, vocabulary: Vocabulary) -> None:
    path = FIXTURES / name
    assert validate_file(path, vocabulary) == []
    assert tuple(iter_deployments(path, vocabulary)) == EXPECTED


def test_quantity_text_is_kept_for_messages(vocabulary: Vocabulary) -> None:
    deployment = load_scenario(FIXTURES / "plan.yaml", vocabulary).deployments[1]
    assert deployment.capacity is not None and deployment.capacity.text == "4,608 GPU"


def test_a_bom_and_crlf_line_endings_are_accepted(tmp_path: Path, vocabulary: Vocabulary) -> None:
    for name in FORMATS:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        crlf = "\ufeff" + text.replace("\n", "\r\n")
        path = write(tmp_path, "bom-" + name, crlf.encode("utf-8"))
        scenario = load_scenario(path, vocabulary)
        assert scenario.deployments == EXPECTED, name
        first = scenario.deployments[0].source
        assert first is not None and (first.line, first.column) == SOURCES[name][0], name


def test_yaml_one_point_two_keeps_norway_a_name(tmp_path: Path, vocabulary: Vocabulary) -> None:
    vocabulary.regions["NO"] = vocabulary.regions["US"]
    path = write(
        tmp_path,
        "no.yaml",
        """\
deployments:
  - {id: nscale, party: OpenAI, workload: training, provider: AWS, region: NO,
     start: 2025-07-31}
""",
    )
    assert load_scenario(path, vocabulary).deployments[0].region == "NO"


def test_null_optional_fields_and_facts_are_absent(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(
        tmp_path,
        "nulls.yaml",
        """\
scenario:
deployments:
  - id: a
    party: OpenAI
    workload: api
    provider: AWS
    start: 2025-01-01
    region: ~
    end: null
    capacity:
    facts: {rofr_declined: null}
""",
    )
    scenario = load_scenario(path, vocabulary)
    assert scenario.name is None
    (deployment,) = scenario.deployments
    assert deployment.region is None and deployment.end is None and deployment.capacity is None
    assert dict(deployment.facts) == {}


def test_empty_deployments_list_is_a_valid_empty_scenario(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = write(tmp_path, "empty.json", '{"scenario": "nothing yet", "deployments": []}')
    scenario = load_scenario(path, vocabulary)
    assert (scenario.name, scenario.deployments) == ("nothing yet", ())


def test_csv_header_only_is_a_valid_empty_inventory(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = write(tmp_path, "empty.csv", "id,party,workload,provider,start\n")
    assert load_scenario(path, vocabulary).deployments == ()


def test_number_facts_take_numbers_and_unitless_text_in_the_fact_unit(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = write(
        tmp_path,
        "numbers.yaml",
        """\
deployments:
  - {id: a, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01, facts: {budget: 1500}}
  - {id: b, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01, facts: {budget: 2.5}}
  - {id: c, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01, facts: {budget: 3k}}
  - {id: d, party: OpenAI, workload: api, provider: AWS, start: 2025-01-01,
     facts: {budget: 4M USD}}
""",
    )
    budgets = [d.facts["budget"] for d in load_scenario(path, vocabulary).deployments]
    assert budgets == [
        Quantity(Decimal(1500), "money"),
        Quantity(Decimal("2.5"), "money"),
        Quantity(Decimal(3000), "money"),
        Quantity(Decimal(4_000_000), "money"),
    ]


def test_yaml_keeps_text_that_looks_like_other_types(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    path = write(
        tmp_path,
        "quoted.yaml",
        """\
deployments:
  - {id: "2025-03-10", party: OpenAI, workload: api, provider: AWS, start: "2025-03-10"}
  - {id: !!str 7, party: OpenAI, workload: api, provider: AWS, start: 2025-03-10}
""",
    )
    ids = [d.id for d in load_scenario(path, vocabulary).deployments]
    assert ids == ["2025-03-10", "7"]
