"""Fixes work: applying any alternative a finding offers settles that finding.

Terms and deployments are generated (random terms, and terms whose clauses
and exceptions overlap); every alternative of every fix is applied, with each
value it allows, and the deployment checked again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck import Outcome
from dealcheck.checker.results import Change
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
    return {f.clause for f in result.findings if f.outcome is Outcome.VIOLATED}


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
    for d, result in zip(ds, report.deployments, strict=True):
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
                    changed = apply(d, fix.changes, values)
                    after = terms.check([changed], as_of).result_of(d.id)
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
