"""Periods of a per-period aggregate: calendar years, quarters, contract years.

A per-period cap or commitment applies its limit to the deployments that
start in each period separately. A contract year counts from the clause's own
start (the later of the day its version takes effect and its `starting
from`): from 2024-02-29 the next contract year starts on 2025-02-28, the
last day of February when the month has no 29th.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

#: The periods an aggregate may be judged per, as written after `per`.
PERIODS = ("calendar year", "quarter", "contract year")


def _add_years(day: dt.date, years: int) -> dt.date:
    """`day` moved by whole years, on the month's last day when it has no such day."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def period_start(kind: str, first: dt.date, day: dt.date) -> dt.date:
    """The first day of the period of kind `kind` that holds `day` (`first`: the clause's start).

    >>> period_start("quarter", dt.date(2025, 1, 1), dt.date(2025, 8, 9))
    datetime.date(2025, 7, 1)
    >>> period_start("contract year", dt.date(2024, 2, 29), dt.date(2025, 3, 1))
    datetime.date(2025, 2, 28)
    """
    if kind == "calendar year":
        return dt.date(day.year, 1, 1)
    if kind == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    years = day.year - first.year
    start = _add_years(first, years)
    while start > day:
        years -= 1
        start = _add_years(first, years)
    return start


def next_start(kind: str, first: dt.date, start: dt.date) -> dt.date | None:
    """The first day of the period after the one starting on `start` (None past year 9999)."""
    try:
        if kind == "calendar year":
            return dt.date(start.year + 1, 1, 1)
        if kind == "quarter":
            return (dt.date(start.year + 1, 1, 1) if start.month == 10
                    else dt.date(start.year, start.month + 3, 1))
        years = start.year - first.year
        if _add_years(first, years) > start:
            years -= 1
        return _add_years(first, years + 1)
    except ValueError:
        return None


def spans(kind: str, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """Each period from the one holding `first` through the one holding `last`, clipped to them.

    >>> list(spans("calendar year", dt.date(2025, 3, 26), dt.date(2026, 2, 1)))
    [(datetime.date(2025, 3, 26), datetime.date(2025, 12, 31)), \
(datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))]
    """
    start: dt.date | None = period_start(kind, first, first)
    while start is not None and start <= last:
        after = next_start(kind, first, start)
        through = dt.date.max if after is None else after - dt.timedelta(days=1)
        yield max(start, first), min(through, last)
        start = after


def label(kind: str, start: dt.date, through: dt.date) -> str:
    """How a message names a period: ``2025``, ``2025-Q3``, ``2025-03-26–2026-03-25``."""
    if kind == "calendar year":
        return str(start.year)
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.isoformat()}–{through.isoformat()}"
