"""Fixes work: applying any alternative a finding offers settles that finding.

Terms and deployments are generated (random terms, and terms whose clauses
and exceptions overlap); every alternative of every fix is applied, with each
value it allows, and the deployment checked again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck import Outcome
from dealcheck.checker.results import Change
from dealcheck.checker.states import with_states
from dealcheck.terms import validate_deployments
from dealcheck.testing import scenarios, terms_sources
from hypothesis_profiles import examples

_FIELDS = ("provider", "region", "value")


def apply(d: dealcheck.Deployment, changes: tuple[Change, ...],
          values: tuple[object, ...]) -> dealcheck.Deployment:
    """`d` with each change's field or fact set to the value chosen for it."""
    fields = {c.name: v for c, v in zip(changes, values, strict=True) if c.name in _FIELDS}
    facts = {**d.facts, **{c.name: v for c, v in zip(changes, values, strict=True)
                           if c.name not in _FIELDS}}
    return dataclasses.replace(d, facts=facts, **fields)  # type: ignore[arg-type]


def violated(result: dealcheck.DeploymentResult) -> set[str]:
    """The binding clauses `result` violates: a fix may miss an advisory clause's target
    (a target, not a promise), as complying with a binding clause can require."""
    return {f.clause for f in result.findings
            if f.outcome is Outcome.VIOLATED and not f.advisory}


@settings(max_examples=examples(150), deadline=None)
@given(st.data())
def test_every_fix_alternative_settles_its_finding(data: st.DataObject) -> None:
    overlapping = data.draw(st.booleans(), label="overlapping")
    text = data.draw(terms_sources(min_clauses=1 + overlapping, overlapping=overlapping),
                     label="terms")
    terms = dealcheck.loads(text, "t.deal")
    ds = data.draw(scenarios(terms, min_size=1, max_size=3), label="deployments")
    as_of = data.draw(st.none() | st.sampled_from(sorted({d.start for d in ds})), label="as_of")
    report = terms.check(ds, as_of)
    # Clause states are part of the deployment's context: each is judged again in its own.
    context = list(with_states(terms.compiled(), ds, as_of))
    for seen, result in zip(context, report.deployments, strict=True):
        for finding in result.findings:
            if finding.outcome not in (Outcome.VIOLATED, Outcome.UNKNOWN):
                assert finding.fixes == ()
                continue
            # No alternative at all when every one would break another clause.
            assert finding.fix == (", or ".join(f.text for f in finding.fixes) or None)
            for fix in finding.fixes:
                if not fix.changes:
                    continue   # "leave the scope of …": nothing to set, the clause forbids it
                for values in itertools.islice(
                        itertools.product(*(c.values for c in fix.changes)), 16):
                    changed = apply(seen, fix.changes, values)
                    after = terms.compiled().evaluate(changed, as_of)
                    outcome = {f.clause: f.outcome for f in after.findings}.get(finding.clause)
                    assert outcome in (None, Outcome.SATISFIED, Outcome.OVERRIDDEN), (
                        f"{fix.text} with {values}: `{finding.clause}` is {outcome}")
                    # …and it breaks no clause that the deployment did not already break.
                    assert violated(after) <= violated(result), fix.text


def test_apply_sets_fields_and_facts() -> None:
    d = dealcheck.Deployment(id="d", party="A", workload="w", provider="P",
                             start=dt.date(2025, 1, 1), facts={"x": True})
    changed = apply(d, (Change("provider", ("Q",), "`Q`"), Change("y", (False,), "`y`")),
                    ("Q", False))
    assert changed.provider == "Q"
    assert changed.facts == {"x": True, "y": False}


# ---------------------------------------------------------------- aggregates

_PERIOD = re.compile(r" in the period (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)")
_ADD = re.compile(r"^add (more than )?(\d\S*(?: [^ ,]+)?)(?: of (value|capacity))?(?: by \S+)?$")
_REDUCE = re.compile(r"^reduce the (?:total (value|capacity)|number of deployments) by "
                     r"(more than )?(\d\S*(?: [^ ,]+)?), to ")
#: The fixes the property applied (most runs apply some: periods, caps, commitments).
APPLIED: list[str] = []


def _apply_part(terms: dealcheck.Terms, ds: list[dealcheck.Deployment],
                counted: list[dealcheck.Deployment], maybe: list[dealcheck.Deployment],
                part: str) -> list[dealcheck.Deployment] | None:
    """One part of an aggregate's fix applied to the deployments `counted` certainly count
    (copied to add) and, to reduce, to those and then those that `maybe` count: a cap's fix
    reckons with the worst case, in which every deployment that may count does."""
    added = _ADD.match(part)
    if added and counted:
        model = counted[0]  # certainly counted: a copy with its start is too
        if added[3] is None:  # a number of deployments
            copies = int(added[2].split()[0])
            return [*ds, *(dataclasses.replace(model, id=f"{model.id}-fix{i}")
                           for i in range(copies))]
        quantity = terms.vocabulary.units.parse(added[2])
        if added[1]:
            quantity = dataclasses.replace(quantity, amount=quantity.amount + 1, text="")
        return [*ds, dataclasses.replace(model, id=f"{model.id}-fix", **{added[3]: quantity})]
    reduced = _REDUCE.match(part)
    if not reduced:
        return None
    ids = [d.id for d in (*counted, *maybe)]
    if reduced[1] is None:  # a number of deployments
        gone = set(ids[:int(reduced[3].split()[0])])
        return [d for d in ds if d.id not in gone]
    field = reduced[1]
    amount = terms.vocabulary.units.parse(reduced[3]).amount + (1 if reduced[2] else 0)
    out = []
    for d in ds:
        quantity = getattr(d, field)
        if d.id in ids and quantity is not None and amount > 0:
            cut = min(quantity.amount, amount)
            amount -= cut
            d = dataclasses.replace(d, **{field: dataclasses.replace(
                quantity, amount=quantity.amount - cut, text="")})
        out.append(d)
    return out if amount <= 0 else None


def apply_aggregate_fix(terms: dealcheck.Terms, ds: list[dealcheck.Deployment],
                        a: dealcheck.AggregateResult) -> list[dealcheck.Deployment] | None:
    """The plan changed as a cap's or commitment's fix says, period by period; None when
    it is not of a form applied here (a share, `in addition to`, no deployment to copy)."""
    if a.fix is None or a.kind not in ("cap", "commitment") or ", or " in a.fix \
            or "plus what" in a.fix:
        return None
    for part in a.fix.split("; "):
        found = _PERIOD.search(part)
        within = [d for d in ds
                  if found is None or found[1] <= d.start.isoformat() <= found[2]]
        changed = _apply_part(terms, ds, [d for d in within if d.id in a.contributors],
                              [d for d in within if d.id in a.unknown_scope],
                              _PERIOD.sub("", part))
        if changed is None:
            return None
        ds = changed
    return ds


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_fix_of_a_generated_cap_or_commitment_settles_it(data: st.DataObject) -> None:
    text = data.draw(terms_sources(min_clauses=1), label="terms")
    terms = dealcheck.loads(text, "t.deal")
    ds = data.draw(scenarios(terms, min_size=1, max_size=6), label="deployments")
    for a in terms.check(ds).aggregates:
        if a.verdict not in (dealcheck.AggregateVerdict.VIOLATION,
                             dealcheck.AggregateVerdict.UNDETERMINED):
            assert a.fix is None
            continue
        changed = apply_aggregate_fix(terms, ds, a)
        if changed is None:
            continue
        after = [b for b in terms.check(changed).aggregates
                 if (b.clause, b.window_from) == (a.clause, a.window_from)]
        assert [b.verdict for b in after] == [dealcheck.AggregateVerdict.COMPLIANT], a.fix
        APPLIED.append(a.fix)



def test_a_cap_fix_counts_the_deployments_that_may_count() -> None:
    """Undetermined: none certainly counts, one may (its `when` reads an absent end); the fix
    asks for one fewer, and leaving that one out settles the cap (found by the property)."""
    terms = dealcheck.loads(
        'agreement "" effective 2025-01-01\n\nparty Acme\n\nprovider Sky operated by Acme\n\n'
        "workload api\n\nclause c1:\n"
        "  number of deployments by Acme of api is at most 0 when start < end\n", "t.deal")
    ds = validate_deployments(terms.vocabulary, [
        {"id": "d1", "party": "Acme", "workload": "api", "provider": "Sky", "start": "2025-01-01"}])
    [a] = terms.check(ds).aggregates
    assert (a.verdict, a.contributors, a.unknown_scope) == (
        dealcheck.AggregateVerdict.UNDETERMINED, (), ("d1",))
    changed = apply_aggregate_fix(terms, ds, a)
    assert changed == []
    assert [b.verdict for b in terms.check(changed).aggregates] == [
        dealcheck.AggregateVerdict.COMPLIANT]


def test_a_fix_may_miss_an_advisory_target() -> None:
    """Complying with a binding clause may break an advisory one: the fix is still offered,
    and the property above counts only binding clauses (found by it, with this example)."""
    terms = dealcheck.loads(
        'agreement "" effective 2025-01-01\n\nparty Acme\n\n'
        "provider Sky operated by Acme\nprovider Vault operated by Acme\n\n"
        "workload api\n\n"
        "clause target advisory:\n  Acme runs any workload only on Vault\n\n"
        "clause binding:\n  Acme runs any workload only on Sky\n", "t.deal")
    report = terms.check([{"id": "d1", "party": "Acme", "workload": "api",
                           "provider": "Vault", "start": "2025-01-01"}])
    [result] = report.deployments
    [finding] = [f for f in result.findings if f.clause == "binding"]
    assert [fix.text for fix in finding.fixes] == ["run on `Sky`"]
    after = terms.check([{"id": "d1", "party": "Acme", "workload": "api",
                          "provider": "Sky", "start": "2025-01-01"}]).deployments[0]
    assert violated(after) == set()
    assert {f.clause for f in after.findings if f.outcome is Outcome.VIOLATED} == {"target"}
