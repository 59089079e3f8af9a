"""Three-valued (Kleene) logic over deployments: conditions compiled to closures.

`None` stands for *unknown*. ``True or None`` is True, ``False and None`` is
False: an unknown fact that cannot change the outcome never leaks into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from dealcheck.rules import model as m
from dealcheck.rules.durations import shift
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment

Tri = bool | None
Test = Callable[[Deployment], Tri]


def tri_and(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def tri_or(a: Tri, b: Tri) -> Tri:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def tri_not(a: Tri) -> Tri:
    return None if a is None else not a


def reader(ref: m.FieldRef, operators: Mapping[str, str]) -> Callable[[Deployment], object]:
    """A function reading a field or fact from a deployment (None when absent)."""
    name = ref.name
    if ref.is_fact:
        return lambda d: d.facts.get(name)
    if name == "operator":
        return lambda d: operators.get(d.provider)
    return lambda d: getattr(d, name)


def compare_values(op: m.CmpOp, left: object, right: m.Constant) -> Tri:
    """``left op right``, three-valued: None when `left` is absent or not comparable."""
    if left is None:
        return None
    if isinstance(left, Quantity) and isinstance(right, Quantity):
        if left.dimension != right.dimension:
            return None
        a, b = left.amount, right.amount
        return _ordered(op, a, b)
    if isinstance(left, dt.date) and isinstance(right, dt.date):
        return _ordered(op, left, right)
    if op is m.CmpOp.EQ:
        return left == right
    if op is m.CmpOp.NE:
        return left != right
    return None


def _ordered(op: m.CmpOp, a: object, b: object) -> bool:
    if op is m.CmpOp.EQ:
        return a == b
    if op is m.CmpOp.NE:
        return a != b
    if op is m.CmpOp.LT:
        return bool(a < b)  # type: ignore[operator]
    if op is m.CmpOp.LE:
        return bool(a <= b)  # type: ignore[operator]
    if op is m.CmpOp.GT:
        return bool(a > b)  # type: ignore[operator]
    return bool(a >= b)  # type: ignore[operator]


def operand_reader(operand: m.Operand,
                   operators: Mapping[str, str]) -> Callable[[Deployment], object]:
    """A function reading one side of a relation: its field, fact or constant, moved by its
    shifts (None when absent, or when a shift meets a value that is not a date)."""
    if operand.ref is None:
        constant = operand.constant
        return lambda d: constant
    read = reader(operand.ref, operators)
    shifts = operand.shifts
    if not shifts:
        return read

    def moved(d: Deployment) -> object:
        value = read(d)
        if not isinstance(value, dt.date):
            return None
        for sign, duration in shifts:
            value = shift(value, duration, sign)
        return value
    return moved


def compile_relation(cond: m.Relation, operators: Mapping[str, str]) -> Test:
    """``left op right`` on a deployment: unknown when either side is absent or they
    do not compare (quantities of different dimensions)."""
    left = operand_reader(cond.left, operators)
    right = operand_reader(cond.right, operators)
    op = cond.op

    def relate(d: Deployment) -> Tri:
        b = right(d)
        if b is None:
            return None
        return compare_values(op, left(d), b)  # type: ignore[arg-type]
    return relate


def compile_condition(cond: m.Condition, operators: Mapping[str, str]) -> Test:
    """A closure computing `cond` on a deployment, three-valued."""
    if isinstance(cond, m.Relation):
        return compile_relation(cond, operators)
    if isinstance(cond, m.Truthy):
        read = reader(cond.ref, operators)

        def truthy(d: Deployment) -> Tri:
            value = read(d)
            return None if value is None else value is True
        return truthy
    if isinstance(cond, m.Compare):
        read = reader(cond.ref, operators)
        op, right = cond.op, cond.value
        if op is m.CmpOp.EQ and not isinstance(right, Quantity | dt.date):
            def equals(d: Deployment) -> Tri:
                value = read(d)
                return None if value is None else value == right
            return equals
        return lambda d: compare_values(op, read(d), right)
    if isinstance(cond, m.Member):
        read = reader(cond.ref, operators)
        values, negated = cond.values, cond.negated

        def member(d: Deployment) -> Tri:
            value = read(d)
            if value is None:
                return None
            return (value in values) != negated
        return member
    if isinstance(cond, m.Not):
        inner = compile_condition(cond.item, operators)
        return lambda d: tri_not(inner(d))
    parts = tuple(compile_condition(i, operators) for i in cond.items)
    if isinstance(cond, m.And):
        return all_of(parts)

    def disj(d: Deployment) -> Tri:
        result: Tri = False
        for part in parts:
            value = part(d)
            if value is True:
                return True
            if value is None:
                result = None
        return result
    return disj


def all_of(tests: Sequence[Test]) -> Test:
    """The Kleene conjunction of `tests`: False wins, then unknown."""
    if len(tests) == 1:
        return tests[0]

    def conj(d: Deployment) -> Tri:
        result: Tri = True
        for test in tests:
            value = test(d)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    return conj


def undecided(cond: m.Condition | None, d: Deployment, operators: Mapping[str, str]) -> list[str]:
    """The facts and fields that leave `cond` unknown on `d`, in order.

    Only sub-conditions that are themselves unknown contribute, so a fact that
    cannot change the outcome is never named. A field that is present but not
    comparable (a capacity in GPUs against a limit in GW) is named too: its
    value in the right unit would decide the condition.
    """
    if cond is None or compile_condition(cond, operators)(d) is not None:
        return []
    if isinstance(cond, m.Truthy | m.Compare | m.Member):
        return [cond.ref.name]
    if isinstance(cond, m.Relation):
        # The sides that are absent; when both are present they do not compare: both.
        absent = [ref.name for ref in cond.refs() if reader(ref, operators)(d) is None]
        return list(dict.fromkeys(absent or [ref.name for ref in cond.refs()]))
    if isinstance(cond, m.Not):
        return undecided(cond.item, d, operators)
    out: list[str] = []
    for item in cond.items:
        for name in undecided(item, d, operators):
            if name not in out:
                out.append(name)
    return out


# ---------------------------------------------------------------- words


def show_constant(value: m.Constant) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def describe_operand(operand: m.Operand) -> str:
    """One side of a relation as written: ``signed + 30 days``."""
    text = (operand.ref.name if operand.ref is not None
            else show_constant(operand.constant))  # type: ignore[arg-type]
    for sign, duration in operand.shifts:
        text += f" {'+' if sign > 0 else '-'} {duration}"
    return text


def describe(cond: m.Condition, nested: bool = False) -> str:
    """The condition in the DSL's own words: ``customer = us_national_security``."""
    if isinstance(cond, m.Relation):
        return f"{describe_operand(cond.left)} {cond.op} {describe_operand(cond.right)}"
    if isinstance(cond, m.Truthy):
        return cond.ref.name
    if isinstance(cond, m.Compare):
        return f"{cond.ref.name} {cond.op} {show_constant(cond.value)}"
    if isinstance(cond, m.Member) and cond.ref.state:
        return f"{cond.ref.name} is {_STATE_WORDS[next(iter(cond.values))]}"
    if isinstance(cond, m.Member):
        word = "not in" if cond.negated else "in"
        return f"{cond.ref.name} {word} {', '.join(sorted(cond.values))}"
    if isinstance(cond, m.Not):
        return f"not {describe(cond.item, True)}"
    joiner = " and " if isinstance(cond, m.And) else " or "
    text = joiner.join(describe(i, True) for i in cond.items)
    return f"({text})" if nested else text


_STATE_WORDS = {verdict: word for word, verdict in m.STATE_VERDICTS.items()}


def requirement_text(cond: m.Condition) -> str:
    """What would make `cond` true, as an instruction: ``rofr_declined = true``."""
    if isinstance(cond, m.Truthy):
        return f"`{cond.ref.name} = true`"
    if isinstance(cond, m.Not) and isinstance(cond.item, m.Truthy):
        return f"`{cond.item.ref.name} = false`"
    if isinstance(cond, m.Or):
        return " or ".join(requirement_text(i) for i in cond.items)
    if isinstance(cond, m.And):
        return " and ".join(requirement_text(i) for i in cond.items)
    return f"`{describe(cond)}`"
