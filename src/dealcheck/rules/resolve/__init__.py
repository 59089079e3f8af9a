"""Resolution: typed AST → the terms model, with every name, type, unit and date checked.

Resolution runs in passes, each in its own module and each reading what the
passes before it left in a shared `Context`: the vocabulary, its groups, the
clauses and their versions, the exceptions among them, then the examples.
All problems are collected; `resolve` returns the model together with its
diagnostics, and `load`-style callers raise when any of them is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from dealcheck._speed import paused_gc
from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic
from dealcheck.rules import model as m
from dealcheck.rules.resolve.additions import additions
from dealcheck.rules.resolve.as_of import INVALID_AS_OF, parse_as_of, parse_date
from dealcheck.rules.resolve.clauses import clauses
from dealcheck.rules.resolve.context import KEYWORD_FIELDS, MEASURES, Context
from dealcheck.rules.resolve.examples import examples
from dealcheck.rules.resolve.exceptions import exceptions
from dealcheck.rules.resolve.groups import groups
from dealcheck.rules.resolve.states import states
from dealcheck.rules.resolve.vocabulary import operators, vocabulary

__all__ = ["CODES", "INVALID_AS_OF", "KEYWORD_FIELDS", "MEASURES", "PASSES", "Resolution",
           "parse_as_of", "parse_date", "resolve"]

#: Diagnostic codes of resolution, with what each one means (documented in docs/language.md).
CODES: dict[str, str] = {
    "DC101": "a name that is not declared",
    "DC102": "a name declared twice",
    "DC103": "two clauses with the same id",
    "DC104": "an invalid date",
    "DC105": "an empty or inverted effective window",
    "DC106": "a unit of the wrong dimension",
    "DC107": "an unknown unit",
    "DC108": "a value of the wrong type in a condition",
    "DC109": "a `notwithstanding` target that is never in force while the permission is",
    "DC110": "a `revoke` target that is not in force on the amendment's date",
    "DC111": "`notwithstanding` on a clause that is not a permission, or a permission without it",
    "DC112": "exceptions that override each other in a cycle",
    "DC113": "an aggregate over something other than `value` or `capacity`",
    "DC114": "amendments out of date order",
    "DC115": "a clause that takes effect before the amendment that adds it",
    "DC116": "an invalid executable example",
    "DC117": "a name of the wrong kind (a region where a provider belongs, …)",
    "DC118": "a number out of range",
    "DC120": "a clause with both `through` and `for`",
    "DC121": "a duration that is not a whole number, is 0 for a clause, or is too long",
    "DC122": "a duration added to something that is not a date",
    "DC123": "two operands of different types compared",
    "DC124": "an order (`<`, `>`, …) between names",
    "DC125": "a comparison that reads no field or fact",
    "DC130": "a share of a total of another measure",
    "DC131": "a share's percentage outside 0%–100%",
    "DC132": "a share judged per period",
    "DC133": "`in addition to` a clause that does not exist",
    "DC134": "`in addition to` a clause that is not a commitment, or per period",
    "DC135": "`in addition to` a commitment of another dimension",
    "DC136": "commitments in addition to each other in a cycle",
    "DC160": "a state (`CLAUSE is …`) of a clause that does not exist",
    "DC161": "a state of a clause that has none (not an aggregate), or one it never reaches",
    "DC162": "aggregates whose `when` depend on each other's states in a cycle",
    "DC163": "a state of a clause named like a fact",
    "DC140": "a permission marked `advisory` (only a restriction or an aggregate can be a target)",
    "DC150": "a unit declared with a dimension other than `money` or `count`",
    "DC151": "a quantity in another currency (or count unit) than the one it is compared with",
}

#: The passes, in the order they run: each reads what the ones before it resolved.
PASSES: tuple[Callable[[Context], None], ...] = (
    vocabulary, groups, operators, clauses, exceptions, additions, states, examples)


@dataclass(slots=True)
class Resolution:
    """The resolved terms (None when errors made it impossible) and every diagnostic."""

    terms: m.Terms | None
    diagnostics: list[Diagnostic]
    uses: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.terms is not None and not any(d.severity == "error" for d in self.diagnostics)


def resolve(doc: ast.Document, file: str, source: str = "",
            broken: frozenset[str] = frozenset()) -> Resolution:
    """Resolve a parsed document into the terms model.

    Args:
        doc: the AST from `dsl.parse`.
        file: the file name used in diagnostics.
        source: the file's text (kept on the model for reports and hashing).
        broken: names whose declarations had syntax errors: no "unknown name"
            diagnostics are reported for them.

    Returns:
        A `Resolution` with the terms (None if they cannot be built) and the
        diagnostics, not yet sorted.
    """
    ctx = Context(doc, file, broken)
    with paused_gc():
        for run in PASSES:
            run(ctx)
    terms = _terms(ctx)
    if terms is not None:
        terms.source = source
        terms.sha256 = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return Resolution(terms, ctx.diags, ctx.used)


def _terms(ctx: Context) -> m.Terms | None:
    """The terms model the passes built; None without an effective date."""
    if ctx.effective is None:
        return None
    return m.Terms(
        path=ctx.file, title=ctx.doc.agreement.title, effective=ctx.effective,
        vocabulary=ctx.vocab, clauses=tuple(ctx.clauses), amendments=tuple(ctx.amendments),
        examples=tuple(ctx.examples),
    )
