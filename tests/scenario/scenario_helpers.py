"""Helpers for the scenario tests: write a scenario, read its diagnostics, assert on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.span import UNKNOWN_SPAN
from dealcheck.rules.model import Fact, FactKind, FactType, Provider, Vocabulary
from dealcheck.scenario.read import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"


def make_vocabulary() -> Vocabulary:
    span = UNKNOWN_SPAN
    return Vocabulary(
        parties={"OpenAI": span, "Microsoft": span},
        providers={
            "Azure": Provider("Azure", "Microsoft", span),
            "AWS": Provider("AWS", "Amazon", span),
        },
        workloads={"api": span, "training": span, "chatgpt": span},
        workload_groups={"api_products": frozenset({"api"})},
        regions={"US": span, "EU": span},
        facts={
            "rofr_declined": Fact("rofr_declined", FactType(FactKind.BOOL), span),
            "customer": Fact(
                "customer",
                FactType(FactKind.ENUM, values=("commercial", "us_national_security")),
                span,
            ),
            "budget": Fact(
                "budget", FactType(FactKind.NUMBER, unit="USD", dimension="money"), span
            ),
            "signed": Fact("signed", FactType(FactKind.DATE), span),
        },
    )


@dataclass(frozen=True)
class Expected:
    """One diagnostic as a test expects it; `help` is compared only when given."""

    code: str
    line: int
    column: int
    message: str
    help: str | None = None
    related_line: int | None = None


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def diagnostics_of(path: Path, vocabulary: Vocabulary) -> list[Diagnostic]:
    """The diagnostics `load_scenario` raises for a file (failing if it does not raise)."""
    with pytest.raises(DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    error = caught.value
    assert str(path) in error.sources  # so that carets render
    return error.diagnostics


def assert_diagnostics(found: list[Diagnostic], *expected: Expected, file: str) -> None:
    """`found` is exactly `expected`, in order: code, file, line, column, message, help."""
    got = [(d.code, d.span.file, d.span.line, d.span.column, d.message) for d in found]
    want = [(e.code, file, e.line, e.column, e.message) for e in expected]
    assert got == want
    for diagnostic, expectation in zip(found, expected, strict=True):
        if expectation.help is not None:
            assert diagnostic.help == expectation.help
        if expectation.related_line is not None:
            assert [r.span.line for r in diagnostic.related] == [expectation.related_line]


def check(
    tmp_path: Path, vocabulary: Vocabulary, name: str, text: str | bytes, *expected: Expected
) -> list[Diagnostic]:
    """Write `text` as `name`, load it, and assert its diagnostics are exactly `expected`."""
    path = write(tmp_path, name, text)
    found = diagnostics_of(path, vocabulary)
    assert_diagnostics(found, *expected, file=str(path))
    return found
