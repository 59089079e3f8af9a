"""The compiled evaluator agrees with the reference interpreter written from docs/language.md §10.

Compared: each deployment's verdict, evaluation date, `not_covered`, and per
clause the finding's outcome, missing facts and overriding permissions; each
aggregate's verdict, total, contributors, lacking quantities and unknown scope.
"""

from __future__ import annotations

import datetime as dt

import pytest
import reference_interpreter as ref
from hypothesis import given, reject
from hypothesis import strategies as st
from oracles import MICROSOFT_OPENAI, STARGATE, differential_settings, reference_differences

import dealcheck
from dealcheck.testing import scenarios, terms_sources

SHIPPED = [dealcheck.load(MICROSOFT_OPENAI), dealcheck.load(STARGATE)]


def as_of_dates(terms: dealcheck.Terms, ds: list[dealcheck.Deployment]
                ) -> st.SearchStrategy[dt.date | None]:
    """No as-of date, or one on a date that matters (a start, a clause's first or last day)."""
    marks = {d.start for d in ds} | {terms.effective}
    for c in terms.clauses:
        marks.add(c.in_force_from)
        if c.in_force_through is not None:
            marks |= {c.in_force_through, c.in_force_through + dt.timedelta(days=1)}
    return st.none() | st.sampled_from(sorted(marks))


def agree(terms: dealcheck.Terms, ds: list[dealcheck.Deployment], as_of: dt.date | None) -> None:
    try:
        assert reference_differences(terms, ds, as_of) == []
    except ref.TooManyCompletions:
        reject()  # more completions than the brute force tries


@pytest.mark.slow
@differential_settings(300)
@given(st.data())
def test_the_evaluator_agrees_with_the_reference_on_random_terms(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(terms_sources(), label="terms"), "t.deal")
    ds = data.draw(scenarios(terms, max_size=6), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    agree(terms, ds, as_of)


@pytest.mark.slow
@differential_settings(300)
@given(st.data())
def test_the_evaluator_agrees_with_the_reference_on_overlapping_terms(
        data: st.DataObject) -> None:
    """Several clauses and exceptions over the same deployments, sharing facts: where
    completions decide what Kleene logic leaves unknown."""
    text = data.draw(terms_sources(min_clauses=2, overlapping=True), label="terms")
    terms = dealcheck.loads(text, "t.deal")
    ds = data.draw(scenarios(terms, max_size=6), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    agree(terms, ds, as_of)


@pytest.mark.slow
@pytest.mark.parametrize("terms", SHIPPED, ids=["microsoft-openai", "stargate"])
@differential_settings(200)
@given(data=st.data())
def test_the_evaluator_agrees_with_the_reference_on_the_shipped_terms(
        terms: dealcheck.Terms, data: st.DataObject) -> None:
    ds = data.draw(scenarios(terms, max_size=8), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    agree(terms, ds, as_of)


# ---------------------------------------------------------------- the reference itself


@pytest.mark.parametrize(
    ("terms", "example"),
    [(t, e) for t in SHIPPED for e in t.examples],
    ids=[f"{t.title}: {e.title}" for t in SHIPPED for e in t.examples],
)
def test_the_reference_meets_the_examples_written_in_the_terms(
        terms: dealcheck.Terms, example: dealcheck.rules.model.Example) -> None:
    """The hand-written expectations hold for the reference too, without dealcheck's checker."""
    ds = [e.deployment for e in example.deployments]
    outcome = ref.judge(terms, ds, example.as_of)
    per_deployment = dict(outcome.deployments)
    only = ds[0].id if len(ds) == 1 else None
    for x in example.expectations:
        subject = x.subject or only
        if subject in per_deployment:
            got = per_deployment[subject]
            verdict = "not_covered" if x.verdict == "not_covered" and got.not_covered \
                else got.verdict
            assert verdict == x.verdict
            findings = dict(got.findings)
            wanted = {"violation": "violated", "undetermined": "unknown"}.get(x.verdict)
            for clause in x.clauses:
                assert clause in findings
                if wanted:
                    assert findings[clause].outcome == wanted
            missing = set().union(*(f.missing for f in findings.values()))
            assert set(x.missing) <= missing
        else:
            assert ref.aggregate_verdict(outcome, subject) == x.verdict


def test_kleene_tables() -> None:
    t, f, u = True, False, None
    assert [ref.k_and([a, b]) for a, b in [(t, u), (f, u), (u, u), (t, t)]] == [u, f, u, t]
    assert [ref.k_or([a, b]) for a, b in [(t, u), (f, u), (u, u), (f, f)]] == [t, u, u, f]
    assert [ref.k_not(a) for a in (t, f, u)] == [f, t, u]


# ---------------------------------------------------------------- disagreements found


def deployment(**fields: object) -> dealcheck.Deployment:
    base: dict[str, object] = {"id": "d", "party": "A", "workload": "w", "provider": "Q",
                               "start": dt.date(2025, 2, 1)}
    return dealcheck.Deployment(**{**base, **fields})  # type: ignore[arg-type]


def test_an_incommensurable_quantity_is_named_as_missing() -> None:
    """`capacity <= 1000 GPU` is unknown for a capacity in MW: `capacity` would decide it,
    and §3 asks the report to name what would (found by the random differential test)."""
    terms = dealcheck.loads("""\
agreement "t" effective 2025-01-01
party A
provider Q operated by A
workload w
clause small:
  A runs w only if capacity <= 1000 GPU
""")
    capacity = terms.vocabulary.units.parse("300 MW")
    assert reference_differences(terms, [deployment(capacity=capacity)], None) == []


def test_a_permission_that_is_itself_lifted_decides_nothing() -> None:
    """`consented` cannot apply (`withdrawal` certainly lifts it), so `consent` cannot
    change the outcome and must not be named; only `urgent` can."""
    terms = dealcheck.loads("""\
agreement "t" effective 2025-01-01
party A
provider P operated by A
provider Q operated by A
workload w
fact consent: bool
fact urgent: bool
fact withdrawn: bool
clause only_p:
  A runs w only on P
clause consented notwithstanding only_p:
  A may run w when consent
clause withdrawal notwithstanding consented:
  A may run w when withdrawn
clause emergency notwithstanding only_p:
  A may run w when urgent
""")
    d = deployment(facts={"withdrawn": True})
    assert dict(dict(ref.judge(terms, [d]).deployments)["d"].findings)["only_p"].missing \
        == {"urgent"}
    assert reference_differences(terms, [d], None) == []


STATES = """\
agreement "t" effective 2025-01-01
party A
provider P operated by A
provider Q operated by A
workload w, v
fact urgent: bool
clause first:
  total capacity of deployments by A on P reaches 1 GW by 2026-12-31
clause second:
  total capacity of deployments by A of v reaches 1 GW when first is compliant
clause gated:
  A runs w on Q only if first is compliant or urgent
clause kept:
  A runs v only on P when not second is violated
"""


def test_clause_states_as_the_reference_reads_them() -> None:
    """A state is the clause's verdict on the deployment's evaluation date; an aggregate's
    `when` reads it on each deployment's own date; undetermined names the clause."""
    terms = dealcheck.loads(STATES)
    gw = terms.vocabulary.units.parse
    ds = [deployment(id="a", provider="P", start=dt.date(2025, 2, 1), capacity=gw("600 MW")),
          deployment(id="early", provider="Q", start=dt.date(2025, 3, 1)),
          deployment(id="b", provider="P", workload="v", start=dt.date(2025, 4, 1),
                     capacity=gw("500 MW")),
          deployment(id="late", provider="Q", start=dt.date(2025, 5, 1)),
          deployment(id="c", provider="P", workload="v", start=dt.date(2025, 6, 1))]
    for as_of in (None, dt.date(2025, 3, 15), dt.date(2025, 6, 1), dt.date(2027, 1, 1)):
        assert reference_differences(terms, ds, as_of) == []
    outcome = dict(ref.judge(terms, ds).deployments)
    assert [outcome[i].verdict for i in ("early", "late")] == ["undetermined", "compliant"]
    assert dict(outcome["early"].findings)["gated"].missing == {"urgent"}
    # `b` started once `first` was met: it counts towards `second`; `c` lacks its capacity.
    second = dict(ref.judge(terms, ds).aggregates)["second from 2025-01-01"]
    assert (second.contributors, second.missing_quantity) == (("b", "c"), ("c",))
    # Without `b`, `first` is missed by its deadline: `late` needs `urgent` then.
    missed = dict(ref.judge(terms, [ds[0], ds[3]], dt.date(2027, 1, 1)).deployments)
    assert missed["late"].verdict == "undetermined"
    assert dict(missed["late"].findings)["gated"].missing == {"urgent"}
    lacking = [deployment(id="a", provider="P", start=dt.date(2025, 2, 1)), ds[3]]
    assert dict(dict(ref.judge(terms, lacking, dt.date(2027, 1, 1)).deployments)["late"]
                .findings)["gated"].missing == {"first", "urgent"}
    assert reference_differences(terms, lacking, dt.date(2027, 1, 1)) == []
