"""Resolution of shares: ``TOTAL is at least|at most P% of TOTAL`` (DC130–DC132).

Part of the clauses pass: a share's two totals must sum the same measure,
and its percentage lie between 0% and 100%.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import MEASURES, Context
from dealcheck.rules.units import NUMBER_RE, Quantity

#: The dimension a share of each measure sums: a capacity share is a share of power.
SHARE_DIMENSIONS = {"value": "money", "capacity": "power", m.COUNT: ""}


def share(ctx: Context, r: ast.Aggregate, of: ast.ShareOf,
          part_scope: m.Scope) -> tuple[m.ClauseKind, m.Scope, m.Rule] | None:
    """A share clause: its scope is the whole's (the total after ``of``), `part` the share's."""
    from dealcheck.rules.resolve.clauses import window
    from dealcheck.rules.resolve.expressions import scope

    measure = _measure(ctx, r.measure, r.counted)
    whole_measure = _measure(ctx, of.measure, of.counted)
    # The clause's `when` selects the whole's deployments; the part is taken among them.
    whole_scope = dataclasses.replace(scope(ctx, of.pattern), condition=part_scope.condition)
    part_scope = dataclasses.replace(part_scope, condition=None)
    if measure is not None and whole_measure is not None and measure != whole_measure:
        ctx.err("DC130", f"a share compares two totals of one measure, but {_said(measure)} "
                f"is a share of {_said(whole_measure)}", _measure_span(of),
                f"write `{_written(measure)}` here too")
        return None
    if r.period is not None:
        ctx.err("DC132", f"a share is judged on the evaluation date, not per {r.period}",
                r.limit.span, f"remove `per {r.period}`, or bound a total per {r.period}")
    percent = _percent(ctx, r.limit)
    window_from, window_through = window(ctx, r)
    if measure is None or percent is None:
        return None
    rule = m.Aggregate(measure, percent, window_from, window_through,
                       share=m.Share(part_scope, not r.is_cap, SHARE_DIMENSIONS[measure]))
    return m.ClauseKind.SHARE, whole_scope, rule


def _measure(ctx: Context, name: ast.Name, counted: bool) -> str | None:
    if counted:
        return m.COUNT
    if name.value in MEASURES:
        return name.value
    close = did_you_mean(name.value, MEASURES)
    ctx.err("DC113", f"cannot total `{name.value}`", name.span,
            f"did you mean `{close}`?" if close else "total `value` or `capacity`")
    return None


def _said(measure: str) -> str:
    return "the number of deployments" if measure == m.COUNT else f"total `{measure}`"


def _written(measure: str) -> str:
    return "number" if measure == m.COUNT else f"total {measure}"


def _measure_span(of: ast.ShareOf) -> Span:
    """From the whole's first word through its measure: `total value`, or `number`."""
    end = of.measure.span
    return dataclasses.replace(of.span, end=end.end, end_line=end.end_line,
                               end_column=end.end_column)


def _percent(ctx: Context, q: ast.QuantityLit) -> Quantity | None:
    """The percentage of a share, from 0% to 100% (DC131)."""
    found = NUMBER_RE.match(q.number)
    amount = Decimal(found["num"]) if found and not found["mult"] else None
    if amount is None or amount > 100:
        ctx.err("DC131", f"a share is a percentage from 0% to 100%, not `{q.number}%`", q.span,
                "a share of the whole is at most `100%`")
        return None
    return Quantity(amount, "%", f"{q.number}%")
