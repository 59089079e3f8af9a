"""The exceptions pass: permissions, the clauses they override, and cycles among them."""

from __future__ import annotations

from located import HEADER, errors, located

import dealcheck
from dealcheck.rules.resolve.exceptions import find_cycle

RESTRICTION = "clause only_azure:\n  Acme runs api only on Azure\n"


def test_an_exception_overrides_what_it_names() -> None:
    source = HEADER + RESTRICTION + (
        "clause open notwithstanding only_azure:\n  Acme may run api on any provider\n")
    terms = dealcheck.loads(source, "t.deal")
    assert [(c.id, c.overrides) for c in terms.clauses] == [
        ("only_azure", ()), ("open", ("only_azure",))]


def test_notwithstanding_on_a_restriction() -> None:
    source = HEADER + RESTRICTION + (
        "clause other notwithstanding only_azure:\n  Acme runs training only on Azure\n")
    assert located(source) == [("DC111", 8, 30, "clause `other` is not a permission")]


def test_a_permission_that_does_not_say_what_it_lifts() -> None:
    [found] = errors(HEADER + RESTRICTION + "clause open:\n  Acme may run api on any provider\n")
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC111", 8, 8, "permission `open` does not say what it is an exception to")
    assert found.help is not None
    assert found.help.startswith("add `notwithstanding only_azure` (or the clause it lifts)")


def test_targets_that_are_itself_unknown_or_an_aggregate() -> None:
    source = HEADER + RESTRICTION + (
        "clause cap:\n  total value of deployments by Acme is at most 5 USD\n"
        "clause open notwithstanding open, only_azur, cap:\n"
        "  Acme may run api on any provider\n")
    found = errors(source)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("DC112", 10, 29, "clause `open` is an exception to itself"),
        ("DC101", 10, 35, "unknown clause `only_azur`"),
        ("DC111", 10, 46, "`cap` is a cap")]
    assert found[1].help == "did you mean `only_azure`?"


def test_a_target_never_in_force_while_the_permission_is() -> None:
    source = HEADER + ("clause old through 2025-03-31:\n  Acme runs api only on Azure\n"
                       "clause open from 2025-06-01 notwithstanding old:\n"
                       "  Acme may run api on any provider\n")
    [found] = errors(source)
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC109", 8, 45, "clause `old` is never in force while `open` is")
    assert found.help == ("`old` is in force from 2025-01-01 through 2025-03-31; "
                          "`open` from 2025-06-01")


def test_a_cycle_of_exceptions_is_reported_once_at_its_first_clause() -> None:
    source = HEADER + RESTRICTION + (
        "clause b notwithstanding a:\n  Acme may run api on any provider\n"
        "clause a notwithstanding b:\n  Acme may run api on any provider\n")
    assert located(source) == [
        ("DC112", 10, 8, "exceptions override each other in a cycle: `a` → `b` → `a`")]


def test_find_cycle_follows_names_in_order() -> None:
    graph = {"a": {"c", "b"}, "b": {"a"}, "c": {"c"}}
    assert find_cycle(graph, "a") == ["a", "b"]
    assert find_cycle({"a": {"b"}, "b": set()}, "a") is None
