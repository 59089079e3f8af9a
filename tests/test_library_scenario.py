"""Reading a scenario file from Python: `dealcheck.load_scenario`, as `dealcheck check` reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

import dealcheck

ROOT = Path(__file__).resolve().parents[1]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
DEALS = ROOT / "examples" / "microsoft-openai" / "deals.yaml"


def test_a_scenario_file_is_read_and_checked() -> None:
    terms = dealcheck.load(TERMS)
    scenario = dealcheck.load_scenario(DEALS, terms)
    assert isinstance(scenario, dealcheck.Scenario)
    assert scenario.path == str(DEALS)
    assert len(scenario.deployments) == 14
    report = terms.check(scenario.deployments)
    assert str(report.verdict_of("stargate-abilene")) == "undetermined"


def test_a_streamed_format_reads_the_same(tmp_path: Path) -> None:
    terms = dealcheck.load(TERMS)
    rows = tmp_path / "deals.jsonl"
    rows.write_text('{"id": "a", "party": "OpenAI", "workload": "api", "provider": "AWS", '
                    '"start": "2025-11-03"}\n', "utf-8")
    [deployment] = dealcheck.load_scenario(rows, terms).deployments
    assert (deployment.id, deployment.provider) == ("a", "AWS")


def test_a_name_the_terms_do_not_declare_is_a_located_diagnostic(tmp_path: Path) -> None:
    terms = dealcheck.load(TERMS)
    plan = tmp_path / "plan.yaml"
    plan.write_text("deployments:\n  - id: a\n    party: OpenAI\n    workload: api\n"
                    "    provider: Azur\n    start: 2025-11-03\n", "utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.load_scenario(plan, terms)
    [d] = caught.value.diagnostics
    assert (d.span.file, d.span.line) == (str(plan), 5)
    assert "Azur" in d.message
