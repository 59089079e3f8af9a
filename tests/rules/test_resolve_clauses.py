"""The clauses pass: the agreement's clauses, amendments, their versions and rules."""

from __future__ import annotations

import datetime as dt

from located import HEADER, errors, located

import dealcheck

CLAUSE = "clause c:\n  Acme runs api only on Azure\n"


def test_a_clause_defined_twice_points_at_the_first() -> None:
    [found] = errors(HEADER + CLAUSE + CLAUSE)
    assert (found.code, found.span.line, found.span.column, found.message) == (
        "DC103", 8, 8, "clause `c` is defined twice")
    assert [(r.span.line, r.span.column) for r in found.related] == [(6, 8)]


def test_an_invalid_effective_date() -> None:
    source = HEADER.replace("2025-01-01", "2025-02-30") + CLAUSE
    assert located(source) == [
        ("DC104", 1, 25, "invalid date `2025-02-30`: February 2025 has 28 days")]


def test_a_clause_before_the_agreement_and_a_window_ending_before_it_starts() -> None:
    source = HEADER + ("clause c from 2024-12-01:\n  Acme runs api only on Azure\n"
                       "clause d from 2025-03-01 through 2025-02-01:\n"
                       "  Acme runs api only on Azure\n")
    assert located(source) == [
        ("DC115", 6, 15, "clause `c` takes effect before the agreement"),
        ("DC105", 8, 34, "clause `d` ends before it starts")]


def test_amendments_declared_twice_and_out_of_date_order() -> None:
    source = HEADER + CLAUSE + ("amendment a effective 2025-06-01:\n  revoke c\n"
                                "amendment a effective 2025-05-01:\n  " + CLAUSE.replace(
                                    "clause c", "clause d").replace("\n  ", "\n    ")
                                + "amendment b effective 2024-01-01:\n  revoke d\n")
    assert located(source) == [
        ("DC102", 10, 11, "amendment `a` is declared twice"),
        ("DC114", 10, 23, "amendment `a` takes effect before the amendment above it"),
        ("DC114", 13, 23, "amendment `b` takes effect before the agreement"),
        ("DC114", 13, 23, "amendment `b` takes effect before the amendment above it")]


def test_a_clause_an_amendment_adds_before_its_date() -> None:
    source = HEADER + ("amendment a effective 2025-06-01:\n"
                       "  clause d from 2025-05-01:\n    Acme runs api only on Azure\n")
    assert located(source) == [("DC115", 7, 17, "clause `d` takes effect before amendment `a`")]


def test_revoking_what_is_not_there_or_no_longer_in_force() -> None:
    source = HEADER + CLAUSE + ("amendment a effective 2025-06-01:\n  revoke c, cc, unrelated\n"
                                "amendment b effective 2025-07-01:\n  revoke c\n")
    found = errors(source)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("DC101", 9, 13, "unknown clause `cc`"),
        ("DC101", 9, 17, "unknown clause `unrelated`"),
        ("DC110", 11, 10, "clause `c` is not in force on 2025-07-01")]
    assert [d.help for d in found] == [
        "did you mean `c`?", "only an existing clause can be revoked", "it was revoked by `a`"]


def test_a_change_on_the_first_day_of_the_calendar() -> None:
    source = HEADER.replace("2025-01-01", "0001-01-01") + CLAUSE + (
        "amendment a effective 0001-01-01:\n  revoke c\n")
    assert located(source) == [
        ("DC104", 9, 10, "clause `c` cannot be revoked on 0001-01-01: it would end the day "
         "before, and no date comes before it")]


def test_versions_end_the_day_before_the_amendment_and_replace_renews() -> None:
    source = HEADER + ("clause c through 2025-03-31:\n  Acme runs api only on Azure\n"
                       "amendment a effective 2025-06-01:\n  replace clause c:\n"
                       "    Acme runs api only in EU\n"
                       "amendment b effective 2025-09-01:\n  replace clause c:\n"
                       "    Acme runs api only in US\n")
    terms = dealcheck.loads(source, "t.deal")
    assert [(c.id, c.in_force_from, c.in_force_through, c.introduced_by)
            for c in terms.clauses] == [
        ("c", dt.date(2025, 1, 1), dt.date(2025, 3, 31), None),
        ("c", dt.date(2025, 6, 1), dt.date(2025, 8, 31), "a"),
        ("c", dt.date(2025, 9, 1), None, "b")]
    assert [(a.id, a.replaced) for a in terms.amendments] == [("a", ("c",)), ("b", ("c",))]


def test_aggregates_check_their_measure_limit_and_window() -> None:
    source = HEADER + (
        "clause t:\n  total spend of deployments by Acme is at most 5 USD\n"
        "clause u:\n  total value of deployments by Acme is at most 5 GW\n"
        "clause w:\n  total capacity of deployments by Acme starting from 2025-06-01 "
        "through 2025-05-01 reaches 5 GW\n")
    assert located(source) == [
        ("DC113", 7, 9, "cannot total `spend`"),
        ("DC106", 9, 51, "`value` is money, but `5 GW` is power"),
        ("DC105", 11, 74, "the window ends before it starts")]


def test_rules_resolve_their_scope_and_condition() -> None:
    source = HEADER + ("fact consent: bool\nclause c:\n"
                       "  Acme runs api only if consent and provider = Azur\n")
    assert located(source) == [("DC101", 8, 48, "unknown provider `Azur`")]
