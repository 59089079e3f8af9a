"""`checker.batch`: plain dicts judged as they are, to outcomes; results built when read.

Every dict-reading evaluator (`codegen.FromDict`) is checked against the
reference evaluator on the same deployments, including keys whose atoms a
dict cannot give (relations, end, capacity and value), which read the row.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck.checker.batch import DictJudge, Results, judge_dicts
from dealcheck.checker.check import check
from dealcheck.checker.codegen import NOT_COVERED, key_shape, reads_dicts
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.results import DeploymentResult, Verdict
from dealcheck.scenario.generated import cached
from dealcheck.terms import validate_deployments
from helpers import reference_compiled
from hypothesis_profiles import examples

ROOT = Path(__file__).resolve().parents[2]
MSFT_OPENAI = ROOT / "examples" / "microsoft-openai" / "terms.deal"
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import sample_records  # noqa: E402

TERMS = """\
agreement "Dicts" effective 2020-01-01
party Acme, Other
provider Azure operated by Other
provider AWS operated by Other
workload api, training, batch
region US, EU
fact consent: bool
fact tier: one of gold, silver
clause only_azure:
  Acme runs any workload only on Azure
clause consented notwithstanding only_azure:
  Acme may run training on any provider when consent and start >= 2024-01-01
clause gold_api:
  Acme runs api only if tier = gold when region in US
clause small_batches:
  Acme runs batch only if value <= 5M USD or capacity <= 10 MW
clause short:
  Acme runs batch only if end <= 2030-01-01
clause short_training:
  Acme runs training only if end <= start + 400 days
clause azure_cap:
  total value of deployments by Acme on Azure starting from 2024-06-01 is at most 20M USD

amendment later "Later" effective 2025-06-01:
  revoke azure_cap
  clause any_cap:
    total value of deployments by Acme is at most 30M USD

amendment last "Last" effective 2026-06-01:
  revoke any_cap
"""


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS)


@pytest.fixture(scope="module")
def reference(terms: dealcheck.Terms) -> CompiledTerms:
    return reference_compiled(terms)  # type: ignore[return-value]


def test_keys_read_dicts_unless_an_atom_needs_the_row(terms: dealcheck.Terms) -> None:
    # The differential below must see both kinds of key, or it proves half as much.
    epoch = terms.compiled().epoch(dt.date(2025, 1, 1))
    assert epoch is not None
    assert reads_dicts(key_shape(epoch, "Acme", "api"))
    assert not reads_dicts(key_shape(epoch, "Acme", "batch"))  # value, capacity, end
    assert not reads_dicts(key_shape(epoch, "Acme", "training"))  # a relation


_DEPLOYMENT = st.fixed_dictionaries(
    {"party": st.sampled_from(["Acme", "Other"]),
     "workload": st.sampled_from(["api", "training", "batch"]),
     "provider": st.sampled_from(["Azure", "AWS"]),
     "start": st.sampled_from(["2019-06-01", "2024-03-01", "2024-06-01", "2026-01-01",
                               "2026-05-31", "2026-07-01"])
     | st.just(dt.date(2025, 2, 1))},
    optional={"region": st.sampled_from(["US", "EU", None]),
              "end": st.sampled_from(["2029-01-01", "2031-01-01", None]),
              "value": st.sampled_from(["1M USD", "6M USD", "8M USD", None]),
              "capacity": st.sampled_from(["5 MW", "20 MW", None]),
              "facts": st.fixed_dictionaries({}, optional={
                  "consent": st.booleans(), "tier": st.sampled_from(["gold", "silver"]),
              }) | st.none()})


@settings(max_examples=examples(200), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_DEPLOYMENT, max_size=12),
       as_of=st.sampled_from([None, dt.date(2024, 8, 1), dt.date(2019, 1, 1)]))
def test_dicts_are_judged_as_the_reference_judges_their_deployments(
        terms: dealcheck.Terms, reference: CompiledTerms, items: list[dict[str, object]],
        as_of: dt.date | None) -> None:
    records = [{"id": f"d{n}", **item} for n, item in enumerate(items)]
    batch = cached(terms.vocabulary).dicts(records)
    rows = cached(terms.vocabulary).table(records)
    assert batch is not None and rows is not None  # every value is valid as it is
    assert list(batch) == rows
    want = check(reference, [row.deployment() for row in rows], as_of)
    got, book = judge_dicts(terms.compiled(), batch, as_of)
    assert got == want.deployments
    assert book.results() == want.aggregates
    # Judged, and the tallies fed, as the pass reads each row.
    judge = DictJudge(terms.compiled(), as_of)
    judged = cached(terms.vocabulary).dicts(records, judge)
    assert judged is not None and judged.outcomes is not None
    got, book = judge_dicts(terms.compiled(), judged, as_of)
    assert judge.book is None  # the tallies the pass fed, not a second look at the dicts
    assert got == want.deployments
    assert book.results() == want.aggregates
    assert terms.check(records, as_of=as_of) == want


@pytest.mark.parametrize("as_of", [None, dt.date(2025, 11, 1)])
def test_a_batch_of_valid_dicts_is_judged_as_it_is(terms: dealcheck.Terms,
                                                    as_of: dt.date | None) -> None:
    # Would fail if the batch left the dict path: its results are built when read.
    big = dealcheck.load(MSFT_OPENAI)
    records = sample_records(300, seed=11)
    assert cached(big.vocabulary).dicts(records) is not None
    report = big.check(records, as_of=as_of)
    assert isinstance(report.deployments, Results) is not big.compiled().reference
    assert len(report.deployments) == len(records)
    want = [big.compiled().evaluate(d, as_of)
            for d in validate_deployments(big.vocabulary, records)]
    assert report.deployments == want and want == report.deployments
    assert {r.verdict for r in report.deployments} == set(Verdict)


def test_results_are_built_once_and_compare_as_a_list() -> None:
    day = dt.date(2019, 1, 1)
    results = Results(lambda: ["a"], lambda: [day], [NOT_COVERED], None)
    assert len(results) == 1
    first = results[0]
    assert first is next(iter(results))  # built once, then shared
    assert first == DeploymentResult("a", Verdict.COMPLIANT, day, True, ())
    assert results[:1] == [first] and repr(results) == repr([first])
    assert results != Results(lambda: ["a"], lambda: [day], [(Verdict.VIOLATION, False, ())], None)
    assert Results(lambda: ["a"], None, [NOT_COVERED], day) == results
    assert results != "a"
    assert Results(list, list, [], None) == [] and len(Results(list, None, [], day)) == 0
    with pytest.raises(TypeError):
        hash(results)


def test_the_starts_of_a_judged_batch_are_made_only_when_its_results_are_read(
        terms: dealcheck.Terms) -> None:
    records = [{"id": f"d{n}", "party": "Acme", "workload": "api", "provider": "Azure",
                "start": f"2024-07-{1 + n:02d}", "value": "1M USD"} for n in range(5)]
    judged = cached(terms.vocabulary).dicts(records, DictJudge(terms.compiled(), None))
    assert judged is not None
    results, book = judge_dicts(terms.compiled(), judged, None)
    assert judged._starts is None  # the tallies were fed in the pass; nothing read yet
    assert book.latest == dt.date(2024, 7, 5)
    assert [r.evaluated_on for r in results] == [dt.date(2024, 7, 1 + n) for n in range(5)]
    assert judged._starts == [r.evaluated_on for r in results]
