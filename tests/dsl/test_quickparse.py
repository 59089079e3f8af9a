"""The quick parser gives exactly what the Lark parser gives (AST, spans, comments), or gives up."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_parse_properties import block_documents, documents

from dealcheck.dsl import parse as lark_path
from dealcheck.dsl.quickparse import KEYWORDS, Undecided, quick_parse
from dealcheck.dsl.transform import ToAst

ROOT = Path(__file__).resolve().parents[2]
DEAL_FILES = sorted({*ROOT.glob("examples/**/*.deal"), *ROOT.glob("tests/**/*.deal")})


def _lark(source: str, file: str) -> tuple[Any, list[tuple[int, str]]]:
    comments: list[tuple[int, str]] = []
    lark_path._sink.comments = comments
    try:
        tree = lark_path._parser().parse(source)
    finally:
        lark_path._sink.comments = None
    return ToAst(file, source).transform(tree), comments


def _differences(a: object, b: object, path: str = "document") -> str | None:
    """The first difference, spans included (AST equality ignores them)."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            found = _differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if isinstance(a, tuple | list):
        assert isinstance(b, tuple | list)
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _differences(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def agrees(text: str) -> bool:
    """True when the quick parser decided (and agreed); False when it gave up."""
    source = text if text.endswith("\n") else text + "\n"
    try:
        quick = quick_parse(source, "t.deal")
    except Undecided:
        return False
    lark = _lark(source, "t.deal")  # raises if the quick parser accepted invalid text
    assert _differences(lark[0], quick[0]) is None, _differences(lark[0], quick[0])
    assert sorted(lark[1]) == sorted(quick[1])
    return True


def test_keywords_are_the_grammars_words() -> None:
    literals = set(re.findall(r'"([A-Za-z_]+)"', lark_path.grammar_text()))
    assert literals == KEYWORDS


@pytest.mark.parametrize("path", DEAL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files(path: Path) -> None:
    # Valid or not: if the quick parser decides, Lark parses the text the same way.
    agrees(path.read_text("utf-8", errors="replace").removeprefix("\ufeff"))


def test_the_example_terms_take_the_quick_path() -> None:
    for path in ROOT.glob("examples/*/terms.deal"):
        assert agrees(path.read_text("utf-8"))


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@_SETTINGS
@given(documents())
def test_grammar_documents(text: str) -> None:
    agrees(text)


@pytest.mark.slow
@_SETTINGS
@given(block_documents())
def test_grammar_blocks(text: str) -> None:
    agrees(text)
