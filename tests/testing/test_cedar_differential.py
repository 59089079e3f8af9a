"""Cedar as an outside oracle: dealcheck and `cedarpy` agree on decided verdicts.

The terms are translated to Cedar policies (`cedar_oracle`); deployments carry
every fact. A `violation` must be a Deny whose forbidding policies include the
violated clauses (and nothing dealcheck judged satisfied or overridden), a
`compliant` deployment an Allow.
"""

from __future__ import annotations

import datetime as dt

import cedar_oracle
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import MICROSOFT_OPENAI, STARGATE

import dealcheck
from dealcheck.testing import fact_values, scenarios, terms_sources
from hypothesis_profiles import examples

# Every case goes through Cedar: the slow tier.
pytestmark = pytest.mark.slow


def complete_scenarios(terms: dealcheck.Terms) -> st.SearchStrategy[list[dealcheck.Deployment]]:
    return scenarios(terms, min_size=1, max_size=8, facts=fact_values(terms, complete=True))


def as_of_dates(terms: dealcheck.Terms, ds: list[dealcheck.Deployment]
                ) -> st.SearchStrategy[dt.date | None]:
    return st.none() | st.sampled_from(sorted({d.start for d in ds} | {terms.effective}))


@settings(max_examples=examples(300), deadline=None)
@given(st.data())
def test_dealcheck_and_cedar_agree_on_random_terms(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(terms_sources(), label="terms"), "t.deal")
    # A clause state depends on the other deployments; Cedar judges each request alone.
    assume(not terms.states())
    ds = data.draw(complete_scenarios(terms), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    differences, _ = cedar_oracle.cedar_differences(terms, ds, as_of)
    assert differences == []


@pytest.mark.parametrize("path", [MICROSOFT_OPENAI, STARGATE], ids=["microsoft-openai",
                                                                   "stargate"])
def test_dealcheck_and_cedar_agree_on_the_shipped_terms(path: object) -> None:
    terms = dealcheck.load(path)  # type: ignore[arg-type]
    cedar = cedar_oracle.translate(terms)
    compared = 0

    @settings(max_examples=examples(200), deadline=None)
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        nonlocal compared
        ds = data.draw(complete_scenarios(terms), label="deployments")
        as_of = data.draw(as_of_dates(terms, ds), label="as_of")
        differences, n = cedar_oracle.cedar_differences(terms, ds, as_of, cedar=cedar)
        compared += n
        assert differences == []

    agree()
    assert compared >= examples(200)  # a decided verdict per drawn case, on average


def test_the_translation_of_an_exception_to_an_exception() -> None:
    terms = dealcheck.loads("""\
agreement "t" effective 2025-01-01
party A
provider P operated by A
provider Q operated by A
workload w
fact consent: bool
fact withdrawn: bool
clause only_p:
  A runs w only on P
clause consented notwithstanding only_p:
  A may run w when consent
clause withdrawal notwithstanding consented:
  A may run w when withdrawn
""")
    cedar = cedar_oracle.translate(terms)

    def on_q(consent: bool, withdrawn: bool) -> dealcheck.Deployment:
        return dealcheck.Deployment(f"{consent}-{withdrawn}", "A", "w", "Q",
                                    dt.date(2025, 2, 1),
                                    facts={"consent": consent, "withdrawn": withdrawn})

    ds = [on_q(c, w) for c in (False, True) for w in (False, True)]
    allowed = [d.allowed for d in cedar_oracle.decide(cedar, ds, None)]
    assert allowed == [False, False, True, False]
    assert [str(r.verdict) for r in terms.check(ds).deployments] == \
        ["violation", "violation", "compliant", "violation"]
