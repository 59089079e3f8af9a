"""A node the formatter does not know is an error, never printed as if it were another node."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from dealcheck.dsl import ast
from dealcheck.dsl.format import FormatError, format_document
from dealcheck.dsl.format_layout import layout
from dealcheck.dsl.parse import parse

SOURCE = """\
agreement "Demo" effective 2025-01-01

party A

provider P operated by A

workload x

fact gpus: number

clause c:
  A runs x only if gpus > 10 when gpus = 3

amendment a1 effective 2025-06-01:
  revoke c

example "one":
  deployment d1: A runs x on P starting 2025-02-01
  expect d1 is compliant
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Bogus(ast.Node):
    """Not a node of the terms language, but it has the fields the old fall-backs read."""

    name: ast.Name
    value: bool
    pattern: ast.Pattern
    cond: ast.Cond


BOGUS: Any = Bogus(
    ast.Name("bogus"),
    True,
    ast.Pattern(ast.Selection(None), ast.Selection(None)),
    ast.Truthy(ast.Name("gpus")),
)


def _clause(doc: ast.Document) -> ast.Clause:
    clause = doc.items[4]
    assert isinstance(clause, ast.Clause)
    return clause


def _with_clause(doc: ast.Document, **changes: Any) -> ast.Document:
    clause = _clause(doc)
    items = list(doc.items)
    items[4] = dataclasses.replace(clause, **changes)
    return dataclasses.replace(doc, items=tuple(items))


def _restriction(doc: ast.Document, **changes: Any) -> ast.Document:
    rule = _clause(doc).rule
    assert isinstance(rule, ast.Restriction)
    return _with_clause(doc, rule=dataclasses.replace(rule, **changes))


def _pattern(doc: ast.Document, **changes: Any) -> ast.Document:
    rule = _clause(doc).rule
    assert isinstance(rule, ast.Restriction)
    return _restriction(doc, pattern=dataclasses.replace(rule.pattern, **changes))


def _item(doc: ast.Document, index: int, make: Callable[[Any], Any]) -> ast.Document:
    items = list(doc.items)
    items[index] = make(items[index])
    return dataclasses.replace(doc, items=tuple(items))


PLACES: dict[str, Callable[[ast.Document], ast.Document]] = {
    "top-level item": lambda doc: dataclasses.replace(doc, items=(*doc.items, BOGUS)),
    "fact type": lambda doc: _item(doc, 3, lambda f: dataclasses.replace(f, type=BOGUS)),
    "rule": lambda doc: _with_clause(doc, rule=BOGUS),
    "restriction kind": lambda doc: _restriction(doc, kind=BOGUS),
    "condition": lambda doc: _pattern(doc, when=BOGUS),
    "value": lambda doc: _pattern(
        doc, when=ast.Compare(ast.Name("gpus"), "=", BOGUS)
    ),
    "amendment item": lambda doc: _item(doc, 5, lambda a: dataclasses.replace(a, items=(BOGUS,))),
    "example item": lambda doc: _item(
        doc, 6, lambda e: dataclasses.replace(e, items=(*e.items, BOGUS))
    ),
}


def test_the_document_formats_as_it_is() -> None:
    # The places below change a document that formats; only the bogus node breaks it.
    assert format_document(parse(SOURCE)) == SOURCE


@pytest.mark.parametrize("place", sorted(PLACES))
def test_an_unknown_node_is_an_error_naming_it(place: str) -> None:
    doc = PLACES[place](parse(SOURCE))
    with pytest.raises(FormatError, match=r"cannot format a `Bogus`: it is not a node"):
        format_document(doc)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_an_unknown_node_is_never_laid_out(place: str) -> None:
    # The layout itself refuses: no line is printed for the node before the
    # soundness check could notice.
    doc = PLACES[place](parse(SOURCE))
    with pytest.raises(FormatError, match="Bogus"):
        layout(doc)
