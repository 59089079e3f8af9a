"""The rules for each field of a deployment, with the diagnostics that explain a broken one.

`scenario.generated` builds the validator of whole deployments from the
terms; where a field needs Python (ids, quantities, number facts) its
validator calls the rule here, and every error it reports is explained by
the rule of the field it concerns, on the input tree, with its span.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, Related, did_you_mean, error
from dealcheck.dsl.escape import unprintable
from dealcheck.dsl.span import Span
from dealcheck.rules.dates import read_date
from dealcheck.rules.kinds import NameKind
from dealcheck.rules.model import Fact, FactKind, Vocabulary
from dealcheck.rules.units import QUANTITY_RE, CommaError, Quantity
from dealcheck.scenario import errors
from dealcheck.scenario.model import FactValue
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, Seq, code, describe

#: The dimensions of a deployment's `capacity`.
CAPACITY_DIMENSIONS = frozenset(("power", "count"))
#: The span of a value checked away from its tree: replaced by the real one when reported.
NO_SPAN = Span("", 0, 0, 1, 1, 1, 1)


class FieldRules:
    """Each field's rule over the terms' vocabulary: the value it stands for, or diagnostics."""

    __slots__ = ("vocabulary",)

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    def read_id(
        self, node: Node | None, diagnostics: list[Diagnostic]
    ) -> tuple[str | None, Span | None]:
        if node is None:
            return None, None
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            hint = None
            if isinstance(node, Scalar):
                hint = f'quote it: `"{_plain_text(node)}"`'
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`id` must be text, found {describe(node)}",
                    node.span,
                    help=hint,
                )
            )
            return None, None
        if not node.value.strip():
            diagnostics.append(error(errors.WRONG_SHAPE, "`id` must not be empty", node.span))
            return None, None
        ident = normal_id(node.value)
        unfit = None if ident.isprintable() else unprintable(ident, invisible=True)
        if unfit is None:
            return ident, node.span
        diagnostics.append(
            error(
                errors.WRONG_SHAPE,
                f"`id` contains {unfit}",
                node.span,
                help="reports print ids as they are: use letters, digits, spaces and "
                "punctuation",
            )
        )
        # An id that differs from another only by invisible characters is also
        # its duplicate: `aws\u200b-api` prints as `aws-api`.
        visible = "".join(c for c in ident if unicodedata.category(c) != "Cf")
        if visible.strip() and unprintable(visible, invisible=True) is None:
            return visible, node.span
        return None, None

    def name(
        self, node: Node | None, kind: NameKind, diagnostics: list[Diagnostic]
    ) -> str | None:
        if node is None:
            return None
        declared = kind.names_in(self.vocabulary)
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`{kind.name}` must be a {kind.name} name, found {describe(node)}",
                    node.span,
                    help=_declared_help(kind.plural, declared),
                )
            )
            return None
        name = node.value
        if name in declared:
            return name
        groups = kind.groups_in(self.vocabulary)
        if name in groups:
            members = ", ".join(f"`{m}`" for m in sorted(groups[name]))
            diagnostics.append(
                error(
                    kind.undeclared_code,
                    f"{code(name)} is a {kind.group_word}, not a {kind.name}",
                    node.span,
                    help=f"a deployment names one {kind.name}: one of {members}",
                )
            )
            return None
        suggestion = did_you_mean(name, declared)
        diagnostics.append(
            error(
                kind.undeclared_code,
                f"undeclared {kind.name} {code(name)}",
                node.span,
                help=f"did you mean `{suggestion}`?"
                if suggestion
                else _declared_help(kind.plural, declared),
            )
        )
        return None

    def quantity(
        self, node: Node | None, key: str, diagnostics: list[Diagnostic]
    ) -> Quantity | None:
        if node is None:
            return None
        quantity = self.parse_quantity(node, f"`{key}`", diagnostics)
        if quantity is None:
            return None
        kind = self.vocabulary.units.kind_of(quantity.dimension)
        if key == "value":
            # A currency the terms declare (`unit EUR: money`) is money too.
            allowed, example = kind == "money", "write value in USD, e.g. `11.9B USD`"
            wanted = "money"
        else:
            # A unit the terms declare is a dimension of its own, a capacity only as a count.
            allowed = kind in CAPACITY_DIMENSIONS
            example = "write capacity as power or a count, e.g. `300 MW` or `4608 GPU`"
            wanted = "power or a count"
        if allowed:
            return quantity
        if quantity.dimension == "":
            message = f"`{key}` needs a unit, found {code(_plain_text(node))}"
        else:
            message = (
                f"`{key}` must be {wanted}, found {_dimension_name(kind)} "
                f"{code(_plain_text(node))}"
            )
        diagnostics.append(error(errors.WRONG_DIMENSION, message, node.span, help=example))
        return None

    def parse_quantity(
        self,
        node: Node,
        label: str,
        diagnostics: list[Diagnostic],
        default_unit: str | None = None,
    ) -> Quantity | None:
        """`_read_quantity`, then no larger than `limits.MAX_QUANTITY` (DC307)."""
        quantity = self.read_quantity(node, label, diagnostics, default_unit)
        if quantity is None or quantity.amount <= limits.MAX_QUANTITY.value():
            return quantity
        diagnostics.append(_too_large(_plain_text(node), label, node.span))
        return None

    def read_quantity(
        self,
        node: Node,
        label: str,
        diagnostics: list[Diagnostic],
        default_unit: str | None = None,
    ) -> Quantity | None:
        """A quantity from text (``"300 MW"``), a number, or a `Quantity`; unitless numbers
        take `default_unit`. Amounts are exact: numbers are never read through a float."""
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, Quantity):
            problem = _unsound_amount(value.amount)
            if problem is None:
                return value
            amount = value.amount
            example = repr(amount) if isinstance(amount, float) and amount >= 0 else "1"
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"the amount of the quantity in {label} {problem}",
                    node.span,
                    help="build it with a `Decimal` of zero or more, e.g. "
                    f"`Quantity(Decimal({example!r}), {value.dimension!r})`",
                )
            )
            return None
        units = self.vocabulary.units
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            text = _number_text(number)
            if isinstance(value, float) and number.is_finite() and number >= 0:
                # Only Python passes floats (JSON and YAML numbers are read as
                # decimals): 9007199254740993.0 is already 2**53 there.
                diagnostics.append(
                    error(
                        errors.MALFORMED_QUANTITY,
                        f"{label} is a float {code(repr(value))}, which cannot hold every "
                        "decimal exactly",
                        node.span,
                        help=f"pass a `Decimal` or text: `Decimal({repr(value)!r})`",
                    )
                )
                return None
            if not number.is_finite() or number < 0:
                diagnostics.append(
                    error(
                        errors.MALFORMED_QUANTITY,
                        f"malformed number {code(text)} in {label}",
                        node.span,
                        help="write a finite number, zero or more",
                    )
                )
                return None
            try:
                return units.of(number, default_unit, text)
            except ValueError:  # too large to hold
                diagnostics.append(_too_large(text, label, node.span))
                return None
        if not isinstance(value, str):
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"{label} must be a quantity such as `300 MW`, found {describe(node)}",
                    node.span,
                )
            )
            return None
        match = QUANTITY_RE.match(value)
        try:
            if match and match["unit"] is None:
                return units.quantity(match["num"] + match["mult"], default_unit)
            return units.parse(value)
        except CommaError as comma:
            written = value.strip()
            hint = (
                f"for a decimal, write a point: `{written.replace(comma.number, comma.decimal, 1)}`"
                if comma.decimal is not None
                else "write `,` only between groups of three digits (`1,500`) and a point "
                "before decimals (`1.5`)"
            )
            diagnostics.append(
                error(
                    errors.MALFORMED_QUANTITY,
                    f"malformed number {code(comma.number)} in {label}: a comma only separates "
                    "thousands, in groups of three digits",
                    node.span,
                    help=hint,
                )
            )
            return None
        except ValueError:
            pass
        # The units module's own messages quote the raw text; ours escape it.
        unit = match["unit"] if match else None
        if unit is not None and unit not in units.units:
            suggestion = did_you_mean(unit, units.units)
            message = f"unknown unit {code(unit)} in {label}"
            hint = (
                f"did you mean `{suggestion}`?"
                if suggestion
                else "known units: " + ", ".join(f"`{u}`" for u in units.units)
            )
        else:
            message = f"malformed quantity {code(value)} in {label}"
            hint = "write a number, an optional k, M, B or T, and a unit, e.g. `11.9B USD`"
        diagnostics.append(error(errors.MALFORMED_QUANTITY, message, node.span, help=hint))
        return None

    def facts(self, node: Node | None, diagnostics: list[Diagnostic]) -> dict[str, FactValue]:
        facts: dict[str, FactValue] = {}
        if node is None:
            return facts
        if not isinstance(node, Map):
            diagnostics.append(
                error(
                    errors.WRONG_SHAPE,
                    f"`facts` must be a mapping, found {describe(node)}",
                    node.span,
                    help=_facts_help(self.vocabulary.facts),
                )
            )
            return facts
        declared = self.vocabulary.facts
        for name, fact_entry in unique_entries(node, diagnostics).items():
            fact = declared.get(name)
            if fact is None:
                suggestion = did_you_mean(name, declared)
                diagnostics.append(
                    error(
                        errors.UNDECLARED_NAME,
                        f"undeclared fact {code(name)}",
                        fact_entry.key_span,
                        help=f"did you mean `{suggestion}`?"
                        if suggestion
                        else _declared_help("facts", declared),
                    )
                )
                continue
            fact_node = given(fact_entry)
            if fact_node is None:
                continue  # an explicit null leaves the fact unknown
            value = self.fact_value(fact, fact_node, diagnostics)
            if value is not None:
                facts[name] = value
        return facts

    def fact_value(
        self, fact: Fact, node: Node, diagnostics: list[Diagnostic]
    ) -> FactValue | None:
        kind = fact.type.kind
        value = node.value if isinstance(node, Scalar) else None
        label = f"fact `{fact.name}`"
        if kind is FactKind.BOOL:
            if isinstance(value, bool):
                return value
            textual = isinstance(node, Scalar) and node.textual and isinstance(value, str)
            if textual and str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            quoted = isinstance(value, str) and value.lower() in ("true", "false")
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be `true` or `false`, found {describe(node)}",
                    node.span,
                    help="write the boolean without quotes"
                    if quoted
                    else f"`{fact.name}` is a yes/no fact",
                )
            )
            return None
        if kind is FactKind.ENUM:
            members = fact.type.values
            listed = ", ".join(f"`{m}`" for m in members)
            if isinstance(value, str):
                if value in members:
                    return value
                suggestion = did_you_mean(value, members)
                diagnostics.append(
                    error(
                        errors.WRONG_FACT_TYPE,
                        f"{code(value)} is not a value of {label}",
                        node.span,
                        help=f"did you mean `{suggestion}`?"
                        if suggestion
                        else f"expected one of: {listed}",
                    )
                )
                return None
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be one of {listed}, found {describe(node)}",
                    node.span,
                )
            )
            return None
        if kind is FactKind.DATE:
            return parse_date(node, label, errors.WRONG_FACT_TYPE, diagnostics)
        # FactKind.NUMBER
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal | Quantity):
            unit = f" in {fact.type.unit}" if fact.type.unit else ""
            diagnostics.append(
                error(
                    errors.WRONG_FACT_TYPE,
                    f"{label} must be a number{unit}, found {describe(node)}",
                    node.span,
                )
            )
            return None
        quantity = self.parse_quantity(node, label, diagnostics, default_unit=fact.type.unit)
        if quantity is None:
            return None
        kind_of = self.vocabulary.units.kind_of
        if quantity.dimension != fact.type.dimension:
            wanted = (
                f"in {fact.type.unit} ({_dimension_name(kind_of(fact.type.dimension))})"
                if fact.type.unit
                else "a plain number"
            )
            diagnostics.append(
                error(
                    errors.WRONG_DIMENSION,
                    f"{label} is {wanted}, found "
                    f"{_dimension_name(kind_of(quantity.dimension))} {code(_plain_text(node))}",
                    node.span,
                    help=f"write it {wanted}" if fact.type.unit else "drop the unit",
                )
            )
            return None
        return quantity


# -- helpers -------------------------------------------------------------------


def unique_entries(node: Map, diagnostics: list[Diagnostic]) -> dict[str, Entry]:
    """A mapping's entries by key; a repeated key is reported and the first one kept."""
    fields: dict[str, Entry] = {}
    for entry in node.entries:
        first = fields.get(entry.key)
        if first is None:
            fields[entry.key] = entry
            continue
        diagnostics.append(
            error(
                errors.DUPLICATE_KEY,
                f"duplicate key {code(entry.key)}",
                entry.key_span,
                help="give each key once",
                related=[Related(first.key_span, "first given here")],
            )
        )
    return fields


def unknown_field(key: str, span: Span, expected: tuple[str, ...]) -> Diagnostic:
    suggestion = did_you_mean(key, expected)
    hint = (
        f"did you mean `{suggestion}`?"
        if suggestion
        else "expected one of: " + ", ".join(f"`{k}`" for k in expected)
    )
    return error(errors.UNKNOWN_FIELD, f"unknown field {code(key)}", span, help=hint)


def parse_date(
    node: Node, label: str, type_code: str, diagnostics: list[Diagnostic]
) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``) from text or a `datetime.date`; a diagnostic otherwise.

    `type_code` is the code for a value that is not text at all (a number, a
    boolean): malformed-date for fields, wrong-fact-type for date facts.
    """
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, dt.datetime):
        diagnostics.append(
            error(
                errors.MALFORMED_DATE,
                f"{label} must be a date, found a date and time `{value}`",
                node.span,
                help=f"drop the time: `{value.date()}`",
            )
        )
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        error_code = errors.WRONG_SHAPE if isinstance(node, Seq | Map) else type_code
        diagnostics.append(
            error(
                error_code,
                f"{label} must be a date such as `2025-03-10`, found {describe(node)}",
                node.span,
            )
        )
        return None
    found = read_date(value)
    if isinstance(found, dt.date):
        return found
    if found.malformed:
        diagnostics.append(
            error(
                errors.MALFORMED_DATE,
                f"malformed date {code(value)} in {label}",
                node.span,
                help="write dates as YYYY-MM-DD, e.g. `2025-03-10`",
            )
        )
        return None
    diagnostics.append(
        error(
            errors.MALFORMED_DATE,
            f"invalid date {code(value)} in {label}",
            node.span,
            help=found.reason,
        )
    )
    return None


def given(entry: Entry | None) -> Node | None:
    """A field's value, or ``None`` when it is absent or null (YAML ``~``, JSON ``null``,
    an empty CSV cell)."""
    if entry is None or (isinstance(entry.value, Scalar) and entry.value.value is None):
        return None
    return entry.value


def _plain_text(node: Node) -> str:
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value) if isinstance(node, Scalar) else ""


def normal_id(text: str) -> str:
    """A deployment id as dealcheck keeps and compares it: in Unicode's composed form (NFC).

    `café` typed with a combining accent is the same id as `café` typed with
    `é`, as both print the same.
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _too_large(text: str, label: str, span: Span) -> Diagnostic:
    """DC307 for a quantity over `limits.MAX_QUANTITY`."""
    return error(
        errors.MALFORMED_QUANTITY,
        f"{code(text)} in {label} is too large",
        span,
        help=f"quantities are limited to {limits.MAX_QUANTITY.value():.0e} base units; "
        + limits.over_limit_help(limits.MAX_QUANTITY),
    )


def _number_text(number: Decimal) -> str:
    """A number as a message shows it: positional unless that would take pages."""
    return format(number, "f") if -40 <= number.adjusted() <= 40 else str(number)


def _unsound_amount(amount: object) -> str | None:
    """What is wrong with a `Quantity`'s amount from Python, if anything.

    An amount is an exact decimal (or whole number), finite and zero or more:
    a negative capacity would hide a cap's breach, and a float is not the
    number its author wrote.

    >>> _unsound_amount(Decimal("-5"))
    'is negative: `-5`'
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | float):
        return f"is {describe(Scalar(amount, NO_SPAN))}, not a number"
    number = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if number.is_nan():
        return "is not a number (`NaN`)"
    if number.is_infinite():
        return f"is infinite: `{number}`"
    if number < 0:
        return f"is negative: {code(_number_text(number))}"
    if isinstance(amount, float):
        return f"is a float ({code(repr(amount))}), which cannot hold every decimal exactly"
    return None


def _dimension_name(dimension: str) -> str:
    return {"power": "power", "money": "money", "count": "a count", "": "a plain number"}.get(
        dimension, f"a quantity of `{dimension}`"
    )


def _facts_help(declared: Mapping[str, Fact]) -> str:
    """How to write `facts`, with one of the facts the terms declare."""
    example = fact_example(declared)
    if example is None:
        return "the terms declare no facts: leave `facts` out"
    name, value = example
    return f"write facts as names and values, e.g. `facts: {{{name}: {value}}}`"


def fact_example(declared: Mapping[str, Fact]) -> tuple[str, str] | None:
    """The first fact the terms declare, with a value of its type as text; None without facts."""
    if not declared:
        return None
    fact = next(iter(declared.values()))
    kind = fact.type.kind
    value = ("true" if kind is FactKind.BOOL else fact.type.values[0] if kind is FactKind.ENUM
             else "2025-01-01" if kind is FactKind.DATE
             else f"1 {fact.type.unit}" if fact.type.unit else "1")
    return fact.name, value


def _declared_help(plural: str, declared: Mapping[str, object]) -> str:
    names = list(declared)
    if not names:
        return f"the terms declare no {plural}"
    shown = ", ".join(f"`{n}`" for n in names[:12])
    return f"declared {plural}: {shown}" + (", …" if len(names) > 12 else "")
