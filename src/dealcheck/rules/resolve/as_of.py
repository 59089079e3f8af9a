"""Dates as written: a date in a terms file, and the evaluation date of a check."""

from __future__ import annotations

import datetime as dt

from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.rules.dates import ISO_DATE, read_date

#: The code of the diagnostic for an evaluation date (`as_of`, `--as-of`) that is not a date.
INVALID_AS_OF = "DC910"

def parse_date(text: str) -> dt.date | str:
    """An ISO date, or a message explaining why it is not one.

    >>> parse_date("2025-02-30")
    'invalid date `2025-02-30`: February 2025 has 28 days'
    """
    found = read_date(text)
    if isinstance(found, dt.date):
        return found
    return f"{'malformed' if found.malformed else 'invalid'} date `{text}`: {found.reason}"


def parse_as_of(value: object, where: str = "as_of") -> dt.date | None:
    """The evaluation date of a check: None, a `date`, ISO text ``YYYY-MM-DD``, or ``today``.

    The one reading of it, for the library (``terms.check(..., as_of=...)``)
    and the CLI (``--as-of``) alike, so that both accept exactly the same dates.

    Raises:
        DiagnosticsError: (DC910) located at `where`, the value's own text as its source.

    >>> parse_as_of("2025-03-10")
    datetime.date(2025, 3, 10)
    """
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if value == "today":  # the one use of the clock: the day the check runs
        return dt.date.today()
    example = "write the date as YYYY-MM-DD, e.g. `2025-03-10`, or `today`"
    if isinstance(value, dt.datetime):
        problem, hint = f"must be a date, found a date and time `{value}`", \
            f"drop the time: `{value.date()}`"
    elif isinstance(value, str):
        parsed = parse_date(value)
        if isinstance(parsed, dt.date):
            return parsed
        if ISO_DATE.fullmatch(value):  # a date that does not exist: the message says why
            problem, hint = parsed.replace(f"`{value}`: ", f"`{value}` in `{where}`: ", 1), None
        else:
            problem, hint = f"malformed date {_shown(value)} in `{where}`", example
        if value.isprintable():
            span = Span(where, 0, len(value), 1, 1, 1, len(value) + 1)
            raise DiagnosticsError([error(INVALID_AS_OF, problem, span, hint)], {where: value})
    else:
        problem, hint = f"must be a date, found {_shown(value)} of type " \
            f"`{type(value).__name__}`", example
    if not problem.startswith(("malformed", "invalid")):
        problem = f"`{where}` {problem}"
    raise DiagnosticsError([error(INVALID_AS_OF, problem, Span.point(where, 1, 1), hint)])


def _shown(value: object) -> str:
    """A value for a message: in backticks, escaped, cut when long."""
    from dealcheck.scenario.tree import code

    return code(value if isinstance(value, str) else repr(value))
