"""The formatter's first stage: typed AST → canonical lines, before comments and blank lines.

Every node kind is printed by one ``match`` whose last case hands the node to
`unprintable`: mypy flags a node class that no case handles, and at run time
a node the formatter does not know (a hand-built or foreign object) is a
`FormatError`, never a line printed as if it were some other node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Never, NoReturn

from dealcheck.dsl import ast
from dealcheck.dsl.span import UNKNOWN_SPAN, Span

INDENT = "  "
"""One level of indentation in the canonical layout."""


class FormatError(Exception):
    """The formatter would have changed the meaning or the comments of a file (a bug)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unprintable(node: Never) -> NoReturn:
    """The last case of every dispatch: typed `Never` so that mypy flags an unhandled node."""
    name = type(node).__name__
    raise FormatError(f"cannot format a `{name}`: it is not a node of the terms language")


@dataclass(frozen=True, slots=True)
class Line:
    """One output line (one logical source line), before comments and blank lines."""

    text: str
    depth: int
    anchor: Span | None = None  # a span that starts on this line, when one exists
    prefix: int = 0  # canonical width of the text before `anchor` (headers only)
    end_line: int = 0  # the last source line of a rule, which may span several lines
    opens: bool = False  # a block header: the following deeper lines are its body
    group: str | None = None  # top-level items: the kind, for blank lines between items


def layout(doc: ast.Document) -> list[Line]:
    """The canonical lines of `doc`, in source order, with the spans that place them.

    Raises:
        FormatError: `doc` holds a node the formatter does not know.
    """
    agreement = doc.agreement
    lines = [
        Line(
            f"agreement {_quote(agreement.title)} effective {agreement.effective.text}",
            0,
            agreement.span,
            group="agreement",
        )
    ]
    for item in doc.items:
        match item:
            case ast.Clause():
                lines.extend(_clause_lines(item, 0, "", item.span, "block"))
            case ast.Amendment():
                lines.extend(_amendment_lines(item))
            case ast.Example():
                lines.extend(_example_lines(item))
            case _:
                group, text = _declaration(item)
                lines.append(Line(text, 0, item.span, group=group))
    return lines


def _declaration(item: ast.Declaration) -> tuple[str, str]:
    """The kind of a declaration (blank lines separate kinds) and its text."""
    match item:
        case ast.PartyDecl():
            return "party", f"party {_names(item.names)}"
        case ast.ProviderDecl():
            return "provider", f"provider {item.name.value} operated by {item.operator.value}"
        case ast.ProviderGroupDecl():
            return "provider", f"provider group {item.name.value} = {_names(item.members)}"
        case ast.WorkloadDecl():
            return "workload", f"workload {_names(item.names)}"
        case ast.WorkloadGroupDecl():
            return "workload", f"workload group {item.name.value} = {_names(item.members)}"
        case ast.RegionDecl():
            return "region", f"region {_names(item.names)}"
        case ast.RegionGroupDecl():
            return "region", f"region group {item.name.value} = {_names(item.members)}"
        case ast.FactDecl():
            return "fact", f"fact {item.name.value}: {_fact_type(item.type)}"
        case ast.UnitDecl():
            kind = "" if item.dimension is None else f": {item.dimension.value}"
            return "unit", f"unit {item.name.value}{kind}"
        case _:
            unprintable(item)


def _fact_type(node: ast.FactTypeNode) -> str:
    match node:
        case ast.BoolType():
            return "bool"
        case ast.EnumType():
            return f"one of {_names(node.values)}"
        case ast.NumberType():
            return "number" if node.unit is None else f"number {node.unit.value}"
        case ast.DateType():
            return "date"
        case _:
            unprintable(node)


def _clause_lines(
    clause: ast.Clause, depth: int, keyword: str, span: Span | None, group: str | None = None
) -> list[Line]:
    head = f"{keyword}clause {clause.id.value}"
    if clause.label is not None:
        head += f" {_quote(clause.label)}"
    if clause.from_date is not None:
        head += f" from {clause.from_date.text}"
    if clause.through_date is not None:
        head += f" through {clause.through_date.text}"
    if clause.duration is not None:
        head += f" for {_duration(clause.duration)}"
    if clause.notwithstanding:
        head += f" notwithstanding {_names(clause.notwithstanding)}"
    if clause.advisory:
        head += " advisory"
    anchor, prefix = clause.id.span, len(f"{keyword}clause ")
    if span is not None and span.line == anchor.line and span.column < anchor.column:
        anchor, prefix = span, 0  # the node's span starts at the keyword (recent Lark)
    lines = [Line(head + ":", depth, anchor, prefix, opens=True, group=group)]
    lines.extend(Line(f"source {_quote(text)}", depth + 1) for text in clause.sources)
    lines.append(
        Line(_rule(clause.rule), depth + 1, clause.rule.span, end_line=_last_line(clause.rule))
    )
    return lines


def _amendment_lines(amendment: ast.Amendment) -> list[Line]:
    head = f"amendment {amendment.id.value}"
    if amendment.title is not None:
        head += f" {_quote(amendment.title)}"
    head += f" effective {amendment.effective.text}:"
    lines = [Line(head, 0, amendment.id.span, opens=True, group="block")]
    for item in amendment.items:
        match item:
            case ast.Revoke():
                lines.append(Line(f"revoke {_names(item.ids)}", 1, item.span))
            case ast.Replace():
                lines.extend(_clause_lines(item.clause, 1, "replace ", item.span))
            case ast.Clause():
                lines.extend(_clause_lines(item, 1, "", item.span))
            case _:
                unprintable(item)
    return lines


def _example_lines(example: ast.Example) -> list[Line]:
    head = f"example {_quote(example.title)}"
    if example.as_of is not None:
        head += f" as of {example.as_of.text}"
    lines = [Line(head + ":", 0, example.span, opens=True, group="block")]
    for item in example.items:
        match item:
            case ast.DeploymentLit():
                text = _deployment(item)
            case ast.Expectation():
                text = _expectation(item)
            case _:
                unprintable(item)
        lines.append(Line(text, 1, item.span))
    return lines


def _deployment(d: ast.DeploymentLit) -> str:
    text = "deployment" if d.id is None else f"deployment {d.id.value}"
    text += f": {d.party.value} runs {d.workload.value} on {d.provider.value}"
    if d.region is not None:
        text += f" in {d.region.value}"
    text += f" starting {d.start.text}"
    if d.end is not None:
        text += f" ending {d.end.text}"
    if d.capacity is not None:
        text += f" capacity {_quantity(d.capacity)}"
    if d.value is not None:
        text += f" value {_quantity(d.value)}"
    if d.facts:
        text += " with " + ", ".join(f"{f.name.value} = {_value(f.value)}" for f in d.facts)
    return text


def _expectation(e: ast.Expectation) -> str:
    text = "expect"
    if e.subject is not None:
        text += f" {e.subject.value} is"
    text += f" {e.verdict}"
    if e.clauses:
        text += f" of {_names(e.clauses)}"
    if e.missing:
        text += f" missing {_names(e.missing)}"
    return text


# ---------------------------------------------------------------- rules and conditions


def _rule(rule: ast.Rule) -> str:
    match rule:
        case ast.Aggregate():
            return _aggregate(rule)
        case ast.Restriction():
            verb, kind = "runs", [_restriction_kind(rule.kind)]
        case ast.Prohibition():
            verb, kind = "must not run", []
        case ast.Permission():
            verb, kind = "may run", []
        case _:
            unprintable(rule)
    p = rule.pattern
    middle = f"{verb} {_selection(p.workloads, 'workload')}"
    parts = [_selection(p.parties, "party"), middle, *_placement(p), *kind]
    if p.when is not None:
        parts.append(f"when {_cond(p.when)}")
    return " ".join(parts)


def _aggregate(rule: ast.Aggregate) -> str:
    p = rule.pattern
    parts = _total(rule.measure, rule.counted, p)
    if rule.window_from is not None:
        parts.append(f"starting from {rule.window_from.text}")
        if rule.window_through is not None:
            parts.append(f"through {rule.window_through.text}")
    elif rule.window_through is not None:
        parts.append(f"starting through {rule.window_through.text}")
    if rule.period is not None:
        parts.append(f"per {rule.period}")
    if rule.share is not None:
        of = rule.share
        parts.append(f"is at {'most' if rule.is_cap else 'least'} {rule.limit.number}% of "
                     + " ".join(_total(of.measure, of.counted, of.pattern)))
    elif rule.is_cap:
        parts.append(f"is {'less than' if rule.strict else 'at most'} {_quantity(rule.limit)}")
    else:
        parts.append(f"{'exceeds' if rule.strict else 'reaches'} {_quantity(rule.limit)}")
        if rule.in_addition_to is not None:
            parts.append(f"in addition to {rule.in_addition_to.value}")
    if rule.deadline is not None:
        # INVARIANT: only `reaches` takes a deadline; a cap with one fails the soundness check.
        parts.append(f"by {rule.deadline.text}")
    if p.when is not None:
        parts.append(f"when {_cond(p.when)}")
    return " ".join(parts)


def _total(measure: ast.Name, counted: bool, p: ast.Pattern) -> list[str]:
    """``total capacity of deployments by … of … on … in …`` (the `when` aside)."""
    parts = ["number of deployments" if counted else f"total {measure.value} of deployments"]
    if p.parties.names is not None:
        parts.append(f"by {_names(p.parties.names)}")
    if p.workloads.names is not None:
        parts.append(f"of {_names(p.workloads.names)}")
    parts.extend(_placement(p))
    return parts


def _placement(p: ast.Pattern) -> list[str]:
    parts: list[str] = []
    if p.providers is not None:
        if p.providers.names is None:
            parts.append("on any provider")
        else:
            word = "off" if p.providers.negated else "on"
            parts.append(f"{word} {_names(p.providers.names)}")
    if p.regions is not None:
        if p.regions.names is None:
            parts.append("in any region")
        else:
            word = "outside" if p.regions.negated else "in"
            parts.append(f"{word} {_names(p.regions.names)}")
    return parts


def _last_line(node: ast.Node) -> int:
    """The last source line holding a token of `node`, from its parts' spans.

    A rule's own span runs on to the next line of code (it includes the end of
    line token), so the parts that never include one are measured instead.
    """
    last = 0
    for f in fields(node):
        value = getattr(node, f.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, ast.Node):
                if part.span != UNKNOWN_SPAN and not isinstance(part, _LINE_NODES):
                    last = max(last, part.span.end_line)
                last = max(last, _last_line(part))
    return last


#: Nodes whose span includes the end of their line (and what follows it up to the next code).
_LINE_NODES = (ast.Restriction, ast.Prohibition, ast.Permission, ast.Aggregate, ast.Pattern)


def _selection(s: ast.Selection, noun: str) -> str:
    return f"any {noun}" if s.names is None else _names(s.names)


def _restriction_kind(kind: ast.RestrictionKind) -> str:
    match kind:
        case ast.OnlyOn():
            return f"only on {_names(kind.names)}"
        case ast.OnlyIn():
            return f"only in {_names(kind.names)}"
        case ast.OnlyIf():
            return f"only if {_cond(kind.cond)}"
        case _:
            unprintable(kind)


def _cond(c: ast.Cond) -> str:
    match c:
        case ast.Or():
            return " or ".join(_cond(item) for item in c.items)
        case ast.And():
            return " and ".join(_cond(item) for item in c.items)
        case ast.Not():
            return f"not {_cond(c.item)}"
        case ast.Group():
            return f"({_cond(c.item)})"
        case ast.Compare():
            return f"{c.left.value} {c.op} {_value(c.right)}"
        case ast.CompareExpr():
            return f"{_value(c.left)} {c.op} {_value(c.right)}"
        case ast.Within():
            return f"{c.left.value} within {_duration(c.duration)} after {_value(c.after)}"
        case ast.Member():
            word = "not in" if c.negated else "in"
            return f"{c.left.value} {word} {_names(c.values)}"
        case ast.Truthy():
            return c.name.value
        case ast.ClauseState():
            return f"{c.clause.value} is {c.state}"
        case _:
            unprintable(c)


def _value(v: ast.Value) -> str:
    match v:
        case ast.Name():
            return v.value
        case ast.DateLit():
            return v.text
        case ast.QuantityLit():
            return _quantity(v)
        case ast.BoolLit():
            return "true" if v.value else "false"
        case ast.Shifted():
            return f"{_value(v.base)} {v.sign} {_duration(v.duration)}"
        case _:
            unprintable(v)


def _duration(d: ast.DurationLit) -> str:
    return f"{d.count} {d.unit}"


def _quantity(q: ast.QuantityLit) -> str:
    return q.number if q.unit is None else f"{q.number} {q.unit.value}"


def _names(names: Sequence[ast.Name]) -> str:
    return ", ".join(n.value for n in names)


def _quote(text: str) -> str:
    """A string literal for `text`: quoted, with ``"`` and ``\\`` escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
