"""`dealcheck diff`: the regions of deployments whose verdict two versions of the terms change.

Each leaf of the split (`analysis.space`) is judged by the reference evaluator
under both files, on its representative deployment; the leaves whose
verdicts differ are merged into regions (`analysis.regions`). A subtree in
which both files hold the same clauses is skipped: nothing there can differ.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from dealcheck.analysis.regions import group_by, merge_boxes, region_json, region_text
from dealcheck.analysis.space import Box, Item, Space, Splitter, build_space
from dealcheck.checker.complete import clause_reads
from dealcheck.checker.evaluate import evaluate_reference
from dealcheck.checker.results import DeploymentResult, Outcome, Verdict
from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.rules import model as m
from dealcheck.rules.units import format_amount
from dealcheck.scenario.model import Deployment
from dealcheck.terms import Terms

#: A leaf's outcome: old and new verdicts, and the clauses behind each.
Label = tuple[Verdict, Verdict, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Change:
    """One region whose deployments all get `old_verdict` under the old terms and
    `new_verdict` under the new ones."""

    old_verdict: Verdict
    new_verdict: Verdict
    old_clauses: tuple[str, ...]
    new_clauses: tuple[str, ...]
    region: dict[str, object]
    text: str
    witness: Deployment
    box: Box = field(repr=False)


@dataclass(frozen=True, slots=True)
class AggregateChange:
    """An aggregate clause whose limit, window or selection differs (or that one side lacks)."""

    clause: str
    change: str                      # "added", "removed" or "changed"
    fields: tuple[str, ...]          # of "limit", "window", "selection"
    old: dict[str, object] | None
    new: dict[str, object] | None


@dataclass(slots=True)
class Diff:
    """What changes from `old` to `new` (what `dealcheck.diff` returns)."""

    old: m.Terms
    new: m.Terms
    old_as_of: dt.date | None
    new_as_of: dt.date | None
    space: Space
    changes: tuple[Change, ...]
    aggregate_changes: tuple[AggregateChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.aggregate_changes)

    def change_of(self, d: Deployment) -> Change | None:
        """The region `d` lies in, if any (None: both files give it the same verdict)."""
        where = self.space.locate(d)
        for change in self.changes:
            if all(i in s for i, s in zip(where, change.box, strict=True)):
                return change
        return None

    def to_json(self) -> str:
        from dealcheck.analysis.render import diff_json

        return diff_json(self)

    def to_text(self) -> str:
        from dealcheck.analysis.render import diff_text

        return diff_text(self)

    def to_markdown(self) -> str:
        from dealcheck.analysis.render import diff_markdown

        return diff_markdown(self)


def _deciding(result: DeploymentResult) -> tuple[str, ...]:
    wanted = {Verdict.VIOLATION: Outcome.VIOLATED,
              Verdict.UNDETERMINED: Outcome.UNKNOWN}.get(result.verdict)
    return tuple(sorted({f.clause for f in result.findings
                         if f.outcome is wanted and not f.advisory}))


def _meaning(clause: m.Clause, dated: bool, operators: dict[str, str]) -> tuple[object, ...]:
    """What a clause says in one file: the same clause text reading `operator` says
    something else where that file gives a provider another operator."""
    window = (clause.in_force_from, clause.in_force_through) if not dated else ()
    read = tuple(sorted(operators.items())) if "operator" in clause_reads(clause) else ()
    return (clause.id, clause.kind, clause.scope, clause.rule, clause.overrides,
            clause.advisory, *window, read)


def _refuse_states(sides: Sequence[m.Terms]) -> None:
    """DC235 at the first clause state read by either file (none: nothing to refuse)."""
    for terms in sides:
        for clause in terms.clauses:
            for test in m.clause_states_read(clause):
                raise DiagnosticsError([error(
                    "DC235", f"`diff` cannot compare terms that read the state of "
                    f"`{test.ref.name}`", test.span,
                    "a clause's state depends on the other deployments of a scenario: "
                    "compare the two versions with `dealcheck check` on that scenario")],
                    {test.span.file: terms.source})


def diff_terms(old: m.Terms, new: m.Terms, as_of: dt.date | None = None, *,
               old_as_of: dt.date | None = None, new_as_of: dt.date | None = None) -> Diff:
    """The regions of deployments whose verdict differs between `old` and `new`.

    `as_of` fixes the evaluation date of both; `old_as_of` / `new_as_of` fix one
    side's (the terms as of one date against the terms as of another).

    Raises:
        DiagnosticsError: DC235 when a condition of either file reads a clause's
            state, which depends on the other deployments of a scenario.
    """
    old_day, new_day = old_as_of or as_of, new_as_of or as_of
    sides = (Terms.of(old), Terms.of(new))
    _refuse_states(sides)
    space = build_space(sides)
    splitter = Splitter(space, (old_day, new_day), complete=False)
    items = [Item(side, c) for side, terms in enumerate(sides) for c in terms.clauses
             if not c.kind.is_aggregate]
    fixed = (old_day is not None, new_day is not None)
    operators = (space.operators_of(0), space.operators_of(1))

    def same(in_play: Sequence[Item], dated: bool) -> bool:
        keys = [Counter(_meaning(i.clause, dated or fixed[i.side], operators[side])
                        for i in in_play if i.side == side) for side in (0, 1)]
        return keys[0] == keys[1]

    compiled = (sides[0].compiled(), sides[1].compiled())
    labelled: list[tuple[Label, Box]] = []
    for box, d, _ in splitter.leaves(items, same):
        # Each leaf is judged once: the verdicts and the clauses behind them, no fixes.
        before = evaluate_reference(compiled[0], d, old_day, fixes=False)
        after = evaluate_reference(compiled[1], d, new_day, fixes=False)
        if before.verdict != after.verdict:
            labelled.append(((before.verdict, after.verdict, _deciding(before),
                              _deciding(after)), box))
    changes: list[Change] = []
    for label, boxes in sorted(group_by(labelled).items(), key=lambda kv: _label_key(kv[0])):
        for box in merge_boxes(space, boxes):
            witness = splitter.witness(box, "")
            assert witness is not None    # a merged box holds its leaves' witnesses
            changes.append(Change(label[0], label[1], label[2], label[3],
                                  region_json(space, box),
                                  region_text(space, box, new.vocabulary), witness, box))
    changes.sort(key=lambda c: (_first_date(c.region["dates"]), _label_key(
        (c.old_verdict, c.new_verdict, c.old_clauses, c.new_clauses)), c.text))
    numbered = tuple(Change(c.old_verdict, c.new_verdict, c.old_clauses, c.new_clauses,
                            c.region, c.text, _named(c.witness, f"change-{n}"), c.box)
                     for n, c in enumerate(changes, 1))
    return Diff(old, new, old_day, new_day, space, numbered,
                aggregate_changes(old, new, old_day, new_day))


def _first_date(dates: object) -> str:
    first = dates[0] if isinstance(dates, list) else dates
    return str(first.get("from") or "") if isinstance(first, dict) else ""


def _label_key(label: Label) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    return (str(label[0]), str(label[1]), label[2], label[3])


def _named(d: Deployment, ident: str) -> Deployment:
    return Deployment(ident, d.party, d.workload, d.provider, d.start, d.region, d.end,
                      d.capacity, d.value, d.facts)


# ---------------------------------------------------------------- aggregates


def _aggregate_view(clause: m.Clause) -> dict[str, object]:
    rule = clause.rule
    assert isinstance(rule, m.Aggregate)
    return {
        "limit": format_amount(rule.limit.amount, rule.limit.dimension, exact=True),
        "window": {"from": _iso(rule.window_from), "through": _iso(rule.window_through)},
        "in_force": {"from": _iso(clause.in_force_from), "through": _iso(clause.in_force_through)},
    }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _versions(terms: m.Terms, day: dt.date | None) -> dict[str, list[m.Clause]]:
    out: dict[str, list[m.Clause]] = {}
    for clause in terms.clauses:
        if clause.kind.is_aggregate and (day is None or clause.in_force_on(day)):
            out.setdefault(clause.id, []).append(clause)
    return out


def _fields(a: m.Clause, b: m.Clause) -> list[str]:
    ra, rb = a.rule, b.rule
    assert isinstance(ra, m.Aggregate) and isinstance(rb, m.Aggregate)
    out: list[str] = []
    if (ra.measure, ra.limit, ra.strict, ra.deadline, ra.share, ra.period,
            ra.in_addition_to) != (rb.measure, rb.limit, rb.strict, rb.deadline, rb.share,
                                   rb.period, rb.in_addition_to) or a.kind != b.kind:
        out.append("limit")
    if ((ra.window_from, ra.window_through, a.in_force_from, a.in_force_through)
            != (rb.window_from, rb.window_through, b.in_force_from, b.in_force_through)):
        out.append("window")
    if a.scope != b.scope:
        out.append("selection")
    return out


def aggregate_changes(old: m.Terms, new: m.Terms, old_day: dt.date | None,
                      new_day: dt.date | None) -> tuple[AggregateChange, ...]:
    """The aggregate clauses whose limit, window or selection differs, by id in file order."""
    before, after = _versions(old, old_day), _versions(new, new_day)
    out: list[AggregateChange] = []
    for ident in dict.fromkeys([*before, *after]):
        a, b = before.get(ident, []), after.get(ident, [])
        if not b:
            out.append(AggregateChange(ident, "removed", (), _aggregate_view(a[-1]), None))
        elif not a:
            out.append(AggregateChange(ident, "added", (), None, _aggregate_view(b[-1])))
        else:
            fields: dict[str, None] = {}
            for x, y in zip(a, b, strict=False):
                fields.update(dict.fromkeys(_fields(x, y)))
            if len(a) != len(b):
                fields["window"] = None
            if fields:
                out.append(AggregateChange(ident, "changed", tuple(
                    f for f in ("limit", "window", "selection") if f in fields),
                    _aggregate_view(a[-1]), _aggregate_view(b[-1])))
    return tuple(out)
