"""Report → text for people (rich): summary table, reasons per deployment, aggregates."""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    DeploymentResult,
    Finding,
    Outcome,
    Report,
    Verdict,
    missed_target,
)
from dealcheck.dsl.escape import printable

__all__ = ["render_text", "text_report", "write_text"]

#: Width of text output that is not going to a terminal, so golden files stay stable.
DEFAULT_WIDTH = 100
#: Not-covered deployments named one by one before the rest are counted.
_NOT_COVERED_SHOWN = 20

_STYLE = {
    "compliant": "green",
    "violation": "bold red",
    "undetermined": "yellow",
    "open": "cyan",
    "satisfied": "green",
    "violated": "bold red",
    "unknown": "yellow",
    "overridden": "blue",
}


def _listed(items: Iterable[str]) -> str:
    """Names from the input, joined; each escaped, so none can drive the terminal."""
    return ", ".join(printable(item) for item in items)


def quote_title(title: str) -> str:
    """An agreement's title in quotes, escaped: findings of several agreements name theirs."""
    return '"' + printable(title) + '"'


def _word(value: str) -> Text:
    return Text(value, style=_STYLE.get(value, ""))


def _summary_table(report: Report) -> Table:
    summary = report.summary()
    table = Table(box=box.SIMPLE_HEAD, title="summary", title_justify="left", pad_edge=False)
    for column in ("deployments", "compliant", "violation", "undetermined", "not covered"):
        table.add_column(column, justify="right")
    table.add_row(
        str(summary["deployments"]),
        Text(str(summary["compliant"]), style=_STYLE["compliant"]),
        Text(str(summary["violation"]), style=_STYLE["violation"] if summary["violation"] else ""),
        Text(
            str(summary["undetermined"]),
            style=_STYLE["undetermined"] if summary["undetermined"] else "",
        ),
        str(summary["not_covered"]),
    )
    return table


def _finding(finding: Finding) -> RenderableType:
    loc = finding.location
    head = Text("  ")
    head.append_text(_word(finding.outcome.value))
    head.append(" ")
    head.append(printable(finding.clause), style="bold")
    if finding.agreement is not None:
        head.append(f" of {quote_title(finding.agreement)}")
    head.append(f"  {printable(loc.file)}:{loc.line}:{loc.column}", style="dim")
    body = [Text(printable(finding.message))]
    if finding.missing_facts:
        body.append(Text("missing facts: " + _listed(finding.missing_facts), style="yellow"))
    if finding.fix:
        body.append(Text("fix: " + printable(finding.fix), style="green"))
    if finding.overridden_by:
        body.append(Text("overridden by: " + _listed(finding.overridden_by), style="blue"))
    return Group(head, Padding(Group(*body), (0, 0, 0, 4)))


def _deployment(result: DeploymentResult) -> RenderableType:
    head = _word(result.verdict.value)
    head.append(" ")
    head.append(printable(result.id), style="bold")
    where = f"evaluated on {result.evaluated_on.isoformat()}"
    if result.source is not None:
        src = result.source
        where = f"at {printable(src.file)}:{src.line}:{src.column}, {where}"
    head.append(f"\n  {where}", style="dim")
    # Satisfied findings are noise here; overridden ones explain why a clause did not bind.
    # Advisory findings are listed apart (`_advisory`).
    shown = [f for f in result.findings
             if f.outcome is not Outcome.SATISFIED and not f.advisory]
    return Group(head, *(_finding(f) for f in shown), Text())


def _advisory(report: Report) -> list[RenderableType]:
    """The advisory targets: missed or undecided findings by deployment, then the aggregates."""
    parts: list[RenderableType] = []
    missed = [(d, [f for f in d.findings if missed_target(f)]) for d in report.deployments]
    missed = [(d, found) for d, found in missed if found]
    targets = [a for a in report.aggregates if a.advisory]
    if not missed and not targets:
        return parts
    if any(not a.advisory for a in report.aggregates):
        parts.append(Text())  # after the binding aggregates' notes
    parts.append(Text("advisory targets (they never change a verdict)", style="bold"))
    parts.append(Text())
    for d, found in missed:
        head = Text(printable(d.id), style="bold")
        head.append(f" ({d.verdict.value})", style="dim")
        parts.append(Group(head, *(_finding(f) for f in found), Text()))
    if targets:
        parts.append(_aggregates(targets, "advisory aggregates"))
    return parts


def _aggregates(aggregates: list[AggregateResult], title: str = "aggregates") -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    table.add_column("clause", no_wrap=True)
    table.add_column("kind")
    table.add_column("verdict")
    table.add_column("total", justify="right")
    table.add_column("limit", justify="right")
    table.add_column("deadline")
    notes: list[RenderableType] = []
    for a in aggregates:
        deadline = a.deadline.isoformat() if a.deadline is not None else ""
        table.add_row(Text(printable(a.clause)), Text(printable(a.kind)),
                      _word(a.verdict.value), Text(printable(a.total)),
                      Text(printable(a.limit)), deadline)
        # Messages go under the table: in a column they would wrap into slivers.
        head = Text("  ")
        head.append(printable(a.clause), style="bold")
        if a.agreement is not None:
            head.append(f" of {quote_title(a.agreement)}")
        head.append(": " + printable(a.message))
        extra = []
        if a.projected is not None:
            extra.append(Text("projected: " + a.projection_text(), style="dim"))
        if a.missing_quantity:
            extra.append(Text("missing quantity: " + _listed(a.missing_quantity), style="yellow"))
        if a.unknown_scope:
            extra.append(Text("may be in scope: " + _listed(a.unknown_scope), style="yellow"))
        if a.fix:
            extra.append(Text("fix: " + printable(a.fix), style="green"))
        notes.append(Group(head, Padding(Group(*extra), (0, 0, 0, 4))) if extra else head)
    return Group(table, *notes)


def _header(report: Report, version: str) -> Text:
    status = report.verdict.value
    line = Text("dealcheck: ")
    line.append_text(_word(status))
    line.append(f"  (dealcheck {version})", style="dim")
    scenarios = _listed(s.path for s in report.scenarios) or "none"
    as_of = report.as_of.isoformat() if report.as_of else "each deployment's start"
    if report.agreements:
        terms = "\n".join(f"  {quote_title(a.title)}: {printable(a.path)}"
                          for a in report.agreements)
        line.append(f"\nagreements:\n{terms}")
    else:
        line.append(f"\nterms: {printable(report.terms.path)}")
    line.append(f"\nscenarios: {scenarios}\nas of: {as_of}")
    if report.facts:
        given = ", ".join(f"{name} = {str(value).lower() if isinstance(value, bool) else value}"
                          for name, value in report.facts.items())
        line.append(f"\nfacts: {printable(given)}")
    return line


def text_report(report: Report, *, version: str = __version__) -> list[RenderableType]:
    """The text report as rich renderables, for a caller that owns the console.

    `version` is the dealcheck version its header names.
    """
    parts: list[RenderableType] = [_header(report, version), Text(), _summary_table(report)]
    failing = [d for d in report.deployments if d.verdict is not Verdict.COMPLIANT]
    if failing:
        parts.append(Text("deployments that do not comply", style="bold"))
        parts.append(Text())
        parts.extend(_deployment(d) for d in failing)
    elif report.deployments:
        line = Text(f"all {len(report.deployments)} deployments comply", style="green")
        failing_aggregates = [a for a in report.aggregates
                              if a.verdict in (AggregateVerdict.VIOLATION,
                                               AggregateVerdict.UNDETERMINED)
                              and not a.advisory]
        if failing_aggregates:
            # The header's verdict comes from these: say so where the body would reassure.
            line.append(", but not every aggregate: ", style="")
            line.append(", ".join(f"{a.clause} ({a.verdict.value})" for a in failing_aggregates),
                        style=_STYLE[report.verdict.value])
        parts.append(line)
        parts.append(Text())
    not_covered = [d.id for d in report.deployments if d.not_covered]
    if not_covered:
        names = _listed(not_covered[:_NOT_COVERED_SHOWN])
        rest = len(not_covered) - _NOT_COVERED_SHOWN
        if rest > 0:
            names += f" and {rest} more"
        parts.append(Text(f"not covered by any clause in force: {names}", style="dim"))
        parts.append(Text())
    binding = [a for a in report.aggregates if not a.advisory]
    if binding:
        parts.append(_aggregates(binding))
    parts.extend(_advisory(report))
    return parts


def write_text(report: Report, console: Console, *, version: str = __version__) -> None:
    """Print the text report on a console (its width and colour settings apply)."""
    for part in text_report(report, version=version):
        console.print(part)


def render_text(
    report: Report, *, color: bool = False, width: int = DEFAULT_WIDTH, version: str = __version__
) -> str:
    """The report as text for people.

    Args:
        report: the outcome of a check.
        color: emit ANSI colour (pass whether the output is a terminal); when false the
            text contains no escape sequence at all.
        width: the line width; fixed, so output that is not a terminal is stable.
        version: the dealcheck version the header names.

    Returns:
        The text, ending with a newline.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
        force_jupyter=False,
        force_interactive=False,
        soft_wrap=False,
    )
    write_text(report, console, version=version)
    # Trailing spaces from table padding are invisible and make golden files brittle.
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
