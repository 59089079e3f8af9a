"""Resolution pass, after `in addition to`: clause states as conditions (DC160–DC163).

``CLAUSE is compliant|violated|open`` names an aggregate clause (a cap, a
commitment or a share) of this agreement, in a state it can reach; a clause
is never named like a fact whose value it would stand for; and aggregates
may not depend on each other's states in a cycle (an aggregate's `when`
decides what it counts, so its state must be known before its own).
"""

from __future__ import annotations

from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import Context
from dealcheck.rules.resolve.exceptions import find_cycle

_WORD = {verdict: word for word, verdict in m.STATE_VERDICTS.items()}


def states(ctx: Context) -> None:
    """Check every state test, then report each cycle among aggregates once."""
    kinds: dict[str, list[m.Clause]] = {}
    for c in ctx.clauses:
        kinds.setdefault(c.id, []).append(c)
    aggregates = sorted(ident for ident, cs in kinds.items()
                        if any(c.kind.is_aggregate for c in cs))
    graph: dict[str, set[str]] = {}
    first: dict[tuple[str, str], m.Member] = {}
    for clause in ctx.clauses:
        for test in m.clause_states_read(clause):
            if _checked(ctx, test, kinds, aggregates) and clause.kind.is_aggregate:
                graph.setdefault(clause.id, set()).add(test.ref.name)
                first.setdefault((clause.id, test.ref.name), test)
    for start in sorted(graph):
        cycle = find_cycle(graph, start)
        if cycle and cycle[0] == start and start == min(cycle):
            after = cycle[1] if len(cycle) > 1 else start
            ctx.err("DC162", "aggregates depend on each other's states in a cycle: "
                    + " → ".join(f"`{x}`" for x in [*cycle, cycle[0]]),
                    first[(start, after)].span,
                    f"what `{start}` counts cannot depend on its own verdict: break the "
                    "cycle, so that one aggregate of it tests no state of another")


def _checked(ctx: Context, test: m.Member, kinds: dict[str, list[m.Clause]],
             aggregates: list[str]) -> bool:
    """Whether the state test names an aggregate clause in a state it can reach."""
    name = test.ref.name
    found = kinds.get(name)
    if found is None:
        if name in ctx.broken:
            return False
        close = did_you_mean(name, aggregates)
        ctx.err("DC160", f"unknown clause `{name}`", test.ref.span,
                f"did you mean `{close}`?" if close else
                "name a cap, commitment or share of this agreement")
        return False
    if name in ctx.vocab.facts:
        ctx.err("DC163", f"`{name}` is both a clause and a fact", test.ref.span,
                f"rename the fact `{name}` (or the clause) so that `{name} is …` reads "
                "one of them")
        return False
    possible = {s for c in found for s in m.possible_states(c)}
    if not possible:
        kind = str(found[0].kind)
        article = "an" if kind[0] in "aeiou" else "a"
        ctx.err("DC161", f"clause `{name}` is {article} {kind}: it has no state",
                test.ref.span, "a state is the verdict of a cap, commitment or share; test "
                "the facts this clause reads instead")
        return False
    wanted = next(iter(test.values))
    if wanted not in possible:
        words = " or ".join(f"`{_WORD[s]}`" for s in ("compliant", "violation", "open")
                            if s in possible)
        ctx.err("DC161", f"clause `{name}` is never {_WORD[wanted]}: a {found[0].kind} "
                f"is {words}", test.span,
                f"write `{name} is compliant`, or `{name} is violated`")
        return False
    return True
