"""Report → one self-contained HTML page (`dealcheck check --format html`).

The page has inline CSS and inline SVG, no script and no reference to any
other resource: its Content-Security-Policy forbids both, so it makes no
request when opened. It is deterministic (no timestamp): equal reports
give byte-identical pages. It is rendered by Jinja2 with autoescaping on,
from `templates/report.html.j2`; every text of the report (ids, titles,
sources, messages) reaches the page as text, never as markup. The JSON
report is embedded, for machines, in an inert data block (`embedded_json`).

What the report alone does not hold — the clause text, the amendments, each
deployment's provider and workload — comes from an `HtmlContext`: the terms
and scenarios checked, which the caller gives (`dealcheck.checked_inputs`
reads them again for `dealcheck check`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    Finding,
    Outcome,
    Report,
    Verdict,
    missed_target,
)
from dealcheck.report.json import render_json
from dealcheck.rules import model as m
from dealcheck.rules.units import UnitTable
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    import jinja2

__all__ = ["HtmlContext", "embedded_json", "render_html"]

#: Non-compliant deployments listed before the rest is summarised (all are in the JSON).
DEFAULT_MAX_ROWS = 200
#: Deployments drawn on the timeline before the rest is summarised.
MAX_DOTS = 400

#: The SVG timeline's geometry, in user units.
_WIDTH = 960
_LEFT = 30
_RIGHT = 30
_BAR = 640

#: The worst verdict first: what a matrix cell takes from the deployments in it.
_RANK = {Verdict.VIOLATION: 0, Verdict.UNDETERMINED: 1, Verdict.COMPLIANT: 2}


@dataclasses.dataclass(frozen=True)
class HtmlContext:
    """What the page shows beyond the report: the terms checked and the deployments' fields."""

    agreements: tuple[m.Terms, ...] = ()
    deployments: Mapping[str, Deployment] = dataclasses.field(default_factory=dict)


def embedded_json(text: str) -> str:
    r"""JSON text made inert inside an HTML data block: no `<`, `>` or `&` is left in it.

    Each becomes its JSON escape (``\u003c``…), which parses back to the same
    character, so ``</script>`` or ``<!--`` in an id cannot end the block.

    >>> embedded_json('{"id": "</script><b>"}')
    '{"id": "\\u003c/script\\u003e\\u003cb\\u003e"}'
    """
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# ---------------------------------------------------------------- the page's parts


def _cards(report: Report) -> list[dict[str, object]]:
    summary = report.summary()
    aggregates = summary["aggregates"]
    return [
        {"label": "verdict", "value": report.verdict.value, "field": "verdict",
         "tone": report.verdict.value},
        {"label": "deployments", "value": summary["deployments"],
         "field": "summary.deployments", "tone": "neutral"},
        {"label": "compliant", "value": summary["compliant"], "field": "summary.compliant",
         "tone": "compliant"},
        {"label": "violation", "value": summary["violation"], "field": "summary.violation",
         "tone": "violation"},
        {"label": "undetermined", "value": summary["undetermined"],
         "field": "summary.undetermined", "tone": "undetermined"},
        {"label": "not covered", "value": summary["not_covered"],
         "field": "summary.not_covered", "tone": "neutral"},
        {"label": "aggregates in violation", "value": aggregates["violation"],
         "field": "summary.aggregates.violation", "tone": "violation"},
        {"label": "aggregates open", "value": aggregates["open"],
         "field": "summary.aggregates.open", "tone": "open"},
    ]


def _terms_for(context: HtmlContext, agreement: str | None) -> m.Terms | None:
    if agreement is None:
        return context.agreements[0] if len(context.agreements) == 1 else None
    return next((t for t in context.agreements if t.title == agreement), None)


def clause_text(source: str, line: int) -> str:
    """The clause whose header is on `line` (1-based): that line and the lines indented under it.

    >>> clause_text("a\\n  clause x:\\n    OpenAI runs api only on Azure\\n  clause y:\\n", 2)
    'clause x:\\n  OpenAI runs api only on Azure'
    """
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return ""
    header = lines[line - 1]
    indent = len(header) - len(header.lstrip())
    block = [header.strip()]
    for text in lines[line:]:
        if not text.strip() or len(text) - len(text.lstrip()) <= indent:
            break
        block.append(text[indent:].rstrip())
    return "\n".join(block)


def _clause_view(context: HtmlContext, item: Finding | AggregateResult,
                 day: dt.date) -> dict[str, object]:
    """A clause as the page quotes it: its sources and its text in the terms file."""
    terms = _terms_for(context, item.agreement)
    clause = None if terms is None else terms.clause(item.clause, day) or terms.clause(item.clause)
    text = ""
    sources: tuple[str, ...] = ()
    if terms is not None and clause is not None:
        sources = clause.sources
        text = clause_text(terms.source, clause.span.line)
    where = item.location
    return {"id": item.clause, "agreement": item.agreement, "sources": list(sources),
            "text": text, "location": f"{where.file}:{where.line}:{where.column}"}


def _missed(report: Report, context: HtmlContext) -> list[dict[str, object]]:
    """Advisory targets a deployment misses or leaves undecided: listed, never a failure."""
    return [{"id": d.id, "outcome": f.outcome.value, "message": f.message, "fix": f.fix,
             "clause": _clause_view(context, f, d.evaluated_on)}
            for d in report.deployments for f in d.findings if missed_target(f)]


def _failing(report: Report, context: HtmlContext,
             max_rows: int) -> tuple[list[dict[str, object]], int]:
    rows: list[dict[str, object]] = []
    failing = [d for d in report.deployments if d.verdict is not Verdict.COMPLIANT]
    for d in failing[:max_rows]:
        findings = []
        for f in d.findings:
            if f.outcome not in (Outcome.VIOLATED, Outcome.UNKNOWN) or f.advisory:
                continue
            findings.append({"outcome": f.outcome.value, "message": f.message, "fix": f.fix,
                             "missing": list(f.missing_facts),
                             "clause": _clause_view(context, f, d.evaluated_on)})
        source = d.source
        rows.append({"id": d.id, "verdict": d.verdict.value,
                     "evaluated_on": d.evaluated_on.isoformat(),
                     "source": None if source is None
                     else f"{source.file}:{source.line}:{source.column}",
                     "findings": findings})
    return rows, len(failing) - len(rows)


@functools.cache
def _units() -> UnitTable:
    return UnitTable()


def _amount(text: str) -> tuple[Decimal, str] | None:
    """A total or limit as a number and its dimension (`%` for a share's), if it is one.

    >>> _amount("1.5 GW"), _amount("40%"), _amount("n/a")
    ((Decimal('1500000000.0'), 'power'), (Decimal('40'), '%'), None)
    """
    try:
        if text.endswith("%"):
            amount, dimension = Decimal(text[:-1]), "%"
        else:
            quantity = _units().parse(text)
            amount, dimension = quantity.amount, quantity.dimension
    except (ValueError, InvalidOperation):
        return None
    return (amount, dimension) if amount.is_finite() else None


def _fraction(part: str, whole: str) -> float | None:
    """`part / whole` in [0, 1] for the bars, or None when they cannot be compared."""
    a, b = _amount(part), _amount(whole)
    if a is None or b is None or a[1] != b[1] or b[0] <= 0:
        return None
    return float(min(Decimal(1), max(Decimal(0), a[0] / b[0])))


def _bars(aggregates: Sequence[AggregateResult],
          context: HtmlContext) -> list[dict[str, object]]:
    bars: list[dict[str, object]] = []
    for i, a in enumerate(aggregates):
        now = _fraction(a.total, a.limit)
        projected = None if a.projected is None else _fraction(a.projected.total, a.limit)
        bars.append({
            "index": i, "clause": _clause_view(context, a, a.evaluated_on), "kind": a.kind,
            "verdict": a.verdict.value, "total": a.total, "limit": a.limit,
            "message": a.message, "advisory": a.advisory,
            "projected": None if a.projected is None else a.projected.total,
            "projection_text": a.projection_text(),
            "projected_verdict": None if a.projected is None else a.projected.verdict.value,
            "deadline": None if a.deadline is None else a.deadline.isoformat(),
            "now_width": None if now is None else f"{now * _BAR:.1f}",
            "projected_width": None if projected is None else f"{projected * _BAR:.1f}",
            "bar": _BAR,
        })
    return bars


def _start(result: DeploymentResult, context: HtmlContext) -> dt.date:
    known = context.deployments.get(result.id)
    return result.evaluated_on if known is None else known.start


def _x(day: dt.date, first: dt.date, days: int) -> str:
    return f"{_LEFT + (day - first).days / days * (_WIDTH - _LEFT - _RIGHT):.1f}"


def _anchor(day: dt.date, first: dt.date, days: int) -> str:
    """Where a label hangs from its mark: inwards near either end of the axis."""
    at = (day - first).days / days
    return "start" if at < 0.2 else "end" if at > 0.8 else "middle"


def _timeline(report: Report, context: HtmlContext) -> dict[str, object] | None:
    """Amendments (and each agreement's start) as marks, deployments as dots, on one axis."""
    marks: list[tuple[dt.date, str, str]] = []
    for terms in context.agreements:
        marks.append((terms.effective, terms.title, "agreement"))
        marks += [(a.effective, a.title or a.id, "amendment") for a in terms.amendments]
    shown = report.deployments[:MAX_DOTS]
    days = [d for d, _, _ in marks] + [_start(r, context) for r in shown]
    if not days:
        return None
    first, last = min(days), max(days)
    span = max(1, (last - first).days)
    mark_views = [{"x": _x(day, first, span), "date": day.isoformat(), "title": title,
                   "kind": kind, "y": 18 + 16 * (i % 3), "anchor": _anchor(day, first, span)}
                  for i, (day, title, kind) in enumerate(sorted(marks, key=lambda t: t[0]))]
    dots = [{"x": _x(_start(r, context), first, span), "y": 90 + 14 * (i % 5), "id": r.id,
             "verdict": r.verdict.value, "date": _start(r, context).isoformat()}
            for i, r in enumerate(shown)]
    years = [{"x": _x(dt.date(y, 1, 1), first, span), "year": y}
             for y in range(first.year + 1, last.year + 1)]
    return {"width": _WIDTH, "height": 170, "marks": mark_views, "dots": dots, "years": years,
            "first": first.isoformat(), "last": last.isoformat(),
            "hidden": len(report.deployments) - len(shown)}


def _matrix(report: Report, context: HtmlContext) -> dict[str, object] | None:
    """Providers × workloads: each cell's worst verdict and how many deployments it holds."""
    cells: dict[tuple[str, str], list[Verdict]] = {}
    for r in report.deployments:
        known = context.deployments.get(r.id)
        if known is not None:
            cells.setdefault((known.provider, known.workload), []).append(r.verdict)
    if not cells:
        return None
    providers = sorted({p for p, _ in cells})
    workloads = sorted({w for _, w in cells})
    rows = []
    for p in providers:
        row = []
        for w in workloads:
            found = cells.get((p, w), [])
            worst = min(found, key=_RANK.__getitem__).value if found else None
            row.append({"verdict": worst, "count": len(found),
                        "counts": ", ".join(f"{n} {v.value}" for v in Verdict
                                            if (n := found.count(v)))})
        rows.append({"provider": p, "cells": row})
    return {"workloads": workloads, "rows": rows}


@functools.cache
def _template() -> jinja2.Template:
    import jinja2  # on first use: other formats do not pay for it

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dealcheck.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2")


def render_html(report: Report, *, version: str = __version__,
                context: HtmlContext | None = None, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The report as one self-contained HTML page.

    Args:
        report: the outcome of a check.
        version: the dealcheck version the page names.
        context: the terms and deployments checked (clause texts, amendments,
            providers and workloads); without it those parts show what the
            report alone holds.
        max_rows: non-compliant deployments listed before the rest is summarised.

    Returns:
        The HTML text, deterministic, ending with a newline.
    """
    context = context or HtmlContext()
    failing, more = _failing(report, context, max_rows)
    binding = [a for a in report.aggregates if not a.advisory]
    return _template().render(
        version=version,
        verdict=report.verdict.value,
        terms=report.terms.path,
        agreements=[a.title for a in report.agreements],
        titles=[t.title for t in context.agreements],
        scenarios=[s.path for s in report.scenarios],
        as_of=None if report.as_of is None else report.as_of.isoformat(),
        cards=_cards(report),
        failing=failing,
        more_failing=more,
        missed=_missed(report, context)[:max_rows],
        bars=_bars(report.aggregates, context),
        binding=len(binding),
        timeline=_timeline(report, context),
        matrix=_matrix(report, context),
        report_json=embedded_json(render_json(report, version=version)),
    )
