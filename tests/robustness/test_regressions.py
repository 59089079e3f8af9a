"""Crashes found while building the robustness suite, each kept as a regression test.

Every test names the bug it pins: the input used to end in a traceback (or an
internal error, exit 3) and now gives a result or a located diagnostic.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from robustness_helpers import VOCABULARY, run_cli

import dealcheck
from dealcheck.dsl.diagnostics import render_text
from dealcheck.rules.units import UnitTable, format_amount
from dealcheck.scenario.read import load_scenario

TERMS = """\
agreement "Regressions" effective 2025-01-01
party OpenAI
provider Azure operated by OpenAI
workload api
fact consent: bool
"""
DEPLOYMENT = {"id": "d1", "party": "OpenAI", "workload": "api", "provider": "Azure",
              "start": "2025-03-01"}


def _vocabulary() -> dealcheck.Terms:
    return dealcheck.load(VOCABULARY)


# ---------------------------------------------------------------- decimal.InvalidOperation


@pytest.mark.parametrize(("amount", "dimension", "shown"), [
    (Decimal("99999999999999999999999999"), "count", "99999999999999999999999999 GPU"),
    (Decimal("1E+36"), "money", "1000000000000000000000000T USD"),
    (Decimal("1E+29"), "TPU", "100000000000000000000000000000 TPU"),
])
def test_large_totals_render(amount: Decimal, dimension: str, shown: str) -> None:
    """Was: `decimal.InvalidOperation` when a total of 10**25 or more was shown (exit 3)."""
    assert format_amount(amount, dimension) == shown


def test_a_cap_of_26_digits_renders_in_every_format() -> None:
    terms = dealcheck.loads(TERMS + "clause cap:\n  total capacity of deployments is at most "
                            "99999999999999999999999999 GPU\n")
    report = terms.check([{**DEPLOYMENT, "capacity": "5 GPU"}])
    assert "99999999999999999999999999 GPU" in report.to_json()


# ---------------------------------------------------------------- decimal.Overflow


def test_a_million_digit_number_in_terms_is_too_large() -> None:
    """Was: `decimal.Overflow` escaping `UnitTable.quantity` (exit 3)."""
    number = "1" + "0" * 1_000_001
    terms, diagnostics = dealcheck.analyze(
        TERMS + f"clause cap:\n  total value of deployments is at most {number} USD\n")
    assert terms is None
    [d] = diagnostics
    assert (d.code, d.message) == ("DC118", "`100000000000000000000000000000000000000…` is "
                                            "too large")
    with pytest.raises(ValueError, match="is too large"):
        UnitTable().quantity(number, "MW")


def test_a_million_digit_quantity_in_a_scenario_is_too_large(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"deployments": [{"id": "d1", "party": "OpenAI", "workload": "api", '
                    '"provider": "Azure", "start": "2025-03-01", '
                    f'"capacity": "{"9" * 1_000_001} MW"}}]}}', encoding="utf-8")
    run = run_cli("check", str(VOCABULARY), str(plan))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "error[DC307]: malformed quantity `999999999999999999999999999999999999999999999" \
           "99999999999999…` in `capacity`" in run.stderr


# ---------------------------------------------------------------- int() digit limit


@pytest.mark.parametrize("name", ["plan.json", "plan.jsonl"])
def test_an_integer_of_5000_digits_in_json(tmp_path: Path, name: str) -> None:
    """Was: `ValueError: Exceeds the limit (4300 digits) for integer string conversion`."""
    row = ('{"id": "d1", "party": "OpenAI", "workload": "api", "provider": "Azure", '
           f'"start": "2025-03-01", "capacity": {"9" * 5000}}}')
    path = tmp_path / name
    path.write_text(row + "\n" if name.endswith("l") else '{"deployments": [' + row + "]}",
                    encoding="utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        load_scenario(path, _vocabulary().vocabulary)
    [d] = caught.value.diagnostics
    assert d.code == "DC307" and d.message.endswith("in `capacity` is too large")


# ---------------------------------------------------------------- unprintable ids


@pytest.mark.parametrize("ident", ["\ud800", "d1\x1b[2J", "d1\u2028", "d1\u202e"])
def test_an_unprintable_id_is_refused_not_written(ident: str) -> None:
    """Was: a lone surrogate passed validation and crashed the report writer
    (`UnicodeEncodeError`, exit 3); control characters reached the terminal."""
    terms = dealcheck.loads(TERMS)
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        terms.check([{**DEPLOYMENT, "id": ident}])
    assert [d.code for d in caught.value.diagnostics] == ["DC311"]
    assert caught.value.diagnostics[0].message.startswith("`id` contains ")


def test_a_printable_unicode_id_is_accepted() -> None:
    terms = dealcheck.loads(TERMS)
    report = terms.check([{**DEPLOYMENT, "id": "déploiement-東京-😀 1"}])
    assert report.verdict_of("déploiement-東京-😀 1") is not None


# ---------------------------------------------------------------- RecursionError


@pytest.mark.parametrize("condition", ["(" * 5000 + "consent" + ")" * 5000,
                                       "not " * 5000 + "consent"])
def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(condition: str) -> None:
    """Was: `RecursionError` building the AST (exit 3)."""
    terms, diagnostics = dealcheck.analyze(
        TERMS + f"clause c1:\n  OpenAI runs api only if {condition}\n")
    assert terms is None
    assert [(d.code, d.message) for d in diagnostics] == [
        ("DC906", "condition nested deeper than 64 levels")]


# ---------------------------------------------------------------- confusing messages


def test_csv_with_carriage_returns_alone(tmp_path: Path) -> None:
    """Was: "empty scenario file" plus Python's advice to open the file in
    universal-newline mode, for a CSV saved with classic Mac line endings."""
    plan = tmp_path / "plan.csv"
    plan.write_bytes(b"id,party,workload,provider,start\rd1,OpenAI,api,Azure,2025-03-01\r")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        load_scenario(plan, _vocabulary().vocabulary)
    [d] = caught.value.diagnostics
    assert (d.code, d.message, d.help) == (
        "DC310", "invalid CSV: lines end with a carriage return (`\\r`) alone",
        "save the file with LF or CRLF line endings")


# ---------------------------------------------------------------- wrong lines


@pytest.mark.parametrize("separator", ["\r", "\u2028", "\u2029", "\x85"])
def test_yaml_lines_are_counted_at_line_feeds(tmp_path: Path, separator: str) -> None:
    """Was: YAML's own marks count `\\r`, U+2028, U+2029 and U+0085 as line breaks, so a
    diagnostic after one pointed past the end of the file (found by atheris)."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(f'scenario: "one{separator}two"\ndeployments:\n'
                    "  - {id: d1, party: OpenAI, workload: api, provider: Azur, "
                    "start: 2025-03-01}\n", encoding="utf-8", newline="")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        load_scenario(plan, _vocabulary().vocabulary)
    [d] = caught.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("DC303", 3, 54)


def test_the_snippet_is_the_line_the_diagnostic_points_at() -> None:
    """Was: the caret drawn under the wrong line after a U+2028 (`str.splitlines`)."""
    text = TERMS.replace("party OpenAI", "party OpenAI  # a\u2028b") + (
        "clause c1:\n  OpenAI runs api only on @\n")
    _, diagnostics = dealcheck.analyze(text, "t.deal")
    rendered = render_text(diagnostics, {"t.deal": text})
    assert rendered.splitlines()[:3] == [
        "t.deal:7:27: error[DC002]: unexpected character `@`",
        "   7 |   OpenAI runs api only on @",
        "                                 ^"]
