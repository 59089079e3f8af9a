"""The reference interpreter's clause states (docs/language.md §7.2), for differential tests.

Written from the language reference, not from `dealcheck.checker.states`:
``X is compliant|violated|open`` holds for a deployment when the version of
aggregate clause `X` in force on the deployment's evaluation date, judged as
a check ``--as-of`` that date judges it (over every deployment given), has
that verdict. Undetermined: the test is unknown and `X` is the missing fact,
whose completions are the verdicts `X` can reach. No version in force: every
test is false. An aggregate whose own `when` reads a state sees each
deployment with the states on that deployment's evaluation date; this is
worked out here by recursion, remembering each clause's verdict per day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment

#: A clause with no version in force on the day: a value no state test accepts.
NO_VERSION = "(not in force)"

#: How one version of an aggregate is judged: (clause, deployments, as_of, latest) -> verdict.
JudgeVersion = Callable[[m.Clause, Sequence[Deployment], dt.date | None, dt.date | None], str]


def _tests(c: m.Condition | None) -> list[str]:
    """The clause ids a condition reads the state of."""
    if c is None:
        return []
    if isinstance(c, m.Not):
        return _tests(c.item)
    if isinstance(c, m.And | m.Or):
        return [n for i in c.items for n in _tests(i)]
    if isinstance(c, m.Member) and c.ref.state:
        return [c.ref.name]
    return []


def read_by(clause: m.Clause) -> list[str]:
    names = _tests(clause.scope.condition)
    if isinstance(clause.rule, m.Requirement):
        names += _tests(clause.rule.condition)
    return names


def stated(terms: m.Terms) -> set[str]:
    """Every clause whose state some clause reads."""
    return {n for c in terms.clauses for n in read_by(c)}


def reachable(terms: m.Terms, clause_id: str) -> list[str]:
    """The verdicts an aggregate clause can have on a day (its versions together)."""
    out: list[str] = []
    for c in terms.clauses:
        if c.id != clause_id or not isinstance(c.rule, m.Aggregate):
            continue
        may_be_open = c.kind is m.ClauseKind.COMMITMENT or (
            c.kind is m.ClauseKind.SHARE and c.rule.share is not None and c.rule.share.at_least)
        for v in ("compliant", "violation", "open"):
            if v not in out and (v != "open" or may_be_open):
                out.append(v)
    return out


class StateBook:
    """Clause verdicts per day, computed on demand over one scenario."""

    def __init__(self, terms: m.Terms, deployments: Sequence[Deployment], as_of: dt.date | None,
                 judge_version: JudgeVersion) -> None:
        self.terms = terms
        self.given = list(deployments)
        self.as_of = as_of
        self.judge_version = judge_version
        self.latest = max((d.start for d in deployments), default=None)
        self.memo: dict[tuple[str, dt.date], str | None] = {}

    def state(self, clause_id: str, day: dt.date) -> str | None:
        key = (clause_id, day)
        if key not in self.memo:
            self.memo[key] = self._state(clause_id, day)
        return self.memo[key]

    def _state(self, clause_id: str, day: dt.date) -> str | None:
        version = next((c for c in self.terms.clauses if c.id == clause_id
                        and c.in_force_from <= day
                        and (c.in_force_through is None or day <= c.in_force_through)
                        and day >= self.terms.effective), None)
        if version is None:
            return NO_VERSION
        seen = self.given
        if read_by(version):
            seen = [self.carrying(d, read_by(version)) for d in self.given]
        verdict = self.judge_version(version, seen, day, self.latest)
        return None if verdict == "undetermined" else verdict

    def carrying(self, d: Deployment, names: Sequence[str]) -> Deployment:
        """`d` with the states of `names` on its evaluation date as facts (undetermined: absent)."""
        day = self.as_of if self.as_of is not None else d.start
        facts = dict(d.facts)
        for name in names:
            value = self.state(name, day)
            if value is not None:
                facts[name] = value  # type: ignore[assignment]
        return dataclasses.replace(d, facts=facts)


def with_states(terms: m.Terms, deployments: Sequence[Deployment], as_of: dt.date | None,
                judge_version: JudgeVersion) -> list[Deployment]:
    """The deployments, each carrying every state the terms read (the same list when none)."""
    names = sorted(stated(terms))
    if not names:
        return list(deployments)
    book = StateBook(terms, deployments, as_of, judge_version)
    return [book.carrying(d, names) for d in deployments]
