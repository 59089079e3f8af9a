"""`Terms.decide`: one deployment judged, exactly as a check of it would judge it."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

import dealcheck
from dealcheck import terms as terms_module
from dealcheck.checker import aggregate
from dealcheck.scenario.model import Deployment

ROOT = Path(__file__).resolve().parents[2]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import sample_records  # noqa: E402


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.load(TERMS)


@pytest.mark.parametrize("as_of", [None, "2025-11-01", dt.date(2026, 5, 1)])
def test_decide_gives_each_dict_what_check_gives_it(terms: dealcheck.Terms,
                                                    as_of: str | dt.date | None) -> None:
    records = sample_records(400, seed=7)
    report = terms.check(records, as_of=as_of)
    verdicts = set()
    for record, want in zip(records, report.deployments, strict=True):
        got = terms.decide(record, as_of=as_of)
        assert got == want and got.source is None
        verdicts.add(got.verdict)
    assert verdicts == set(dealcheck.Verdict)  # every verdict was exercised


def test_decide_takes_a_deployment_object_and_keeps_its_source(terms: dealcheck.Terms) -> None:
    scenario = dealcheck.load_scenario(ROOT / "examples" / "microsoft-openai" / "deals.yaml",
                                       terms)
    report = terms.check(scenario.deployments)
    for ready, want in zip(scenario.deployments, report.deployments, strict=True):
        got = terms.decide(ready)
        assert got == want
        assert got.source == ready.source is not None


def test_decide_builds_no_report_and_no_aggregate_book(terms: dealcheck.Terms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a single decision built an aggregate book")

    monkeypatch.setattr(aggregate.AggregateBook, "__init__", refuse)
    monkeypatch.setattr(dealcheck.Report, "__init__", refuse)
    result = terms.decide({"id": "x", "party": "OpenAI", "workload": "api", "provider": "AWS",
                           "start": "2025-06-01"})
    assert result.verdict is dealcheck.Verdict.VIOLATION
    assert [f.clause for f in result.findings if f.outcome is dealcheck.Outcome.VIOLATED] == [
        "api_exclusive"]


def test_decide_validates_through_the_one_validation_function(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    original = terms_module.validate_deployment

    def spy(vocabulary: object, row: object) -> Deployment:
        seen.append(row)
        return original(vocabulary, row)  # type: ignore[arg-type]

    monkeypatch.setattr(terms_module, "validate_deployment", spy)
    row = sample_records(1)[0]
    terms.decide(row)
    assert seen == [row]


def test_an_invalid_deployment_is_a_located_diagnostic(terms: dealcheck.Terms) -> None:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        terms.decide({"id": "x", "party": "OpenAI", "workload": "api", "provider": "Azur",
                      "start": "2025-06-01"})
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.span.file == "<input>"
    assert "`Azur`" in diagnostic.message and diagnostic.help and "Azure" in diagnostic.help


def test_an_invalid_as_of_is_refused(terms: dealcheck.Terms) -> None:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        terms.decide(sample_records(1)[0], as_of="2025-13-01")
    assert [d.code for d in caught.value.diagnostics] == ["DC910"]
