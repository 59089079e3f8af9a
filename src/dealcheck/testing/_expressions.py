"""Comparisons of two operands and durations, for the generated terms of `_documents`.

Private to `dealcheck.testing`: date expressions (`signed + 30 days <= start`),
`within … after`, facts against fields (`value <= price`, `operator = party`)
and the durations of `for` windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from dealcheck.dsl import ast

#: Durations written in date expressions.
DURATIONS = (("1", "day"), ("30", "days"), ("2", "weeks"), ("1", "month"), ("3", "months"),
             ("1", "year"), ("10", "business days"), ("0", "days"))
#: Durations of clause windows (`for 0 days` is an error).
WINDOW_DURATIONS = tuple(d for d in DURATIONS if d[0] != "0")

_ORDERED = ("<", "<=", ">", ">=", "=", "!=")
_EQUALITY = ("=", "!=")

T = TypeVar("T")


class _Fact(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def dimension(self) -> str: ...


def _pick(draw: st.DrawFn, pool: Sequence[T]) -> T:
    """One element of `pool`; shrinks towards the first."""
    return pool[draw(st.integers(0, len(pool) - 1))]


def _duration(draw: st.DrawFn) -> ast.DurationLit:
    return ast.DurationLit(*_pick(draw, DURATIONS))


def _date_side(draw: st.DrawFn, date: Callable[[st.DrawFn], dt.date], names: Sequence[str],
               constant: bool) -> ast.Value:
    """A date operand: one of the date fields or facts `names` (or a date when `constant`),
    maybe moved."""
    base: ast.Name | ast.DateLit = (ast.DateLit(date(draw).isoformat()) if constant
                                    else ast.Name(_pick(draw, names)))
    if draw(st.booleans()):
        return ast.Shifted(base, _pick(draw, ("+", "-")), _duration(draw))
    return base


def relation_atom(draw: st.DrawFn, facts: Sequence[_Fact],
                  date: Callable[[st.DrawFn], dt.date]) -> ast.Cond:
    """A comparison of two operands over `facts` and the deployment fields, shaped as the
    parser builds it; `date` draws the dates it may write."""
    dates = ["start", "end", *(f.name for f in facts if f.kind == "date")]
    money = [f.name for f in facts if f.kind == "number" and f.dimension == "money"]
    shape = draw(st.integers(0, 4))
    if shape == 0 and money:
        pair = [ast.Name("value"), ast.Name(_pick(draw, money))]
        if draw(st.booleans()):
            pair.reverse()
        return ast.Compare(pair[0], _pick(draw, _ORDERED), pair[1])
    if shape == 1:
        one, other = ("party", "operator") if draw(st.booleans()) else ("operator", "party")
        return ast.Compare(ast.Name(one), _pick(draw, _EQUALITY), ast.Name(other))
    # Two date operands, at least one of them a field or fact, never one with itself.
    first = _pick(draw, dates)
    others = [n for n in dates if n != first]
    if shape == 2:
        return ast.Within(ast.Name(first), _duration(draw),
                          _date_side(draw, date, others, constant=draw(st.booleans())))
    left = _date_side(draw, date, [first], constant=draw(st.booleans()))
    right = _date_side(draw, date, others, constant=False)
    op = _pick(draw, _ORDERED)
    if isinstance(left, ast.Name):
        return ast.Compare(left, op, right)
    return ast.CompareExpr(left, op, right)  # type: ignore[arg-type]
