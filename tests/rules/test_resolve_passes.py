"""The resolution passes as a whole: their order, and every AST node handled by one of them."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from located import HEADER

import dealcheck
from dealcheck.dsl import ast
from dealcheck.rules.resolve import PASSES, resolve

#: The unions of AST nodes the resolver dispatches over with `match`.
DISPATCHED = (ast.Item, ast.FactTypeNode, ast.Cond, ast.Rule, ast.RestrictionKind,
              ast.AmendmentItem, ast.Value)

#: Terms that write every node of those unions at least once.
EVERY_NODE = HEADER + """\
unit tokens
fact consent: bool
fact tier: one of gold, silver
fact budget: number tokens
fact signed: date
provider group clouds = Azure
workload group all = api, training
region group west = US, EU
clause c:
  Acme runs api only on clouds
clause r:
  Acme runs training only in west
clause q:
  Acme runs all only if (consent or not tier in gold, silver) and budget >= 5 tokens
clause p:
  Acme must not run api on any provider when signed < 2025-06-01 and provider != Azure
clause w:
  Acme runs training only if start within 30 days after signed and signed + 1 month <= start
clause open notwithstanding c:
  Acme may run api on any provider when consent = true
clause cap:
  total value of deployments by Acme is at most 5 USD
clause kept:
  Acme runs training only on Azure when cap is compliant
amendment a effective 2025-06-01:
  revoke r
  replace clause q:
    Acme runs all only if consent
  clause added:
    Acme runs api only in EU
example "x":
  deployment d: Acme runs api on Azure starting 2025-02-01
  expect compliant
"""


def _nodes(node: object) -> Iterator[object]:
    yield node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from _nodes(getattr(node, f.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _nodes(item)


def test_the_passes_run_in_order() -> None:
    assert [p.__name__ for p in PASSES] == [
        "vocabulary", "groups", "operators", "clauses", "exceptions", "additions", "states",
        "examples"]


def test_every_dispatched_node_is_written_and_resolves() -> None:
    written = {type(n) for n in _nodes(dealcheck.parse(EVERY_NODE, "t.deal"))}
    expected = {t for union in DISPATCHED for t in typing.get_args(union)}
    # A node added to one of these unions fails here until the text above writes it.
    assert expected - written == set()
    terms = dealcheck.loads(EVERY_NODE, "t.deal")
    assert [(c.id, c.introduced_by) for c in terms.clauses] == [
        ("c", None), ("r", None), ("q", None), ("p", None), ("w", None), ("open", None),
        ("cap", None), ("kept", None),
        ("q", "a"), ("added", "a")]
    assert [x.title for x in terms.examples] == ["x"]


@dataclass(frozen=True, slots=True)
class Unhandled(ast.Node):
    """A node that no pass knows."""


def test_a_node_no_pass_handles_is_a_loud_failure() -> None:
    doc = dealcheck.parse(HEADER, "t.deal")
    stray = ast.Document(doc.agreement, (*doc.items, Unhandled()))  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        resolve(stray, "t.deal")
