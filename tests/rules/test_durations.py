"""Durations: the calendar arithmetic, clause windows written `for N UNIT`, and their mistakes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from located import HEADER, located

import dealcheck
from dealcheck.rules.durations import Duration, TimeUnit, shift, window_end

D = dt.date
DAYS, WEEKS, MONTHS, YEARS, BUSINESS = (TimeUnit.DAYS, TimeUnit.WEEKS, TimeUnit.MONTHS,
                                        TimeUnit.YEARS, TimeUnit.BUSINESS_DAYS)


@pytest.mark.parametrize(("start", "duration", "last"), [
    (D(2021, 3, 26), Duration(3, YEARS), D(2024, 3, 25)),      # the three-year term
    (D(2024, 1, 31), Duration(1, MONTHS), D(2024, 2, 29)),     # no 31 February: month's end
    (D(2023, 1, 31), Duration(1, MONTHS), D(2023, 2, 28)),
    (D(2024, 2, 29), Duration(1, YEARS), D(2025, 2, 28)),      # no 29 February next year
    (D(2024, 2, 29), Duration(4, YEARS), D(2028, 2, 28)),      # a leap day four years on
    (D(2024, 1, 15), Duration(1, MONTHS), D(2024, 2, 14)),
    (D(2024, 12, 31), Duration(2, MONTHS), D(2025, 2, 28)),
    (D(2025, 1, 1), Duration(30, DAYS), D(2025, 1, 30)),
    (D(2025, 1, 1), Duration(1, DAYS), D(2025, 1, 1)),          # one day: that day alone
    (D(2025, 1, 1), Duration(2, WEEKS), D(2025, 1, 14)),
    (D(2025, 3, 7), Duration(1, BUSINESS), D(2025, 3, 9)),      # Friday: through the weekend
    (D(9999, 6, 1), Duration(1, YEARS), D(9999, 12, 31)),       # the calendar's last day
])
def test_window_end(start: dt.date, duration: Duration, last: dt.date) -> None:
    assert window_end(start, duration) == last


@pytest.mark.parametrize(("day", "count", "moved"), [
    (D(2025, 3, 3), 10, D(2025, 3, 17)),     # Monday + 10 business days: two weeks on
    (D(2025, 3, 7), 1, D(2025, 3, 10)),      # Friday + 1: Monday
    (D(2025, 3, 8), 1, D(2025, 3, 10)),      # Saturday + 1: Monday
    (D(2025, 3, 9), 1, D(2025, 3, 10)),      # Sunday + 1: Monday
    (D(2025, 3, 8), 5, D(2025, 3, 14)),      # Saturday + 5: Friday
    (D(2025, 3, 10), -1, D(2025, 3, 7)),     # Monday - 1: Friday
    (D(2025, 3, 8), -1, D(2025, 3, 7)),      # Saturday - 1: Friday
    (D(2025, 3, 9), -6, D(2025, 2, 28)),     # Sunday - 6: the Friday a week before
    (D(2025, 3, 8), 0, D(2025, 3, 8)),       # + 0 is the day itself, even a Saturday
])
def test_business_days_skip_weekends_only(day: dt.date, count: int, moved: dt.date) -> None:
    assert shift(day, Duration(abs(count), BUSINESS), 1 if count >= 0 else -1) == moved


@given(st.dates(D(2000, 1, 1), D(2100, 1, 1)), st.integers(0, 60))
def test_business_days_count_weekdays_one_by_one(day: dt.date, count: int) -> None:
    moved = shift(day, Duration(count, BUSINESS))
    stepped, left = day, count
    while left:
        stepped += dt.timedelta(days=1)
        left -= stepped.weekday() < 5
    assert moved == stepped
    back = shift(day, Duration(count, BUSINESS), -1)
    stepped, left = day, count
    while left:
        stepped -= dt.timedelta(days=1)
        left -= stepped.weekday() < 5
    assert back == stepped


@pytest.mark.parametrize(("day", "duration", "sign", "moved"), [
    (D(2024, 1, 31), Duration(1, MONTHS), 1, D(2024, 2, 29)),
    (D(2024, 3, 31), Duration(1, MONTHS), -1, D(2024, 2, 29)),
    (D(2024, 2, 29), Duration(1, YEARS), 1, D(2025, 2, 28)),
    (D(9999, 12, 1), Duration(1, MONTHS), 1, D.max),            # stops at the calendar's end
    (D(1, 1, 5), Duration(10, DAYS), -1, D.min),
])
def test_months_and_years_keep_the_day_or_take_the_months_end(
        day: dt.date, duration: Duration, sign: int, moved: dt.date) -> None:
    assert shift(day, duration, sign) == moved


def test_a_duration_reads_as_written() -> None:
    assert str(Duration(1, BUSINESS)) == "1 business day"
    assert str(Duration(3, YEARS)) == "3 years"


# ---------------------------------------------------------------- clause windows

TERM = HEADER + """\
provider AWS operated by Beta
clause term from 2021-03-26 for 3 years:
  Acme runs api only on Azure
"""


def windows(source: str) -> list[tuple[str, str, str]]:
    terms = dealcheck.loads(source, "t.deal")
    return [(c.id, str(c.in_force_from), str(c.in_force_through)) for c in terms.clauses]


def test_a_clause_for_three_years_ends_the_day_before_the_anniversary() -> None:
    source = TERM.replace("effective 2025-01-01", "effective 2021-01-01")
    assert windows(source) == [("term", "2021-03-26", "2024-03-25")]
    terms = dealcheck.loads(source, "t.deal")
    report = terms.check([
        {"id": "last", "party": "Acme", "workload": "api", "provider": "AWS",
         "start": "2024-03-25"},
        {"id": "after", "party": "Acme", "workload": "api", "provider": "AWS",
         "start": "2024-03-26"}])
    assert str(report.verdict_of("last")) == "violation"
    assert report.result_of("after").not_covered


def test_for_alone_counts_from_the_agreement_or_the_amendment() -> None:
    source = HEADER + """\
clause base for 1 month:
  Acme runs api only on Azure
amendment a effective 2025-03-31:
  clause added for 1 month:
    Acme runs training only on Azure
"""
    assert windows(source) == [("base", "2025-01-01", "2025-01-31"),
                               ("added", "2025-03-31", "2025-04-30")]


def test_an_expired_term_is_renewed_for_a_new_term_from_the_amendment() -> None:
    source = TERM.replace("effective 2025-01-01", "effective 2021-01-01") + """\
amendment renewal effective 2024-06-01:
  replace clause term for 3 years:
    Acme runs api only on Azure
"""
    assert windows(source) == [("term", "2021-03-26", "2024-03-25"),
                               ("term", "2024-06-01", "2027-05-31")]


def test_a_term_in_force_is_replaced_by_a_shorter_one() -> None:
    source = TERM.replace("effective 2025-01-01", "effective 2021-01-01") + """\
amendment shorter effective 2022-01-01:
  replace clause term for 6 months:
    Acme runs api only on Azure
"""
    assert windows(source) == [("term", "2021-03-26", "2021-12-31"),
                               ("term", "2022-01-01", "2022-06-30")]


@pytest.mark.parametrize(("header", "expected"), [
    ("clause c through 2025-12-31 for 1 year:",
     ("DC120", 6, 33, "clause `c` has both `through` and `for`")),
    ("clause c for 1.5 years:", ("DC121", 6, 14, "a duration counts whole years, not `1.5`")),
    ("clause c for 2k days:", ("DC121", 6, 14, "a duration counts whole days, not `2k`")),
    ("clause c for 0 weeks:", ("DC121", 6, 14, "a clause cannot be in force for 0 weeks")),
    ("clause c for 0 years:", ("DC121", 6, 14, "a clause cannot be in force for 0 years")),
    ("clause c for 00 business days:",
     ("DC121", 6, 14, "a clause cannot be in force for 00 business days")),
    ("clause c for 99999999 years:", ("DC121", 6, 14, "`99999999 years` is too long")),
    ("clause c for " + "9" * 5000 + " days:",
     ("DC121", 6, 14, "`" + "9" * 19 + "… days` is too long")),
    ("clause c for " + "9" * 5000 + ".5 days:",
     ("DC121", 6, 14, "a duration counts whole days, not `" + "9" * 19 + "…`")),
])
def test_duration_mistakes_are_located(header: str,
                                       expected: tuple[str, int, int, str]) -> None:
    assert located(HEADER + header + "\n  Acme runs api only on Azure\n") == [expected]


def test_a_renewal_after_a_revocation_and_the_diagnostics_agree() -> None:
    """The loop of the issue: DC103 says `replace`, and `replace` of a lapsed term works."""
    again = TERM.replace("effective 2025-01-01", "effective 2021-01-01") + """\
amendment renewal effective 2029-01-01:
  clause term for 3 years:
    Acme runs api only on Azure
"""
    [(code, _, _, message)] = located(again)
    assert (code, message) == ("DC103", "clause `term` is defined twice")
    fixed = again.replace("  clause term for", "  replace clause term for")
    assert windows(fixed)[-1] == ("term", "2029-01-01", "2031-12-31")


def test_a_count_without_its_unit_asks_for_a_unit_of_time() -> None:
    diagnostics = dealcheck.analyze(HEADER + "clause c for 3:\n  Acme runs api only on Azure\n",
                                    "t.deal")[1]
    assert [(d.code, d.span.line, d.span.column, d.message, d.help) for d in diagnostics] == [
        ("DC001", 6, 15, "unexpected `:`",
         "expected a unit of time (`days`, `weeks`, `months`, `years`, `business days`)")]
