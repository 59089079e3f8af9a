"""Resolution pass 3: clauses and their versions — the agreement's, then each amendment's.

An amendment adds clauses, revokes them or replaces them; each change ends
the version in force the day before and, for `replace`, starts a new one
(DC103, DC104, DC105, DC110, DC114, DC115). Then every version's rule is
resolved: its scope, condition and limit (DC106–DC108, DC113, DC118).
"""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Related, did_you_mean
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.resolve.context import COUNT_DIMENSIONS, MEASURES, Context, Version
from dealcheck.rules.resolve.durations import clause_through
from dealcheck.rules.resolve.expressions import (
    condition,
    describe_dimension,
    names,
    quantity,
    scope,
)
from dealcheck.rules.units import Quantity


def clauses(ctx: Context) -> None:
    """Fill `ctx.effective`, `versions`, `by_id`, `amendments` and `clauses`."""
    ctx.effective = ctx.date(ctx.doc.agreement.effective)
    for item in ctx.doc.items:
        if isinstance(item, ast.Clause):
            add_version(ctx, item, ctx.effective, None)
    amendments(ctx)
    for v in ctx.versions:
        built = rule(ctx, v.node)
        if built is None or v.start is None:
            continue
        kind, clause_scope, clause_rule = built
        overrides = tuple(n.value for n in v.node.notwithstanding)
        ctx.clauses.append(m.Clause(
            v.node.id.value, kind, clause_scope, clause_rule, v.node.label, v.node.sources,
            overrides, v.start, v.through, v.amendment, v.node.id.span,
            advisory(ctx, v.node, kind)))


def advisory(ctx: Context, c: ast.Clause, kind: m.ClauseKind) -> bool:
    """Whether the clause is a target rather than a promise; a permission cannot be (DC140).

    A permission promises nothing that could be missed: it lifts the clauses it
    names, so `advisory` on one would mean nothing and is an error.
    """
    if not c.advisory:
        return False
    if kind is m.ClauseKind.PERMISSION:
        head = f"clause {c.id.value}"
        if c.label is not None:
            head += f' "{c.label}"'
        if c.notwithstanding:
            head += " notwithstanding " + ", ".join(n.value for n in c.notwithstanding)
        ctx.err("DC140", f"permission `{c.id.value}` cannot be advisory", c.id.span,
                f"a permission lifts the clauses it names and promises nothing: "
                f"write the header without `advisory`, as `{head}:`")
        return False
    return True


# ---------------------------------------------------------------- versions
def add_version(ctx: Context, c: ast.Clause, intro: dt.date | None, amendment: str | None,
                replacing: bool = False) -> None:
    """Add a version of `c`, introduced on `intro` by the agreement or `amendment`."""
    if c.id.value in ctx.by_id and not replacing:
        first = ctx.by_id[c.id.value][0].node.id.span
        ctx.err("DC103", f"clause `{c.id.value}` is defined twice", c.id.span,
                "give each clause its own id; to change a clause, use "
                f"`replace clause {c.id.value}` in an amendment",
                [Related(first, "first defined here")])
        return
    start = ctx.date(c.from_date)
    through = ctx.date(c.through_date)
    if start is not None and intro is not None and start < intro:
        where = f"amendment `{amendment}`" if amendment else "the agreement"
        ctx.err("DC115", f"clause `{c.id.value}` takes effect before {where}",
                c.from_date.span,  # type: ignore[union-attr]
                f"use a date on or after {intro.isoformat()}")
    begin = start or intro
    if c.duration is not None:
        through = clause_through(ctx, c, begin)
    if begin is not None and through is not None and through < begin:
        ctx.err("DC105", f"clause `{c.id.value}` ends before it starts",
                c.through_date.span,  # type: ignore[union-attr]
                f"`through` must be on or after {begin.isoformat()}")
    v = Version(c, begin, through, amendment)
    ctx.versions.append(v)
    ctx.by_id.setdefault(c.id.value, []).append(v)


def amendments(ctx: Context) -> None:
    """Apply the amendments in the order written, checking that their dates follow it."""
    previous: tuple[dt.date, ast.Amendment] | None = None
    ids: dict[str, Span] = {}
    for item in ctx.doc.items:
        if not isinstance(item, ast.Amendment):
            continue
        if item.id.value in ids:
            ctx.err("DC102", f"amendment `{item.id.value}` is declared twice", item.id.span,
                    "give each amendment its own id",
                    [Related(ids[item.id.value], "first declared here")])
        ids[item.id.value] = item.id.span
        when = amendment_date(ctx, item, previous)
        if when is not None:
            previous = (when, item)
        amend(ctx, item, when)


def amendment_date(ctx: Context, item: ast.Amendment,
                   previous: tuple[dt.date, ast.Amendment] | None) -> dt.date | None:
    """The amendment's date, on or after the agreement's and the amendment above (DC114)."""
    when = ctx.date(item.effective)
    if when is not None and ctx.effective is not None and when < ctx.effective:
        ctx.err("DC114", f"amendment `{item.id.value}` takes effect before the agreement",
                item.effective.span, f"use a date on or after {ctx.effective.isoformat()}")
    if when is not None and previous is not None and when < previous[0]:
        ctx.err("DC114", f"amendment `{item.id.value}` takes effect before the "
                f"amendment above it", item.effective.span,
                "list amendments in the order they take effect",
                [Related(previous[1].effective.span, "that one takes effect here")])
    return when


def amend(ctx: Context, item: ast.Amendment, when: dt.date | None) -> None:
    """Add, revoke and replace the amendment's clauses, and record it when it has a date."""
    amendment = item.id.value
    added: list[str] = []
    revoked: list[str] = []
    replaced: list[str] = []
    for sub in item.items:
        match sub:
            case ast.Revoke():
                for ident in sub.ids:
                    if end_version(ctx, ident, when, amendment, "revoke"):
                        revoked.append(ident.value)
            case ast.Replace():
                ident = sub.clause.id
                if end_version(ctx, ident, when, amendment, "replace"):
                    replaced.append(ident.value)
                    add_version(ctx, sub.clause, when, amendment, replacing=True)
            case ast.Clause():
                add_version(ctx, sub, when, amendment)
                added.append(sub.id.value)
            case _:
                assert_never(sub)
    if when is not None:
        ctx.amendments.append(m.Amendment(amendment, item.title, when, tuple(added),
                                          tuple(revoked), tuple(replaced), item.id.span))


def end_version(ctx: Context, ident: ast.Name, when: dt.date | None, amendment: str,
                verb: str) -> bool:
    """Close the version of `ident` in force on `when`.

    With none in force (revoked, replaced or expired), `revoke` is an error
    and `replace` renews the clause: the new version starts on `when`.
    """
    found = ctx.by_id.get(ident.value)
    if not found:
        if ident.value not in ctx.broken:
            close = did_you_mean(ident.value, ctx.by_id)
            ctx.err("DC101", f"unknown clause `{ident.value}`", ident.span,
                    f"did you mean `{close}`?" if close else f"only an existing clause can "
                    f"be {verb}d")
        return False
    if when is None:
        return False
    current = found[-1]
    if current.ended_by is not None or (current.through is not None
                                        and current.through < when):
        if verb == "replace":
            return True  # a renewal: the new version starts after a gap
        how = (f"it was {current.ended_by[0]}d by `{current.ended_by[1]}`"
               if current.ended_by else f"it expired on {current.through}")
        ctx.err("DC110", f"clause `{ident.value}` is not in force on {when.isoformat()}",
                ident.span, how, [Related(current.node.id.span, "the clause is defined here")])
        return False
    if when == dt.date.min:
        # The version would end the day before: a day no calendar holds.
        ctx.err("DC104", f"clause `{ident.value}` cannot be {verb}d on "
                f"{when.isoformat()}: it would end the day before, and no date comes "
                "before it", ident.span,
                f"date amendment `{amendment}` on or after "
                f"{(when + dt.timedelta(days=1)).isoformat()}")
        return False
    day_before = when - dt.timedelta(days=1)
    current.through = day_before if current.through is None else min(current.through,
                                                                     day_before)
    current.ended_by = (verb, amendment)
    return True


# ---------------------------------------------------------------- rules
def rule(ctx: Context, c: ast.Clause) -> tuple[m.ClauseKind, m.Scope, m.Rule] | None:
    """The kind, scope and rule of a clause; None when its rule cannot be built."""
    r = c.rule
    clause_scope = scope(ctx, r.pattern)
    match r:
        case ast.Restriction():
            return restriction(ctx, r.kind, clause_scope)
        case ast.Prohibition():
            return m.ClauseKind.PROHIBITION, clause_scope, m.Prohibition()
        case ast.Permission():
            return m.ClauseKind.PERMISSION, clause_scope, m.Permission()
        case ast.Aggregate():
            return aggregate(ctx, r, clause_scope)
        case _:
            assert_never(r)


def restriction(ctx: Context, k: ast.RestrictionKind,
                clause_scope: m.Scope) -> tuple[m.ClauseKind, m.Scope, m.Rule]:
    match k:
        case ast.OnlyOn():
            return (m.ClauseKind.EXCLUSIVITY, clause_scope, m.Exclusivity(
                "provider", names(ctx, k.names, "provider"), tuple(n.value for n in k.names)))
        case ast.OnlyIn():
            return (m.ClauseKind.EXCLUSIVITY, clause_scope, m.Exclusivity(
                "region", names(ctx, k.names, "region"), tuple(n.value for n in k.names)))
        case ast.OnlyIf():
            return m.ClauseKind.REQUIREMENT, clause_scope, m.Requirement(condition(ctx, k.cond))
        case _:
            assert_never(k)


def aggregate(ctx: Context, r: ast.Aggregate,
              clause_scope: m.Scope) -> tuple[m.ClauseKind, m.Scope, m.Rule] | None:
    """A cap or a commitment: a total of `value` or `capacity` (DC113), its limit and window.

    A count (``number of deployments``) has a plain number for its limit, or
    a number of a count unit (DC106).
    """
    if r.share is not None:
        from dealcheck.rules.resolve.shares import share

        return share(ctx, r, r.share, clause_scope)
    measure = m.COUNT if r.counted else r.measure.value
    if not r.counted and measure not in MEASURES:
        close = did_you_mean(measure, MEASURES)
        ctx.err("DC113", f"cannot total `{measure}`", r.measure.span,
                f"did you mean `{close}`?" if close else "total `value` or `capacity`")
        return None
    if r.counted:
        limit = count_limit(ctx, r.limit)
    else:
        limit = quantity(ctx, r.limit, ctx.vocab.units.of_kinds(MEASURES[measure]),
                         f"`{measure}`")
    window_from, window_through = window(ctx, r)
    deadline = ctx.date(r.deadline)
    if limit is None:
        return None
    kind = m.ClauseKind.CAP if r.is_cap else m.ClauseKind.COMMITMENT
    return kind, clause_scope, m.Aggregate(measure, limit, window_from, window_through, deadline,
                                           r.strict, period=r.period,
                                           in_addition_to=None if r.in_addition_to is None
                                           else r.in_addition_to.value)


def window(ctx: Context, r: ast.Aggregate) -> tuple[dt.date | None, dt.date | None]:
    """An aggregate's `starting from … through …` (DC104, DC105)."""
    window_from, window_through = ctx.date(r.window_from), ctx.date(r.window_through)
    if window_from and window_through and window_through < window_from:
        ctx.err("DC105", "the window ends before it starts",
                r.window_through.span,  # type: ignore[union-attr]
                f"`through` must be on or after {window_from.isoformat()}")
    return window_from, window_through


def count_limit(ctx: Context, q: ast.QuantityLit) -> Quantity | None:
    """The limit of ``number of deployments``: a plain number (or of a count unit) (DC106)."""
    unit = q.unit
    dimension = None if unit is None else ctx.vocab.units.dimension_of(unit.value)
    if unit is not None and dimension is not None and dimension not in COUNT_DIMENSIONS:
        ctx.used["unit"].add(unit.value)
        ctx.err("DC106", f"a number of deployments is a plain number, but `{q.number} "
                f"{unit.value}` is {describe_dimension(dimension)}",
                q.span, f"count deployments with a plain number: `{q.number}`")
        return None
    found = quantity(ctx, q, COUNT_DIMENSIONS, "a number of deployments")
    return None if found is None else Quantity(found.amount, "", found.text)
