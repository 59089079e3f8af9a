"""ISO dates as dealcheck reads them: in terms files, scenarios and `--as-of` alike."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

#: `YYYY-MM-DD` in ASCII digits only (`\d` would take any script's digits).
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True, slots=True)
class DateProblem:
    """Why a text is not a date: `malformed` when it is not even shaped `YYYY-MM-DD`."""

    malformed: bool
    reason: str


def read_date(text: str) -> dt.date | DateProblem:
    """The date `text` writes, or why it writes none.

    >>> read_date("2025-03-10")
    datetime.date(2025, 3, 10)
    >>> read_date("2025-02-30").reason
    'February 2025 has 28 days'
    >>> read_date("10/03/2025").malformed
    True
    """
    match = ISO_DATE.fullmatch(text)
    if not match:
        return DateProblem(True, "dates are written `YYYY-MM-DD`")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return DateProblem(False, f"there is no month {month}")
    days = calendar.monthrange(year, month)[1] if year >= dt.MINYEAR else 31
    if not 1 <= day <= days:
        return DateProblem(False, f"{MONTHS[month]} {year} has {days} days")
    if year < dt.MINYEAR:
        return DateProblem(False, "year 0 is out of range")
    return dt.date(year, month, day)
