"""The differential tests catch a wrong evaluator.

The evaluator itself is not patched (its internals change): it is handed
deliberately wrong terms — every `notwithstanding` ignored, or every
revocation taking effect a day late — while the oracles read the real ones.
Hypothesis must then find a disagreement, which is shown shrunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import cedar_oracle
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from oracles import reference_differences, revoked_a_day_late, without_exceptions

import dealcheck
from dealcheck.rules import model as m
from dealcheck.testing import fact_values, scenarios, terms_sources

# Thousands of drawn cases per mutant: the slow tier.
pytestmark = pytest.mark.slow

Case = tuple[str, list[dealcheck.Deployment], dt.date | None]
Mutation = Callable[[m.Terms], m.Terms]


@st.composite
def cases(draw: st.DrawFn, complete: bool = False, overlapping: bool = False) -> Case:
    """Terms, deployments and a date; `overlapping` terms (clauses and exceptions about
    the same deployments) make an ignored exception show sooner."""
    text = draw(terms_sources(min_clauses=1 + overlapping, overlapping=overlapping))
    terms = dealcheck.loads(text, "t.deal")
    facts = fact_values(terms, complete=True) if complete else fact_values(terms)
    ds = draw(scenarios(terms, min_size=1, max_size=6, facts=facts))
    as_of = draw(st.none() | st.sampled_from(sorted({d.start for d in ds})))
    return text, ds, as_of


# No shrinking: Hypothesis takes minutes to shrink these cases; `smallest` below
# reduces a counterexample to one deployment instead.
SEARCH = settings(max_examples=3000, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))


def smallest(case: Case, mismatch: Callable[[Case], bool]) -> Case:
    """The case with a single deployment that still disagrees, if there is one."""
    text, ds, as_of = case
    for d in ds:
        for day in (as_of, None):
            if mismatch((text, [d], day)):
                return text, [d], day
    return case


def reference_mismatch(mutate: Mutation) -> Callable[[Case], bool]:
    """A case on which the mutant disagrees with the reference and the real evaluator not:
    the disagreement is the mutation's doing."""
    def mismatch(case: Case) -> bool:
        text, ds, as_of = case
        terms = dealcheck.loads(text, "t.deal")
        return (bool(reference_differences(terms, ds, as_of, evaluated=mutate(terms)))
                and not reference_differences(terms, ds, as_of))
    return mismatch


@pytest.mark.parametrize("mutate", [without_exceptions, revoked_a_day_late],
                         ids=["notwithstanding-ignored", "revoked-a-day-late"])
def test_the_reference_catches_a_wrong_evaluator(mutate: Mutation) -> None:
    mismatch = reference_mismatch(mutate)
    drawn = cases(overlapping=mutate is without_exceptions)
    text, ds, as_of = smallest(find(drawn, mismatch, settings=SEARCH), mismatch)
    terms = dealcheck.loads(text, "t.deal")
    print(f"counterexample:\n{text}\n{ds}\nas of {as_of}")
    print("\n".join(reference_differences(terms, ds, as_of, evaluated=mutate(terms))))


def test_the_cedar_oracle_catches_ignored_exceptions() -> None:
    def mismatch(case: Case) -> bool:
        text, ds, as_of = case
        terms = dealcheck.loads(text, "t.deal")
        differences, _ = cedar_oracle.cedar_differences(
            terms, ds, as_of, evaluated=without_exceptions(terms))
        return bool(differences) and not cedar_oracle.cedar_differences(terms, ds, as_of)[0]

    text, ds, as_of = smallest(find(cases(complete=True, overlapping=True), mismatch,
                                    settings=SEARCH), mismatch)
    print(f"counterexample:\n{text}\n{ds}\nas of {as_of}")


def test_the_differential_property_fails_on_the_mutated_evaluator() -> None:
    """The property of `test_reference_differential`, run against the mutant, fails."""

    @settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases(overlapping=True))
    def agrees(case: Case) -> None:
        text, ds, as_of = case
        terms = dealcheck.loads(text, "t.deal")
        if reference_differences(terms, ds, as_of):
            return  # a disagreement of the real evaluator: not the mutant's doing
        assert reference_differences(terms, ds, as_of, evaluated=without_exceptions(terms)) \
            == []

    with pytest.raises(AssertionError):
        agrees()
