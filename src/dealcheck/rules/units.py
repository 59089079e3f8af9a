"""Units and quantities: dimensions, conversion, and the `<number>[k|M|B|T] <unit>` notation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import MAX_PREC, Context, Decimal

#: Multipliers written directly after a number: ``11.9B USD``.
MULTIPLIERS: dict[str, Decimal] = {
    "": Decimal(1), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6,
    "B": Decimal(10) ** 9, "T": Decimal(10) ** 12,
}

#: Built-in units: name -> (dimension, factor to the dimension's base unit).
BUILTIN_UNITS: dict[str, tuple[str, Decimal]] = {
    "W": ("power", Decimal(1)),
    "kW": ("power", Decimal(10) ** 3),
    "MW": ("power", Decimal(10) ** 6),
    "GW": ("power", Decimal(10) ** 9),
    "USD": ("money", Decimal(1)),
    "GPU": ("count", Decimal(1)),
    "GPUs": ("count", Decimal(1)),
}

#: The dimensions a `unit NAME: DIMENSION` declaration may name. A declared
#: currency or count is a dimension of its own that converts to no other unit:
#: euros never add up with dollars, nor TPUs with GPUs.
DECLARABLE_KINDS: tuple[str, ...] = ("money", "count")

#: How totals are displayed, per dimension: units from largest to smallest.
DISPLAY_UNITS: dict[str, tuple[str, ...]] = {
    "power": ("GW", "MW", "kW", "W"),
    "money": ("USD",),
    "count": ("GPU",),
}

NUMBER_RE = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<mult>[kMBT]?)$")
QUANTITY_RE = re.compile(
    r"^\s*(?P<num>[0-9][0-9_,]*(?:\.[0-9]+)?)(?P<mult>[kMBT]?)\s*(?P<unit>[A-Za-z][A-Za-z0-9_]*)?\s*$"
)
#: The only place a comma may stand in a number: between groups of three digits.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?[kMBT]?")
#: A number with a decimal point that `QUANTITY_RE` reads (`_` only before the point).
_POINTED = re.compile(r"[0-9][0-9_]*\.[0-9]+[kMBT]?")
#: Room for every digit when scaling an amount (the default context keeps 28),
#: so that a number is read exactly; a number of a million digits overflows.
_EXACT = Context(prec=MAX_PREC)


class CommaError(ValueError):
    """A number whose commas are not thousands separators: ``1,5`` or ``1,,,2``.

    `decimal` is the number with its one comma read as a decimal point
    (``1.5``), when that is a well-formed number; None otherwise.
    """

    def __init__(self, number: str) -> None:
        super().__init__(f"malformed number `{number}`: a comma only separates thousands")
        self.number = number
        point = number.replace(",", ".")
        single = number.count(",") == 1 and "." not in number
        self.decimal = point if single and _POINTED.fullmatch(point) else None


def misplaced_comma(number: str) -> CommaError | None:
    """The error for commas used other than between groups of three digits, if any.

    >>> misplaced_comma("1,500") is None, misplaced_comma("1,5").decimal
    (True, '1.5')
    """
    if "," not in number or _GROUPED.fullmatch(number):
        return None
    return CommaError(number)


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount in the base unit of its dimension (W, USD, GPU, ...).

    `text` keeps what the user wrote, for messages; it takes no part in equality.
    """

    amount: Decimal
    dimension: str
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text or format_amount(self.amount, self.dimension)


@dataclass(frozen=True, slots=True)
class UnitTable:
    """The units a terms file can use: the built-ins plus its own `unit` declarations."""

    units: dict[str, tuple[str, Decimal]] = field(default_factory=lambda: dict(BUILTIN_UNITS))
    #: The kind (``money``, ``count``) of each declared dimension that has one.
    kinds: dict[str, str] = field(default_factory=dict)

    def declare(self, name: str, kind: str | None = None) -> None:
        """A declared unit is a new dimension of its own (e.g. ``unit TPU``).

        With a `kind` (``unit EUR: money``) it is of that kind too: a currency
        where money is expected, a count where a capacity is, but still never
        converted to another unit of the kind.
        """
        self.units[name] = (name, Decimal(1))
        if kind is not None:
            self.kinds[name] = kind

    def dimension_of(self, unit: str) -> str | None:
        entry = self.units.get(unit)
        return entry[0] if entry else None

    def kind_of(self, dimension: str) -> str:
        """The kind of a dimension: ``money`` for ``EUR`` declared so; else the dimension itself.

        >>> table = UnitTable(); table.declare("EUR", "money"); table.kind_of("EUR")
        'money'
        """
        return self.kinds.get(dimension, dimension)

    def of_kinds(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """The dimensions of `kinds`: ``("money",)`` is USD and every currency declared.

        >>> table = UnitTable(); table.declare("EUR", "money"); table.of_kinds(("money",))
        ('money', 'EUR')
        """
        return kinds + tuple(d for d, kind in self.kinds.items() if kind in kinds)

    def unit_of(self, dimension: str) -> str:
        """The unit a quantity of `dimension` is written in, for messages: ``USD``, ``EUR``."""
        units = DISPLAY_UNITS.get(dimension)
        return units[0] if units else dimension

    def quantity(self, number: str, unit: str | None, text: str | None = None) -> Quantity:
        """Build a quantity from a number with optional multiplier and a unit name.

        A comma is read only as a thousands separator (``1,500``); any other
        comma raises `CommaError`. The amount is exact, whatever its digits.

        Raises `ValueError` with a message fit for a diagnostic.
        """
        comma = misplaced_comma(number)
        if comma is not None:
            raise comma
        m = NUMBER_RE.match(number.replace("_", "").replace(",", ""))
        if not m:
            raise ValueError(f"malformed number `{number}`")
        shown = text or (number if unit is None else f"{number} {unit}")
        return self._scaled(Decimal(m["num"]), MULTIPLIERS[m["mult"]], unit, shown, number)

    def of(self, amount: Decimal | int, unit: str | None, text: str) -> Quantity:
        """`amount` `unit`, exactly: a number read as one (from JSON or YAML), not as text.

        Raises `ValueError` with a message fit for a diagnostic.
        """
        return self._scaled(Decimal(amount), Decimal(1), unit, text, text)

    def _scaled(self, number: Decimal, multiplier: Decimal, unit: str | None, text: str,
                written: str) -> Quantity:
        factor = Decimal(1)
        dimension = ""
        if unit is not None:
            entry = self.units.get(unit)
            if entry is None:
                raise ValueError(f"unknown unit `{unit}`")
            dimension, factor = entry
        try:
            amount = _EXACT.multiply(_EXACT.multiply(number, multiplier), factor)
        except ArithmeticError:  # decimal.Overflow: a number of a million digits
            shown = written if len(written) <= 40 else written[:39] + "…"
            raise ValueError(f"`{shown}` is too large") from None
        return Quantity(amount, dimension, text)

    def parse(self, text: str) -> Quantity:
        """Parse ``"11.9B USD"``, ``"1.2 GW"``, ``"4,608 GPU"``.

        >>> UnitTable().parse("1.2 GW").amount
        Decimal('1200000000.0')
        """
        m = QUANTITY_RE.match(text)
        if not m:
            raise ValueError(f"malformed quantity `{text}`")
        return self.quantity(m["num"] + m["mult"], m["unit"], text.strip())


def format_amount(amount: Decimal, dimension: str, *, exact: bool = False) -> str:
    """Render an amount in its dimension's display unit: ``38B USD``, ``7.7 GW``.

    Rounded to three decimals in the display unit unless `exact`, which keeps
    every digit (aggregate totals: ``10.000000001B USD`` must not read ``10B USD``).

    >>> format_amount(Decimal("38000000000"), "money")
    '38B USD'
    >>> format_amount(Decimal("7700000000"), "power")
    '7.7 GW'
    >>> format_amount(Decimal("10000000001"), "money", exact=True)
    '10.000000001B USD'
    """
    units = DISPLAY_UNITS.get(dimension)
    if units is None:
        return f"{_plain(amount, exact)} {dimension}".strip()
    if dimension == "power":
        for unit in units:
            factor = BUILTIN_UNITS[unit][1]
            if abs(amount) >= factor or unit == units[-1]:
                return f"{_plain(_DISPLAY.divide(amount, factor), exact)} {unit}"
    if dimension != "money":
        return f"{_plain(amount, exact)} {units[0]}"
    for suffix in ("T", "B", "M", "k"):
        factor = MULTIPLIERS[suffix]
        if abs(amount) >= factor:
            return f"{_plain(_DISPLAY.divide(amount, factor), exact)}{suffix} {units[0]}"
    return f"{_plain(amount, exact)} {units[0]}"


#: Room for every digit of any amount when rounding for display (the default
#: context's 28 digits made `quantize` fail on totals of 10**25 and more).
_DISPLAY = Context(prec=MAX_PREC)


def _plain(value: Decimal, exact: bool = False) -> str:
    """A decimal without exponent or trailing zeros: 7.70 -> '7.7', 1E+1 -> '10'.

    Rounded to three decimals unless `exact`.

    >>> _plain(Decimal("99999999999999999999999999"))
    '99999999999999999999999999'
    >>> _plain(Decimal("1.0000001"), exact=True)
    '1.0000001'
    """
    q = value if exact else value.quantize(Decimal("0.001"), context=_DISPLAY)
    text = format(q.normalize(_DISPLAY), "f")
    return text
