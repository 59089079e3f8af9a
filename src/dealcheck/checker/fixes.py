"""Fixes: the smallest changes to a deployment that settle a finding, in words.

Each alternative is searched over the values completions give each fact and
field (`checker.complete`), judged with the reference's own `judge`, and
kept only if it makes no other clause violated that was not already.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dealcheck.checker.compile import CompiledTerms, Epoch, Plan, compile_scope
from dealcheck.checker.complete import (
    CHANGEABLE_FIELDS,
    assignments,
    condition_reads,
    count,
    relation_values,
    with_values,
)
from dealcheck.checker.judge import judge, overrides
from dealcheck.checker.logic import Test, show_constant
from dealcheck.checker.results import Change, Fix, Outcome
from dealcheck.checker.states import state_word
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment


def names_text(names: Iterable[str]) -> str:
    """Names in backticks, joined for a sentence: `a`, `b` or `c`."""
    items = [f"`{n}`" for n in names]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _scope_exits(scope: m.Scope, ct: CompiledTerms) -> list[Fix]:
    """Ways to leave a clause's scope by choosing another provider or region."""
    out: list[Fix] = []
    vocab = ct.terms.vocabulary
    axes = (("provider", scope.providers, scope.providers_negated, vocab.providers,
             "run on {}", "run on a provider other than {}"),
            ("region", scope.regions, scope.regions_negated, vocab.regions,
             "run in {}", "run outside {}"))
    for field_name, chosen, negated, declared, inside, outside in axes:
        if chosen is None:
            continue
        names = sorted(chosen)
        if negated:
            values, text = tuple(names), inside.format(names_text(names))
        else:
            values = tuple(n for n in declared if n not in chosen)
            text = outside.format(names_text(names))
        if values:
            out.append(Fix((Change(field_name, values, text),), text))
    return out


@dataclass(frozen=True, slots=True)
class _Parts:
    """What a clause's fixes take from the terms alone, made once per compiled terms.

    `own`: an exclusivity's fix; `reads`: what a requirement's condition reads;
    `exits`: the ways out of its scope (`_scope_exits`); `scope_reads`: what its
    scope's condition reads; `fields_only`: a test of its scope without its
    condition (for a permission that names another clause).
    """

    clause: m.Clause
    own: tuple[Fix, ...]
    reads: tuple[str, ...] | None
    exits: tuple[Fix, ...]
    scope_reads: tuple[str, ...] | None
    fields_only: Test

    @classmethod
    def of(cls, clause: m.Clause, ct: CompiledTerms) -> _Parts:
        """The parts of `clause`, made the first time its fixes are searched."""
        found = ct.fix_parts.get(id(clause))
        if isinstance(found, _Parts) and found.clause is clause:
            return found
        rule, scope = clause.rule, clause.scope
        own: tuple[Fix, ...] = ()
        if isinstance(rule, m.Exclusivity):
            verb = "run on" if rule.target == "provider" else "run in"
            declared = ct.terms.vocabulary.names_of(rule.target)
            values = tuple(v for v in declared if v in rule.allowed)
            text = f"{verb} {names_text(rule.written)}"
            own = (Fix((Change(rule.target, values, names_text(rule.written)),), text),)
        fields_only = m.Scope(scope.parties, scope.workloads, scope.providers,
                              scope.providers_negated, scope.regions, scope.regions_negated)
        made = cls(clause, own,
                   _reads(rule.condition) if isinstance(rule, m.Requirement) else None,
                   tuple(_scope_exits(scope, ct)),
                   None if scope.condition is None else _reads(scope.condition),
                   compile_scope(fields_only, ct.operators, with_index_fields=True))
        ct.fix_parts[id(clause)] = made
        return made


def _reads(condition: m.Condition) -> tuple[str, ...]:
    reads: dict[str, None] = {}
    condition_reads(condition, reads)
    return tuple(reads)


def fixes_for(plan: Plan, d: Deployment, ct: CompiledTerms, epoch: Epoch,
              violated: set[str]) -> tuple[Fix, ...]:
    """The smallest changes to `d` that make it comply with `plan`, what the clause asks first.

    An exclusivity asks for its providers or regions; a requirement for the
    fewest facts or fields of its condition changed (never those that already
    hold); a permission naming the clause offers the fewest changes that make
    it apply. Leaving the clause's scope is offered only when the clause asks
    for nothing that can be given (a prohibition). Every alternative is
    checked: applied to `d`, it makes the finding satisfied or overridden, and
    it makes no other clause violated that was not already.
    """
    clause = plan.clause
    parts = _Parts.of(clause, ct)
    options: list[Fix] = list(parts.own)
    if parts.reads is not None:
        assert isinstance(clause.rule, m.Requirement)  # INVARIANT: a requirement's reads
        options += _search(plan, d, ct, parts.reads, None, (clause.rule.condition,))
    if not options:
        options += parts.exits
    if not options and parts.scope_reads is not None:
        options += _search(plan, d, ct, parts.scope_reads, None, (clause.scope.condition,))
    for permission in plan.overriders:
        if overrides(permission, d)[0] is True:
            continue  # an exception to the permission applies: it cannot help
        allowing = _Parts.of(permission.clause, ct)
        if allowing.fields_only(d) is not True:
            continue
        if allowing.scope_reads is not None:
            options += _search(plan, d, ct, allowing.scope_reads, permission.id,
                               (permission.clause.scope.condition,))
    if not options:
        return (Fix((), f"leave the scope of `{plan.id}`"),)
    kept: dict[str, Fix] = {}
    for option in options:
        checked = _without_new_violations(option, epoch, d, ct, violated)
        if checked is not None:
            kept.setdefault(checked.text, checked)
    return tuple(kept.values())


def _settles(plan: Plan, d: Deployment, ct: CompiledTerms) -> bool:
    """Whether `plan`'s finding on `d` is satisfied or overridden (or absent)."""
    j = judge(plan, d, ct)
    return j is None or j.outcome in (Outcome.SATISFIED, Outcome.OVERRIDDEN)


def _violates_another(epoch: Epoch, d: Deployment, ct: CompiledTerms,
                      violated: set[str]) -> bool:
    """Whether `d` certainly violates a binding clause of `epoch` not in `violated` (a fix
    may miss a target). The clauses in `violated` are not judged: they change nothing."""
    for other in epoch.restrictions_for(d.party, d.workload):
        if other.clause.advisory or other.id in violated:
            continue
        j = judge(other, d, ct)
        if j is not None and j.outcome is Outcome.VIOLATED:
            return True
    return False


#: The most value combinations of one fix alternative checked against the other clauses.
_MAX_CHECKED = 64


def _without_new_violations(option: Fix, epoch: Epoch, d: Deployment, ct: CompiledTerms,
                            violated: set[str]) -> Fix | None:
    """`option` keeping only the values that violate no clause `d` does not already violate."""
    if not option.changes:
        return option
    if len(option.changes) > 1:
        combos = list(itertools.islice(itertools.product(*(c.values for c in option.changes)),
                                       _MAX_CHECKED))
        for combo in combos:
            changed = with_values(d, zip((c.name for c in option.changes), combo, strict=True))
            if _violates_another(epoch, changed, ct, violated):
                return None
        return option
    [change] = option.changes
    good = tuple(v for v in change.values[:_MAX_CHECKED]
                 if not _violates_another(epoch, with_values(d, ((change.name, v),)), ct,
                                          violated))
    if not good:
        return None
    if good == change.values:
        return option
    return _render((change.name,), [(v,) for v in good], ct, option.permission)


#: The most value combinations a fix search tries for one set of names.
_MAX_SEARCH = 256


def _search(plan: Plan, d: Deployment, ct: CompiledTerms, names: Iterable[str],
            permission: str | None, conditions: Sequence[m.Condition | None]) -> list[Fix]:
    """The fewest changes to the named facts and fields that settle `plan`'s finding.

    Tries one name at a time, then two, then three; every set of the
    smallest size that works is an alternative. A name that `conditions`
    compare with another operand tries the values beside that operand's.
    """
    facts = ct.terms.vocabulary.facts
    states = ct.states
    candidates: list[tuple[str, tuple[object, ...]]] = []
    for name in names:
        if name not in CHANGEABLE_FIELDS and name not in facts and name not in states:
            continue
        values = ct.domains.of(name)
        if values is None:
            values = relation_values(name, d, conditions, ct.operators)
            if name in facts:  # a fact holds only quantities of its declared unit's dimension
                dimension = facts[name].type.dimension
                values = tuple(v for v in values
                               if not isinstance(v, Quantity) or v.dimension == dimension)
        if not values:
            continue
        current = getattr(d, name) if name in m.DEPLOYMENT_FIELDS else d.facts.get(name)
        others = tuple(v for v in values if current is None or v != current)
        if others:
            candidates.append((name, others))
    for size in range(1, min(3, len(candidates)) + 1):
        found: list[Fix] = []
        for subset in itertools.combinations(candidates, size):
            if count(subset) > _MAX_SEARCH:
                continue
            working = [tuple(v for _, v in a) for a in assignments(subset)
                       if _settles(plan, with_values(d, a), ct)]
            if working:
                found.append(_render(tuple(n for n, _ in subset), working, ct, permission))
        if found:
            return found
    return []


def _render(names: tuple[str, ...], working: list[tuple[object, ...]], ct: CompiledTerms,
            permission: str | None) -> Fix:
    """A fix from the values of `names` that work: all of them for one name, else the first.

    Made once per compiled terms for values that are names and truth values
    (equal ones are written alike; a quantity keeps the text it was given).
    """
    if not all(type(v) in _PLAIN for values in working for v in values):
        return _make_fix(names, working, ct, permission)
    key = (names, tuple(working), permission)
    found = ct.fixes_made.get(key)
    if found is None:
        if len(ct.fixes_made) >= _MOST_FIXES_MADE:
            ct.fixes_made.clear()
        found = ct.fixes_made[key] = _make_fix(names, working, ct, permission)
    return found


#: The values whose equal ones are written alike (`_render`).
_PLAIN = frozenset((bool, str))
#: Fixes `_render` keeps before it starts again.
_MOST_FIXES_MADE = 4096


def _make_fix(names: tuple[str, ...], working: list[tuple[object, ...]], ct: CompiledTerms,
              permission: str | None) -> Fix:
    via = f" (`{permission}`)" if permission else ""
    if len(names) > 1:
        first = working[0]
        changes = tuple(Change(n, (v,), _interval_text(n, (v,), ct) or _equals(n, v, ct))
                        for n, v in zip(names, first, strict=True))
        return Fix(changes, "have " + " and ".join(c.text for c in changes) + via, permission)
    [name] = names
    values = tuple(w[0] for w in working)
    if name in ct.states:  # an aggregate's state: met (or missed) first
        shown = " or ".join(f"`{name} is {state_word(v)}`" for v in values)
        return Fix((Change(name, values, shown),), f"have {shown} first{via}", permission)
    if name in ("provider", "region"):
        shown = names_text(str(v) for v in values)
        verb = "run on" if name == "provider" else "run in"
        return Fix((Change(name, values, shown),), f"{verb} {shown}{via}", permission)
    text = _interval_text(name, values, ct)
    if text is None and ct.domains.of(name) is None:
        text = f"`{name} = {_show(values[0])}`"  # the first value that works, of many
    if text is None:
        text = (f"`{name} = {_show(values[0])}`" if len(values) == 1
                else f"`{name} in {', '.join(_show(v) for v in values)}`")
    return Fix((Change(name, values, text),), f"have {text}{via}", permission)


def _equals(name: str, value: object, ct: CompiledTerms) -> str:
    """One value of a fact or field as a condition: ``consent = true``, ``m1 is compliant``."""
    if name in ct.states:
        return f"`{name} is {state_word(value)}`"
    return f"`{name} = {_show(value)}`"


def _interval_text(name: str, values: tuple[object, ...], ct: CompiledTerms) -> str | None:
    """For a number or date, the intervals that `values` stand for, as conditions."""
    intervals = ct.domains.intervals(name)
    if intervals is None:
        return None
    marks = ct.domains.marks(name)
    domain = ct.domains.of(name) or ()
    working = {intervals[domain.index(v)] for v in values}
    present = set(intervals)
    last = 2 * len(marks)
    runs: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for index in range(last + 1):
        if index in working:
            start = index if start is None else start
            end = index
        elif index in present and start is not None:
            runs.append((start, end))
            start = None
    if start is not None:
        runs.append((start, end))
    parts: list[str] = []
    for low, high in runs:
        if low == high and low % 2 == 1:
            parts.append(f"`{name} = {_show(marks[low // 2])}`")
            continue
        bounds: list[str] = []
        if low > 0:
            op = ">=" if low % 2 == 1 else ">"
            bounds.append(f"{name} {op} {_show(marks[(low - 1) // 2])}")
        if high < last:
            op = "<=" if high % 2 == 1 else "<"
            bounds.append(f"{name} {op} {_show(marks[high // 2])}")
        parts.append("`" + " and ".join(bounds) + "`")
    return " or ".join(parts)


def _show(value: object) -> str:
    if isinstance(value, bool | str | Quantity | dt.date):
        return show_constant(value)
    return str(value)
