"""What the resolution passes share: the document, the vocabulary built so far, the diagnostics.

Each pass reads what the passes before it left in the `Context` and adds its
own part; none keeps state of its own between calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, Related, error
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.kinds import GROUPED_KINDS
from dealcheck.rules.resolve.as_of import parse_date

#: Deployment fields a condition reads by name; no fact may take one of these names.
KEYWORD_FIELDS = frozenset(m.DEPLOYMENT_FIELDS)
#: What an aggregate may total, with the dimensions of its quantities.
MEASURES = {"value": ("money",), "capacity": ("power", "count")}
#: What the limit of ``number of deployments`` may be: a plain number, or a number of a count unit.
COUNT_DIMENSIONS = ("", "count")


@dataclass(slots=True)
class Version:
    """One version of a clause: in force from `start` through `through` (open when None)."""

    node: ast.Clause
    start: dt.date | None
    through: dt.date | None
    amendment: str | None
    #: ("revoke" or "replace", the amendment's id) once an amendment ends it.
    ended_by: tuple[str, str] | None = None


def _used_tables() -> dict[str, set[str]]:
    return {k: set() for k in ("fact", "unit", *(f"{g.name}_group" for g in GROUPED_KINDS))}


@dataclass(slots=True)
class Context:
    """The state of one resolution, handed from pass to pass."""

    doc: ast.Document
    file: str
    #: Names whose declarations had syntax errors: nothing more is reported about them.
    broken: frozenset[str]
    diags: list[Diagnostic] = field(default_factory=list)
    vocab: m.Vocabulary = field(default_factory=m.Vocabulary)
    #: Where each group was declared (vocabulary and groups passes).
    group_spans: dict[str, Span] = field(default_factory=dict)
    #: The facts, units and groups some clause or example uses (for lint's "unused").
    used: dict[str, set[str]] = field(default_factory=_used_tables)
    #: The agreement's effective date, None when it is not a date (clauses pass).
    effective: dt.date | None = None
    #: Every version of every clause, in the order written (clauses pass).
    versions: list[Version] = field(default_factory=list)
    by_id: dict[str, list[Version]] = field(default_factory=dict)
    amendments: list[m.Amendment] = field(default_factory=list)
    #: The clause versions that resolved (clauses pass).
    clauses: list[m.Clause] = field(default_factory=list)
    #: The examples that resolved (examples pass).
    examples: list[m.Example] = field(default_factory=list)

    def err(self, code: str, message: str, span: Span, help: str | None = None,
            related: Iterable[Related] = ()) -> None:
        """Report an error."""
        self.diags.append(error(code, message, span, help, related))

    def date(self, lit: ast.DateLit | None) -> dt.date | None:
        """The date written at `lit`; None (after DC104) when it is not a date."""
        if lit is None:
            return None
        value = parse_date(lit.text)
        if isinstance(value, str):
            self.err("DC104", value, lit.span, "check the day and month")
            return None
        return value
