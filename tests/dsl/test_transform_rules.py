"""The Lark tree → AST transformer has one method per grammar rule, and none for no rule.

`ToAst` dispatches on rule names (strings from Lark's tree), which mypy cannot
check for exhaustiveness: this test is that check.
"""

from __future__ import annotations

import inspect

from dealcheck.dsl.parse import _parser
from dealcheck.dsl.transform import ToAst


def _tree_rules() -> set[str]:
    """Every rule name (or alias) that can label a node of Lark's tree."""
    names: set[str] = set()
    for rule in _parser().rules:
        origin = str(rule.origin.name)
        if origin.startswith("_"):
            continue  # inlined helper rules never label a node
        if rule.alias:
            names.add(str(rule.alias))
        elif not rule.options.expand1 or len(rule.expansion) > 1:
            names.add(origin)  # a `?rule` with one child is replaced by the child
    return names


def _handlers() -> set[str]:
    return {
        name for name, value in inspect.getmembers(ToAst)
        if callable(value) and not name.startswith("_") and name != "transform"
    }


def test_every_grammar_rule_has_a_method() -> None:
    rules = _tree_rules()
    assert len(rules) > 40  # the grammar was read
    assert rules - _handlers() == set()


def test_every_method_handles_a_grammar_rule() -> None:
    assert _handlers() - _tree_rules() == set()
