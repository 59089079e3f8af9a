"""The diff and the analysis findings as text, JSON and Markdown (byte-identical run to run)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dealcheck.analysis.regions import show
from dealcheck.rules.units import format_amount
from dealcheck.scenario.model import Deployment

if TYPE_CHECKING:
    from dealcheck.analysis.diff import AggregateChange, Change, Diff
    from dealcheck.analysis.findings import Analysis


def _quantity(q: object) -> str:
    return format_amount(q.amount, q.dimension, exact=True)  # type: ignore[attr-defined]


def witness_json(d: Deployment) -> dict[str, object]:
    """A witness as a scenario entry (`dealcheck check` reads it as written)."""
    out: dict[str, object] = {"id": d.id, "party": d.party, "workload": d.workload,
                              "provider": d.provider}
    if d.region is not None:
        out["region"] = d.region
    out["start"] = d.start.isoformat()
    if d.end is not None:
        out["end"] = d.end.isoformat()
    if d.capacity is not None:
        out["capacity"] = _quantity(d.capacity)
    if d.value is not None:
        out["value"] = _quantity(d.value)
    out["facts"] = {k: (v if isinstance(v, bool) else
                        _quantity(v) if hasattr(v, "dimension") else show(v))
                    for k, v in d.facts.items()}
    return out


def witness_text(d: Deployment) -> str:
    """A witness as an example deployment of a terms file."""
    words = [f"{d.party} runs {d.workload} on {d.provider}"]
    if d.region is not None:
        words.append(f"in {d.region}")
    words.append(f"starting {d.start.isoformat()}")
    if d.end is not None:
        words.append(f"ending {d.end.isoformat()}")
    if d.capacity is not None:
        words.append(f"capacity {_quantity(d.capacity)}")
    if d.value is not None:
        words.append(f"value {_quantity(d.value)}")
    facts = witness_json(d)["facts"]
    if facts:
        words.append("with " + ", ".join(f"{k} = {show(v)}"
                                         for k, v in facts.items()))  # type: ignore[attr-defined]
    return " ".join(words)


def _under(change: Change) -> str:
    parts = []
    if change.old_clauses:
        parts.append("was " + ", ".join(change.old_clauses))
    if change.new_clauses:
        parts.append("under " + ", ".join(change.new_clauses))
    return f" ({'; '.join(parts)})" if parts else ""


def _aggregate_line(a: AggregateChange) -> str:
    if a.change == "changed":
        assert a.old is not None and a.new is not None
        details = [f"{f}: {_view(a.old, f)} → {_view(a.new, f)}" for f in a.fields]
        return f"{a.clause}: " + "; ".join(details)
    view = a.new if a.change == "added" else a.old
    assert view is not None
    return f"{a.clause}: {a.change} (limit {view['limit']})"


def _view(view: dict[str, object], name: str) -> str:
    if name == "limit":
        return str(view["limit"])
    if name == "window":
        w, f = view["window"], view["in_force"]
        return f"window {_span(w)}, in force {_span(f)}"
    return "its selection"


def _span(value: object) -> str:
    low, high = value["from"], value["through"]  # type: ignore[index]
    return f"{low or '…'}..{high or '…'}"


def _header(diff: Diff) -> str:
    def side(terms: object, day: object) -> str:
        return str(terms.path) + (f" as of {day}" if day else "")  # type: ignore[attr-defined]
    return f"{side(diff.old, diff.old_as_of)} → {side(diff.new, diff.new_as_of)}"


def diff_text(diff: Diff) -> str:
    """The diff for people: one numbered block per region, then the aggregate changes."""
    lines = [f"diff {_header(diff)}"]
    if not diff.changes:
        lines.append("no deployment changes verdict")
    for n, change in enumerate(diff.changes, 1):
        lines.append(f"{n}. {change.old_verdict} → {change.new_verdict}{_under(change)}")
        lines.append(f"   {change.text}")
        lines.append(f"   witness: {witness_text(change.witness)}")
    if diff.aggregate_changes:
        lines.append("aggregate clauses changed:")
        lines += [f"  {_aggregate_line(a)}" for a in diff.aggregate_changes]
    count = len(diff.changes)
    lines.append(f"{count} region{'s' * (count != 1)} changed, "
                 f"{len(diff.aggregate_changes)} aggregate clause"
                 f"{'s' * (len(diff.aggregate_changes) != 1)} changed")
    return "\n".join(lines) + "\n"


def diff_json(diff: Diff) -> str:
    """The diff as `dealcheck diff --format json` writes it (DESIGN §6b)."""
    def side(terms: object, day: object) -> dict[str, object]:
        return {"path": terms.path, "sha256": terms.sha256,  # type: ignore[attr-defined]
                "as_of": None if day is None else str(day)}
    same = diff.old_as_of == diff.new_as_of
    document = {
        "old": side(diff.old, diff.old_as_of), "new": side(diff.new, diff.new_as_of),
        "as_of": str(diff.old_as_of) if same and diff.old_as_of else None,
        "changes": [{"old_verdict": str(c.old_verdict), "new_verdict": str(c.new_verdict),
                     "region": c.region, "description": c.text,
                     "witness": witness_json(c.witness),
                     "old_clauses": list(c.old_clauses), "new_clauses": list(c.new_clauses)}
                    for c in diff.changes],
        "aggregate_changes": [{"clause": a.clause, "change": a.change, "fields": list(a.fields),
                               "old": a.old, "new": a.new} for a in diff.aggregate_changes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def diff_markdown(diff: Diff) -> str:
    """The diff as a pull-request comment: a table of regions, then the aggregates."""
    lines = [f"### dealcheck diff: {_cell(_header(diff))}", ""]
    if not diff.changes:
        lines.append("No deployment changes verdict.")
    else:
        lines += ["| # | Verdict | Clauses | Deployments | Witness |",
                  "|---|---|---|---|---|"]
        for n, c in enumerate(diff.changes, 1):
            clauses = ", ".join(f"`{x}`" for x in dict.fromkeys(c.old_clauses + c.new_clauses))
            lines.append(f"| {n} | {c.old_verdict} → **{c.new_verdict}** | {clauses} | "
                         f"{_cell(c.text)} | `{_cell(witness_text(c.witness))}` |")
    if diff.aggregate_changes:
        lines += ["", "Aggregate clauses changed:", ""]
        lines += [f"- `{a.clause}`: {_cell(_aggregate_line(a).split(': ', 1)[1])}"
                  for a in diff.aggregate_changes]
    return "\n".join(lines) + "\n"


def analysis_text(analysis: Analysis) -> str:
    """`dealcheck analyze` for people: one line per finding, `file:line:column: kind: …`."""
    lines = []
    for f in analysis.findings:
        loc = f.location
        lines.append(f"{loc.file}:{loc.line}:{loc.column}: {f.kind}: {f.message}")
        if f.witness is not None:
            lines.append(f"  witness: {witness_text(f.witness)}")
    count = len(analysis.findings)
    lines.append(f"{count} finding{'s' * (count != 1)}")
    return "\n".join(lines) + "\n"


def analysis_json(analysis: Analysis) -> str:
    """`dealcheck analyze --format json` (DESIGN §6b)."""
    document = {"findings": [
        {"kind": f.kind, "clauses": list(f.clauses), "message": f.message,
         "location": {"file": f.location.file, "line": f.location.line,
                      "column": f.location.column},
         "witness": None if f.witness is None else witness_json(f.witness)}
        for f in analysis.findings]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
