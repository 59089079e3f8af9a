"""The recipes of docs/testing.md run as written: every `python` block is a test module."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from oracles import ROOT

DOC = ROOT / "docs" / "testing.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                    re.MULTILINE | re.DOTALL)


def recipes() -> list[tuple[int, str]]:
    found = []
    for number, block in enumerate(BLOCKS, 1):
        for name in re.findall(r"^def (test_\w+)", block, re.MULTILINE):
            found.append((number, name))
    return found


def test_the_page_has_recipes() -> None:
    assert len(recipes()) >= 5


@pytest.mark.parametrize(("block", "name"), recipes(),
                         ids=[name for _, name in recipes()])
def test_a_recipe_passes(block: int, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)   # the recipes name files from the repository's root
    namespace: dict[str, object] = {"__name__": f"docs_testing_block_{block}"}
    exec(compile(BLOCKS[block - 1], f"{DOC}:block{block}", "exec"), namespace)
    test = namespace[name]
    assert callable(test)
    recipe: Callable[[], None] = test  # type: ignore[assignment]
    recipe()
