"""`dealcheck diff` (DESIGN §6b): sound, complete, and every witness reproduces.

Sound: deployments drawn anywhere inside a reported region get exactly its
old and new verdicts from `check`. Complete: deployments drawn from the
terms' own landmarks whose verdicts differ lie in some region (and those
whose verdicts agree lie in none). Pairs of terms are one generated file as
of two dates, and two generated files over overlapping vocabularies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dealcheck
import hypothesis_profiles
from dealcheck.analysis.diff import Diff, diff_terms
from dealcheck.analysis.space import Piece
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment
from dealcheck.testing import deployments, terms_sources
from helpers import run_dealcheck
from hypothesis_profiles import examples

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "microsoft-openai" / "terms.deal"
EDITED = ROOT / "examples" / "microsoft-openai" / "terms-civilian.deal"
_SPAN = dt.timedelta(days=800)
#: `draw` of a composite strategy or of `st.data()`.
Draw = Callable[..., Any]


def verdict(terms: dealcheck.Terms, d: Deployment, day: dt.date | None) -> str:
    return str(terms.check([d], as_of=day).verdict_of(d.id))


def _in_piece(draw: Draw, piece: Piece) -> object:
    value = piece.value
    if piece.absent or (piece.low is None and piece.high is None
                        and not isinstance(value, dt.date | Quantity)):
        return value
    if isinstance(value, dt.date):
        low = piece.low if piece.low is not None else value - _SPAN
        high = piece.high if piece.high is not None else value + _SPAN
        return low + dt.timedelta(days=draw(st.integers(0, (high - low).days)))  # type: ignore[operator]
    assert isinstance(value, Quantity)
    low = piece.low if piece.low is not None else value.amount - 1000
    high = piece.high if piece.high is not None else value.amount + 1000
    if low == high:
        return value
    steps = draw(st.integers(int(not piece.low_in), 1000 - int(not piece.high_in)))
    return Quantity(low + (high - low) * Decimal(steps) / 1000, value.dimension)  # type: ignore[operator]


def inside(draw: Draw, diff: Diff, box: tuple[frozenset[int], ...]) -> Deployment | None:
    """A deployment drawn anywhere inside `box` (None when its end came before its start)."""
    values: dict[str, object] = {}
    facts: dict[str, object] = {}
    for axis, pieces in zip(diff.space.axes, box, strict=True):
        if axis.relation is not None:
            continue          # checked below, once every operand is drawn
        piece = axis.pieces[draw(st.sampled_from(sorted(pieces)))]
        value = _in_piece(draw, piece)
        if axis.fact is not None:
            if value is not None:
                facts[axis.fact] = value
        else:
            values[axis.name] = value
    if values["end"] is not None and values["end"] < values["start"]:  # type: ignore[operator]
        return None
    d = Deployment("drawn", facts=facts, **values)  # type: ignore[arg-type]
    where = diff.space.locate(d)
    return d if all(i in s for i, s in zip(where, box, strict=True)) else None


def assert_sound(draw: Draw, diff: Diff, old: dealcheck.Terms,
                 new: dealcheck.Terms) -> None:
    for change in diff.changes:
        w = change.witness
        assert diff.change_of(w) is change
        assert verdict(old, w, diff.old_as_of) == change.old_verdict, change.text
        assert verdict(new, w, diff.new_as_of) == change.new_verdict, change.text
        for _ in range(3):
            d = inside(draw, diff, change.box)
            if d is None:
                continue
            assert diff.change_of(d) is change
            assert verdict(old, d, diff.old_as_of) == change.old_verdict, (change.text, d)
            assert verdict(new, d, diff.new_as_of) == change.new_verdict, (change.text, d)


def assert_complete(draw: Draw, diff: Diff, old: dealcheck.Terms,
                    new: dealcheck.Terms) -> None:
    shared = {f.name for f in new.vocabulary.facts.values()}
    for _ in range(12):
        d = draw(deployments(old))
        if not (d.party in new.vocabulary.parties and d.workload in new.vocabulary.workloads
                and d.provider in new.vocabulary.providers
                and (d.region is None or d.region in new.vocabulary.regions)
                and set(d.facts) <= shared
                and all(new.vocabulary.facts[k].type == old.vocabulary.facts[k].type
                        for k in d.facts)):
            continue
        try:
            before, after = verdict(old, d, diff.old_as_of), verdict(new, d, diff.new_as_of)
        except dealcheck.DiagnosticsError:
            continue      # a unit only one file declares: not in both vocabularies
        change = diff.change_of(d)
        if before != after:
            assert change is not None, (d, before, after)
        if change is not None:
            assert (before, after) == (change.old_verdict, change.new_verdict), (d, change.text)


def _plain(text: str) -> dealcheck.Terms | None:
    """Generated terms `diff` takes: none that read a clause's state (DC235)."""
    terms = dealcheck.loads(text, "<generated>.deal")
    return None if terms is None or terms.states() else terms


@st.composite
def dated_pairs(draw: st.DrawFn) -> tuple[dealcheck.Terms, dt.date, dt.date]:
    terms = _plain(draw(terms_sources(max_clauses=4, max_amendments=2)))
    assume(terms is not None)
    assert terms is not None
    days = sorted({c.in_force_from for c in terms.clauses} | {terms.effective})
    first = draw(st.sampled_from(days))
    second = draw(st.sampled_from(days))
    return terms, first - dt.timedelta(days=draw(st.integers(0, 1))), second


@st.composite
def file_pairs(draw: st.DrawFn) -> tuple[dealcheck.Terms, dealcheck.Terms]:
    old = _plain(draw(terms_sources(max_clauses=4, max_amendments=1, overlapping=True)))
    new = _plain(draw(terms_sources(max_clauses=4, max_amendments=1, overlapping=True)))
    assume(old is not None and new is not None)
    assert old is not None and new is not None
    return old, new


_QUICK = settings(max_examples=4, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_LONG = settings(max_examples=examples(300), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _dated(data: st.DataObject) -> None:
    terms, first, second = data.draw(dated_pairs())
    diff = diff_terms(terms, terms, old_as_of=first, new_as_of=second)
    assert_sound(data.draw, diff, terms, terms)
    assert_complete(data.draw, diff, terms, terms)


def _files(data: st.DataObject) -> None:
    old, new = data.draw(file_pairs())
    diff = diff_terms(old, new)
    assert_sound(data.draw, diff, old, new)
    assert_complete(data.draw, diff, old, new)


@_QUICK
@given(st.data())
def test_dated_versions_sound_and_complete(data: st.DataObject) -> None:
    _dated(data)


@_QUICK
@given(st.data())
def test_two_files_sound_and_complete(data: st.DataObject) -> None:
    _files(data)


@pytest.mark.slow
# One file as of two dates cuts many more cells; its cost varies widely from example to
# example, so the everyday profile draws the same examples every run (the long one draws anew).
@settings(_LONG, max_examples=examples(80), derandomize=hypothesis_profiles.profile() == "ci")
@given(st.data())
def test_dated_versions_sound_and_complete_long(data: st.DataObject) -> None:
    _dated(data)


@pytest.mark.slow
@_LONG
@given(st.data())
def test_two_files_sound_and_complete_long(data: st.DataObject) -> None:
    _files(data)


# ---------------------------------------------------------------- the worked example


def test_an_edited_amendment_shows_only_what_the_edit_changed() -> None:
    old, new = dealcheck.load(EXAMPLE), dealcheck.load(EDITED)
    diff = dealcheck.diff(old, new)
    assert [(c.old_verdict, c.new_verdict) for c in diff.changes] == [("violation", "compliant")]
    change = diff.changes[0]
    assert change.region["facts"] == {"customer": ["us_government_civilian"]}
    assert change.region["dates"] == {"from": "2025-10-28", "through": "2026-04-26"}
    assert change.old_clauses == ("api_exclusive",)
    assert verdict(old, change.witness, None) == "violation"
    assert verdict(new, change.witness, None) == "compliant"
    assert not diff.aggregate_changes


def test_the_definitive_agreement_as_of_its_eve() -> None:
    terms = dealcheck.load(EXAMPLE)
    diff = dealcheck.diff(terms, terms, old_as_of="2025-10-27", new_as_of="2025-10-28")
    texts = {c.text: (c.old_verdict, c.new_verdict) for c in diff.changes}
    assert texts["OpenAI runs api_products off Azure, when customer = us_national_security"] \
        == ("violation", "compliant")
    assert [a.clause for a in diff.aggregate_changes] == ["azure_commitment"]
    for change in diff.changes:
        assert verdict(terms, change.witness, dt.date(2025, 10, 27)) == change.old_verdict
        assert verdict(terms, change.witness, dt.date(2025, 10, 28)) == change.new_verdict


def test_output_is_byte_identical_run_to_run() -> None:
    first = dealcheck.diff(EXAMPLE, EDITED)
    second = dealcheck.diff(EXAMPLE, EDITED)
    for render in ("to_json", "to_text", "to_markdown"):
        assert getattr(first, render)() == getattr(second, render)()


def test_same_terms_change_nothing() -> None:
    assert not dealcheck.diff(EXAMPLE, EXAMPLE).changed


def test_a_relation_between_two_fields_is_a_region_condition() -> None:
    text = ('agreement "R" effective 2025-01-01\nparty A\nprovider P operated by A\n'
            "workload w\nfact signed: date\nclause c:\n"
            "  A runs w only if start <= signed + 30 days\n")
    old = dealcheck.loads(text, "old.deal")
    new = dealcheck.loads(text.replace("30 days", "60 days"), "new.deal")
    diff = dealcheck.diff(old, new)
    assert [(c.old_verdict, c.new_verdict) for c in diff.changes] == [("violation", "compliant")]
    [change] = diff.changes
    assert change.region["relations"] == [
        {"condition": "start <= signed + 30 days", "holds": False},
        {"condition": "start <= signed + 60 days", "holds": True}]
    w = change.witness
    assert verdict(old, w, None) == "violation" and verdict(new, w, None) == "compliant"


def test_a_relation_across_currencies_is_unknown_not_split() -> None:
    """A value in EUR against a price in USD neither holds nor fails: such a deployment
    still lies in the region where the amendment changes its verdict."""
    text = ('agreement "R" effective 2025-01-01\nparty A\nprovider P operated by A\n'
            "workload w\nunit EUR: money\nfact price: number USD\n"
            "clause c:\n  A runs w only if price <= value\n"
            "amendment a effective 2025-06-01:\n  revoke c\n")
    terms = dealcheck.loads(text, "t.deal")
    d = Deployment("d", "A", "w", "P", dt.date(2025, 1, 2), None, None, None,
                   Quantity(Decimal(5), "EUR"), {"price": Quantity(Decimal(9), "money")})
    diff = diff_terms(terms, terms, old_as_of=dt.date(2025, 6, 1), new_as_of=dt.date(2025, 1, 1))
    assert (verdict(terms, d, diff.old_as_of), verdict(terms, d, diff.new_as_of)) == (
        "compliant", "undetermined")
    change = diff.change_of(d)
    assert change is not None and (change.old_verdict, change.new_verdict) == (
        "compliant", "undetermined")


_OPERATED = ('agreement "R" effective 2025-01-01\nparty A, B\nprovider P operated by A\n'
             "provider Q operated by {operator}\nworkload w\nclause c:\n"
             "  A runs w only if {condition}\n")


def _operated(condition: str) -> tuple[dealcheck.Terms, dealcheck.Terms]:
    """The same clause in two files, one of which has Q operated by B instead of A."""
    return (dealcheck.loads(_OPERATED.format(operator="A", condition=condition), "old.deal"),
            dealcheck.loads(_OPERATED.format(operator="B", condition=condition), "new.deal"))


def _changed_deployments(old: dealcheck.Terms, new: dealcheck.Terms) -> None:
    """Every deployment of the vocabulary: `diff` places it as `check` judges it."""
    diff = dealcheck.diff(old, new)
    for party, provider in [("A", "P"), ("A", "Q"), ("B", "P"), ("B", "Q")]:
        d = Deployment("d", party, "w", provider, dt.date(2025, 1, 2))
        before, after = verdict(old, d, None), verdict(new, d, None)
        change = diff.change_of(d)
        found = None if change is None else (change.old_verdict, change.new_verdict)
        assert found == (None if before == after else (before, after)), d


def test_a_clause_reading_the_operator_changes_with_the_operator() -> None:
    """The clause text is the same in both files, but Q's operator is not: a clause
    reading `operator` is not the same clause there."""
    old, new = _operated("operator = A")
    _changed_deployments(old, new)
    [change] = dealcheck.diff(old, new).changes
    assert change.region["provider"] == ["Q"]


def test_a_relation_reading_the_operator_changes_with_the_operator() -> None:
    """`operator = party` holds for A on Q in the old file and fails in the new one:
    one truth for both files would put A on Q with B on P, whose verdicts stay."""
    old, new = _operated("operator = party")
    _changed_deployments(old, new)
    [change] = dealcheck.diff(old, new).changes
    assert (change.region["party"], change.region["provider"]) == (["A"], ["Q"])


@pytest.mark.parametrize(("new", "code"), [(EDITED, 1), (EXAMPLE, 0)])
def test_cli_exit_codes_and_json(new: Path, code: int) -> None:
    import json

    run = run_dealcheck("diff", EXAMPLE, new, "--format", "json", cwd=EXAMPLE.parent)
    assert run.returncode == code, run.stderr
    document = json.loads(run.stdout)
    assert len(document["changes"]) == code and document["as_of"] is None
    bad = run_dealcheck("diff", EXAMPLE, new, "--as-of", "2025-13-01", cwd=EXAMPLE.parent)
    assert bad.returncode == 2 and "DC910" in bad.stderr and "Traceback" not in bad.stderr


def test_leaves_alike_on_a_relations_axes_share_its_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A relation's search reads the start, the end and its operands only: a fact it does
    not read multiplies the leaves, not the searches. (One that can never hold, as here,
    made each leaf run both phases of the search to their ends.)"""
    from dealcheck.analysis import relations

    calls: list[int] = []
    search = relations.search

    def counted(*args: Any) -> object:
        calls.append(1)
        return search(*args)

    monkeypatch.setattr(relations, "search", counted)

    def searches(tiers: int) -> int:
        names = ", ".join(f"t{n}" for n in range(tiers))
        text = ('agreement "R" effective 2025-01-01\nparty A\nprovider P operated by A\n'
                f"workload w\nfact tier: one of {names}\nclause c:\n"
                "  A runs w only if tier = t0 or start - 30 days = end + 10 business days\n"
                "amendment a effective 2025-06-01:\n  revoke c\n")
        terms = dealcheck.loads(text, "t.deal")
        calls.clear()
        diff = diff_terms(terms, terms, old_as_of=dt.date(2025, 6, 1),
                          new_as_of=dt.date(2025, 1, 1))
        assert ("compliant", "violation") in {(c.old_verdict, c.new_verdict)
                                              for c in diff.changes}
        for change in diff.changes:
            assert verdict(terms, change.witness, diff.old_as_of) == change.old_verdict
            assert verdict(terms, change.witness, diff.new_as_of) == change.new_verdict
        return len(calls)

    assert 0 < searches(2) == searches(8)


def test_diff_judges_its_leaves_without_seeking_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leaf's verdicts and deciding clauses are all `diff` reads: seeking each finding's
    fixes cost it more than half its time, for nothing it shows."""
    from dealcheck.checker import evaluate

    def refused(*args: object) -> tuple[()]:
        raise AssertionError("diff sought a fix")

    monkeypatch.setattr(evaluate, "fixes_for", refused)
    diff = dealcheck.diff(EXAMPLE, EDITED)
    assert [(c.old_verdict, c.new_verdict) for c in diff.changes] == [("violation", "compliant")]


def test_a_leaf_whose_end_must_be_far_after_a_fact_finds_its_witness() -> None:
    """The end must come over 30 days after `signed`, and not before the start. The
    end's candidate days before the start came first, enough of them to use up the
    search before any valid try: the leaf was dropped, and its deployments, whose
    verdict changes, lay in no region."""
    text = ('agreement "R" effective 2025-01-01\nparty A\nprovider P operated by A\n'
            "provider Q operated by A\nworkload w\nfact signed: date\nfact price: number USD\n"
            "clause c from 2025-07-20:\n  A runs w only if end within 30 days after "
            "signed - 1 day and not value <= price\n"
            "clause d1 from 2025-01-15:\n  A must not run w on Q\n"
            "clause d2 from 2025-02-15:\n  A must not run w on Q\n")
    terms = dealcheck.loads(text, "t.deal")
    diff = diff_terms(terms, terms, old_as_of=dt.date(2025, 7, 19),
                      new_as_of=dt.date(2025, 7, 20))
    d = Deployment("d", "A", "w", "P", dt.date(2025, 9, 24), None, dt.date(2026, 9, 24), None,
                   Quantity(Decimal(229), "money"),
                   {"signed": dt.date(2025, 6, 4), "price": Quantity(Decimal(384), "money")})
    assert (verdict(terms, d, diff.old_as_of), verdict(terms, d, diff.new_as_of)) == (
        "compliant", "violation")
    change = diff.change_of(d)
    assert change is not None and (change.old_verdict, change.new_verdict) == (
        "compliant", "violation")
    assert verdict(terms, change.witness, diff.new_as_of) == "violation"
