"""The public strategies of `dealcheck.testing`: valid draws, fixed fields, eager errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from oracles import MICROSOFT_OPENAI

import dealcheck
from dealcheck.dsl.format import format_source
from dealcheck.rules.units import Quantity
from dealcheck.scenario.read import load_scenario, parse_deployments
from dealcheck.testing import (
    FIELDS,
    _documents,
    deployments,
    fact_values,
    resolved_terms,
    scenario_document,
    scenarios,
    terms_sources,
)
from helpers import grammar_keywords
from hypothesis_profiles import examples

TERMS = dealcheck.load(MICROSOFT_OPENAI)


# ---------------------------------------------------------------- terms files


def test_the_name_pools_hold_no_keyword() -> None:
    keywords = grammar_keywords()
    pools = [_documents.PARTY_POOL, _documents.PROVIDER_POOL,
             _documents.PROVIDER_GROUP_POOL, _documents.WORKLOAD_POOL,
             _documents.WORKLOAD_GROUP_POOL, _documents.REGION_POOL,
             _documents.REGION_GROUP_POOL, _documents.UNIT_POOL, _documents.ENUM_MEMBERS,
             tuple(f.name for f in _documents.FACT_POOL)]
    names = [n for pool in pools for n in pool]
    assert not set(names) & keywords
    assert len(names) == len(set(names)), "pools of different kinds must not share a name"


@pytest.mark.slow
def test_generated_terms_use_provider_groups_in_clauses() -> None:
    def uses_a_provider_group(source: str) -> bool:
        groups = [line.split()[2] for line in source.splitlines()
                  if line.startswith("provider group ")]
        clauses = [line for line in source.splitlines() if line.startswith("  ")]
        return any(f" {g}" in line for g in groups for line in clauses)

    # Generation only: shrinking the terms found can take minutes, and any will do.
    source = find(terms_sources(), uses_a_provider_group,
                  settings=settings(database=None, deadline=None, max_examples=2000,
                                    phases=[Phase.generate]))
    terms = dealcheck.loads(source, "t.deal")
    assert terms.vocabulary.provider_groups


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(terms_sources())
def test_terms_sources_are_valid_and_canonical(text: str) -> None:
    terms, diagnostics = dealcheck.analyze(text, "t.deal")
    assert terms is not None, diagnostics
    assert not [d for d in diagnostics if d.severity == "error"]
    assert format_source(text) == text


@settings(max_examples=examples(50), deadline=None)
@given(resolved_terms(min_clauses=0, max_clauses=2, max_amendments=0))
def test_resolved_terms_respect_their_sizes(terms: dealcheck.Terms) -> None:
    assert len(terms.clauses) <= 2
    assert not terms.amendments


# ---------------------------------------------------------------- deployments


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_deployments_are_valid_for_their_terms(data: st.DataObject) -> None:
    terms = dealcheck.loads(data.draw(terms_sources()), "t.deal")
    d = data.draw(deployments(terms))
    assert parse_deployments([d], terms.vocabulary) == [d]
    report = terms.check([d])
    assert report.result_of(d.id).evaluated_on == d.start


@settings(max_examples=examples(200), deadline=None)
@given(deployments(TERMS, workload="api", provider=st.sampled_from(["AWS", "GCP"]),
                   start=dt.date(2025, 11, 3), region=None,
                   facts=fact_values(TERMS, customer="commercial")))
def test_fixed_fields_are_kept(d: dealcheck.Deployment) -> None:
    assert (d.workload, d.start, d.region) == ("api", dt.date(2025, 11, 3), None)
    assert d.provider in ("AWS", "GCP")
    assert d.facts["customer"] == "commercial"


@settings(max_examples=examples(200), deadline=None)
@given(deployments(TERMS, party="OpenAI", capacity="1.2 GW", end="2025-01-01"))
def test_fixed_values_are_converted(d: dealcheck.Deployment) -> None:
    assert d.capacity == Quantity(dealcheck_amount("1.2 GW"), "power")
    assert d.end == dt.date(2025, 1, 1)
    assert d.start <= d.end


def dealcheck_amount(text: str) -> object:
    return TERMS.vocabulary.units.parse(text).amount


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(scenarios(TERMS, min_size=2, max_size=5, party="OpenAI"))
def test_scenarios_have_unique_ids_and_sizes(ds: list[dealcheck.Deployment]) -> None:
    assert 2 <= len(ds) <= 5
    assert len({d.id for d in ds}) == len(ds)
    assert all(d.party == "OpenAI" for d in ds)
    for d in ds:
        for quantity, dimensions in ((d.capacity, ("power", "count")), (d.value, ("money",))):
            assert quantity is None or quantity.dimension in dimensions


@settings(max_examples=examples(200), deadline=None)
@given(fact_values(TERMS, complete=True, rofr_declined=None,
                   microsoft_consent=st.sampled_from([True, None])))
def test_fact_values_complete_and_fixed(facts: dict[str, object]) -> None:
    declared = set(TERMS.vocabulary.facts)
    assert "rofr_declined" not in facts
    assert set(facts) | {"rofr_declined", "microsoft_consent"} == declared
    assert facts.get("microsoft_consent", True) is True


def test_deployments_meet_the_edges_of_the_terms() -> None:
    # Dates land on clause boundaries, and every verdict comes out, with enough draws.
    seen: set[tuple[str, bool]] = set()
    edges = {dt.date(2025, 1, 20), dt.date(2025, 1, 21), dt.date(2025, 10, 27),
             dt.date(2025, 10, 28), dt.date(2026, 4, 26), dt.date(2026, 4, 27)}
    hit: set[dt.date] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(deployments(TERMS))
    def observe(d: dealcheck.Deployment) -> None:
        r = TERMS.check([d]).result_of(d.id)
        seen.add((str(r.verdict), r.not_covered))
        hit.add(d.start)

    observe()
    assert {v for v, _ in seen} == {"compliant", "violation", "undetermined"}
    assert ("compliant", True) in seen
    assert hit & edges


# ---------------------------------------------------------------- scenario files


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(scenarios(TERMS, max_size=4))
def test_scenario_documents_read_back(tmp_path_factory: pytest.TempPathFactory,
                                      ds: list[dealcheck.Deployment]) -> None:
    path = tmp_path_factory.mktemp("s") / "scenario.json"
    path.write_text(json.dumps(scenario_document(ds, name="drawn")), encoding="utf-8")
    scenario = load_scenario(path, TERMS.vocabulary)
    assert scenario.name == "drawn"
    assert list(scenario.deployments) == ds


# ---------------------------------------------------------------- eager errors


@pytest.mark.parametrize(("call", "message"), [
    (lambda: deployments("terms.deal"), "expects terms loaded with"),
    (lambda: deployments(TERMS, provder="AWS"), "did you mean 'provider'"),
    (lambda: deployments(TERMS, provider="Azur"), "did you mean 'Azure'"),
    (lambda: deployments(TERMS, workload="api_products"), "not a workload of the terms"),
    (lambda: deployments(TERMS, start="2025-02-30"), "not an ISO date"),
    (lambda: deployments(TERMS, start=20250101), "must be a date"),
    (lambda: deployments(TERMS, start="2025-03-01", end="2025-02-01"), "is before start"),
    (lambda: deployments(TERMS, value="5 GW"), "quantity of money"),
    (lambda: deployments(TERMS, capacity="lots"), "malformed quantity"),
    (lambda: deployments(TERMS, facts={"rofr": True}), "did you mean 'rofr_declined'"),
    (lambda: deployments(TERMS, facts={"customer": "government"}), "must be one of"),
    (lambda: deployments(TERMS, facts=["customer"]), "must be a mapping"),
    (lambda: fact_values(TERMS, rofr_declined="yes"), "must be True or False"),
    (lambda: fact_values(TERMS, custmer="commercial"), "did you mean 'customer'"),
    (lambda: fact_values(TERMS, complete="yes"), "complete="),
    (lambda: scenarios(TERMS, min_size=3, max_size=2), "larger than max_size"),
    (lambda: scenarios(TERMS, max_size=-1), "at least 0"),
    (lambda: scenarios(TERMS, id="x"), "assigns unique ids"),
    (lambda: terms_sources(max_clauses="6"), "must be an integer"),
    (lambda: terms_sources(min_clauses=4, max_clauses=2), "larger than max_clauses"),
])
def test_wrong_arguments_fail_at_once(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(")):
        call()  # type: ignore[operator]


def test_a_wrong_value_from_a_fixing_strategy_fails_when_drawn() -> None:
    strategy = deployments(TERMS, party=st.just("Microsft"))

    @settings(max_examples=1, database=None)
    @given(strategy)
    def draw(d: dealcheck.Deployment) -> None:
        raise AssertionError("unreachable")  # pragma: no cover

    with pytest.raises(InvalidArgument, match="did you mean 'Microsoft'"):
        draw()


def test_fields_are_documented() -> None:
    assert set(FIELDS) == {"id", "party", "workload", "provider", "region", "start", "end",
                           "capacity", "value", "facts"}


# ---------------------------------------------------------------- a light core import


def test_importing_dealcheck_imports_neither_hypothesis_nor_pytest() -> None:
    code = ("import sys, dealcheck, dealcheck.testing; "
            "print(sorted(m for m in ('hypothesis', 'pytest') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent)
    assert out.stdout.strip() == "[]"


UNITS = dealcheck.loads("""\
agreement "Units" effective 2025-01-01
party A
provider P operated by A
workload w
unit TPU
fact draw: number MW
fact share: number
fact pods: number TPU
""")


@pytest.mark.parametrize(("fixed", "amount", "dimension"), [
    ({"draw": 300}, 300_000_000, "power"),            # a bare number is in the fact's unit
    ({"draw": "1.2 GW"}, 1_200_000_000, "power"),
    ({"share": "2.5"}, 2.5, ""),
    ({"pods": 16}, 16, "TPU"),
])
def test_number_facts_take_their_declared_unit(fixed: dict[str, object], amount: float,
                                               dimension: str) -> None:
    name = next(iter(fixed))

    @settings(max_examples=5, database=None)
    @given(fact_values(UNITS, **fixed))
    def check(facts: dict[str, object]) -> None:
        value = facts[name]
        assert isinstance(value, Quantity)
        assert (float(value.amount), value.dimension) == (amount, dimension)

    check()


def test_a_number_fact_in_the_wrong_dimension_fails_at_once() -> None:
    with pytest.raises(InvalidArgument, match="quantity of power"):
        fact_values(UNITS, draw="5 USD")
