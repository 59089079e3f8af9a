"""`checker.batch`: a batch of dict rows judged to outcomes, its results built when read."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.batch import Results, judge_rows
from dealcheck.checker.codegen import NOT_COVERED
from dealcheck.checker.results import DeploymentResult, Verdict
from dealcheck.scenario.generated import cached

ROOT = Path(__file__).resolve().parents[2]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import sample_records  # noqa: E402


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.load(TERMS)


@pytest.mark.parametrize("as_of", [None, dt.date(2025, 11, 1)])
def test_the_outcomes_of_rows_are_the_results_of_their_deployments(
        terms: dealcheck.Terms, as_of: dt.date | None) -> None:
    records = sample_records(300, seed=11)
    rows = cached(terms.vocabulary).table(records)
    assert rows is not None
    results = judge_rows(terms.compiled(), rows, as_of)
    assert len(results) == len(rows)  # known before any result is built
    want = [terms.compiled().evaluate(row.deployment(), as_of) for row in rows]
    assert results == want and want == results
    assert results[0] == want[0] and results[-2:] == want[-2:]
    assert {r.verdict for r in results} == set(Verdict)
    assert [r.evaluated_on for r in results] == [as_of or row.start for row in rows]


def test_results_are_built_once_and_compare_as_a_list() -> None:
    row = cached(dealcheck.load(TERMS).vocabulary).table(
        [{"id": "a", "party": "Oracle", "workload": "api", "provider": "OCI",
          "start": "2019-01-01"}])
    assert row is not None
    results = Results(row, [NOT_COVERED], None)
    first = results[0]
    assert first is next(iter(results))  # built once, then shared
    assert first == DeploymentResult("a", Verdict.COMPLIANT, dt.date(2019, 1, 1), True, ())
    assert results != Results(row, [(Verdict.VIOLATION, False, ())], None)
    assert results != "a" and repr(results) == repr([first])
    with pytest.raises(TypeError):
        hash(results)
