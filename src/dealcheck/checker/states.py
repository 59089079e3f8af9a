"""Clause states as conditions: two-phase judging (docs/language.md §7.2).

``minimums is compliant`` reads an aggregate clause's verdict on the
evaluation date of the deployment judged, as a check with ``--as-of`` that
date would report it. So a check whose terms read states first judges the
aggregates those conditions name, on each evaluation date its deployments
have, over every deployment given; then judges the deployments with those
verdicts known. Each verdict is given to the deployment as a fact named like
the clause (`model.FieldRef.state`): the compiled evaluators read it like any
fact, so their per-key memo holds the states, and the reference evaluator,
completions and missing facts treat it like one:

- `compliant`, `violation` or `open`: the state tests decide;
- `undetermined`: the fact is absent, so the test is unknown and the clause is
  named as the missing fact (a completion tries each verdict it can reach);
- no version in force on the date: every state test is false.

An aggregate whose own `when` reads a state counts a deployment by the states
on the deployment's evaluation date too: aggregates are judged in layers, each
over deployments that carry the states of the layers before it (resolution
rejects cycles, DC162).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.complete import with_values
from dealcheck.rules import model as m
from dealcheck.scenario.generated import as_deployment
from dealcheck.scenario.model import Deployment

#: The state of a clause with no version in force on the date: no test holds.
NOT_IN_FORCE = "not_in_force"

#: A clause id -> its verdict on one date (None: undetermined).
Verdicts = dict[str, str | None]


def layers(terms: m.Terms) -> list[list[str]]:
    """The clauses whose state is read, in layers: each depends only on those before it.

    A clause's layer is one more than the highest layer of the states its own
    conditions read (0 when it reads none). Resolution has rejected cycles.
    """
    read = terms.states()
    needs: dict[str, set[str]] = {c: set() for c in read}
    for clause in terms.clauses:
        if clause.id in needs:
            needs[clause.id] |= {t.ref.name for t in m.clause_states_read(clause)}
    level: dict[str, int] = {}

    def depth(ident: str, seen: frozenset[str]) -> int:
        if ident not in level:
            below = [depth(n, seen | {ident}) for n in needs.get(ident, ()) if n not in seen]
            level[ident] = 1 + max(below, default=-1)
        return level[ident]

    for ident in read:
        depth(ident, frozenset())
    out: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for ident in read:
        out[level[ident]].append(ident)
    return out


def verdicts_on(ct: CompiledTerms, deployments: Iterable[Deployment], day: dt.date,
                wanted: Iterable[str]) -> Verdicts:
    """The verdicts of the `wanted` clauses on `day`, as ``--as-of day`` reports them."""
    book = AggregateBook(ct, day)
    for d in deployments:
        book.add(d)
    found: Verdicts = dict.fromkeys(wanted, NOT_IN_FORCE)
    for result in book.results():
        if result.clause not in found:
            continue
        clause = ct.terms.clause(result.clause, day)
        if clause is None or result.evaluated_on != day:
            continue  # a version no longer in force (judged on its last day)
        found[result.clause] = None if result.verdict == "undetermined" else str(result.verdict)
    return found


def state_word(value: object) -> str:
    """A state as `explain` shows it: the verdict, `undetermined`, or not in force."""
    if value is None:
        return "undetermined"
    if value == NOT_IN_FORCE:
        return "not in force"
    return next((w for w, v in m.STATE_VERDICTS.items() if v == value), str(value))


class States:
    """The states each deployment of a scenario sees, on its evaluation date."""

    def __init__(self, ct: CompiledTerms, deployments: Sequence[Deployment],
                 as_of: dt.date | None) -> None:
        self.ct = ct
        self.as_of = as_of
        self.given = [as_deployment(d) for d in deployments]
        #: Evaluation date -> every read clause's verdict on it.
        self.by_day: dict[dt.date, Verdicts] = {}
        days = sorted({as_of or d.start for d in self.given})
        carried = self.given
        for layer in layers(ct.terms):
            for day in days:
                self.by_day.setdefault(day, {}).update(verdicts_on(ct, carried, day, layer))
            carried = [self.carry(d) for d in self.given]
        self.carried = carried

    def carry(self, d: Deployment) -> Deployment:
        """`d` with the states known on its evaluation date set as facts (undetermined ones left
        absent)."""
        known = self.by_day.get(self.as_of or d.start, {})
        return with_values(d, ((name, value) for name, value in known.items()
                               if value is not None))


def with_states(ct: CompiledTerms, deployments: Iterable[Deployment],
                as_of: dt.date | None) -> Iterator[Deployment]:
    """The deployments, each carrying the states its terms read (unchanged when none)."""
    if not ct.states:
        yield from deployments
        return
    yield from States(ct, list(deployments), as_of).carried


def in_context(ct: CompiledTerms, d: Deployment,
               everyone: Callable[[], Iterable[Deployment]], as_of: dt.date | None) -> Deployment:
    """`d` carrying the states it sees among `everyone` of its scenario (to explain or decide
    it alone)."""
    if not ct.states:
        return d
    return States(ct, list(everyone()), as_of).carry(d)
