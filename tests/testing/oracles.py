"""Comparing dealcheck's reports with the oracles: the reference interpreter and Cedar.

Shared by the differential tests and by the long run in `fuzz/differential.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import reference_interpreter as ref
from hypothesis import HealthCheck, settings

from dealcheck.checker.results import AggregateResult, Report
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment
from hypothesis_profiles import examples

ROOT = Path(__file__).resolve().parents[2]
MICROSOFT_OPENAI = ROOT / "examples" / "microsoft-openai" / "terms.deal"
STARGATE = ROOT / "examples" / "stargate" / "terms.deal"


def outcome_of(report: Report) -> ref.Outcome:
    """The parts of a report that the reference interpreter decides, in its shape."""
    deployments = tuple(
        (r.id, ref.DeploymentOutcome(
            str(r.verdict), r.evaluated_on, r.not_covered,
            tuple(sorted(((f.clause, ref.FindingOutcome(
                str(f.outcome), frozenset(f.missing_facts), frozenset(f.overridden_by),
                f.advisory))
                for f in r.findings), key=ref.pair_order))))
        for r in report.deployments)
    versions = [
        (ref.version_key(a.clause, a.window_from),
         ref.AggregateOutcome(a.kind, str(a.verdict), a.total, a.contributors,
                              a.missing_quantity, a.unknown_scope, a.evaluated_on,
                              _projected(a), a.advisory,
                              None if a.periods is None else tuple(
                                  (p.first, p.last, p.total, str(p.verdict))
                                  for p in a.periods)))
        for a in report.aggregates]
    aggregates = tuple(sorted(versions, key=ref.pair_order))
    return ref.Outcome(deployments, aggregates)


def _projected(a: AggregateResult) -> tuple[str, str, dt.date | None]:
    p = a.projected
    assert p is not None  # INVARIANT: the checker projects every aggregate
    return p.total, str(p.verdict), p.crossed_on


def differences(expected: ref.Outcome, got: ref.Outcome) -> list[str]:
    """Readable differences between the reference's outcome and dealcheck's."""
    out: list[str] = []
    want_d, got_d = dict(expected.deployments), dict(got.deployments)
    if [i for i, _ in expected.deployments] != [i for i, _ in got.deployments]:
        out.append(f"deployment ids: reference {list(want_d)}, dealcheck {list(got_d)}")
    for ident, want in want_d.items():
        have = got_d.get(ident)
        if have is not None and have != want:
            out.append(f"deployment `{ident}`:\n  reference {want}\n  dealcheck {have}")
    # A clause may have several results (one per version in force), so each
    # side is grouped by clause rather than put in a dict that keeps the last.
    want_a, got_a = _by_clause(expected.aggregates), _by_clause(got.aggregates)
    for clause in sorted(set(want_a) | set(got_a)):
        if want_a.get(clause) != got_a.get(clause):
            out.append(f"aggregate `{clause}`:\n  reference {want_a.get(clause)}\n"
                       f"  dealcheck {got_a.get(clause)}")
    return out


def _by_clause(pairs: Sequence[tuple[str, ref.AggregateOutcome]]
               ) -> dict[str, list[ref.AggregateOutcome]]:
    grouped: dict[str, list[ref.AggregateOutcome]] = {}
    for clause, outcome in pairs:
        grouped.setdefault(clause, []).append(outcome)
    return grouped


#: Cases per differential test in a long run (0: each test's own modest default).
LONG_RUN = int(os.environ.get("DEALCHECK_DIFFERENTIAL_CASES", "0") or 0)


def differential_settings(default: int) -> settings:
    """`default` cases as the Hypothesis profile scales them (`hypothesis_profiles`), or
    ``DEALCHECK_DIFFERENTIAL_CASES`` of them in a long run."""
    if LONG_RUN:
        return settings(max_examples=LONG_RUN, deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))
    return settings(max_examples=examples(default), deadline=None)


def reference_differences(terms: m.Terms, deployments: Sequence[Deployment],
                          as_of: dt.date | None, evaluated: m.Terms | None = None) -> list[str]:
    """Check with dealcheck (on `evaluated`, default `terms`) and with the reference."""
    report = (evaluated or terms).check(deployments, as_of)
    return differences(ref.judge(terms, deployments, as_of), outcome_of(report))


def without_exceptions(terms: m.Terms) -> m.Terms:
    """A deliberately wrong reading of the terms: every `notwithstanding` ignored."""
    clauses = tuple(dataclasses.replace(c, overrides=()) if c.kind is m.ClauseKind.PERMISSION
                    else c for c in terms.clauses)
    return dataclasses.replace(terms, clauses=clauses, _compiled=None)


def revoked_a_day_late(terms: m.Terms) -> m.Terms:
    """A deliberately wrong reading: every revoked clause still binds on the revocation day."""
    one = dt.timedelta(days=1)
    clauses = tuple(dataclasses.replace(c, in_force_through=c.in_force_through + one)
                    if c.in_force_through is not None and c.in_force_through < dt.date.max
                    else c for c in terms.clauses)
    return dataclasses.replace(terms, clauses=clauses, _compiled=None)
