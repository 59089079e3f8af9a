"""Report → Markdown for pull-request comments: headline, tables, compliant ones collapsed."""

from __future__ import annotations

import re
from collections.abc import Iterable

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

__all__ = ["overall_status", "render_markdown"]

#: Rows per table before the rest is summarised; PR comments have a size limit.
DEFAULT_MAX_ROWS = 200


def overall_status(report: Report) -> str:
    """The one word a reviewer reads first: the report verdict (`Report.verdict`).

    Open commitments (still before their deadline) do not change it.
    """
    return report.verdict.value


#: Characters that could start Markdown in a table cell: each is written escaped.
_ACTIVE = re.compile(r"([\\`*_\[\]|~!])")
_BACKTICKS = re.compile(r"`+")


def _cell(text: str) -> str:
    """Text for a table cell: what is in backticks becomes code, the rest inert text.

    A message such as "`api` runs on `AWS`" keeps its code spans; whatever
    else it holds (``[link](…)``, ``<details>``, ``**``) is shown, never
    interpreted, however the backticks in it pair up.
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one opens nothing
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 and part:
            out.append(_code(part))
        elif i % 2:
            out.append(_text("``"))
        else:
            # INVARIANT: two code spans never touch; their fences would merge into
            # one run and leave what was inside them outside of any span.
            between = 0 < i < len(parts) - 1
            out.append(" " if between and not part else _text(part))
    return "".join(out)


def _text(text: str) -> str:
    """Plain text made inert: no HTML, escaped punctuation and controls, `<br>` for line breaks."""
    lines = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(_ACTIVE.sub(r"\\\1", printable(line))
                       for line in lines.replace("\r\n", "\n").split("\n"))


def _code(text: str, table: bool = True) -> str:
    """A code span that no text can close early: its fence is longer than any run in it.

    Inside a code span Markdown is literal, so only `|` (the column break of a
    `table`) needs escaping. Controls and invisible characters are shown escaped.

    >>> _code("a``b")
    '```a``b```'
    >>> _code("`x")
    '`` `x ``'
    """
    flat = printable(text.replace("\r\n", " ").replace("\n", " "))
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    # A space on each side keeps a backtick at either end out of the fence (and is
    # dropped by the renderer); text with a space at each end needs it kept too.
    pad = " " if flat[:1] in ("`", " ") or flat[-1:] in ("`", " ") else ""
    if table:
        flat = flat.replace("|", "\\|")
    return f"{fence}{pad}{flat}{pad}{fence}"


def _codes(items: Iterable[str], table: bool = True) -> str:
    return ", ".join(_code(i, table) for i in items)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _remedy(finding: Finding) -> str:
    parts = []
    if finding.fix:
        parts.append("fix: " + _cell(finding.fix))
    if finding.missing_facts:
        parts.append("missing facts: " + _codes(finding.missing_facts))
    return "<br>".join(parts)


def _clause(item: Finding | AggregateResult) -> str:
    """A clause's id, with its agreement's title when several are checked together."""
    if item.agreement is None:
        return _code(item.clause)
    return f"{_code(item.clause)} of {_cell(item.agreement)}"


def _table(header: list[str], rows: list[list[str]], max_rows: int, noun: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows[:max_rows])
    if len(rows) > max_rows:
        lines.append("")
        lines.append(f"… and {len(rows) - max_rows} more {noun} not shown; see the JSON report.")
    return lines


def _non_compliant_rows(deployments: list[DeploymentResult]) -> list[list[str]]:
    rows: list[list[str]] = []
    for d in deployments:
        reasons = [f for f in d.findings
                   if f.outcome in (Outcome.VIOLATED, Outcome.UNKNOWN) and not f.advisory]
        if not reasons:  # a verdict without its reason: still list the deployment
            rows.append([_code(d.id), d.verdict.value, "", "", ""])
        for f in reasons:
            verdict = d.verdict.value
            if f.outcome is Outcome.UNKNOWN and d.verdict is Verdict.VIOLATION:
                verdict += " (also unknown)"
            rows.append([_code(d.id), verdict, _clause(f), _cell(f.message), _remedy(f)])
    return rows


def _aggregate_rows(aggregates: list[AggregateResult]) -> list[list[str]]:
    rows: list[list[str]] = []
    for a in aggregates:
        message = _cell(a.message)
        if a.deadline is not None:
            message += f"<br>deadline: {a.deadline.isoformat()}"
        if a.projected is not None:
            message += "<br>projected: " + _cell(a.projection_text())
        if a.missing_quantity:
            message += "<br>missing quantity: " + _codes(a.missing_quantity)
        if a.unknown_scope:
            message += "<br>may be in scope: " + _codes(a.unknown_scope)
        if a.fix:
            message += "<br>fix: " + _cell(a.fix)
        rows.append(
            [
                _clause(a),
                _cell(a.kind),
                a.verdict.value,
                _cell(a.total),
                _cell(a.limit),
                message,
            ]
        )
    return rows


def _compliant_note(d: DeploymentResult) -> str:
    notes = ["not covered by any clause"] if d.not_covered else []
    for f in d.findings:
        if f.advisory:
            continue  # listed under the advisory targets
        if f.outcome is Outcome.OVERRIDDEN:
            by = f" by {_codes(f.overridden_by)}" if f.overridden_by else ""
            notes.append(f"{_code(f.clause)} overridden{by}")
        elif f.outcome is Outcome.UNKNOWN:
            notes.append(f"{_code(f.clause)} unknown, without effect")
    return "; ".join(notes)


def _advisory_lines(report: Report, targets: list[AggregateResult], aggregate_header: list[str],
                    max_rows: int) -> list[str]:
    """The advisory targets missed or undecided, then the advisory aggregates ('' if none)."""
    missed = [[_code(d.id), f.outcome.value, _clause(f), _cell(f.message), _remedy(f)]
              for d in report.deployments for f in d.findings if missed_target(f)]
    if not missed and not targets:
        return []
    lines = ["### Advisory targets", "", "Targets, not promises: they never change a verdict.", ""]
    if missed:
        header = ["Deployment", "Outcome", "Clause", "Message", "Fix or missing facts"]
        lines += _table(header, missed, max_rows, "rows")
        lines.append("")
    if targets:
        lines += _table(aggregate_header, _aggregate_rows(targets), max_rows, "aggregates")
        lines.append("")
    return lines


def render_markdown(
    report: Report, *, max_rows: int = DEFAULT_MAX_ROWS, version: str = __version__
) -> str:
    """The report as GitHub-flavoured Markdown for a pull-request comment.

    Args:
        report: the outcome of a check.
        max_rows: rows per table before the rest is summarised.
        version: the dealcheck version the last line names.

    Returns:
        Markdown text, deterministic, ending with a newline.
    """
    summary = report.summary()
    status = overall_status(report)
    lines = [f"## dealcheck: {status}", ""]

    counts = [
        _plural(summary["deployments"], "deployment") + ":",
        f"{summary['compliant']} compliant ({summary['not_covered']} not covered),",
        f"{summary['violation']} violation,",
        f"{summary['undetermined']} undetermined",
    ]
    headline = "**" + " ".join(counts) + "**"
    binding = [a for a in report.aggregates if not a.advisory]
    targets = [a for a in report.aggregates if a.advisory]
    if binding:
        by_verdict = [
            f"{n} {v.value}"
            for v in AggregateVerdict
            if (n := sum(1 for a in binding if a.verdict is v))
        ]
        headline += (
            "; " + _plural(len(binding), "aggregate") + ": " + ", ".join(by_verdict)
        )
    if targets:
        headline += "; " + _plural(len(targets), "advisory aggregate")
    lines += [headline, ""]

    scenarios = _codes((s.path for s in report.scenarios), table=False) or "none"
    as_of = report.as_of.isoformat() if report.as_of else "each deployment's start"
    terms = _code(report.terms.path, table=False)
    if report.agreements:
        terms = "; ".join(f"{_cell(a.title)} ({_code(a.path, table=False)})"
                          for a in report.agreements)
    lines += [f"Terms {terms}; scenarios {scenarios}; as of {as_of}.", ""]

    failing = [d for d in report.deployments if d.verdict is not Verdict.COMPLIANT]
    if failing:
        lines += ["### Deployments that do not comply", ""]
        header = ["Deployment", "Verdict", "Clause", "Message", "Fix or missing facts"]
        lines += _table(header, _non_compliant_rows(failing), max_rows, "rows")
        lines.append("")

    aggregate_header = ["Clause", "Kind", "Verdict", "Total", "Limit", "Message"]
    if binding:
        lines += ["### Aggregates", ""]
        lines += _table(aggregate_header, _aggregate_rows(binding), max_rows, "aggregates")
        lines.append("")

    lines += _advisory_lines(report, targets, aggregate_header, max_rows)

    compliant = [d for d in report.deployments if d.verdict is Verdict.COMPLIANT]
    if compliant:
        lines += [
            "<details>",
            f"<summary>{_plural(len(compliant), 'compliant deployment')}</summary>",
            "",
        ]
        rows = [[_code(d.id), d.evaluated_on.isoformat(), _compliant_note(d)] for d in compliant]
        lines += _table(["Deployment", "Evaluated on", "Note"], rows, max_rows, "deployments")
        lines += ["", "</details>", ""]

    lines.append(f"<sub>dealcheck {_cell(version)}</sub>")
    return "\n".join(lines) + "\n"
