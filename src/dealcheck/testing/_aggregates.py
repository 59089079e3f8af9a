"""Strategies for the second edition's aggregates: shares, per-period totals, `in addition to`.

Part of `dealcheck.testing._documents`, which imports this module; its
helpers are imported here when called, so that neither module loads first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from dealcheck.dsl import ast

if TYPE_CHECKING:
    from dealcheck.testing._documents import ClauseVersion, _Context, _PlanDraft

#: What an aggregate is judged per: mostly the whole window.
PERIODS = (None, None, "calendar year", "quarter", "contract year")
#: The percentages of shares: the edges, a majority, a fraction of a percent.
PERCENTS = ("50", "0", "100", "75", "20.5")


def share(draw: st.DrawFn, cx: _Context, pattern: ast.Pattern, measure: ast.Name,
          counted: bool) -> ast.Aggregate:
    """``TOTAL is at least|at most P% of TOTAL``: the whole is selected without a `when`."""
    from dealcheck.testing._documents import _BOOLEANS, _maybe, _pattern, _pick

    whole = _pattern(draw, cx)
    window_from = cx.date(draw) if _maybe(draw) else None
    window_through = cx.date(draw) if _maybe(draw) else None
    if window_from and window_through and window_through < window_from:
        window_from, window_through = window_through, window_from
    return ast.Aggregate(
        measure, pattern,
        ast.DateLit(window_from.isoformat()) if window_from else None,
        ast.DateLit(window_through.isoformat()) if window_through else None,
        draw(_BOOLEANS), ast.QuantityLit(_pick(draw, PERCENTS), None), None, counted, False,
        ast.ShareOf(measure, counted, ast.Pattern(whole.parties, whole.workloads,
                                                  whole.providers, whole.regions)),
    )


def commitment_dimension(v: ClauseVersion) -> str | None:
    """The dimension of a plain commitment's total (None: not a plain commitment)."""
    rule = v.rule
    if (not isinstance(rule, ast.Aggregate) or rule.is_cap or rule.share is not None
            or rule.period is not None or rule.in_addition_to is not None):
        return None
    if rule.counted:
        return ""
    unit = rule.limit.unit.value if rule.limit.unit else ""
    # A declared unit (`unit EUR: money`, `unit TPU`) is a dimension of its own.
    if rule.measure.value == "value":
        return "money" if unit in ("USD", "") else unit
    return {"GPU": "count", "GPUs": "count", "GW": "power", "MW": "power",
            "kW": "power"}.get(unit, unit)


def link_additions(plan: _PlanDraft) -> None:
    """Some commitments are `in addition to` an earlier one of the same dimension."""
    from dealcheck.testing._documents import _BOOLEANS, _pick

    by_id: dict[str, list[ClauseVersion]] = {}
    for v in plan.all_versions:
        by_id.setdefault(v.id, []).append(v)
    for v in plan.all_versions:
        dimension = commitment_dimension(v)
        if dimension is None or not plan.draw(_BOOLEANS):
            continue
        candidates = [i for i, rank in plan.order.items() if rank < plan.order[v.id]
                      and all(commitment_dimension(t) == dimension for t in by_id[i])]
        if candidates:
            assert isinstance(v.rule, ast.Aggregate)
            v.rule = replace(v.rule, in_addition_to=ast.Name(_pick(plan.draw, candidates)))
