"""Durations as written: `for 3 years` on a clause, `+ 30 days` in a date expression (DC120, DC121).

A duration is a whole number of days, weeks, months, years or business days;
`rules.durations` does the arithmetic.
"""

from __future__ import annotations

import datetime as dt

from dealcheck.dsl import ast
from dealcheck.rules.durations import MAX_COUNT, UNIT_WORDS, Duration, window_end
from dealcheck.rules.resolve.context import Context


def duration(ctx: Context, lit: ast.DurationLit, allow_zero: bool = True) -> Duration | None:
    """The duration written at `lit` (DC121 when its count is not a whole number in range)."""
    unit = UNIT_WORDS[lit.unit]
    text = lit.count.replace("_", "")
    shown = lit.count if len(lit.count) <= 20 else lit.count[:19] + "…"
    if not text.isdigit():
        ctx.err("DC121", f"a duration counts whole {unit.value}, not `{shown}`", lit.span,
                f"write a whole number, e.g. `{Duration(_whole(text), unit)}`")
        return None
    count = int(text) if len(text) <= len(str(MAX_COUNT)) else MAX_COUNT + 1
    if count > MAX_COUNT:
        ctx.err("DC121", f"`{shown} {lit.unit}` is too long", lit.span,
                f"write at most {MAX_COUNT} {unit.value}")
        return None
    if count == 0 and not allow_zero:
        ctx.err("DC121", f"a clause cannot be in force for {shown} {lit.unit}", lit.span,
                f"write a duration of at least 1, e.g. `{Duration(1, unit)}`")
        return None
    return Duration(count, unit)


def _whole(text: str) -> int:
    """The whole part of a count written with decimals or a multiplier, at least 1."""
    digits = text.split(".")[0].rstrip("kMBT")
    if not digits.isdigit() or len(digits) > len(str(MAX_COUNT)):
        return 1
    return max(1, min(int(digits), MAX_COUNT))


def clause_through(ctx: Context, c: ast.Clause, begin: dt.date | None) -> dt.date | None:
    """The last day of a clause written `for N UNIT`: N units from `begin`, less a day.

    `for` and `through` together are an error (DC120): the clause would end twice.
    """
    assert c.duration is not None  # INVARIANT: called for `for` clauses only
    if c.through_date is not None:
        ctx.err("DC120", f"clause `{c.id.value}` has both `through` and `for`",
                c.duration.span,
                f"keep one end: remove `for {c.duration.count} {c.duration.unit}` "
                f"or `through {c.through_date.text}`")
        return None
    found = duration(ctx, c.duration, allow_zero=False)
    if found is None or begin is None:
        return None
    return window_end(begin, found)
