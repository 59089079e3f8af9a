"""Comparisons between two operands: date expressions and facts against facts or fields.

``start <= signed + 30 days``, ``value <= mfn_price``, ``operator = party``,
``start within 10 business days after notice``. Each side is a field, a fact
or a constant, and a date side may be moved by durations. Both sides must be
of one type (DC123); `<`, `<=`, `>`, `>=` need an ordered type (DC124); a
duration moves only a date (DC122); at least one side reads the deployment
(DC125). A side that is a plain field or fact against a constant becomes an
ordinary `Compare`; the others are a `Relation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dealcheck.dsl import ast
from dealcheck.dsl.span import Span
from dealcheck.rules import model as m
from dealcheck.rules.durations import shift
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, KINDS
from dealcheck.rules.resolve.context import KEYWORD_FIELDS, MEASURES, Context
from dealcheck.rules.resolve.durations import duration
from dealcheck.rules.resolve.expressions import example_comparison, field_kind, field_ref, quantity

_NAME_KINDS = frozenset(k.name for k in DEPLOYMENT_KINDS)
_ORDERED = frozenset(("<", "<=", ">", ">="))
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


@dataclass(frozen=True, slots=True)
class _Type:
    """What an operand holds: `date`, `quantity` (in `dimensions`), `enum` (of `values`),
    `bool`, or a kind of name (`party` for `party` and `operator`)."""

    kind: str
    dimensions: tuple[str, ...] = ()
    values: frozenset[str] = frozenset()

    def compatible(self, other: _Type) -> bool:
        if self.kind != other.kind:
            return False
        if self.kind == "quantity":
            return bool(set(self.dimensions) & set(other.dimensions))
        return self.kind != "enum" or self.values == other.values

    def describe(self) -> str:
        if self.kind == "quantity":
            return " or ".join(_DIMENSION_WORDS.get(d, f"a number of `{d}`")
                               for d in self.dimensions)
        if self.kind == "enum":
            return "one of " + ", ".join(sorted(self.values))
        return {"date": "a date", "bool": "a bool"}.get(self.kind, f"a {self.kind}")


_DIMENSION_WORDS = {"money": "money", "power": "power", "count": "a count", "": "a plain number"}


def compares_two_operands(ctx: Context, c: ast.Compare) -> bool:
    """Whether `c` compares its left side with a date expression, a fact or another field.

    A name on the right that is a value of the left side (an enumeration's
    member, a declared provider) stays a value, as it always was.
    """
    right = c.right
    if isinstance(right, ast.Shifted):
        return True
    if not isinstance(right, ast.Name):
        return False
    if right.value not in ctx.vocab.facts and right.value not in KEYWORD_FIELDS:
        return False
    left = c.left.value
    fact = ctx.vocab.facts.get(left)
    if fact is not None and fact.type.kind is m.FactKind.ENUM:
        return right.value not in fact.type.values
    kind = m.DEPLOYMENT_FIELDS.get(left)
    if kind in _NAME_KINDS:
        return right.value not in KINDS[kind].names_in(ctx.vocab)
    return fact is not None or left in KEYWORD_FIELDS


def _ref_type(ctx: Context, ref: m.FieldRef) -> _Type:
    kind = field_kind(ref)
    if kind == "quantity":
        return _Type("quantity", MEASURES[ref.name])
    if kind != "fact":
        return _Type(kind)
    ftype = ctx.vocab.facts[ref.name].type
    match ftype.kind:
        case m.FactKind.NUMBER:
            return _Type("quantity", (ftype.dimension,))
        case m.FactKind.ENUM:
            return _Type("enum", values=frozenset(ftype.values))
        case m.FactKind.DATE:
            return _Type("date")
        case m.FactKind.BOOL:
            return _Type("bool")


_Side = tuple[m.Operand, _Type | None]  # the type is None for a quantity not yet given a unit


def _operand(ctx: Context, v: ast.Value) -> _Side | None:
    """One side, resolved; None after a diagnostic."""
    match v:
        case ast.Name():
            ref = field_ref(ctx, v)
            return None if ref is None else (m.Operand(ref), _ref_type(ctx, ref))
        case ast.DateLit():
            day = ctx.date(v)
            return None if day is None else (m.Operand(None, day), _Type("date"))
        case ast.BoolLit():
            return m.Operand(None, v.value), _Type("bool")
        case ast.QuantityLit():
            return m.Operand(None, None), None
        case ast.Shifted():
            return _shifted(ctx, v)


def _shifted(ctx: Context, v: ast.Shifted) -> _Side | None:
    base = _operand(ctx, v.base)
    moved = duration(ctx, v.duration)
    if base is None or moved is None:
        return None
    operand, kind = base
    if kind is None or kind.kind != "date":
        ctx.err("DC122", f"only a date moves by a duration, and `{_text(v.base)}` is "
                f"{kind.describe() if kind else 'a quantity'}", v.span,
                f"move a date, e.g. `start {v.sign} {moved}`")
        return None
    sign = 1 if v.sign == "+" else -1
    if operand.ref is None and isinstance(operand.constant, dt.date):
        return m.Operand(None, shift(operand.constant, moved, sign)), kind
    return m.Operand(operand.ref, operand.constant,
                     (*operand.shifts, (sign, moved))), kind


def _text(v: ast.Value) -> str:
    """An operand as written, for messages."""
    match v:
        case ast.Name():
            return v.value
        case ast.DateLit():
            return v.text
        case ast.QuantityLit():
            return v.number if v.unit is None else f"{v.number} {v.unit.value}"
        case ast.BoolLit():
            return "true" if v.value else "false"
        case ast.Shifted():
            return f"{_text(v.base)} {v.sign} {v.duration.count} {v.duration.unit}"


def relation(ctx: Context, left: ast.Value, op: str, right: ast.Value,
             span: Span) -> m.Condition:
    """``left op right``: a `Compare` when one side is a plain field or fact and the other
    a constant, else a `Relation` (DC122–DC125)."""
    a, b = _operand(ctx, left), _operand(ctx, right)
    if a is None or b is None:
        return _broken(span)
    (first, lt), (second, rt) = a, b
    if lt is None and rt is None:
        return _constants_only(ctx, left, right, span)
    lo: m.Operand | None = first
    ro: m.Operand | None = second
    if lt is None:
        lo, lt = _quantity_side(ctx, left, rt), rt  # type: ignore[arg-type]
    elif rt is None:
        ro, rt = _quantity_side(ctx, right, lt), lt
    if lo is None or ro is None or lt is None or rt is None:
        return _broken(span)
    if not lt.compatible(rt):
        ref = lo.ref or ro.ref
        example = f", e.g. `{example_comparison(ctx, ref)}`" if ref is not None else ""
        ctx.err("DC123", f"`{_text(left)}` is {lt.describe()}, but `{_text(right)}` is "
                f"{rt.describe()}", span,
                f"compare values of one type{example}")
        return _broken(span)
    if op in _ORDERED and lt.kind not in ("date", "quantity"):
        ctx.err("DC124", f"`{op}` does not apply to {lt.describe()}", span,
                f"write an equality, e.g. `{_text(left)} = {_text(right)}`")
        return _broken(span)
    if lo.ref is None and ro.ref is None:
        return _constants_only(ctx, left, right, span)
    cmp = m.CmpOp(op)
    if lo.ref is not None and not lo.shifts and ro.ref is None:
        return m.Compare(lo.ref, cmp, ro.constant, span)  # type: ignore[arg-type]
    if ro.ref is not None and not ro.shifts and lo.ref is None:
        return m.Compare(ro.ref, m.CmpOp(_FLIPPED[op]), lo.constant, span)  # type: ignore[arg-type]
    return m.Relation(lo, cmp, ro, span)


def _quantity_side(ctx: Context, v: ast.Value, other: _Type) -> m.Operand | None:
    """A quantity written against `other`: in its dimensions (DC106, DC107)."""
    assert isinstance(v, ast.QuantityLit)  # INVARIANT: only quantities have no type yet
    if other.kind != "quantity":
        ctx.err("DC123", f"`{v.number}` is a quantity, but the other side is "
                f"{other.describe()}", v.span, "compare values of one type")
        return None
    found = quantity(ctx, v, other.dimensions, "the other side")
    return None if found is None else m.Operand(None, found)


def _constants_only(ctx: Context, left: ast.Value, right: ast.Value,
                    span: Span) -> m.Condition:
    ctx.err("DC125", "this comparison reads no field or fact: it is always true or always "
            "false", span, "compare a field or a fact, e.g. `start >= 2025-01-01`")
    return _broken(span)


def _broken(span: Span) -> m.Condition:
    """What stands for a comparison that did not resolve (the terms are not built)."""
    return m.Compare(m.FieldRef("start", False, span), m.CmpOp.EQ, False, span)


def within(ctx: Context, c: ast.Within) -> m.Condition:
    """``X within N UNIT after Y``: ``X >= Y and X <= Y + N UNIT``."""
    ref = field_ref(ctx, c.left)
    after = _operand(ctx, c.after)
    moved = duration(ctx, c.duration)
    if ref is not None and _ref_type(ctx, ref).kind != "date":
        ctx.err("DC122", f"`within` compares dates, and `{c.left.value}` is "
                f"{_ref_type(ctx, ref).describe()}", c.left.span,
                "write a date field or fact, e.g. `start within 30 days after 2025-01-01`")
        return _broken(c.span)
    if after is not None and (after[1] is None or after[1].kind != "date"):
        ctx.err("DC122", f"`within … after` takes a date, and `{_text(c.after)}` is "
                f"{after[1].describe() if after[1] else 'a quantity'}", c.after.span,
                "write a date, e.g. `start within 30 days after 2025-01-01`")
        return _broken(c.span)
    if ref is None or after is None or moved is None:
        return _broken(c.span)
    base = after[0]
    if base.ref is None and isinstance(base.constant, dt.date):
        last = m.Operand(None, shift(base.constant, moved))
    else:
        last = m.Operand(base.ref, base.constant, (*base.shifts, (1, moved)))
    return m.And((_pair(ref, ">=", base, c.span), _pair(ref, "<=", last, c.span)), c.span)


def _pair(ref: m.FieldRef, op: str, right: m.Operand, span: Span) -> m.Condition:
    """``ref op right`` for `within`: a `Compare` against a constant date."""
    if right.ref is None:
        return m.Compare(ref, m.CmpOp(op), right.constant, span)  # type: ignore[arg-type]
    return m.Relation(m.Operand(ref), m.CmpOp(op), right, span)


def written_date(ctx: Context, fact: m.Fact, v: ast.Shifted) -> dt.date | None:
    """A date fact's value written as a date moved by a duration (`2025-03-01 + 30 days`),
    in an example deployment (DC122 for anything else)."""
    if fact.type.kind is not m.FactKind.DATE:
        ctx.err("DC108", f"`{fact.name}` is not a date fact", v.span,
                f"give it a value of its type: {fact.type.describe()}")
        return None
    if not isinstance(v.base, ast.DateLit):
        ctx.err("DC122", f"an example gives `{fact.name}` a value, and `{_text(v.base)} "
                f"{v.sign} …` depends on the deployment", v.span,
                "write a date, e.g. `2025-01-21`")
        return None
    side = _shifted(ctx, v)
    return None if side is None else side[0].constant  # type: ignore[return-value]
