"""The vocabulary pass: parties, providers, workloads, regions, units and facts."""

from __future__ import annotations

from located import HEADER, errors, located

import dealcheck
from dealcheck.dsl.span import Span


def test_a_name_declared_twice_points_at_the_first() -> None:
    [found] = errors(HEADER + "workload api\n")
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC102", 6, 10, "workload `api` is declared twice")
    assert found.help == "remove one of the declarations"
    assert [(r.span.line, r.span.column, r.message) for r in found.related] == [
        (4, 10, "first declared here")]


def test_a_provider_declared_twice_points_at_the_first() -> None:
    [found] = errors(HEADER + "provider Azure operated by Beta\n")
    assert (found.code, found.span.line, found.span.column) == ("DC102", 6, 10)
    assert [(r.span.line, r.span.column) for r in found.related] == [(3, 10)]


def test_a_unit_defined_twice() -> None:
    assert located(HEADER + "unit tokens\nunit tokens\nunit USD\n") == [
        ("DC102", 7, 6, "unit `tokens` is already defined"),
        ("DC102", 8, 6, "unit `USD` is already defined")]


def test_facts_are_checked_after_every_unit_is_declared() -> None:
    terms = dealcheck.loads(HEADER + "fact budget: number tokens\nunit tokens\n", "t.deal")
    assert terms.vocabulary.facts["budget"].type.unit == "tokens"


def test_a_fact_with_the_name_of_a_deployment_field() -> None:
    assert located(HEADER + "fact provider: bool\n") == [
        ("DC102", 6, 6, "fact `provider` has the name of a deployment field")]


def test_an_enumeration_listing_a_member_twice() -> None:
    assert located(HEADER + "fact tier: one of gold, silver, gold\n") == [
        ("DC102", 6, 33, "`gold` is listed twice")]


def test_a_fact_of_an_unknown_unit_is_reported_once() -> None:
    source = HEADER + ("fact budget: number tokns\nunit tokens\n"
                       "clause c:\n  Acme runs api only if budget >= 5 tokens\n")
    [found] = errors(source)
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC107", 6, 21, "unknown unit `tokns`")
    assert found.help == "did you mean `tokens`?"


def test_an_operator_that_is_not_a_party() -> None:
    assert located(HEADER + "provider AWS operated by Bta\n") == [
        ("DC101", 6, 26, "unknown party `Bta`")]


def test_an_operator_that_is_a_group_is_known_once_groups_are() -> None:
    source = HEADER + "provider AWS operated by clouds\nprovider group clouds = Azure\n"
    assert located(source) == [("DC117", 6, 26, "`clouds` is a provider group, not a party")]


def test_a_name_of_two_kinds_is_named_by_the_first_kind_looked_up() -> None:
    source = HEADER + "workload EU\nclause c:\n  Acme runs api only on EU\n"
    assert located(source) == [("DC117", 8, 25, "`EU` is a region, not a provider")]


def test_declarations_keep_their_spans() -> None:
    terms = dealcheck.loads(HEADER + "unit tokens\n", "t.deal")
    spans: dict[str, Span] = terms.vocabulary.parties
    assert [(n, s.line, s.column) for n, s in spans.items()] == [("Acme", 2, 7), ("Beta", 2, 13)]
    assert terms.vocabulary.declared_units["tokens"].line == 6
