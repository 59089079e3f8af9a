"""Fixes of aggregates: what would make a violated cap, commitment, period or share comply.

A fix names an amount in the unit of the clause (``reduce the total value by
3B USD``, ``add 2 GW by 2025-12-31``, ``add 2 deployment(s)``): the least
change of the total that makes the verdict `compliant`. For a strict limit
(``is less than``, ``exceeds``) an amount must go *beyond* it (``by more than
…``); a number of deployments then counts one more. A commitment that is
``in addition to`` another is met by what that other does not also count. A
share is met by moving an amount between the part and the rest of the
whole (the whole stays as it is). A cap or commitment that is
undetermined has a fix too, which settles it whatever the unknowns turn
out to be: a cap's reduction takes off what may count as well. An
undetermined share has none: the quantities and deployments its message
names decide it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from dealcheck.rules import model as m
from dealcheck.rules.units import format_amount

__all__ = ["cap_fix", "commitment_fix", "period_within", "share_fix"]


def _amount(rule: m.Aggregate, amount: Decimal, dimension: str) -> str:
    if rule.counted:
        return f"{amount} deployment(s)"
    return format_amount(amount, dimension, exact=True)


def _what(rule: m.Aggregate) -> str:
    return "number of deployments" if rule.counted else f"total {rule.measure}"


def _change(rule: m.Aggregate, gap: Decimal) -> tuple[str, Decimal]:
    """``by``/``by more than`` and the amount: a count one beyond a strict limit."""
    if not rule.strict:
        return "", gap
    if rule.counted:
        return "", gap + 1
    return "more than ", gap


def cap_fix(rule: m.Aggregate, upper: Decimal, within: str = "",
            lacking: int = 0) -> str | None:
    """A broken cap's fix: reduce the total (`within`: the period).

    `upper` is the greatest total (what certainly counts and what may), so
    that the reduced total is within the cap whichever way the deployments
    that may count go; what the `lacking` deployments without the quantity
    add is to be taken off too. None for a cap no total can keep (``is less
    than 0``): nothing would make it comply.
    """
    if rule.strict and rule.limit.amount <= 0:
        return None
    dimension = rule.limit.dimension
    limit = format_amount(rule.limit.amount, dimension, exact=True)
    bound = f"less than {limit}" if rule.strict else f"at most {limit}"
    room = rule.limit.amount - upper
    if lacking and room > 0:
        # Only what the deployments without the quantity add is unknown: it must fit.
        keep = f"less than {format_amount(room, dimension, exact=True)}" if rule.strict \
            else f"at most {format_amount(room, dimension, exact=True)}"
        return (f"give the {lacking} deployment(s) without `{rule.measure}`{within} "
                f"{keep} in all, to keep the total {bound}")
    more, amount = _change(rule, upper - rule.limit.amount)
    plus = (f" plus what the {lacking} deployment(s) without `{rule.measure}` add"
            if lacking else "")
    return (f"reduce the {_what(rule)}{within} by {more}"
            f"{_amount(rule, amount, dimension)}{plus}, to {bound}")


def commitment_fix(rule: m.Aggregate, known: Decimal, within: str = "",
                   besides: tuple[str, Decimal, Decimal] | None = None) -> str:
    """A missed commitment's fix: add what it lacks by its deadline (`within`: the period).

    `besides`: the clause it is in addition to, that clause's target and its
    total. While that target is not met, what both count goes to it first:
    the fix then names what to add that it does not count, or the larger
    amount that it counts too.
    """
    more, amount = _change(rule, rule.limit.amount - known)
    dimension = rule.limit.dimension
    what = _amount(rule, amount, dimension)
    if not rule.counted:
        what += f" of {rule.measure}"
    due = f" by {rule.deadline.isoformat()}" if rule.deadline and not within else ""
    if besides is None:
        return f"add {more}{what}{within}{due}"
    other, target, total = besides
    lacking = max(Decimal(0), target - total)
    if not lacking:
        return f"add {more}{what}{within}{due}"
    return (f"add {more}{what} that `{other}` does not count{within}{due}, or "
            f"{more}{_amount(rule, amount + lacking, dimension)} that it counts too "
            f"(the first {_amount(rule, lacking, dimension)} go to its own "
            f"{format_amount(target, dimension, exact=True)})")


def share_fix(rule: m.Aggregate, part: Decimal, whole: Decimal) -> str:
    """A share's fix: move into the part (out of it, for ``at most``) what brings it to the
    percentage, the whole unchanged."""
    share = rule.share
    assert share is not None  # INVARIANT: shares only
    wanted = rule.limit.amount * whole / 100
    gap = wanted - part if share.at_least else part - wanted
    if rule.counted:
        gap = gap.to_integral_value(rounding=ROUND_CEILING)
    amount = _amount(rule, gap, share.dimension)
    percent = f"{format_amount(rule.limit.amount, '', exact=True)}%"
    if share.at_least:
        return (f"count {amount} more in the part: move it from the rest of the whole "
                f"({format_amount(whole, share.dimension, exact=True)}) into the part, "
                f"to reach {percent}")
    return (f"count {amount} less in the part: move it out of the part into the rest of "
            f"the whole, to keep within {percent}")


def period_within(first: dt.date, last: dt.date) -> str:
    """The words for one period in a fix: `` in the period 2025-01-01 to 2025-12-31``."""
    return f" in the period {first.isoformat()} to {last.isoformat()}"
