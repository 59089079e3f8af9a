"""Golden files for the formatter: ``cases/NAME.deal`` formats to ``cases/NAME.expected.deal``.

To add a case, write the messy input and review the expected output by hand;
never regenerate expected files blindly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dealcheck.dsl.format import format_document, format_source
from dealcheck.dsl.parse import parse

CASES = Path(__file__).parent / "format" / "cases"
EXAMPLES = Path(__file__).parents[2] / "examples"
NAMES = sorted(
    p.name.removesuffix(".deal")
    for p in CASES.glob("*.deal")
    if not p.name.endswith(".expected.deal")
)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_there_are_enough_cases() -> None:
    assert len(NAMES) >= 8
    for name in NAMES:
        assert (CASES / f"{name}.expected.deal").exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str) -> None:
    source = read(CASES / f"{name}.deal")
    assert format_source(source, f"{name}.deal") == read(CASES / f"{name}.expected.deal")


@pytest.mark.parametrize("name", NAMES)
def test_expected_is_canonical_and_means_the_same(name: str) -> None:
    expected = read(CASES / f"{name}.expected.deal")
    assert format_source(expected) == expected
    assert parse(expected) == parse(read(CASES / f"{name}.deal"))


@pytest.mark.parametrize("name", NAMES)
def test_without_the_source_text_spans_place_comments_the_same(name: str) -> None:
    source = read(CASES / f"{name}.deal")
    assert format_document(parse(source)) == read(CASES / f"{name}.expected.deal")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/*.deal")), ids=lambda p: p.parent.name)
def test_shipped_examples_are_canonical(path: Path) -> None:
    text = read(path)
    assert format_source(text, str(path)) == text
