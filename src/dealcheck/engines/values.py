"""The texts of dates, quantities and facts, judged once each by the scenario reader's rules.

Bulk files repeat the same few texts in their value columns. `ValueJudge`
judges each distinct (family, text) of a field once with
`DeploymentValidator`, keeps what it means (`Values`) and writes it to a
table ``v_<field>``, which each row reads by an SQL conversion checked
against it (`ValueJudge.direct`), in list literals at the slot of its text's
hash (`ValueJudge.lookup`), or, failing both, by a join.

Without judging any text, `ValueJudge.strict` converts in SQL only the
texts written in a canonical form (``2025-01-05``, ``true``, a declared
name, ``825M USD``), whose conversion agrees with the reader's, and leaves
the others NULL: rows whose texts all convert so need no survey of the
distinct texts (`engines.duckdb`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dealcheck import limits
from dealcheck.dsl.span import Span
from dealcheck.engines.plan import decimal_fits, fact_column
from dealcheck.engines.slots import Slots
from dealcheck.engines.sources import VALUE_FIELDS, insert_rows, sql_ident, sql_string
from dealcheck.rules import model as m
from dealcheck.rules.units import MULTIPLIERS, Quantity
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.tree import Entry, Map, Scalar
from dealcheck.scenario.validate import DeploymentValidator

if TYPE_CHECKING:
    import duckdb as duckdb_module

__all__ = ["INVALID", "ValueJudge", "Values", "cell", "json_value"]


@dataclass(slots=True)
class Values:
    """Distinct texts of one field, judged by the scenario reader's rules, and what they mean."""

    #: (family, text) -> the value (None: absent), or `INVALID`.
    found: dict[tuple[str, str], object] = field(default_factory=dict)


#: A JSON text's value, numbers with a fraction as `Decimal` (as the JSON reader reads
#: them): one decoder, made once (`json.loads` with `parse_float` makes one a call).
json_value: Callable[[str], Any] = json.JSONDecoder(parse_float=Decimal).decode

#: What a text the scenario reader refuses stands for.
INVALID: Any = object()


class ValueJudge:
    """The judged texts of one check's value fields (`values`), on one connection."""

    def __init__(self, con: duckdb_module.DuckDBPyConnection, vocabulary: m.Vocabulary) -> None:
        self.con = con
        self.vocabulary = vocabulary
        self.facts = list(vocabulary.facts)
        self.validator = DeploymentValidator(vocabulary)
        self.values: dict[str, Values] = {}

    def judge_all(self, texts: Mapping[str, Iterable[tuple[str, str]]]) -> None:
        """Judge each distinct text of dates, quantities and facts once; tables ``v_<field>``.

        Args:
            texts: each value field's distinct (family, text) pairs, by the field's
                column name (``start``, ``fact:NAME``...); a field not given has none.
        """
        for name in (*VALUE_FIELDS, *map(fact_column, self.facts)):
            values = self.values[name] = Values()
            rows: list[tuple[object, ...]] = []
            for family, text in texts.get(name, ()):
                value = self.judge(name, str(family), str(text))
                values.found[(str(family), str(text))] = value
                rows.append((family, text, *sql_value(value)))
            table = sql_ident(f"v_{name}")
            types = ("VARCHAR", "VARCHAR", "BOOLEAN", self.sql_type(name), "VARCHAR")
            self.con.execute(f"CREATE TABLE {table} (fam {types[0]}, raw {types[1]}, "
                             f"ok {types[2]}, v {types[3]}, dim {types[4]})")
            insert_rows(self.con, table, types, rows)

    def direct(self, name: str, text: str, family: str) -> str | None:
        """An SQL expression of `text` (a cell of field `name`, of `family`) that gives
        exactly what `judge_all` found for every text of the field: its value,
        NULL for a text the reader refuses. None when there is none.

        Dates, booleans and names convert in SQL: the conversion is checked
        against the judged texts, and used only if it agrees on each of them.
        It spares a join per row (quantities, numbers: always the join).
        """
        convert = self._conversion(self.sql_type(name))
        if convert is None:
            return None
        check = convert("raw", "fam")
        table = sql_ident(f"v_{name}")
        differ = self.con.execute(
            f"SELECT count(*) FROM {table} WHERE NOT coalesce(ok = ({check} IS NOT NULL) "
            f"AND (NOT ok OR v IS NOT DISTINCT FROM {check}), false)").fetchone()
        return convert(text, family) if differ is not None and differ[0] == 0 else None

    def lookup(self, name: str, text: str, family: str,
               at: str) -> tuple[str, str, str, str] | None:
        """SQL expressions of what `judge_all` found for `text` (a cell of field `name`, of
        `family`), read from list literals at the slot of the text's hash
        (`engines.slots`), without a join: the slot, to be computed first as
        column `at`, and, reading it, the value, dimension and whether it is
        valid (NULL for no text). None when the texts have no slots of their own.
        """
        found = self.con.execute(f"SELECT hash(fam, raw), fam, raw, ok, v, dim FROM "
                                 f"{sql_ident('v_' + name)}").fetchall()
        slots = Slots.of([int(row[0]) for row in found])
        if slots is None:
            return None
        places: list[tuple[object, ...]] = [(None,) * 6] * slots.size
        for row in found:
            places[slots.slot(int(row[0]))] = tuple(row)

        def listed(column: int, kind: str) -> str:
            items = ("NULL" if row[column] is None else
                     sql_string(str(row[column])) if kind in ("VARCHAR", "DATE") else
                     ("true" if row[column] else "false") if kind == "BOOLEAN" else
                     format(row[column], "f") for row in places)
            return f"([{', '.join(items)}]::{kind}[])"

        # The slot holds the text itself: a text of another hash is not taken for it.
        held = (f"({listed(1, 'VARCHAR')}[{at}] = {family} "
                f"AND {listed(2, 'VARCHAR')}[{at}] = {text})")
        kind = self.sql_type(name)
        return (slots.sql(f"hash({family}, {text})"),
                f"CASE WHEN {held} THEN {listed(4, kind)}[{at}] END",
                f"CASE WHEN {held} THEN {listed(5, 'VARCHAR')}[{at}] END",
                f"CASE WHEN {held} THEN {listed(3, 'BOOLEAN')}[{at}] END")

    def strict(self, name: str, text: str, family: str,
               at: str) -> tuple[str | None, str, str] | None:
        """SQL expressions of the value and dimension of `text` (a cell of field `name`, of
        `family`) when it is written in a canonical form, else NULL: what to compute
        first as column `at` (None: nothing), then, reading it, the value and the
        dimension. None when the field has no canonical form (no text of it converts).

        The canonical forms are those whose conversion in SQL gives, for every text
        it converts, the value the scenario reader gives (tests check it against
        `judge` on generated texts): a date ``YYYY-MM-DD`` (a year of four
        digits) that SQL writes back the same, ``true`` or ``false`` (a JSON
        boolean; in CSV, also ``True``, ``FALSE``...), a declared name of an
        enumerated fact, a quantity ``<digits>[.<digits>][k|M|B|T] <unit>`` of a
        unit the reader accepts for the field (``<digits>...`` alone if it takes
        a default unit), exactly as DECIMAL(38, 9) and within `limits.MAX_QUANTITY`.
        A JSON text is a string without escapes; a CSV cell is not trimmed.
        """
        kind = self.sql_type(name)
        inner = (f"(CASE WHEN {family} = 'json' THEN CASE WHEN starts_with({text}, '\"') AND NOT "
                 f"contains({text}, '\\') THEN {text}[2:-2] END ELSE {text} END)")
        if kind == "DATE":
            # Ten characters: SQL writes the years after 9999 back as they are, but the
            # reader, as Python's dates, knows none.
            day = f"TRY_CAST({inner} AS DATE)"
            return None, (f"(CASE WHEN length({inner}) = 10 AND CAST({day} AS VARCHAR) = {inner} "
                          f"THEN {day} END)"), "NULL::VARCHAR"
        if kind == "BOOLEAN":  # a JSON boolean's text is its literal; a CSV cell, any case
            cased = (f"CASE WHEN {family} = 'json' THEN {text} "
                     f"WHEN {text} IN ('True', 'TRUE', 'False', 'FALSE') THEN lower({text}) "
                     f"ELSE {text} END")
            return None, f"(CASE {cased} WHEN 'true' THEN true WHEN 'false' THEN false END)", \
                "NULL::VARCHAR"
        if kind == "VARCHAR":
            members = self.vocabulary.facts[name.removeprefix("fact:")].type.values
            if not members:
                return None
            listed = ", ".join(sql_string(str(v)) for v in members)
            return None, f"(CASE WHEN {inner} IN ({listed}) THEN {inner} END)", "NULL::VARCHAR"
        return self._strict_quantity(name, inner, at)

    def _strict_quantity(self, name: str, inner: str,
                         at: str) -> tuple[str | None, str, str] | None:
        """`strict` for a quantity, given the text inside any quotes, `inner`."""
        # Each unit's factor and dimension as the reader finds them for this field ('':
        # no unit): a unit it refuses here, or whose factor is not a power of ten, is
        # not converted.
        exponents: dict[str, int] = {}
        dimensions: dict[str, str] = {}
        for unit in ("", *self.vocabulary.units.units):
            found = self.judge(name, "text", f"1 {unit}".strip())
            if not isinstance(found, Quantity):
                continue
            sign, digits, exponent = found.amount.normalize().as_tuple()
            if sign or digits != (1,) or not isinstance(exponent, int) or exponent < 0:
                continue
            written = f" {unit}" if unit else ""
            exponents[written], dimensions[written] = exponent, found.dimension
        if not exponents:
            return None
        multipliers: dict[str, int] = {}
        for suffix, factor in MULTIPLIERS.items():
            exponent = factor.normalize().as_tuple().exponent
            assert isinstance(exponent, int)  # INVARIANT: powers of ten
            multipliers[suffix] = exponent
        suffixes = "".join(m for m in multipliers if m)
        # Unmatched, every part is '' (and `i` is never empty when matched).
        parts = (f"regexp_extract({inner}, '^([0-9]{{1,29}})(?:\\.([0-9]{{1,9}}))?"
                 f"([{suffixes}]?)( [A-Za-z][A-Za-z0-9_]*)?$', ['i', 'f', 'm', 'u'])")

        def case(values: Mapping[str, object], of: str) -> str:
            return (f"CASE {of} " + " ".join(f"WHEN {sql_string(k)} THEN {sql_string(str(v))}"
                                             for k, v in values.items()) + " END")

        # The amount: the number (its decimals read as `0.<digits>0`, exactly), times ten
        # to the multiplier's and the unit's exponents (21 at most), once there is room
        # for it: 29 digits at most before the point (else NULL).
        shift = (f"(({case(multipliers, f'({at}).m')})::INT "
                 f"+ ({case(exponents, f'({at}).u')})::INT)")
        powers = " ".join(f"WHEN {n} THEN {10 ** n}::DECIMAL(38, 0)"
                          for n in sorted({m + u for m in multipliers.values()
                                           for u in exponents.values()}))
        amount = (f"CASE WHEN len(({at}).i) + {shift} <= 29 THEN (({at}).i::DECIMAL(38, 9) "
                  f"+ ('0.' || ({at}).f || '0')::DECIMAL(38, 9)) * (CASE {shift} {powers} END) END")
        ceiling = limits.MAX_QUANTITY.value()
        if ceiling < 10 ** 29:  # DECIMAL(38, 9) holds less than 10 ** 29
            amount = f"CASE WHEN {amount} <= {ceiling} THEN {amount} END"
        return parts, f"(CASE WHEN ({at}).i <> '' THEN {amount} END)", case(dimensions,
                                                                            f"({at}).u")

    @staticmethod
    def _conversion(kind: str) -> Callable[[str, str], str] | None:
        """The SQL conversion of a text to a value of SQL type `kind`, given the text and
        its family, if there is one (see `direct`)."""
        if kind not in ("DATE", "BOOLEAN", "VARCHAR"):
            return None

        def convert(text: str, family: str) -> str:
            string = f"starts_with({text}, '\"')"
            if kind == "DATE":
                json_form = f"CASE WHEN {string} THEN TRY_CAST({text}[2:-2] AS DATE) END"
                text_form = f"TRY_CAST({text} AS DATE)"
            elif kind == "BOOLEAN":
                json_form = text_form = (f"CASE {text} WHEN 'true' THEN true "
                                         "WHEN 'false' THEN false END")
            else:
                json_form = (f"CASE WHEN {string} AND NOT contains({text}, '\\') "
                             f"THEN {text}[2:-2] END")
                text_form = text
            return f"(CASE WHEN {family} = 'json' THEN {json_form} ELSE {text_form} END)"
        return convert

    def sql_type(self, name: str) -> str:
        if name in ("start", "end"):
            return "DATE"
        if name in ("capacity", "value"):
            return "DECIMAL(38, 9)"
        kind = self.vocabulary.facts[name.removeprefix("fact:")].type.kind
        return {m.FactKind.BOOL: "BOOLEAN", m.FactKind.ENUM: "VARCHAR",
                m.FactKind.NUMBER: "DECIMAL(38, 9)", m.FactKind.DATE: "DATE"}[kind]

    def judge(self, name: str, family: str, text: str) -> object:
        """What the scenario reader makes of one text of field `name`: a value, None, `INVALID`."""
        fact = name.removeprefix("fact:") if name.startswith("fact:") else None
        given: dict[str, object] = {}
        if family == "json":
            raw: object = json_value(text)
        else:
            raw = text
        if fact is not None:
            given["facts"] = {fact: raw}
        elif name == "end":
            given["start"] = given["end"] = raw
        else:
            given[name] = raw
        deployment = self.build(family, given, 1)
        if deployment is None:
            return INVALID
        if fact is not None:
            value: object = deployment.facts.get(fact)
        else:
            value = getattr(deployment, name)
        if isinstance(value, Quantity) and not decimal_fits(value.amount):
            return INVALID  # the engine's columns cannot hold it exactly
        return value

    def build(self, family: str, given: Mapping[str, object], line: int,
              file: str = "") -> Deployment | None:
        """The deployment the scenario reader builds from `given` (a row, or a stand-in for one).

        Required fields that `given` lacks are filled with declared names.
        """
        vocabulary = self.vocabulary
        row: dict[str, object] = {}
        for key, names in (("party", vocabulary.parties), ("workload", vocabulary.workloads),
                           ("provider", vocabulary.providers)):
            first = next(iter(names), None)
            if first is None:
                return None
            row[key] = first
        row["id"] = "x"
        row["start"] = "2000-01-01"
        row.update(given)
        if family == "json":
            return self.validator.accept(row, file, line)
        span = Span.point(file, line, 1)
        entries: list[Entry] = []
        for key, value in row.items():
            if key == "facts":
                assert isinstance(value, dict)  # INVARIANT: built above
                facts = tuple(Entry(k, span, cell(v, span)) for k, v in value.items())
                entries.append(Entry("facts", span, Map(facts, span)))
            else:
                entries.append(Entry(key, span, cell(value, span)))
        return self.validator.check(Map(tuple(entries), span), textual=True).deployment


def cell(value: object, span: Span) -> Scalar:
    """A CSV cell as the CSV reader makes it: text, stripped, absent when empty."""
    text = value.strip() if isinstance(value, str) else value
    return Scalar(text or None, span, textual=True)



def sql_value(value: object) -> tuple[object, ...]:
    """(ok, value, dimension) of a judged text, for its table."""
    if value is INVALID:
        return False, None, None
    if isinstance(value, Quantity):
        return True, value.amount, value.dimension
    return True, value, None


