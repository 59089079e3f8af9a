"""The shallow JSON reader gives the positional reader's tree: the same values, and the same
spans in the levels it keeps (a plan's keys, its resources and their keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealcheck.scenario.json_shallow import shallow_tree
from dealcheck.scenario.read_json import parse_json
from dealcheck.scenario.tree import Map, Node, Seq
from dealcheck.scenario.validate import plain

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = sorted([*FIXTURES.glob("terraform/*.json"), *FIXTURES.glob("inventory/*.json")])


def same(fast: Node, exact: Node, levels: int) -> None:
    """`fast` has `exact`'s span, and so have its descendants `levels` levels down."""
    assert type(fast) is type(exact)
    assert fast.span == exact.span
    if levels == 0:
        return
    if isinstance(fast, Map) and isinstance(exact, Map):
        assert [e.key for e in fast.entries] == [e.key for e in exact.entries]
        for a, b in zip(fast.entries, exact.entries, strict=True):
            assert a.key_span == b.key_span
            same(a.value, b.value, levels - 1)
    if isinstance(fast, Seq) and isinstance(exact, Seq):
        for x, y in zip(fast.items, exact.items, strict=True):
            same(x, y, levels - 1)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_shallow_tree_is_the_exact_tree_where_it_is_kept(path: Path) -> None:
    text = path.read_text("utf-8")
    fast = shallow_tree(text, path.name)
    exact, found = parse_json(text, path.name)
    assert fast is not None and exact is not None and found == []
    assert plain(fast) == plain(exact)
    # The document, its values, their items (resources, assets) and the items' values.
    same(fast, exact, 3)


@pytest.mark.parametrize("text", ['{"a": 1', '{"a": NaN}', "[1, 2] 3", '{"a" 1}', "[1,]", "",
                                  '{"a": [' * 3000])
def test_what_is_not_plain_json_is_left_to_the_positional_reader(text: str) -> None:
    assert shallow_tree(text, "x.json") is None


def test_nesting_past_the_limit_is_left_to_the_positional_reader() -> None:
    from dealcheck import limits

    with limits.configured(max_nesting=8):
        assert shallow_tree('{"a": [{"b": ' + "[" * 5 + "]" * 5 + "}]}", "x.json") is not None
        assert shallow_tree('{"a": [{"b": ' + "[" * 6 + "]" * 6 + "}]}", "x.json") is None
        _, found = parse_json('{"a": [{"b": ' + "[" * 6 + "]" * 6 + "}]}", "x.json")
        assert [d.code for d in found] == ["DC906"]
