"""The DuckDB engine: bulk inventories read, validated and keyed in SQL; each key judged once.

`duckdb_run` reads the CSV, JSON Lines and Parquet files of a check with
DuckDB, every cell as text (nothing is guessed), and validates them in SQL:
the shape of each row, declared names, ids (printable, unique across the
files, by a GROUP BY). The texts that need the scenario reader's rules —
dates, quantities, facts — are few and repeat: each *distinct* text is
judged once by `DeploymentValidator`, and the verdicts joined back. A row
that is not plainly valid makes the engine step aside (`duckdb_run` gives
None): the Python reader then reads the files and reports every problem,
located, exactly as ``--engine python`` does. Parquet, which the Python
reader does not read, is then read here row by row (`explain_parquet`).

For valid rows, the evaluation plan (`engines.plan`) computes each row's
key in SQL; one row per distinct key is judged by the compiled evaluators
(the reference evaluator behind them builds the findings), and the outcome
joined back to every row of its key, in input order. Aggregates: SQL selects,
for each tally, the rows that count and how (the plan's `Sighting`), in input
order; `Tally.record` sums them as the Python engine does.

Memory: DuckDB works within `MEMORY_LIMIT` and spills to a temporary
directory removed after the check; ``jobs`` is its thread count.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealcheck import limits
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.codegen import Outcome
from dealcheck.checker.results import AggregateResult, DeploymentResult, ReportMeta, SourceRef
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.span import Span
from dealcheck.engines.plan import EvaluationPlan, decimal_fits, fact_column, fact_dimension_column
from dealcheck.rules import model as m
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.tree import Entry, Map, Scalar
from dealcheck.scenario.validate import (
    FIELDS,
    REQUIRED_FIELDS,
    Checked,
    DeploymentValidator,
    UniqueIds,
)

if TYPE_CHECKING:
    import duckdb as duckdb_module

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["BULK_FORMATS", "MEMORY_LIMIT", "duckdb_run", "reads_with_duckdb"]

#: How much memory DuckDB may hold before it spills to its temporary directory.
MEMORY_LIMIT = "256MB"

#: File extensions the engine reads, and the format of each.
BULK_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

#: CSV columns holding facts are named ``facts.NAME`` (as the CSV reader reads them).
FACT_PREFIX = "facts."

#: Results fetched from DuckDB at a time.
_BATCH = 8192

_EPOCH = dt.date(1970, 1, 1)
#: A printable ASCII id with no space at either end (other ids: the Python reader decides).
_ID_PATTERN = "[!-~]([ -~]*[!-~])?"
_NAME_FIELDS = ("id", "party", "workload", "provider", "region")
_VALUE_FIELDS = ("start", "end", "capacity", "value")


def reads_with_duckdb(paths: Sequence[str | Path]) -> bool:
    """Whether ``--engine auto`` reads these scenario files with DuckDB: all bulk, all files.

    >>> reads_with_duckdb(["plan.yaml"])
    False
    """
    return bool(paths) and all(
        Path(p).suffix.lower() in BULK_FORMATS and Path(p).is_file() for p in paths)


@dataclass(slots=True)
class _Values:
    """Distinct texts of one field, judged by the scenario reader's rules, and what they mean."""

    #: (family, text) -> the value (None: absent), or `_INVALID`.
    found: dict[tuple[str, str], object] = field(default_factory=dict)


_INVALID: Any = object()


@contextlib.contextmanager
def duckdb_run(terms: ReadyTerms, paths: Sequence[str | Path], as_of: dt.date | None,
               jobs: int = 1) -> Iterator[CheckRun | None]:
    """The check of bulk scenario files as a `CheckRun`, or None: read them with the Python reader.

    None means some row is not plainly valid (or the files are not what the
    engine reads): the Python reader then explains, or checks, them.

    Args:
        terms: the terms.
        paths: CSV, JSON Lines or Parquet files (see `reads_with_duckdb`).
        as_of: the evaluation date; None judges each deployment on its start.
        jobs: DuckDB's threads.

    Raises:
        DiagnosticsError: located in Parquet files, for every problem found in their rows.
    """
    import duckdb

    temp = tempfile.mkdtemp(prefix="dealcheck-duckdb-")
    try:
        con = duckdb.connect(":memory:", config={
            "threads": max(1, jobs), "memory_limit": MEMORY_LIMIT, "temp_directory": temp,
            "preserve_insertion_order": True})
        try:
            session = _Session(terms, [str(p) for p in paths], as_of, con)
            try:
                run = session.open()
            except duckdb.Error:
                run = None  # DuckDB could not read a file as the Python reader would
            if run is None:
                # The Python reader does not read Parquet: its rows are read here.
                run = session.explain_parquet()
            yield run
        finally:
            con.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


class _Session:
    """One check on one DuckDB connection: the tables `src`, `rows`, `keyed` and `keys`."""

    def __init__(self, terms: ReadyTerms, paths: list[str], as_of: dt.date | None,
                 con: duckdb_module.DuckDBPyConnection) -> None:
        self.terms = terms
        self.paths = paths
        self.as_of = as_of
        self.con = con
        self.vocabulary = terms.vocabulary
        self.facts = list(self.vocabulary.facts)
        self.validator = DeploymentValidator(self.vocabulary)
        self.values: dict[str, _Values] = {}
        self.formats: list[str] = []
        self.key_names: list[str] = []

    # -- reading -----------------------------------------------------------------

    def open(self) -> CheckRun | None:
        from dealcheck.checker.files import CheckRun
        from dealcheck.scenario.read import _sha256_and_lines

        sources: list[SourceRef] = []
        selects: list[str] = []
        expected: list[int | None] = []
        for index, path in enumerate(self.paths):
            kind = BULK_FORMATS.get(Path(path).suffix.lower())
            if kind is None or not Path(path).is_file():
                return None
            self.formats.append(kind)
            if kind == "parquet":
                sha256, lines = _file_sha256(path), -1
            else:
                found, lines = _sha256_and_lines(path)
                if found is None:
                    return None  # a line over the limit: the reader says so
                sha256 = found
            select = self._select(index, path, kind)
            if select is None:
                return None
            selects.append(select)
            sources.append(SourceRef(path, sha256))
            expected.append(lines - (kind == "csv") if kind != "parquet" else None)
        self.con.execute("CREATE TABLE src AS " + " UNION ALL ".join(selects))
        precise = [i for i, path in enumerate(self.paths)
                   if self.formats[i] == "jsonl" and not self._keys_match(i, path)]
        if precise:
            for i in precise:
                selects[i] = self._select_jsonl(i, self.paths[i], precise=True)
            self.con.execute("DROP TABLE src")
            self.con.execute("CREATE TABLE src AS " + " UNION ALL ".join(selects))
        counts = dict(self.con.execute("SELECT fi, count(*) FROM src GROUP BY fi").fetchall())
        # Line numbers are row numbers only when every line is a row: blank
        # lines, records across lines, skipped rows go to the Python reader.
        if any(lines is not None and counts.get(fi, 0) != lines
               for fi, lines in enumerate(expected)):
            return None
        total = self._scalar("SELECT count(*) FROM src")
        if total == 0 or total > limits.MAX_DEPLOYMENTS.value():
            return None  # an empty file, or too many rows: the reader's diagnostics
        self._judge_values()
        self._typed_rows()
        if self._scalar("SELECT count(*) FROM rows WHERE bad") or self._scalar(
                "SELECT count(*) FROM (SELECT id FROM rows GROUP BY id HAVING count(*) > 1)"):
            return None
        book = AggregateBook(self.terms.compiled(), self.as_of)
        pairs = self.con.execute(
            "SELECT DISTINCT party, workload FROM rows ORDER BY party, workload").fetchall()
        plan = EvaluationPlan(self.terms.compiled(), {n: f.type for n, f in
                                                      self.vocabulary.facts.items()},
                              self.as_of, pairs)
        outcomes = self._key_outcomes(plan)
        meta = ReportMeta(SourceRef(self.terms.path, self.terms.sha256), tuple(sources),
                          self.as_of)
        return CheckRun(meta, self._results(outcomes), self._aggregates(plan, book), False,
                        total)

    def _scalar(self, sql: str) -> int:
        found = self.con.execute(sql).fetchone()
        return 0 if found is None or found[0] is None else int(found[0])

    def _select(self, index: int, path: str, kind: str) -> str | None:
        """The SELECT of one file's rows as text: fi, line, fam, bad and each field's text."""
        if kind == "jsonl":
            return self._select_jsonl(index, path)
        if kind == "csv":
            names = _csv_header(path)
            header = None if names is None else _columns(names, self.vocabulary)
            if header is None:
                return None
            source = (f"read_csv({_string(path)}, header = false, skip = 1, "
                      "delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
                      "strict_mode = true, null_padding = false, columns = {"
                      + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "})")
            cells = [f"c{i}" for i in range(len(header))]
            return self._select_cells(index, source, header, cells, "ordinality + 1")
        described = self.con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_string(path)})").fetchall()
        names = [str(row[0]) for row in described]
        columns = _columns(names, self.vocabulary)
        if columns is None:
            return None
        cells = [f"CAST({_ident(n)} AS VARCHAR)" for n in names]
        return self._select_cells(index, f"read_parquet({_string(path)})", columns, cells,
                                  "ordinality")

    def _select_cells(self, index: int, source: str, columns: list[str], cells: list[str],
                      line: str) -> str:
        """Rows of a table of text cells (CSV, Parquet), named by `columns`."""
        by_name = dict(zip(columns, cells, strict=True))
        parts = [f"{index} AS fi", f"{line} AS line", "'text' AS fam"]
        for name in _NAME_FIELDS:
            cell = by_name.get(name)
            parts.append(f"NULLIF(trim({cell}, ' '), '') AS {_ident(name)}" if cell
                         else f"NULL::VARCHAR AS {_ident(name)}")
        for name in _VALUE_FIELDS:
            cell = by_name.get(name)
            parts.append(f"NULLIF({cell}, '') AS {_ident(name)}" if cell
                         else f"NULL::VARCHAR AS {_ident(name)}")
        for fact in self.facts:
            cell = by_name.get(FACT_PREFIX + fact)
            parts.append(f"NULLIF({cell}, '') AS {_ident(fact_column(fact))}" if cell
                         else f"NULL::VARCHAR AS {_ident(fact_column(fact))}")
        # A cell holding control characters (a tab, a line break) is the reader's to judge.
        odd = [f"coalesce(regexp_matches({c}, '[\\x00-\\x1f\\x7f]'), false)" for c in cells]
        parts.append("(" + (" OR ".join(odd) or "false") + ") AS bad")
        parts += ["NULL::BIGINT AS np", "NULL::BIGINT AS nf"]
        return f"SELECT {', '.join(parts)} FROM {source} WITH ORDINALITY"

    def _select_jsonl(self, index: int, path: str, precise: bool = False) -> str:
        """Rows of a JSON Lines file; `precise`: each line's keys checked on the line.

        Declared columns read a line's fields, and would drop its other keys in
        silence. A line whose keys are all known, each given once, none null,
        has as many keys as fields not NULL (``np``, ``nf`` for its facts):
        `_keys_match` compares the sums over the file. Otherwise `precise`
        reads each line for its keys and, once, for its fields; only a line
        whose counts differ has its keys looked at one by one.
        """
        if not precise:
            return self._select_jsonl_columns(index, path)
        structure = json.dumps(dict.fromkeys(FIELDS, "JSON"))
        facts_structure = json.dumps(dict.fromkeys(self.facts, "JSON"))

        def typed(item: str, allowed: str) -> str:
            return f"coalesce(json_type({item}) NOT IN ({allowed}), false)"

        def keys_bad(keys: str, present: list[str], allowed: Sequence[str]) -> str:
            count = " + ".join(f"({p} IS NOT NULL)::INT" for p in present) or "0"
            listed = "[" + ", ".join(_string(a) for a in allowed) + "]::VARCHAR[]"
            return (f"CASE WHEN len({keys}) = {count} THEN false ELSE "
                    f"NOT list_has_all({listed}, {keys}) "
                    f"OR list_unique({keys}) <> len({keys}) END")

        fields = {f: f"t.{_ident(f)}" for f in FIELDS}
        facts = {f: f"ft.{_ident(f)}" for f in self.facts}
        parts = [f"{index} AS fi", "line", "'json' AS fam"]
        bad = [keys_bad("k", list(fields.values()), FIELDS),
               typed(fields["facts"], "'OBJECT', 'NULL'"),
               f"coalesce({keys_bad('fk', list(facts.values()), self.facts)}, false)"]
        for name in _NAME_FIELDS:
            item = fields[name]
            parts.append(f"CASE WHEN json_type({item}) = 'VARCHAR' THEN "
                         f"json_extract_string({item}, '$') END AS {_ident(name)}")
            bad.append(typed(item, "'VARCHAR', 'NULL'"))
        raw = [(name, fields[name]) for name in _VALUE_FIELDS]
        raw += [(fact_column(f), facts[f]) for f in self.facts]
        for name, item in raw:
            parts.append(f"CASE WHEN json_type({item}) IN ('VARCHAR', 'BOOLEAN') "
                         f"THEN CAST({item} AS VARCHAR) END AS {_ident(name)}")
            bad.append(typed(item, "'VARCHAR', 'BOOLEAN', 'NULL'"))
        parts.append("(" + " OR ".join(bad) + ") AS bad")
        parts += ["NULL::BIGINT AS np", "NULL::BIGINT AS nf"]
        facts_of = (f"json_transform(t.facts, {_string(facts_structure)})" if self.facts
                    else "NULL")
        return (f"SELECT {', '.join(parts)} FROM (SELECT line, t, k, "
                f"{facts_of} AS ft, json_keys(t.facts) AS fk FROM (SELECT ordinality AS line, "
                f"json_transform(j, {_string(structure)}) AS t, json_keys(j) AS k "
                f"FROM read_ndjson_objects({_string(path)}) WITH ORDINALITY AS x(j, ordinality)))")

    def _select_jsonl_columns(self, index: int, path: str) -> str:
        """Rows of a JSON Lines file read with declared columns (see `_select_jsonl`)."""
        facts_type = ("STRUCT(" + ", ".join(f"{_ident(f)} JSON" for f in self.facts) + ")"
                      if self.facts else "JSON")
        columns = ", ".join(f"{_string(f)}: 'JSON'" for f in FIELDS if f != "facts")
        columns += f", 'facts': {_string(facts_type)}"

        def typed(item: str, allowed: str) -> str:
            return f"coalesce(json_type({item}) NOT IN ({allowed}), false)"

        parts = [f"{index} AS fi", "ordinality AS line", "'json' AS fam"]
        bad = ["false"] if self.facts else [typed("facts", "'OBJECT', 'NULL'")]
        for name in _NAME_FIELDS:
            item = _ident(name)
            parts.append(f"CASE WHEN json_type({item}) = 'VARCHAR' THEN "
                         f"json_extract_string({item}, '$') END AS {item}")
            bad.append(typed(item, "'VARCHAR', 'NULL'"))
        raw = [(name, _ident(name)) for name in _VALUE_FIELDS]
        raw += [(fact_column(f), f"facts.{_ident(f)}") for f in self.facts]
        for name, item in raw:
            parts.append(f"CASE WHEN json_type({item}) IN ('VARCHAR', 'BOOLEAN') "
                         f"THEN CAST({item} AS VARCHAR) END AS {_ident(name)}")
            bad.append(typed(item, "'VARCHAR', 'BOOLEAN', 'NULL'"))
        parts.append("(" + " OR ".join(bad) + ") AS bad")
        parts.append("(" + " + ".join(f"({_ident(f)} IS NOT NULL)::BIGINT" for f in FIELDS)
                     + ") AS np")
        parts.append("coalesce(" + " + ".join(f"(facts.{_ident(f)} IS NOT NULL)::BIGINT"
                                              for f in self.facts) + ", 0) AS nf"
                     if self.facts else "0::BIGINT AS nf")
        return (f"SELECT {', '.join(parts)} FROM read_json({_string(path)}, "
                "format = 'newline_delimited', records = true, "
                f"columns = {{{columns}}}) WITH ORDINALITY")

    def _keys_match(self, index: int, path: str) -> bool:
        """Whether the JSON Lines file's lines have, over the file, as many keys as `src`
        found fields, and their facts as many keys as facts (see `_select_jsonl`)."""
        keys = self.con.execute(
            "SELECT coalesce(sum(len(json_keys(j))), 0), "
            "coalesce(sum(coalesce(len(json_keys(j, '$.facts')), 0)), 0) "
            f"FROM read_ndjson_objects({_string(path)}) t(j)").fetchone()
        found = self.con.execute("SELECT coalesce(sum(np), 0), coalesce(sum(nf), 0) "
                                 f"FROM src WHERE fi = {index}").fetchone()
        return keys is not None and found is not None and tuple(keys) == tuple(found)

    def explain_parquet(self) -> CheckRun | None:
        """The Parquet files' rows read one by one, as the CSV reader reads a row of cells.

        For a check the engine handed back: the Python reader does not read
        Parquet. A row's problems are located at its row number and the
        position of its column.

        Returns:
            None if a file is not Parquet (the Python reader then reads them
            all), else the check of the Parquet files' rows by the compiled
            evaluators.

        Raises:
            DiagnosticsError: for every problem found, Parquet files being shown without text.
        """
        from dealcheck.checker.check import stream
        from dealcheck.checker.files import CheckRun

        parquet = [p for p in self.paths if BULK_FORMATS.get(Path(p).suffix.lower()) == "parquet"]
        if not parquet:
            return None
        ids = UniqueIds()
        found: list[Diagnostic] = []
        count = 0
        for _, checked in self._parquet_rows(parquet):
            count += 1
            found.extend(checked.diagnostics)
            if checked.id is not None and checked.id_span is not None:
                duplicate = ids.add(checked.id, checked.id_span)
                if duplicate is not None:
                    found.append(duplicate)
        if found:
            raise DiagnosticsError(found, dict.fromkeys(parquet, ""))
        if len(parquet) < len(self.paths):
            return None
        ct = self.terms.compiled()
        book = AggregateBook(ct, self.as_of)
        deployments = (checked.deployment for _, checked in self._parquet_rows(parquet)
                       if checked.deployment is not None)
        meta = ReportMeta(SourceRef(self.terms.path, self.terms.sha256),
                          tuple(SourceRef(p, _file_sha256(p)) for p in parquet), self.as_of)
        return CheckRun(meta, stream(ct, deployments, book, self.as_of), book.results, False,
                        count)

    def _parquet_rows(self, paths: list[str]) -> Iterator[tuple[str, Checked]]:
        for path in paths:
            source = f"read_parquet({_string(path)})"
            names = [str(row[0]) for row in
                     self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
            cells = ", ".join(f"CAST({_ident(n)} AS VARCHAR)" for n in names)
            cursor = self.con.cursor()
            cursor.execute(f"SELECT {cells} FROM {source}")
            number = 0
            while batch := cursor.fetchmany(_BATCH):
                for row in batch:
                    number += 1
                    yield path, self.validator.check(_parquet_node(path, number, names, row),
                                                     textual=True)
            cursor.close()

    # -- validation ----------------------------------------------------------------

    def _judge_values(self) -> None:
        """Judge each distinct text of dates, quantities and facts once; tables ``v_<field>``."""
        for name in (*_VALUE_FIELDS, *map(fact_column, self.facts)):
            values = self.values[name] = _Values()
            texts = self.con.execute(
                f"SELECT DISTINCT fam, {_ident(name)} FROM src "
                f"WHERE {_ident(name)} IS NOT NULL").fetchall()
            rows: list[tuple[object, ...]] = []
            for family, text in texts:
                value = self._judge(name, str(family), str(text))
                values.found[(str(family), str(text))] = value
                rows.append((family, text, *_sql_value(value)))
            table = _ident(f"v_{name}")
            self.con.execute(f"CREATE TABLE {table} (fam VARCHAR, raw VARCHAR, ok BOOLEAN, "
                             f"v {self._sql_type(name)}, dim VARCHAR)")
            # One statement per thousand rows: `executemany` runs one per row.
            for at in range(0, len(rows), 1000):
                chunk = rows[at:at + 1000]
                self.con.execute(f"INSERT INTO {table} VALUES "
                                 + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)),
                                 [v for row in chunk for v in row])

    def _sql_type(self, name: str) -> str:
        if name in ("start", "end"):
            return "DATE"
        if name in ("capacity", "value"):
            return "DECIMAL(38, 9)"
        kind = self.vocabulary.facts[name.removeprefix("fact:")].type.kind
        return {m.FactKind.BOOL: "BOOLEAN", m.FactKind.ENUM: "VARCHAR",
                m.FactKind.NUMBER: "DECIMAL(38, 9)", m.FactKind.DATE: "DATE"}[kind]

    def _judge(self, name: str, family: str, text: str) -> object:
        """What the scenario reader makes of one text of field `name`: a value, None, `_INVALID`."""
        fact = name.removeprefix("fact:") if name.startswith("fact:") else None
        given: dict[str, object] = {}
        if family == "json":
            raw: object = json.loads(text, parse_float=Decimal)
        else:
            raw = text
        if fact is not None:
            given["facts"] = {fact: raw}
        elif name == "end":
            given["start"] = given["end"] = raw
        else:
            given[name] = raw
        deployment = self._build(family, given, 1)
        if deployment is None:
            return _INVALID
        if fact is not None:
            value: object = deployment.facts.get(fact)
        else:
            value = getattr(deployment, name)
        if isinstance(value, Quantity) and not decimal_fits(value.amount):
            return _INVALID  # the engine's columns cannot hold it exactly
        return value

    def _build(self, family: str, given: Mapping[str, object], line: int,
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
                facts = tuple(Entry(k, span, _cell(v, span)) for k, v in value.items())
                entries.append(Entry("facts", span, Map(facts, span)))
            else:
                entries.append(Entry(key, span, _cell(value, span)))
        return self.validator.check(Map(tuple(entries), span), textual=True).deployment

    def _typed_rows(self) -> None:
        """The table `rows`: every row typed (`engines.plan.RowColumns`), and `bad` if not valid."""
        vocabulary = self.vocabulary
        joins: list[str] = []
        # INVARIANT: `rn` grows with the file, then the line: the input order.
        columns = ["(s.fi::BIGINT << 40) + s.line AS rn", "s.fi", "s.line",
                   "s.fam", *(f"s.{_ident(n)}" for n in _NAME_FIELDS)]
        bad = ["s.bad", *(f"s.{_ident(n)} IS NULL" for n in REQUIRED_FIELDS if n != "start"),
               "s.start IS NULL",
               f"NOT regexp_full_match(s.id, '{_ID_PATTERN}')",
               _undeclared("s.party", vocabulary.parties),
               _undeclared("s.workload", vocabulary.workloads),
               _undeclared("s.provider", vocabulary.providers),
               f"coalesce({_undeclared('s.region', vocabulary.regions)}, false)"]
        for number, name in enumerate((*_VALUE_FIELDS, *map(fact_column, self.facts))):
            columns.append(f"s.{_ident(name)} AS {_ident('raw:' + name)}")
            if self.values[name].found:
                alias = f"v{number}"
                joins.append(f"LEFT JOIN {_ident('v_' + name)} {alias} ON {alias}.fam = s.fam "
                             f"AND {alias}.raw = s.{_ident(name)}")
                bad.append(f"(s.{_ident(name)} IS NOT NULL AND {alias}.ok IS NOT TRUE)")
                value, dim = f"{alias}.v", f"{alias}.dim"
            else:  # no row gives it: no join
                value, dim = f"NULL::{self._sql_type(name)}", "NULL::VARCHAR"
            if name in ("capacity", "value"):
                columns += [f"{value} AS {_ident(name + '_amount')}",
                            f"{dim} AS {_ident(name + '_dim')}"]
            elif name.startswith("fact:"):
                columns.append(f"{value} AS {_ident(name)}")
                columns.append(f"{dim} AS {_ident(fact_dimension_column(name[5:]))}")
            else:
                columns.append(f"{value} AS {_ident(name)}")
        if self.values["end"].found:
            bad.append("coalesce(v1.v < v0.v, false)")  # end before start
        columns.append("(" + " OR ".join(f"coalesce({b}, true)" for b in bad) + ") AS bad")
        self.con.execute(f"CREATE TABLE rows AS SELECT {', '.join(columns)} FROM src s "
                         + " ".join(joins))
        self.con.execute("DROP TABLE src")

    # -- judging -------------------------------------------------------------------

    def _key_outcomes(self, plan: EvaluationPlan) -> dict[int, Outcome]:
        """Each key's outcome, by its representative row (the first row of the key)."""
        key = self.key_names = [name for name, _ in plan.key()]
        quoted = ", ".join(_ident(k) for k in key)
        self.con.execute("CREATE TABLE keyed AS " + plan.select("rows", "duckdb",
                                                                carry=("id", "fi", "line")))
        self.con.execute(f"CREATE TABLE keys AS SELECT min(rn) AS rep, {quoted} "
                         f"FROM keyed GROUP BY {quoted}")
        raw = ", ".join(_ident("raw:" + n) for n in (*_VALUE_FIELDS,
                                                      *map(fact_column, self.facts)))
        found = self.con.execute(
            f"SELECT r.rn, r.fi, r.line, r.fam, r.id, r.party, r.workload, r.provider, "
            f"r.region, {raw} FROM rows r JOIN keys k ON r.rn = k.rep").fetchall()
        ct = self.terms.compiled()
        outcomes: dict[int, Outcome] = {}
        names = (*_VALUE_FIELDS, *self.facts)
        for rn, fi, line, family, *given in found:
            row: dict[str, object] = dict(zip(_NAME_FIELDS, given[:5], strict=True))
            facts: dict[str, object] = {}
            for name, text in zip(names, given[5:], strict=True):
                if text is None:
                    continue
                value = json.loads(text, parse_float=Decimal) if family == "json" else text
                if name in _VALUE_FIELDS:
                    row[name] = value
                else:
                    facts[name] = value
            if facts:
                row["facts"] = facts
            if row.get("region") is None:
                row.pop("region", None)
            deployment = self._build(str(family), row, int(line), self.paths[int(fi)])
            if deployment is None:  # pragma: no cover - the row was found valid
                raise AssertionError(f"row {line} of {self.paths[int(fi)]} no longer valid")
            result = ct.evaluate(deployment, self.as_of)
            outcomes[int(rn)] = (result.verdict, result.not_covered, result.findings)
        return outcomes

    def _results(self, outcomes: dict[int, Outcome]) -> Iterator[DeploymentResult]:
        on = " AND ".join(f"d.{_ident(k)} = k.{_ident(k)}" for k in self.key_names)
        cursor = self.con.cursor()
        # Days as numbers: a few thousand distinct ones, each made a `date` once.
        cursor.execute("SELECT d.id, d.fi, d.line, d.day - DATE '1970-01-01', k.rep "
                       f"FROM keyed d JOIN keys k ON {on} ORDER BY d.rn")
        paths = self.paths
        locate = SourceLocation
        days: dict[int, dt.date] = {}
        while batch := cursor.fetchmany(_BATCH):
            for ident, fi, line, number, rep in batch:
                verdict, not_covered, findings = outcomes[rep]
                day = days.get(number)
                if day is None:
                    day = days[number] = _EPOCH + dt.timedelta(days=number)
                yield DeploymentResult(ident, verdict, day, not_covered, findings,
                                 locate(paths[fi], line, 1))
        cursor.close()

    def _aggregates(self, plan: EvaluationPlan,
                    book: AggregateBook) -> Callable[[], list[AggregateResult]]:
        def results() -> list[AggregateResult]:
            if book.tallies:
                latest = self.con.execute("SELECT max(start) FROM rows").fetchone()
                book.latest = None if latest is None else latest[0]
            for sighting in plan.sightings(book.tallies):
                tally = book.tallies[sighting.index]
                measure = sighting.measure
                values = self.values[measure].found
                query = (
                    "SELECT id, start, " + sighting.certain.sql(dialect="duckdb")
                    + ", CASE WHEN " + sighting.known.sql(dialect="duckdb")
                    + f" THEN {_ident('raw:' + measure)} END, fam FROM rows WHERE "
                    + sighting.counts.sql(dialect="duckdb") + " ORDER BY rn")
                cursor = self.con.cursor()
                cursor.execute(query)
                while batch := cursor.fetchmany(_BATCH):
                    for ident, start, certain, text, family in batch:
                        amount = None
                        if text is not None:
                            quantity = values[(family, text)]
                            assert isinstance(quantity, Quantity)  # INVARIANT: known
                            amount = quantity.amount
                        tally.record(ident, start, bool(certain), amount)
                cursor.close()
            return book.results()
        return results


# -- helpers ----------------------------------------------------------------------


def _parquet_node(path: str, number: int, names: list[str], row: Sequence[object]) -> Map:
    """A Parquet row as the CSV reader would read its cells: ``facts.NAME`` columns as facts."""
    entries: list[Entry] = []
    facts: list[Entry] = []
    for column, (name, value) in enumerate(zip(names, row, strict=True), 1):
        span = Span.point(path, number, column)
        key = name.strip()
        if key.startswith(FACT_PREFIX):
            facts.append(Entry(key[len(FACT_PREFIX):], span, _cell(value, span)))
        else:
            entries.append(Entry(key, span, _cell(value, span)))
    span = Span.point(path, number, 1)
    if facts:
        entries.append(Entry("facts", span, Map(tuple(facts), span)))
    return Map(tuple(entries), span)


def _cell(value: object, span: Span) -> Scalar:
    """A CSV cell as the CSV reader makes it: text, stripped, absent when empty."""
    text = value.strip() if isinstance(value, str) else value
    return Scalar(text or None, span, textual=True)


def _sql_value(value: object) -> tuple[object, ...]:
    """(ok, value, dimension) of a judged text, for its table."""
    if value is _INVALID:
        return False, None, None
    if isinstance(value, Quantity):
        return True, value.amount, value.dimension
    return True, value, None


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _undeclared(column: str, names: Mapping[str, object]) -> str:
    """True when `column` holds a name not in `names` (NULL when it holds none)."""
    if not names:
        return f"({column} IS NOT NULL OR NULL)"
    return f"{column} NOT IN ({', '.join(_string(n) for n in names)})"


def _columns(names: list[str], vocabulary: m.Vocabulary) -> list[str] | None:
    """The fields that header names stand for, or None for a header the CSV reader would refuse."""
    seen: set[str] = set()
    columns: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name or name in seen:
            return None
        seen.add(name)
        if name.startswith(FACT_PREFIX):
            if name[len(FACT_PREFIX):] not in vocabulary.facts:
                return None
        elif name not in FIELDS or name == "facts":
            return None
        columns.append(name)
    if any(f not in seen for f in REQUIRED_FIELDS):
        return None
    return columns


def _csv_header(path: str) -> list[str] | None:
    """The column names of a CSV file's first line, if it is a plain one-line header."""
    with open(path, "rb") as stream:
        first = stream.readline(limits.MAX_LINE_BYTES.value() + 1)
    try:
        text = first.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    if '"' in text or not text.endswith("\n"):
        return None
    return next(csv.reader([text.rstrip("\r\n")]), None)


def _file_sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()

