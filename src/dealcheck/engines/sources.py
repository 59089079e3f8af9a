"""How the DuckDB engine reads scenario files: each file's rows as SELECTs of text cells.

CSV, JSON Lines and Parquet files are read with every cell as text (nothing
is guessed); `SourceSql.select` gives, for one file, the SELECT of its rows:
``fi`` (the file's index), ``line``, ``fam`` (``text`` or ``json``: how the
cells are written), ``bad`` (a row the engine leaves to the Python reader)
and one column of text per field and fact. `dealcheck.engines.duckdb` types,
validates and judges them.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from dealcheck import limits
from dealcheck.engines.plan import fact_column
from dealcheck.rules import model as m
from dealcheck.scenario.validate import FIELDS, REQUIRED_FIELDS

if TYPE_CHECKING:
    import duckdb as duckdb_module

__all__ = ["FACT_PREFIX", "Hashing", "ParquetCells", "SourceSql", "parquet_cells", "read_lines"]

#: CSV columns holding facts are named ``facts.NAME`` (as the CSV reader reads them).
FACT_PREFIX = "facts."

#: Results fetched from DuckDB at a time.
BATCH = 8192

#: Timestamp types without a time zone, as DuckDB names them.
_TIMESTAMPS = frozenset(("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"))

#: The fields whose texts are judged once per distinct value (dates, quantities).
VALUE_FIELDS = ("start", "end", "capacity", "value")
#: The fields compared with the declared names in SQL: the others but `facts`.
NAME_FIELDS = tuple(f for f in FIELDS if f not in VALUE_FIELDS and f != "facts")


class ParquetCells(NamedTuple):
    """A Parquet file read as text: its table, and each cell's name, SQL and column (from 1)."""

    source: str
    names: list[str]
    cells: list[str]
    columns: list[int]


def parquet_cells(con: duckdb_module.DuckDBPyConnection, path: str) -> ParquetCells:
    """A Parquet file's cells as text, named as a CSV file's columns.

    A cell is its value cast to text, but for a timestamp without time zone
    at midnight, which is written as its day (``YYYY-MM-DD``): data frames
    write a column of dates so. A ``facts`` column holding a struct (a JSON
    Lines file's ``facts`` mapping, converted) gives a ``facts.NAME`` cell
    for each of its fields, all in its column.
    """
    source = f"read_parquet({sql_string(path)})"
    found = ParquetCells(source, [], [], [])
    described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    for position, (name, kind) in enumerate(((str(r[0]), str(r[1])) for r in described), 1):
        column = sql_ident(name)
        parts = [(name, column, kind)]
        if name.strip() == "facts" and kind.startswith("STRUCT("):
            fields = con.execute(f"DESCRIBE SELECT {column}.* FROM {source}").fetchall()
            parts = [(FACT_PREFIX + str(f[0]), f"{column}.{sql_ident(str(f[0]))}", str(f[1]))
                     for f in fields]
        for part, expression, part_kind in parts:
            found.names.append(part)
            found.cells.append(_text_cell(expression, part_kind))
            found.columns.append(position)
    return found


def _text_cell(expression: str, kind: str) -> str:
    """A Parquet value of DuckDB type `kind` as text (see `parquet_cells`)."""
    if kind in _TIMESTAMPS:
        return (f"CASE WHEN {expression} = CAST({expression} AS DATE) "
                f"THEN CAST(CAST({expression} AS DATE) AS VARCHAR) "
                f"ELSE CAST({expression} AS VARCHAR) END")
    return f"CAST({expression} AS VARCHAR)"


class SourceSql:
    """The SELECTs reading scenario files on one connection, for the terms' vocabulary."""

    def __init__(self, con: duckdb_module.DuckDBPyConnection, vocabulary: m.Vocabulary,
                 world: Mapping[str, tuple[str, str]] | None = None) -> None:
        self.con = con
        self.vocabulary = vocabulary
        self.facts = list(vocabulary.facts)
        #: The facts of the whole check (`engines.world.world_cells`): each row that
        #: gives no value of its own reads the fact's cell as its text, or JSON.
        self.world = dict(world or {})
        #: The cells of each CSV file's header, by the file's index.
        self.widths: dict[int, int] = {}

    def _held(self, column: str, cell: str, family: str) -> str:
        """`cell` (a fact column's), or the check's fact where it is NULL."""
        held = self.world.get(column)
        if held is None:
            return cell
        return f"coalesce({cell}, {sql_string(held[family == 'json'])})"

    def select(self, index: int, path: str, kind: str) -> str | None:
        """The SELECT of one file's rows as text: fi, line, fam, bad and each field's text."""
        if kind == "jsonl":
            return self.select_jsonl(index, path)
        if kind == "csv":
            names = csv_header(path)
            header = None if names is None else header_fields(names, self.vocabulary)
            if header is None:
                return None
            self.widths[index] = len(header)
            source = (f"read_csv({sql_string(path)}, header = false, skip = 1, "
                      "delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
                      "strict_mode = true, null_padding = false, columns = {"
                      + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "})")
            cells = [f"c{i}" for i in range(len(header))]
            return self.select_cells(index, source, header, cells, "ordinality + 1")
        read = parquet_cells(self.con, path)
        columns = header_fields(read.names, self.vocabulary)
        if columns is None:
            return None
        return self.select_cells(index, read.source, columns, read.cells, "ordinality")

    def select_cells(self, index: int, source: str, columns: list[str], cells: list[str],
                      line: str) -> str:
        """Rows of a table of text cells (CSV, Parquet), named by `columns`."""
        by_name = dict(zip(columns, cells, strict=True))
        parts = [f"{index} AS fi", f"{line} AS line", "'text' AS fam"]
        for name in NAME_FIELDS:
            cell = by_name.get(name)
            parts.append(f"NULLIF(trim({cell}, ' '), '') AS {sql_ident(name)}" if cell
                         else f"NULL::VARCHAR AS {sql_ident(name)}")
        for name in VALUE_FIELDS:
            cell = by_name.get(name)
            parts.append(f"NULLIF({cell}, '') AS {sql_ident(name)}" if cell
                         else f"NULL::VARCHAR AS {sql_ident(name)}")
        for fact in self.facts:
            cell = by_name.get(FACT_PREFIX + fact)
            column = fact_column(fact)
            text = self._held(column, f"NULLIF({cell}, '')" if cell else "NULL::VARCHAR", "text")
            parts.append(f"{text} AS {sql_ident(column)}")
        # A cell holding control characters (a tab, a line break) is the reader's to judge.
        odd = [f"coalesce(regexp_matches({c}, '[\\x00-\\x1f\\x7f]'), false)" for c in cells]
        parts.append("(" + (" OR ".join(odd) or "false") + ") AS bad")
        parts.append("NULL::UTINYINT AS nk, NULL::BOOLEAN AS nf")
        return f"SELECT {', '.join(parts)} FROM {source} WITH ORDINALITY"

    def select_jsonl(self, index: int, path: str, precise: bool = False) -> str:
        """Rows of a JSON Lines file; `precise`: each line's keys checked on the line.

        Declared columns read a line's fields, and would drop its other keys in
        silence. A line whose keys are all known, each given once, none null,
        has as many keys as fields and facts not NULL (``nk``); as each line
        has at least as many, the sums over the file are equal only if each
        line's are. The file's colons are compared with them first (each key
        is followed by one: `engines.duckdb`), then, if they differ,
        `keys_and_commas` counts each line's keys. Otherwise `precise`
        reads each line for its keys and, once, for its fields; only a line
        whose counts differ has its keys looked at one by one.

        DuckDB's JSON reader takes a comma after an object's last member, which
        is not JSON: the file's commas are counted too, and must be those
        between the members of its objects (``nk``, less one a row, and one
        more for a row whose facts, ``nf``, hold any). A comma in a string makes
        them differ too: the Python reader then reads the file.
        """
        if not precise:
            return self.select_jsonl_columns(index, path)
        structure = json.dumps(dict.fromkeys(FIELDS, "JSON"))
        facts_structure = json.dumps(dict.fromkeys(self.facts, "JSON"))

        def typed(item: str, allowed: str) -> str:
            return f"coalesce(json_type({item}) NOT IN ({allowed}), false)"

        def keys_bad(keys: str, present: list[str], allowed: Sequence[str]) -> str:
            count = " + ".join(f"({p} IS NOT NULL)::INT" for p in present) or "0"
            listed = "[" + ", ".join(sql_string(a) for a in allowed) + "]::VARCHAR[]"
            return (f"CASE WHEN len({keys}) = {count} THEN false ELSE "
                    f"NOT list_has_all({listed}, {keys}) "
                    f"OR list_unique({keys}) <> len({keys}) END")

        fields = {f: f"t.{sql_ident(f)}" for f in FIELDS}
        facts = {f: f"ft.{sql_ident(f)}" for f in self.facts}
        parts = [f"{index} AS fi", "line", "'json' AS fam"]
        bad = [keys_bad("k", list(fields.values()), FIELDS),
               typed(fields["facts"], "'OBJECT', 'NULL'"),
               f"coalesce({keys_bad('fk', list(facts.values()), self.facts)}, false)"]
        raw = [(name, fields[name]) for name in VALUE_FIELDS]
        raw += [(fact_column(f), facts[f]) for f in self.facts]
        self._json_cells([(name, fields[name]) for name in NAME_FIELDS], raw, parts, bad)
        parts.append("(" + " OR ".join(bad) + ") AS bad")
        parts.append("NULL::UTINYINT AS nk, NULL::BOOLEAN AS nf")
        facts_of = (f"json_transform(t.facts, {sql_string(facts_structure)})" if self.facts
                    else "NULL")
        return (f"SELECT {', '.join(parts)} FROM (SELECT line, t, k, "
                f"{facts_of} AS ft, json_keys(t.facts) AS fk FROM (SELECT ordinality AS line, "
                f"json_transform(j, {sql_string(structure)}) AS t, json_keys(j) AS k "
                f"FROM read_ndjson_objects({sql_string(path)}) "
                "WITH ORDINALITY AS x(j, ordinality)))")

    def select_jsonl_columns(self, index: int, path: str) -> str:
        """Rows of a JSON Lines file read with declared columns (see `select_jsonl`)."""
        facts_type = ("STRUCT(" + ", ".join(f"{sql_ident(f)} JSON" for f in self.facts) + ")"
                      if self.facts else "JSON")
        columns = ", ".join(f"{sql_string(f)}: 'JSON'" for f in FIELDS if f != "facts")
        columns += f", 'facts': {sql_string(facts_type)}"

        def typed(item: str, allowed: str) -> str:
            return f"coalesce(json_type({item}) NOT IN ({allowed}), false)"

        parts = [f"{index} AS fi", "ordinality AS line", "'json' AS fam"]
        bad = ["false"] if self.facts else [typed("facts", "'OBJECT', 'NULL'")]
        raw = [(name, sql_ident(name)) for name in VALUE_FIELDS]
        raw += [(fact_column(f), f"facts.{sql_ident(f)}") for f in self.facts]
        self._json_cells([(name, sql_ident(name)) for name in NAME_FIELDS], raw, parts, bad)
        parts.append("(" + " OR ".join(bad) + ") AS bad")
        given = [f"({sql_ident(f)} IS NOT NULL)::UTINYINT" for f in FIELDS]
        facts_given = "false"
        if self.facts:
            given.append("coalesce(" + " + ".join(f"(facts.{sql_ident(f)} IS NOT NULL)::UTINYINT"
                                                  for f in self.facts) + ", 0)")
            facts_given = "coalesce(" + " OR ".join(f"facts.{sql_ident(f)} IS NOT NULL"
                                                    for f in self.facts) + ", false)"
        parts.append("(" + " + ".join(given) + ")::UTINYINT AS nk")
        parts.append(f"{facts_given} AS nf")
        return (f"SELECT {', '.join(parts)} FROM read_json({sql_string(path)}, "
                "format = 'newline_delimited', records = true, "
                f"columns = {{{columns}}}) WITH ORDINALITY")

    def _json_cells(self, names: Sequence[tuple[str, str]], values: Sequence[tuple[str, str]],
                    parts: list[str], bad: list[str]) -> None:
        """The columns, and the tests for `bad`, of JSON items: names, and values as JSON text.

        An item of DuckDB's type JSON is its value written anew, compactly
        (JSON null: NULL), so its first character tells its type: a string
        starts with a quote, and holds a backslash only if it is escaped. The
        text is looked at, not parsed: a name without escapes is the text
        inside its quotes (`json_extract_string` reads the others).
        """
        for name, item in names:
            parts.append(f"CASE WHEN starts_with({item}, '\"') THEN CASE WHEN "
                         f"contains({item}, '\\') THEN json_extract_string({item}, '$') "
                         f"ELSE {item}[2:-2] END END AS {sql_ident(name)}")
            bad.append(f"coalesce(NOT starts_with({item}, '\"'), false)")
        for name, item in values:
            string_or_bool = f"(starts_with({item}, '\"') OR {item} IN ('true', 'false'))"
            text = f"CASE WHEN {string_or_bool} THEN CAST({item} AS VARCHAR) END"
            parts.append(f"{self._held(name, text, 'json')} AS {sql_ident(name)}")
            bad.append(f"coalesce(NOT {string_or_bool}, false)")

    def jsonl_as_read(self, index: int, path: str, rows: int, keys: int, faceted: int,
                      counted: Sequence[int]) -> bool:
        """Whether the JSON Lines file `index` holds what its `rows` read, as the Python
        reader reads them (see `select_jsonl`): their `keys` (the sum of ``nk``), as
        many as its colons, else each line's counted; commas only between them.

        `faceted`: the rows whose facts hold any (``nf``); `counted`: the file's
        colons and commas (`Hashing`).
        """
        colons, commas = counted
        given, between = ((keys, keys - rows - faceted) if keys == colons
                          else self.keys_and_commas(path))
        if commas != between and self.trailing_commas(path):
            return False
        if given == keys:
            return True
        found = self.con.execute(f"SELECT count(*) FROM ({self.select_jsonl(index, path, True)}) "
                                 "WHERE bad").fetchone()
        return found is not None and not found[0]

    def keys_and_commas(self, path: str) -> tuple[int, int]:
        """The keys of the JSON Lines file's lines and their facts, over the file, and the
        commas between them: those the file holds if it holds no other (see
        `select_jsonl`)."""
        found = self.con.execute(
            "SELECT coalesce(sum(k + f), 0), coalesce(sum(greatest(k - 1, 0) "
            "+ greatest(f - 1, 0)), 0) FROM (SELECT len(json_keys(j)) AS k, "
            "coalesce(len(json_keys(j, '$.facts')), 0) AS f "
            f"FROM read_ndjson_objects({sql_string(path)}) t(j))").fetchone()
        return (0, 0) if found is None else (int(found[0]), int(found[1]))

    def csv_as_read(self, index: int, path: str, lines: int, counted: Sequence[int]) -> bool:
        """Whether no line of the CSV file `index` has more cells than its header: DuckDB's
        reader drops empty cells past the last, which the Python reader refuses.

        `counted`: the file's commas (`Hashing`), as many as a line has cells,
        less one, on each of its `lines`, unless a quoted cell holds some: then
        each line's commas outside its quotes are counted.
        """
        commas = self.widths[index] - 1
        if counted[0] == commas * lines:
            return True
        found = self.con.execute(
            f"SELECT count(*) FROM {_raw_lines(path)} WHERE {_commas('l')} > {commas} "
            f"AND {_commas(f'regexp_replace(l, {_QUOTED}, {_EMPTY}, {_ALL})')} > {commas}"
        ).fetchone()
        return found is not None and not found[0]

    def trailing_commas(self, path: str) -> bool:
        """Whether a line of the JSON Lines file holds a comma outside its strings that only
        spaces part from a closing brace or bracket, or from the line's end: DuckDB's
        JSON reader takes one, which is not JSON.

        Each line is read as text; only a line with such a comma anywhere has its
        strings taken out (each string is one token: quotes inside it are escaped).
        """
        found = self.con.execute(
            f"SELECT count(*) FROM {_raw_lines(path)} WHERE regexp_matches(l, {_TRAILING}) "
            f"AND regexp_matches(regexp_replace(l, {_STRING}, {_EMPTY}, {_ALL}), {_TRAILING})"
        ).fetchone()
        return found is not None and int(found[0]) > 0


def _raw_lines(path: str) -> str:
    """The lines of a file, each as it is (``l``), as DuckDB's CSV reader cuts them."""
    return (f"read_csv({sql_string(path)}, columns = {{'l': 'VARCHAR'}}, header = false, "
            "delim = '\x01', quote = '', escape = '', auto_detect = false, "
            f"max_line_size = {limits.MAX_LINE_BYTES.value() + 2})")


def _commas(text: str) -> str:
    return f"(length({text}) - length(replace({text}, ',', '')))"


def read_lines(path: str, wanted: Sequence[int], block_bytes: int = 1 << 20) -> list[bytes]:
    """The lines of a file numbered `wanted` (from 1, ascending), without their line breaks.

    The file is read in blocks; only a block that ends a wanted line is cut
    into lines. A number past the file's last line is not found.
    """
    found: list[bytes] = []
    numbers = iter(wanted)
    target = next(numbers, None)
    line = 1  # the number of the line that `carry` begins
    carry = b""
    with open(path, "rb") as stream:
        while target is not None:
            block = stream.read(block_bytes)
            if not block:
                if carry and target == line:
                    found.append(carry)  # the last line, without a line break
                break
            data = carry + block
            ends = data.count(b"\n")  # lines `line` ... `line + ends - 1` end here
            if target >= line + ends:
                carry = data[data.rfind(b"\n") + 1:] if ends else data
            else:
                lines = data.split(b"\n")
                while target is not None and target < line + ends:
                    found.append(lines[target - line])
                    target = next(numbers, None)
                carry = lines[-1]
            line += ends
    return found


def insert_rows(con: duckdb_module.DuckDBPyConnection, table: str, types: Sequence[str],
                rows: Sequence[Sequence[object]]) -> None:
    """Insert `rows` (of values of SQL `types`) into `table`, in one statement.

    Each column is bound as one list, which SQL unnests: a statement with
    a parameter per value is slow to bind, and `executemany` runs one per row.
    """
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    unnested = ", ".join(f"unnest(?::{kind}[])" for kind in types)
    con.execute(f"INSERT INTO {table} SELECT * FROM (SELECT {unnested})", columns)


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A comma that only spaces part from a closing brace or bracket, or from the line's end.
_TRAILING = sql_string(r",[ \t\r]*([]}]|$)")
#: A JSON string; a quoted CSV cell.
_STRING = sql_string(r'"(?:[^"\\]|\\.)*"')
_QUOTED = sql_string(r'"(?:[^"]|"")*"')
_EMPTY, _ALL = sql_string(""), sql_string("g")


def undeclared(column: str, names: Mapping[str, object]) -> str:
    """True when `column` holds a name not in `names` (NULL when it holds none)."""
    if not names:
        return f"({column} IS NOT NULL OR NULL)"
    return f"{column} NOT IN ({', '.join(sql_string(n) for n in names)})"


def header_fields(names: list[str], vocabulary: m.Vocabulary) -> list[str] | None:
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


def csv_header(path: str) -> list[str] | None:
    """The column names of a CSV file's first line, if it is a plain one-line header."""
    with open(path, "rb") as stream:
        first = stream.readline(limits.MAX_LINE_BYTES.value() + 1)
    try:
        text = first.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    if '"' in text or not text.endswith("\n"):
        return None
    try:
        return next(csv.reader([text.rstrip("\r\n")]), None)
    except csv.Error:
        return None  # a carriage return alone, say: the CSV reader explains


def file_sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Hashing:
    """Each file's sha256, lines (None for Parquet; no sha256 for a line too long) and
    colons and commas (JSON Lines), or commas (CSV), read in a thread of their own.

    The thread is a daemon: a check that stops (an error, Ctrl-C, SIGTERM)
    does not wait for it to read the files to their end.
    """

    def __init__(self, paths: Sequence[str], formats: Sequence[str]) -> None:
        self._found: list[tuple[str | None, int | None, tuple[int, ...]]] = []
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(paths, formats), daemon=True,
                                        name="dealcheck-hashing")
        self._thread.start()

    def _read(self, paths: Sequence[str], formats: Sequence[str]) -> None:
        from dealcheck.scenario.read import sha256_lines_and_count

        try:
            for path, kind in zip(paths, formats, strict=True):
                self._found.append((file_sha256(path), None, ()) if kind == "parquet"
                                   else sha256_lines_and_count(path, b":," if kind == "jsonl"
                                                               else b","))
        except BaseException as error:  # handed to `result`
            self._failed = error

    def result(self) -> list[tuple[str | None, int | None, tuple[int, ...]]]:
        self._thread.join()
        if self._failed is not None:
            raise self._failed
        return self._found
