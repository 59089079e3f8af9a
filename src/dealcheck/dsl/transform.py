"""Lark's concrete tree → the typed AST: one method per grammar rule."""

from __future__ import annotations

import bisect
from typing import Any

from lark import Token, Tree
from lark.tree import Meta

from dealcheck._speed import slot_builder
from dealcheck.dsl import ast
from dealcheck.dsl.span import UNKNOWN_SPAN, Span


def unquote(text: str) -> str:
    r"""The value of a string literal: quotes removed, ``\"`` and ``\\`` unescaped."""
    body = text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        out.append(next(chars, "\\") if ch == "\\" else ch)
    return "".join(out)


def _blank_from(text: str, start: int, end: int) -> int:
    """Where the run of blanks and line breaks that ends at `end` starts (not before `start`).

    Read backwards a block at a time, so a megabyte of trailing blanks costs
    a few C-level scans rather than a Python step per character.
    """
    while end > start:
        block = max(start, end - 4096)
        kept = text[block:end].rstrip(" \t\r\n")
        if kept:
            return block + len(kept)
        end = block
    return start


def code_end(text: str, line_start: int, limit: int) -> int:
    """The offset just past the last code character of a line (comments and blanks excluded)."""
    segment = text[line_start:limit]
    if '"' not in segment:  # no string: code ends at a comment, then blanks are dropped
        comment = segment.find("#")
        if comment != -1:
            segment = segment[:comment]
        return line_start + len(segment.rstrip(" \t\r\n"))
    in_string = False
    end = line_start
    i = line_start
    while i < limit:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
            end = i + 1
        elif ch == '"':
            in_string = True
            end = i + 1
        elif ch == "#":
            break
        elif ch not in " \t\r\n":
            end = i + 1
        i += 1
    return end



#: ``Span(...)`` without the frozen dataclass's ``__init__``: a file has one span
#: per node and token, and its ``object.__setattr__`` per field is most of the cost.
_new_span = slot_builder(Span)


class ToAst:
    """Builds frozen AST nodes; every node gets the span of its source text.

    One method per grammar rule, called as ``method(meta, children)`` with the
    children already built. The walk is our own (a dispatch table) rather than
    `lark.Transformer`, whose per-call wrapping of meta arguments costs more
    than the whole AST construction.
    """

    def __init__(self, file: str, text: str = "") -> None:
        self.file = file
        self.text = text
        self._table: dict[str, Any] = {}
        self._line_starts: list[int] | None = None

    def transform(self, tree: Tree[Token]) -> ast.Document:
        table = self._table

        def build(node: Tree[Token]) -> Any:
            children = [build(c) if isinstance(c, Tree) else c for c in node.children]
            rule = str(node.data)
            method = table.get(rule)
            if method is None:
                method = table[rule] = getattr(self, rule)
            return method(node.meta, children)

        document: ast.Document = build(tree)
        return document

    # ------------------------------------------------------------ helpers
    def _span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return UNKNOWN_SPAN
        end = meta.end_pos
        text = self.text
        if text and end > meta.start_pos and (
                text[end - 1] in " \t\r\n"
                or text.find("#", text.rfind("\n", 0, end - 1) + 1, end) != -1):
            end = self._trim(meta.start_pos, end)
            line, column = self._line_col(end)
            return _new_span(self.file, meta.start_pos, end, meta.line, meta.column, line, column)
        return _new_span(self.file, meta.start_pos, end, meta.line, meta.column,
                         meta.end_line, meta.end_column)

    def _trim(self, start: int, end: int) -> int:
        """Pull a span's end back over line breaks, blank lines and comments."""
        text = self.text
        while end > start:
            if text[end - 1] in " \t\r\n":
                end = _blank_from(text, start, end)
                continue
            line_start = max(text.rfind("\n", 0, end - 1) + 1, start)
            code = code_end(text, line_start, end)
            if code >= end or (code <= line_start and line_start == start):
                break
            end = code
        return end

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def _tok_span(self, tok: Token) -> Span:
        return _new_span(self.file, tok.start_pos or 0, tok.end_pos or 0, tok.line or 1,
                         tok.column or 1, tok.end_line or 1, tok.end_column or 1)

    def _name(self, tok: Token) -> ast.Name:
        return ast.Name(str(tok), span=self._tok_span(tok))

    def _date(self, tok: Token | None) -> ast.DateLit | None:
        return None if tok is None else ast.DateLit(str(tok), span=self._tok_span(tok))

    def _str(self, tok: Token | None) -> str | None:
        return None if tok is None else unquote(str(tok))

    # ------------------------------------------------------------ top level
    def start(self, meta: Meta, c: list[Any]) -> ast.Document:
        return ast.Document(agreement=c[0], items=tuple(c[1:]), span=self._span(meta))

    def agreement(self, meta: Meta, c: list[Any]) -> ast.Agreement:
        return ast.Agreement(unquote(c[0]), self._date(c[1]), span=self._span(meta))  # type: ignore[arg-type]

    def names(self, meta: Meta, c: list[Token]) -> tuple[ast.Name, ...]:
        return tuple(self._name(t) for t in c)

    # ------------------------------------------------------------ vocabulary
    def party_decl(self, meta: Meta, c: list[Any]) -> ast.PartyDecl:
        return ast.PartyDecl(c[0], span=self._span(meta))

    def provider_decl(self, meta: Meta, c: list[Any]) -> ast.ProviderDecl:
        return ast.ProviderDecl(self._name(c[0]), self._name(c[1]), span=self._span(meta))

    def provider_group_decl(self, meta: Meta, c: list[Any]) -> ast.ProviderGroupDecl:
        return ast.ProviderGroupDecl(self._name(c[0]), c[1], span=self._span(meta))

    def workload_decl(self, meta: Meta, c: list[Any]) -> ast.WorkloadDecl:
        return ast.WorkloadDecl(c[0], span=self._span(meta))

    def workload_group_decl(self, meta: Meta, c: list[Any]) -> ast.WorkloadGroupDecl:
        return ast.WorkloadGroupDecl(self._name(c[0]), c[1], span=self._span(meta))

    def region_decl(self, meta: Meta, c: list[Any]) -> ast.RegionDecl:
        return ast.RegionDecl(c[0], span=self._span(meta))

    def region_group_decl(self, meta: Meta, c: list[Any]) -> ast.RegionGroupDecl:
        return ast.RegionGroupDecl(self._name(c[0]), c[1], span=self._span(meta))

    def fact_decl(self, meta: Meta, c: list[Any]) -> ast.FactDecl:
        return ast.FactDecl(self._name(c[0]), c[1], span=self._span(meta))

    def unit_decl(self, meta: Meta, c: list[Any]) -> ast.UnitDecl:
        dimension = None if c[1] is None else self._name(c[1])
        return ast.UnitDecl(self._name(c[0]), dimension, span=self._span(meta))

    def bool_type(self, meta: Meta, c: list[Any]) -> ast.BoolType:
        return ast.BoolType(span=self._span(meta))

    def enum_type(self, meta: Meta, c: list[Any]) -> ast.EnumType:
        return ast.EnumType(c[0], span=self._span(meta))

    def number_type(self, meta: Meta, c: list[Any]) -> ast.NumberType:
        return ast.NumberType(None if c[0] is None else self._name(c[0]), span=self._span(meta))

    def date_type(self, meta: Meta, c: list[Any]) -> ast.DateType:
        return ast.DateType(span=self._span(meta))

    # ------------------------------------------------------------ clauses
    def clause(self, meta: Meta, c: list[Any]) -> ast.Clause:
        ident, label, from_date, through_date, duration, notwithstanding, advisory, *rest = c
        *sources, rule = rest
        return ast.Clause(
            self._name(ident), self._str(label), from_date, through_date,
            notwithstanding or (), tuple(sources), rule, duration, advisory is True,
            span=self._span(meta),
        )

    def replace(self, meta: Meta, c: list[Any]) -> ast.Replace:
        return ast.Replace(c[0], span=self._span(meta))

    def from_date(self, meta: Meta, c: list[Any]) -> ast.DateLit | None:
        return self._date(c[0])

    through_date = from_date

    def for_duration(self, meta: Meta, c: list[Any]) -> ast.DurationLit:
        duration: ast.DurationLit = c[0]
        return duration

    def duration(self, meta: Meta, c: list[Any]) -> ast.DurationLit:
        unit = " ".join(str(c[1]).split())  # `business   days` is `business days`
        return ast.DurationLit(str(c[0]), unit, span=self._span(meta))

    def shifted(self, meta: Meta, c: list[Any]) -> ast.Shifted:
        base, sign, duration = c
        written = self._date(base) if base.type == "DATE" else self._name(base)
        return ast.Shifted(written, str(sign), duration, span=self._span(meta))  # type: ignore[arg-type]

    def notwithstanding(self, meta: Meta, c: list[Any]) -> tuple[ast.Name, ...]:
        return tuple(c[0])

    def advisory(self, meta: Meta, c: list[Any]) -> bool:
        return True

    def source(self, meta: Meta, c: list[Any]) -> str:
        return unquote(c[0])

    def _pattern(self, meta: Meta, parties: ast.Selection, workloads: ast.Selection,
                 providers: ast.Selection | None, regions: ast.Selection | None,
                 when: ast.Cond | None) -> ast.Pattern:
        return ast.Pattern(parties, workloads, providers, regions, when, span=self._span(meta))

    def restriction(self, meta: Meta, c: list[Any]) -> ast.Restriction:
        parties, workloads, providers, regions, kind, when = c
        pattern = self._pattern(meta, parties, workloads, providers, regions, when)
        return ast.Restriction(pattern, kind, span=self._span(meta))

    def only_on(self, meta: Meta, c: list[Any]) -> ast.OnlyOn:
        return ast.OnlyOn(c[0], span=self._span(meta))

    def only_in(self, meta: Meta, c: list[Any]) -> ast.OnlyIn:
        return ast.OnlyIn(c[0], span=self._span(meta))

    def only_if(self, meta: Meta, c: list[Any]) -> ast.OnlyIf:
        return ast.OnlyIf(c[0], span=self._span(meta))

    def prohibition(self, meta: Meta, c: list[Any]) -> ast.Prohibition:
        return ast.Prohibition(self._pattern(meta, *c), span=self._span(meta))

    def permission(self, meta: Meta, c: list[Any]) -> ast.Permission:
        return ast.Permission(self._pattern(meta, *c), span=self._span(meta))

    def aggregate(self, meta: Meta, c: list[Any]) -> ast.Aggregate:
        measure, parties, workloads, providers, regions, window, period, bound, when = c
        anyone = ast.Selection(None)
        pattern = self._pattern(meta, parties or anyone, workloads or anyone, providers,
                                regions, when)
        window_from, window_through = window or (None, None)
        is_cap, limit, deadline, strict, share, addition = bound
        counted = isinstance(measure, ast.Name)
        return ast.Aggregate(measure if counted else self._name(measure), pattern, window_from,
                             window_through, is_cap, limit, deadline, counted, strict,
                             share, period, addition, span=self._span(meta))

    def in_addition(self, meta: Meta, c: list[Any]) -> ast.Name:
        return self._name(c[0])

    def per_calendar_year(self, meta: Meta, c: list[Any]) -> str:
        return "calendar year"

    def per_quarter(self, meta: Meta, c: list[Any]) -> str:
        return "quarter"

    def per_contract_year(self, meta: Meta, c: list[Any]) -> str:
        return "contract year"

    def share_of(self, meta: Meta, c: list[Any]) -> ast.ShareOf:
        measure, parties, workloads, providers, regions = c
        anyone = ast.Selection(None)
        pattern = self._pattern(meta, parties or anyone, workloads or anyone, providers,
                                regions, None)
        counted = isinstance(measure, ast.Name)
        return ast.ShareOf(measure if counted else self._name(measure), counted, pattern,
                           span=self._span(meta))

    def share_at_least(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (False, self._percent(c[0]), None, False, c[1], None)

    def share_at_most(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (True, self._percent(c[0]), None, False, c[1], None)

    def _percent(self, tok: Token) -> ast.QuantityLit:
        """``50%`` as the quantity ``50`` (a share's limit), spanning the percentage."""
        return ast.QuantityLit(str(tok)[:-1], None, span=self._tok_span(tok))

    def count_measure(self, meta: Meta, c: list[Any]) -> ast.Name:
        return ast.Name("number", span=self._span(meta))

    def by_parties(self, meta: Meta, c: list[Any]) -> ast.Selection:
        return ast.Selection(c[0], span=self._span(meta))

    of_workloads = by_parties

    def window_from(self, meta: Meta, c: list[Any]) -> tuple[ast.DateLit | None, ...]:
        return (self._date(c[0]), self._date(c[1]))

    def window_through(self, meta: Meta, c: list[Any]) -> tuple[ast.DateLit | None, ...]:
        return (None, self._date(c[0]))

    # A bound: (is a cap, limit, deadline, strict, the whole of a share, `in addition to`).
    def at_most(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (True, c[0], None, False, None, None)

    def less_than(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (True, c[0], None, True, None, None)

    def reaches(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (False, c[0], self._date(c[2]), False, None, c[1])

    def exceeds(self, meta: Meta, c: list[Any]) -> tuple[Any, ...]:
        return (False, c[0], self._date(c[2]), True, None, c[1])

    def some_parties(self, meta: Meta, c: list[Any]) -> ast.Selection:
        return ast.Selection(c[0], span=self._span(meta))

    some_workloads = some_parties
    on_providers = some_parties
    in_regions = some_parties

    def off_providers(self, meta: Meta, c: list[Any]) -> ast.Selection:
        return ast.Selection(c[0], negated=True, span=self._span(meta))

    outside_regions = off_providers

    def any_party(self, meta: Meta, c: list[Any]) -> ast.Selection:
        return ast.Selection(None, span=self._span(meta))

    any_workload = any_party
    any_provider = any_party
    any_region = any_party

    def when(self, meta: Meta, c: list[Any]) -> ast.Cond:
        cond: ast.Cond = c[0]
        return cond

    # ------------------------------------------------------------ conditions
    def or_cond(self, meta: Meta, c: list[Any]) -> ast.Or:
        return ast.Or(tuple(c), span=self._span(meta))

    def and_cond(self, meta: Meta, c: list[Any]) -> ast.And:
        return ast.And(tuple(c), span=self._span(meta))

    def not_(self, meta: Meta, c: list[Any]) -> ast.Not:
        return ast.Not(c[0], span=self._span(meta))

    def group(self, meta: Meta, c: list[Any]) -> ast.Group:
        return ast.Group(c[0], span=self._span(meta))

    def compare(self, meta: Meta, c: list[Any]) -> ast.Compare:
        return ast.Compare(self._name(c[0]), str(c[1]), c[2], span=self._span(meta))

    def compare_expr(self, meta: Meta, c: list[Any]) -> ast.CompareExpr:
        left: ast.Shifted | ast.DateLit = (self._date(c[0]) if isinstance(c[0], Token)  # type: ignore[assignment]
                                           else c[0])
        return ast.CompareExpr(left, str(c[1]), c[2], span=self._span(meta))

    def within(self, meta: Meta, c: list[Any]) -> ast.Within:
        return ast.Within(self._name(c[0]), c[1], c[2], span=self._span(meta))

    def member(self, meta: Meta, c: list[Any]) -> ast.Member:
        return ast.Member(self._name(c[0]), c[1], span=self._span(meta))

    def not_member(self, meta: Meta, c: list[Any]) -> ast.Member:
        return ast.Member(self._name(c[0]), c[1], negated=True, span=self._span(meta))

    def truthy(self, meta: Meta, c: list[Any]) -> ast.Truthy:
        return ast.Truthy(self._name(c[0]), span=self._span(meta))

    def clause_state(self, meta: Meta, c: list[Any]) -> ast.ClauseState:
        return ast.ClauseState(self._name(c[0]), str(c[1]), span=self._span(meta))

    def name_value(self, meta: Meta, c: list[Any]) -> ast.Name:
        return self._name(c[0])

    def date_value(self, meta: Meta, c: list[Any]) -> ast.DateLit | None:
        return self._date(c[0])

    def true_value(self, meta: Meta, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self._span(meta))

    def false_value(self, meta: Meta, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self._span(meta))

    def quantity(self, meta: Meta, c: list[Any]) -> ast.QuantityLit:
        unit = None if c[1] is None else self._name(c[1])
        return ast.QuantityLit(str(c[0]), unit, span=self._span(meta))

    # ------------------------------------------------------------ amendments
    def amendment(self, meta: Meta, c: list[Any]) -> ast.Amendment:
        ident, title, effective, *items = c
        return ast.Amendment(self._name(ident), self._str(title), self._date(effective),  # type: ignore[arg-type]
                             tuple(items), span=self._span(meta))

    def revoke(self, meta: Meta, c: list[Any]) -> ast.Revoke:
        return ast.Revoke(c[0], span=self._span(meta))

    # ------------------------------------------------------------ examples
    def example(self, meta: Meta, c: list[Any]) -> ast.Example:
        title, as_of, *items = c
        return ast.Example(unquote(title), as_of, tuple(items), span=self._span(meta))

    def as_of(self, meta: Meta, c: list[Any]) -> ast.DateLit | None:
        return self._date(c[0])

    def deployment(self, meta: Meta, c: list[Any]) -> ast.DeploymentLit:
        ident, party, workload, provider, region, start, end, capacity, value, facts = c
        return ast.DeploymentLit(
            None if ident is None else self._name(ident), self._name(party),
            self._name(workload), self._name(provider),
            None if region is None else self._name(region), self._date(start),  # type: ignore[arg-type]
            self._date(end), capacity, value, facts or (), span=self._span(meta),
        )

    def capacity(self, meta: Meta, c: list[Any]) -> ast.QuantityLit:
        q: ast.QuantityLit = c[0]
        return q

    amount = capacity

    def with_facts(self, meta: Meta, c: list[Any]) -> tuple[ast.FactValueLit, ...]:
        return tuple(c)

    def fact_value(self, meta: Meta, c: list[Any]) -> ast.FactValueLit:
        return ast.FactValueLit(self._name(c[0]), c[1], span=self._span(meta))

    def expectation(self, meta: Meta, c: list[Any]) -> ast.Expectation:
        subject, verdict, clauses, missing = c
        return ast.Expectation(subject, str(verdict), clauses or (), missing or (),
                               span=self._span(meta))

    def subject(self, meta: Meta, c: list[Any]) -> ast.Name:
        return self._name(c[0])

    def of_clauses(self, meta: Meta, c: list[Any]) -> tuple[ast.Name, ...]:
        return tuple(c[0])

    missing = of_clauses
