"""The texts of dates, quantities and facts, judged once each by the scenario reader's rules.

Bulk files repeat the same few texts in their value columns. `ValueJudge`
judges each distinct (family, text) of a field once with
`DeploymentValidator`, keeps what it means (`Values`) and writes it to a
table ``v_<field>``, which each row reads by an SQL conversion checked
against it (`ValueJudge.direct`), in list literals at the slot of its text's
hash (`ValueJudge.lookup`), or, failing both, by a join.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dealcheck.dsl.span import Span
from dealcheck.engines.plan import decimal_fits, fact_column
from dealcheck.engines.slots import Slots
from dealcheck.engines.sources import VALUE_FIELDS, insert_rows, sql_ident, sql_string
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
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
                     sql_string(str(row[column])) if kind == "VARCHAR" else
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


