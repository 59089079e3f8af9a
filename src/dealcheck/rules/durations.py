"""Durations and date arithmetic: `for 3 years`, `start + 30 days`, `signed - 10 business days`.

One calendar for every place the language moves a date:

- `days` and `weeks` add 1 and 7 days;
- `months` and `years` move to the same day of the month that many months
  later; when that month is shorter (31 January + 1 month), the date is its
  last day (29 February 2024);
- `business days` count Monday to Friday only, with no holiday calendar:
  `+ 1 business day` from a Friday, a Saturday or a Sunday is the next
  Monday. `+ 0` of any unit is the date itself.

A window `from D for N UNIT` lasts until the day *before* the same date N
units later (`from 2021-03-26 for 3 years` ends on 2024-03-25); when that
month has no such day (`from 2024-01-31 for 1 month`) it ends on the
month's last day (2024-02-29), as a term measured in calendar months ends.

Arithmetic never fails: a date moved before 0001-01-01 or after 9999-12-31
stops there.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from dataclasses import dataclass


class TimeUnit(enum.StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"
    BUSINESS_DAYS = "business days"


#: How each unit is written for one of it (`1 day`) and for several (`3 days`).
_SINGULAR = {TimeUnit.DAYS: "day", TimeUnit.WEEKS: "week", TimeUnit.MONTHS: "month",
             TimeUnit.YEARS: "year", TimeUnit.BUSINESS_DAYS: "business day"}

#: The words a terms file may write for each unit, singular and plural.
UNIT_WORDS: dict[str, TimeUnit] = {
    **{u.value: u for u in TimeUnit}, **{w: u for u, w in _SINGULAR.items()}}

#: The largest count a duration may have: 10,000 years is beyond every calendar date.
MAX_COUNT = 3_660_000


@dataclass(frozen=True, slots=True)
class Duration:
    """`count` units of time, e.g. ``Duration(3, TimeUnit.YEARS)``."""

    count: int
    unit: TimeUnit

    def __str__(self) -> str:
        word = _SINGULAR[self.unit] if self.count == 1 else self.unit.value
        return f"{self.count} {word}"


def _add_months(day: dt.date, months: int) -> tuple[dt.date, bool]:
    """`day` moved by `months`, clamped to the month's end; True when it was clamped."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year < dt.MINYEAR:
        return dt.date.min, False
    if year > dt.MAXYEAR:
        return dt.date.max, False
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last)), day.day > last


def _add_days(day: dt.date, days: int) -> dt.date:
    ordinal = day.toordinal() + days
    if ordinal < 1:
        return dt.date.min
    if ordinal > dt.date.max.toordinal():
        return dt.date.max
    return dt.date.fromordinal(ordinal)


def _add_business_days(day: dt.date, count: int) -> dt.date:
    """`day` moved by `count` weekdays (Monday to Friday), without a holiday calendar."""
    if count == 0:
        return day
    step = 1 if count > 0 else -1
    weekday = day.weekday()  # Monday is 0
    # Move first to the last weekday at or before `day` (forwards) or at or after it
    # (backwards), so whole weeks of five then count from a weekday.
    if weekday > 4:
        anchor = _add_days(day, 4 - weekday) if step > 0 else _add_days(day, 7 - weekday)
        weekday = 4 if step > 0 else 0
    else:
        anchor = day
    weeks, rest = divmod(abs(count), 5)
    days = weeks * 7
    if step > 0:
        days += rest + (2 if weekday + rest > 4 else 0)
    else:
        days += rest + (2 if weekday - rest < 0 else 0)
    return _add_days(anchor, step * days)


def shift(day: dt.date, duration: Duration, sign: int = 1) -> dt.date:
    """`day + duration` (or `day - duration` when `sign` is -1)."""
    count = sign * duration.count
    match duration.unit:
        case TimeUnit.DAYS:
            return _add_days(day, count)
        case TimeUnit.WEEKS:
            return _add_days(day, 7 * count)
        case TimeUnit.MONTHS:
            return _add_months(day, count)[0]
        case TimeUnit.YEARS:
            return _add_months(day, 12 * count)[0]
        case TimeUnit.BUSINESS_DAYS:
            return _add_business_days(day, count)


def window_end(start: dt.date, duration: Duration) -> dt.date:
    """The last day of a window of `duration` from `start` (both inclusive).

    >>> window_end(dt.date(2021, 3, 26), Duration(3, TimeUnit.YEARS))
    datetime.date(2024, 3, 25)
    >>> window_end(dt.date(2024, 1, 31), Duration(1, TimeUnit.MONTHS))
    datetime.date(2024, 2, 29)
    >>> window_end(dt.date(2025, 1, 1), Duration(30, TimeUnit.DAYS))
    datetime.date(2025, 1, 30)
    """
    if duration.count == 0:
        return _add_days(start, -1)
    if duration.unit in (TimeUnit.MONTHS, TimeUnit.YEARS):
        months = duration.count * (12 if duration.unit is TimeUnit.YEARS else 1)
        end, clamped = _add_months(start, months)
        if clamped or end == dt.date.max:
            return end  # no such day that month: the term runs to the month's end
        return _add_days(end, -1)
    return _add_days(shift(start, duration), -1)
