"""What fixes take from the terms alone is made once per compiled terms, and written as before."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dealcheck
from dealcheck.checker.compile import compile_terms
from dealcheck.checker.fixes import _Parts, _render
from dealcheck.rules.units import Quantity

TERMS = Path(__file__).resolve().parents[2] / "examples" / "microsoft-openai" / "terms.deal"


def test_a_fix_of_names_and_truth_values_is_made_once_and_a_quantity_keeps_its_text() -> None:
    terms = dealcheck.load(TERMS)
    ct = compile_terms(terms)
    first = _render(("microsoft_consent",), [(True,)], ct, "consented_capacity")
    assert _render(("microsoft_consent",), [(True,)], ct, "consented_capacity") is first
    assert first.text == "have `microsoft_consent = true` (`consented_capacity`)"
    assert _render(("microsoft_consent",), [(True,)], ct, None).text == (
        "have `microsoft_consent = true`")
    assert _render(("microsoft_consent",), [(False,)], ct, None).text == (
        "have `microsoft_consent = false`")
    assert _render(("provider",), [("Azure",), ("OCI",)], ct, None).text == (
        "run on `Azure` or `OCI`")
    # Equal quantities written differently: each fix shows its own.
    five = _render(("budget",), [(Quantity(Decimal(5), "money", "5 USD"),)], ct, None)
    again = _render(("budget",), [(Quantity(Decimal(5), "money", "5.00 USD"),)], ct, None)
    assert (five.text, again.text) == ("have `budget = 5 USD`", "have `budget = 5.00 USD`")
    # Fresh terms start with none made.
    assert _render(("microsoft_consent",), [(True,)], compile_terms(terms),
                   "consented_capacity") is not first


def test_a_clauses_parts_are_its_own_and_made_once() -> None:
    terms = dealcheck.load(TERMS)
    ct = compile_terms(terms)
    by_id = {c.id: c for c in terms.clauses}
    exclusive = _Parts.of(by_id["azure_exclusive"], ct)
    assert _Parts.of(by_id["azure_exclusive"], ct) is exclusive
    assert [f.text for f in exclusive.own] == ["run on `Azure`"]
    assert exclusive.reads is None and exclusive.scope_reads is None
    rofr = _Parts.of(by_id["rofr"], ct)
    assert rofr.own == () and rofr.reads == ("rofr_declined",)
    assert [f.text for f in rofr.exits] == ["run on `Azure`"]
    consent = _Parts.of(by_id["consented_capacity"], ct)
    assert consent.scope_reads == ("microsoft_consent",)
