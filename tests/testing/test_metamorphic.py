"""Metamorphic properties: how verdicts must (not) change when the input changes.

- adding a permission never makes a deployment's verdict worse;
- learning a fact (or an absent field) never flips a decided verdict, of a
  deployment or of an aggregate: it can only decide an undetermined one;
- facts of the whole check are every deployment's that does not give its own;
- permuting the deployments, or the clauses, changes nothing;
- the JSON report round-trips through its model, and validates against its schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import outcome_of

import dealcheck
from dealcheck.dsl import ast
from dealcheck.dsl.format import format_document
from dealcheck.report.model import ReportDocument, report_json_schema
from dealcheck.rules import model as m
from dealcheck.testing import _documents, fact_values, scenarios
from hypothesis_profiles import examples

# Hundreds of drawn terms and scenarios per property: the slow tier.
pytestmark = pytest.mark.slow

RANK = {"compliant": 0, "undetermined": 1, "violation": 2}
DECIDED_AGGREGATE = {"compliant", "violation", "open"}


@st.composite
def plans_and_terms(draw: st.DrawFn) -> tuple[_documents.TermsPlan, m.Terms]:
    plan = draw(_documents.terms_plans())
    return plan, dealcheck.loads(format_document(plan.document()), "t.deal")


def as_of_dates(terms: m.Terms, ds: list[dealcheck.Deployment]
                ) -> st.SearchStrategy[dt.date | None]:
    return st.none() | st.sampled_from(sorted({d.start for d in ds} | {terms.effective}))


# ---------------------------------------------------------------- adding a permission


def restriction_ids(terms: m.Terms) -> list[str]:
    """Clauses every version of which is a restriction in force on or after the agreement."""
    ids = list(dict.fromkeys(c.id for c in terms.clauses))
    return [i for i in ids
            if all(c.kind.is_restriction for c in terms.clauses if c.id == i)
            and any(c.in_force_through is None or c.in_force_through >= terms.effective
                    for c in terms.clauses if c.id == i)]


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_adding_a_permission_never_makes_a_verdict_worse(data: st.DataObject) -> None:
    plan, before = data.draw(plans_and_terms(), label="terms")
    targets = restriction_ids(before)
    assume(targets)
    named = data.draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True),
                      label="notwithstanding")
    pattern = data.draw(_documents.patterns(plan.vocab, plan.effective), label="scope")
    permission = ast.Clause(ast.Name("added"), None, None, None,
                            tuple(ast.Name(n) for n in named), (), ast.Permission(pattern))
    widened = dataclasses.replace(plan, extra=[permission])
    after = dealcheck.loads(format_document(widened.document()), "t.deal")
    ds = data.draw(scenarios(before, max_size=6), label="deployments")
    as_of = data.draw(as_of_dates(before, ds), label="as_of")
    old, new = before.check(ds, as_of), after.check(ds, as_of)
    for was, now in zip(old.deployments, new.deployments, strict=True):
        assert RANK[str(now.verdict)] <= RANK[str(was.verdict)], (was, now)
    assert outcome_of(old).aggregates == outcome_of(new).aggregates


# ---------------------------------------------------------------- learning a fact


def learn(d: dealcheck.Deployment, known: dealcheck.Deployment, what: str
          ) -> dealcheck.Deployment:
    """`d` with one absent fact or field (`what`) taken from `known`."""
    if what in ("region", "end", "capacity", "value"):
        return dataclasses.replace(d, **{what: getattr(known, what)})
    return dataclasses.replace(d, facts={**d.facts, what: known.facts[what]})


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_learning_a_fact_never_flips_a_decided_verdict(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(_documents.terms_plans().map(
        lambda p: format_document(p.document())), label="terms"), "t.deal")
    ds = data.draw(scenarios(terms, min_size=1, max_size=5), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    index = data.draw(st.integers(0, len(ds) - 1), label="which deployment")
    d = ds[index]
    absent = [f for f in terms.vocabulary.facts if f not in d.facts]
    absent += [f for f in ("region", "end", "capacity", "value") if getattr(d, f) is None]
    if not terms.vocabulary.regions and "region" in absent:
        absent.remove("region")
    assume(absent)
    what = data.draw(st.sampled_from(absent), label="learnt")
    known = data.draw(scenarios(terms, min_size=1, max_size=1, start=d.start,
                                facts=fact_values(terms, complete=True)).filter(
        lambda ks: getattr(ks[0], what, "fact") is not None), label="its value")[0]
    learnt = [learn(x, known, what) if i == index else x for i, x in enumerate(ds)]
    old, new = terms.check(ds, as_of), terms.check(learnt, as_of)
    for was, now in zip(old.deployments, new.deployments, strict=True):
        if was.verdict != "undetermined":
            assert now.verdict == was.verdict, (what, was, now)
    for was_a, now_a in zip(old.aggregates, new.aggregates, strict=True):
        if str(was_a.verdict) in DECIDED_AGGREGATE:
            assert now_a.verdict == was_a.verdict, (what, was_a, now_a)


# ---------------------------------------------------------------- facts of the whole check


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_facts_of_the_whole_check_are_each_deployments_unless_it_has_its_own(
        data: st.DataObject) -> None:
    """`terms.check(ds, facts=F)` judges as if every deployment held F under its own facts."""
    terms = dealcheck.loads(data.draw(_documents.terms_plans().map(
        lambda p: format_document(p.document())), label="terms"), "t.deal")
    assume(terms.vocabulary.facts)
    ds = data.draw(scenarios(terms, max_size=5), label="deployments")
    world = data.draw(fact_values(terms), label="facts")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    given_ = terms.check(ds, as_of, facts=world)
    merged = [dataclasses.replace(d, facts={**world, **d.facts}) for d in ds]
    assert outcome_of(given_) == outcome_of(terms.check(merged, as_of))
    assert given_.facts == {name: value if isinstance(value, bool)
                            else value.isoformat() if isinstance(value, dt.date) else str(value)
                            for name, value in world.items()}


# ---------------------------------------------------------------- permutations


def unordered(outcome: object) -> object:
    """An outcome with the order of aggregate contributors (input order) forgotten."""
    assert hasattr(outcome, "deployments") and hasattr(outcome, "aggregates")
    deployments = dict(outcome.deployments)
    aggregates = {k: dataclasses.replace(
        a, contributors=tuple(sorted(a.contributors)),
        missing_quantity=tuple(sorted(a.missing_quantity)),
        unknown_scope=tuple(sorted(a.unknown_scope))) for k, a in outcome.aggregates}
    return deployments, aggregates


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_permuting_deployments_changes_nothing(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(_documents.terms_plans().map(
        lambda p: format_document(p.document())), label="terms"), "t.deal")
    ds = data.draw(scenarios(terms, max_size=6), label="deployments")
    shuffled = data.draw(st.permutations(ds), label="permuted")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    assert unordered(outcome_of(terms.check(ds, as_of))) == \
        unordered(outcome_of(terms.check(shuffled, as_of)))


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_permuting_clauses_changes_nothing(data: st.DataObject) -> None:
    plan, terms = data.draw(plans_and_terms(), label="terms")
    order = data.draw(st.permutations(range(len(plan.base))), label="clause order")
    amendment_orders = [data.draw(st.permutations(range(len(a.items))), label=f"{a.id} order")
                        for a in plan.amendments]
    permuted = dealcheck.loads(
        format_document(plan.permuted(order, amendment_orders).document()), "t.deal")
    ds = data.draw(scenarios(terms, max_size=6), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    assert outcome_of(terms.check(ds, as_of)) == outcome_of(permuted.check(ds, as_of))


# ---------------------------------------------------------------- the JSON report

SCHEMA = report_json_schema()


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_the_json_report_round_trips_through_its_model(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(_documents.terms_plans().map(
        lambda p: format_document(p.document())), label="terms"), "t.deal")
    ds = data.draw(scenarios(terms, max_size=5), label="deployments")
    as_of = data.draw(as_of_dates(terms, ds), label="as_of")
    report = terms.check(ds, as_of)
    text = report.to_json()
    document = ReportDocument.from_json(text)
    assert document.to_json() == text
    assert document.to_report() == report
    jsonschema.validate(document.model_dump(mode="json"), SCHEMA)
