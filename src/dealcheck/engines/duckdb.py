"""The DuckDB engine: bulk inventories read, validated and keyed in SQL; each key judged once.

`duckdb_run` reads the CSV, JSON Lines and Parquet files of a check with
DuckDB, every cell as text (nothing is guessed), and validates them in SQL:
the shape of each row, declared names, ids (printable, unique across the
files, by a GROUP BY). The files are read by a view, ``src``, never copied
into a table. First, one scan of it writes the table ``keyed`` (below)
with no text judged beforehand (`_Session._canonical`): each text of a
date, quantity or fact is converted in SQL only if written in a canonical
form (``2025-01-05``, ``true``, ``825M USD``: `ValueJudge.strict`), whose
conversion agrees with the scenario reader's (its first rows, typed so
first, must be: `PROBE_ROWS`). Each file's rows are then counted in the
table, and only the texts of the quantities aggregates sum are judged,
from it. If any text is not in canonical form, or any row not valid, the
table is dropped and two scans follow: one (`_Session._survey`)
counts each file's rows and finds the distinct texts that need the
scenario reader's rules — dates, quantities, facts. Those are few and
repeat: each is judged once by `DeploymentValidator`, and each row finds
its text's verdict by an SQL conversion checked against them, or in list
literals at the slot of the text's hash (`engines.slots`), without a join;
the second scan writes ``keyed``. A JSON Lines file is read
with declared columns, which would drop other keys in silence: its colons,
counted while it is hashed, must be as many as the fields and facts read
(else each line's keys are counted, see `SourceSql.select_jsonl`), and its
commas those between them (DuckDB's JSON reader takes a comma after an
object's last member, which is not JSON; else each line is looked at). A row
that is not plainly valid makes the engine step aside (`duckdb_run` gives
None): the Python reader then reads the files and reports every problem,
located, exactly as ``--engine python`` does. Parquet, which the Python
reader does not read, is then read row by row (`engines.parquet`).

How each file is read as rows of text is `engines.sources`; how the texts of
dates, quantities and facts are judged, `engines.values`; how each row is
typed (the view ``rows``), `engines.rows`.

The table ``keyed`` holds the valid rows: each row's key, computed in SQL
by the evaluation plan (`engines.plan`), is kept as its hash (the plan is
for the (party, workload) pairs the survey found, or, with no survey, for
every declared one). The table is written in parallel and in input order, so a
row's line is found from its place in it (unless the query joins, which
keeps no order: then lines are read). One row per distinct
key, its representative, is read again from its line (`read_lines`) and
judged by the compiled evaluators (the reference evaluator behind them
builds the findings); each row finds its key's outcome by the hash, in input
order. For the JSON, JSON Lines and Parquet reports (a `RowsRenderer`), each
outcome's row is rendered once per file with stand-ins for the id, the date
and the line, and SQL fills in every row's template (`engines.render`): no
result object is built per row.
Aggregates: SQL marks, for each tally, the rows that count and how (the
plan's `Sighting`, a flag of the table ``keyed``), in input order;
`Tally.record` sums them as the Python engine does.

Memory: the database is in memory, and DuckDB works within `MEMORY_LIMIT`:
beyond it, its tables and queries spill to a temporary directory, removed
after the check. ``jobs`` is its thread count (by default, one a core).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlglot import exp

from dealcheck import limits
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.codegen import Outcome
from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    RenderedRows,
    ReportMeta,
    RowsRenderer,
    SourceRef,
)
from dealcheck.engines import usable_cores
from dealcheck.engines.formats import BULK_FORMATS, reads_with_duckdb
from dealcheck.engines.parquet import explain_parquet
from dealcheck.engines.plan import EvaluationPlan, fact_column
from dealcheck.engines.render import render_rows
from dealcheck.engines.rows import typed_rows
from dealcheck.engines.sources import (
    BATCH,
    NAME_FIELDS,
    VALUE_FIELDS,
    Hashing,
    SourceSql,
    read_lines,
    sql_ident,
)
from dealcheck.engines.values import ValueJudge, json_value
from dealcheck.engines.world import world_cells
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import FactValue, SourceLocation, written_facts

if TYPE_CHECKING:
    import duckdb as duckdb_module

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["BULK_FORMATS", "MEMORY_LIMIT", "duckdb_run", "reads_with_duckdb"]

#: How much memory DuckDB may hold before it spills to its temporary directory.
MEMORY_LIMIT = "256MB"

_EPOCH = dt.date(1970, 1, 1)
#: A row's number ``rn`` is its file's index, shifted, plus its line: the line's bits.
_LINE = (1 << 40) - 1
_ONE = Decimal(1)

#: How many rows are typed first (`_Session._probe`), before all are, in one scan.
PROBE_ROWS = 2048


@contextlib.contextmanager
def duckdb_run(terms: ReadyTerms, paths: Sequence[str | Path], as_of: dt.date | None,
               jobs: int | None = None, rows: Callable[[], RowsRenderer] | None = None,
               facts: Mapping[str, FactValue] | None = None) -> Iterator[CheckRun | None]:
    """The check of bulk scenario files as a `CheckRun`, or None: read them with the Python reader.

    None means some row is not plainly valid (or the files are not what the
    engine reads): the Python reader then explains, or checks, them.

    Args:
        terms: the terms.
        paths: CSV, JSON Lines or Parquet files (see `reads_with_duckdb`).
        as_of: the evaluation date; None judges each deployment on its start.
        jobs: DuckDB's threads; None: one a core (`usable_cores`).
        rows: how the report's format renders a row: the run's results are
            then `RenderedRows`, rendered in SQL (`engines.render`).
        facts: the facts of the whole check (``--fact``): each row without its
            own value holds them (`engines.world`).

    Raises:
        DiagnosticsError: for every problem found in the files' rows, located: by the
            Python reader in CSV and JSON Lines files, as ``--engine python`` does
            (when the engine found a row it refuses), and in Parquet files.
    """
    import duckdb

    temp = tempfile.mkdtemp(prefix="dealcheck-duckdb-")
    try:
        # In memory: tables and queries that outgrow `MEMORY_LIMIT` spill to `temp`.
        con = duckdb.connect(":memory:", config={
            "threads": max(1, jobs or usable_cores()), "memory_limit": MEMORY_LIMIT,
            "temp_directory": temp, "preserve_insertion_order": True})
        try:
            session = _Session(terms, [str(p) for p in paths], as_of, con, rows, facts,
                               temp)
            try:
                run = session.open()
            except duckdb.Error:
                run = None  # DuckDB could not read a file as the Python reader would
            if run is None:
                # The Python reader does not read Parquet: its rows are read here.
                run = explain_parquet(terms, session.paths, as_of, con, session.judge.validator,
                                      session.world)
            if run is None and session.refused:
                # A row the reader refuses: it reads the files only to say why, at once
                # (it would otherwise check them first, then read them again to explain).
                from dealcheck.scenario.read import open_scenarios

                open_scenarios(session.paths, terms.vocabulary, facts=session.world)
            yield run
        finally:
            con.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


class _Survey(NamedTuple):
    """What one scan of `src` finds (`_Session._survey`); with no survey, the rows and
    keys counted in the table written (`_Session._keyed`), and no texts or pairs."""

    #: Each file's rows, by its index.
    rows: dict[int, int]
    #: The keys found in each JSON Lines file's rows (the sum of ``nk``).
    keys: dict[int, int]
    #: The rows of each JSON Lines file whose facts hold any (the count of ``nf``).
    faceted: dict[int, int]
    #: Each value column's distinct (family, text), by its name (``start``, ``fact:NAME``).
    texts: dict[str, set[tuple[str, str]]]
    #: The distinct (party, workload) of the rows.
    pairs: set[tuple[str | None, str | None]]


class _Session:
    """One check on one DuckDB connection: the view `src`, the tables `keyed` and `keys`."""

    def __init__(self, terms: ReadyTerms, paths: list[str], as_of: dt.date | None,
                 con: duckdb_module.DuckDBPyConnection,
                 rows: Callable[[], RowsRenderer] | None = None,
                 world: Mapping[str, FactValue] | None = None, temp: str = "") -> None:
        self.terms = terms
        self.temp = temp
        self.world = dict(world or {})
        self.rows = rows
        self.paths = paths
        self.as_of = as_of
        self.con = con
        self.vocabulary = terms.vocabulary
        self.facts = list(self.vocabulary.facts)
        self.sql = SourceSql(con, self.vocabulary, world_cells(self.world))
        self.judge = ValueJudge(con, self.vocabulary)
        self.formats: list[str] = []
        self.survey = _Survey({}, {}, {}, {}, set())
        #: Whether `keyed` is written by a query that joins (`engines.rows.typed_rows`).
        self.joined = False
        #: Whether a row was found that the scenario reader refuses (`open` gave None).
        self.refused = False

    # -- reading -----------------------------------------------------------------

    def open(self) -> CheckRun | None:
        from dealcheck.checker.files import CheckRun

        if not self._read():
            return None
        book = AggregateBook(self.terms.compiled(), self.as_of)
        found = self._canonical(book)
        if found is None and self.refused:
            return None  # too many rows: the reader's diagnostics
        if found is None:  # a text not in canonical form, or a row not valid: two scans
            self.survey = self._survey()
            total = sum(self.survey.rows.values())
            self.refused = total > limits.MAX_DEPLOYMENTS.value()
            if total == 0 or self.refused:
                return None  # an empty file, or too many rows: the reader's diagnostics
            self.judge.judge_all(self.survey.texts)
            plan = self._plan(self.survey.pairs)
            self.refused = self._keyed(plan, book) != total
            if self.refused:
                return None  # a row not valid: the reader explains
        else:
            plan, total = found
        self.refused = bool(self._scalar(
            "SELECT count(*) FROM (SELECT id FROM keyed GROUP BY id HAVING count(*) > 1)"))
        if self.refused:
            return None  # ids given twice: the reader explains
        outcomes = self._key_outcomes()
        sources = self._sources(self.hashing.result())
        if outcomes is None or sources is None:
            return None
        meta = ReportMeta(SourceRef(self.terms.path, self.terms.sha256), tuple(sources),
                          self.as_of, facts=written_facts(self.world))
        results: Iterator[DeploymentResult | RenderedRows] = (
            self._results(outcomes) if self.rows is None
            else render_rows(self.con, self.paths, outcomes, self.rows(), self.temp))
        return CheckRun(meta, results, self._aggregates(plan, book), False, total)

    def _read(self) -> bool:
        """The view `src` of every file's rows, each cell as text (`SourceSql`); False if
        a file is not one the engine reads.

        `src` is a view, read again by each query on it: the files' rows are
        never held, as text, in a table.
        """
        kinds = [BULK_FORMATS.get(Path(path).suffix.lower()) for path in self.paths]
        if any(kind is None or not Path(path).is_file()
               for kind, path in zip(kinds, self.paths, strict=True)):
            return False
        self.formats = [str(kind) for kind in kinds]
        selects = [self._select(index, path) for index, path in enumerate(self.paths)]
        if any(select is None for select in selects):
            return False
        self.con.execute("CREATE OR REPLACE VIEW src AS " + " UNION ALL ".join(map(str, selects)))
        # The files' hashes, lines and colons are read in a thread while DuckDB reads the
        # files (`_sources` checks them once the keys are judged).
        self.hashing = Hashing(self.paths, self.formats)
        return True

    def _canonical(self, book: AggregateBook) -> tuple[EvaluationPlan, int] | None:
        """The plan and the table ``keyed`` of every row, written in one scan of `src` if
        each text of a date, quantity or fact is in canonical form (`ValueJudge.strict`)
        and each row valid; and how many rows the files hold. None (nothing written)
        otherwise, or if there are no rows or too many.

        No text is judged first: the plan is for every declared (party, workload).
        Each file's rows and keys (`_Survey`) are counted in the table, and the texts
        of the quantities the aggregates sum are judged from it.
        """
        vocabulary = self.vocabulary
        plan = self._plan((p, w) for p in vocabulary.parties for w in vocabulary.workloads)
        total = self._keyed(plan, book, strict=True)
        if total is None:
            return None
        texts: dict[str, set[tuple[str, str]]] = {name: set() for name in ("capacity", "value")}
        for name in texts:
            raw = sql_ident("raw:" + name)
            if raw.strip('"') in self._columns("keyed_rows"):
                texts[name].update(self.con.execute(
                    f"SELECT DISTINCT fam, {raw} FROM keyed WHERE {raw} IS NOT NULL").fetchall())
        self.judge.judge_all(texts)
        return plan, total

    def _columns(self, table: str) -> list[str]:
        return [str(d[0]) for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]

    def _sources(self, found: Sequence[tuple[str | None, int | None, tuple[int, ...]]]
                 ) -> list[SourceRef] | None:
        """The files as the report names them, given what `Hashing` found in each; None
        if `src` may not have read them as the Python reader does.

        Line numbers are row numbers only when every line is a row: blank lines,
        records across lines, skipped rows and a line over the limit go to the
        Python reader. A JSON Lines file must hold what its rows read, as JSON
        (`SourceSql.jsonl_as_read`: no key but those read, no comma after an
        object's last member); each line of a CSV file, no more cells than its
        header (`SourceSql.csv_as_read`).
        """
        if any(sha256 is None for sha256, _, _ in found):
            self.refused = True
            return None  # a line over the limit: the reader says so
        for fi, (kind, (_, lines, counted)) in enumerate(zip(self.formats, found, strict=True)):
            rows = self.survey.rows.get(fi, 0)
            if lines is not None and rows != lines - (kind == "csv"):
                return None
            if kind == "jsonl" and not self.sql.jsonl_as_read(
                    fi, self.paths[fi], rows, self.survey.keys.get(fi, 0),
                    self.survey.faceted.get(fi, 0), counted):
                self.refused = True
                return None  # a key not read, one given twice, a comma before `}`
            if kind == "csv" and lines is not None and not self.sql.csv_as_read(
                    fi, self.paths[fi], lines, counted):
                self.refused = True
                return None  # a row with more cells than the header: the reader says so
        return [SourceRef(path, str(sha256))
                for path, (sha256, _, _) in zip(self.paths, found, strict=True)]

    def _select(self, index: int, path: str) -> str | None:
        """The SELECT of the rows of file `index`, read from `path` (the file, or some of
        its lines), as `src` reads them; None if the engine does not read it."""
        return self.sql.select(index, path, self.formats[index])

    def _survey(self) -> _Survey:
        """What the check needs before it types the rows of `src` (`_Survey`), in one scan."""
        names = (*VALUE_FIELDS, *map(fact_column, self.facts))
        texts = ", ".join(f"list(DISTINCT {sql_ident(n)}) FILTER (WHERE {sql_ident(n)} "
                          "IS NOT NULL)" for n in names)
        survey = _Survey({}, {}, {}, {name: set() for name in names}, set())
        # No row's line is read: numbering rows (WITH ORDINALITY) would read the files
        # on one thread.
        for fi, rows, keys, faceted, pairs, *found in self.con.execute(
                "SELECT fi, count(*), sum(nk), count(*) FILTER (WHERE nf), "
                f"list(DISTINCT [party, workload]), {texts} FROM src GROUP BY fi").fetchall():
            survey.rows[int(fi)] = int(rows)
            if keys is not None:
                survey.keys[int(fi)] = int(keys)
                survey.faceted[int(fi)] = int(faceted)
            survey.pairs.update((p, w) for p, w in pairs)
            family = "json" if self.formats[int(fi)] == "jsonl" else "text"
            for name, distinct in zip(names, found, strict=True):
                survey.texts[name].update((family, str(t)) for t in distinct or ())
        return survey

    def _scalar(self, sql: str) -> int:
        found = self.con.execute(sql).fetchone()
        return 0 if found is None or found[0] is None else int(found[0])


    def _plan(self, given: Iterable[tuple[str | None, str | None]]) -> EvaluationPlan:
        """The evaluation plan for the (party, workload) pairs `given` (the declared ones)."""
        vocabulary = self.vocabulary
        pairs = sorted((p, w) for p, w in given
                       if p in vocabulary.parties and w in vocabulary.workloads)
        return EvaluationPlan(self.terms.compiled(), {n: f.type for n, f in
                                                      vocabulary.facts.items()},
                              self.as_of, pairs)

    def _keyed(self, plan: EvaluationPlan, book: AggregateBook,
               strict: bool = False) -> int | None:
        """The view `keyed` of the valid rows, in one query over `src`: each row's
        ``rn``, ``fi``, ``line``, ``fam``, ``id``, ``day``, its key's hash ``kh``,
        and what the aggregates read (``start``, the texts of their quantities and,
        for each of `EvaluationPlan.sightings`, ``s<index>``: NULL for a row it
        does not see, else 1 if it certainly counts plus 2 if its quantity is
        of the limit's dimension).

        Its table holds only what cannot be computed from another column
        (``fi``, ``line`` and ``fam`` are ``rn``'s, and ``rn`` is the file's
        part of it plus the row's place in the table). Returns how many rows it
        holds: fewer than `src` if some are not valid. The key's columns are not
        kept (a row is many of them), but a second hash of them, ``kh2``, which
        `_key_outcomes` compares within each ``kh``.

        `strict`: the texts are typed only if in canonical form (`typed_rows`), and
        the table holds every row, with ``bad`` and ``nk``, which count each file's
        rows and keys (`_Survey`). None (and no table) if a row is not valid (or a
        text not canonical), or if there are no rows or too many.
        """
        names, self.joined = typed_rows(self.con, self.judge, strict)
        if strict and not self._probe():
            self.con.execute("DROP VIEW rows")
            return None
        key = [sql_ident(name) for name, _ in plan.key()]
        kept = {"id"}
        flags: list[str] = []
        for sighting in plan.sightings(book.tallies):
            kept.add("start")
            for part in (sighting.counts, sighting.certain, sighting.known):
                kept.update(column.name for column in part.find_all(exp.Column))
            flags.append(f"CASE WHEN {sighting.counts.sql(dialect='duckdb')} THEN "
                         f"({sighting.certain.sql(dialect='duckdb')})::UTINYINT + 2 * "
                         f"({sighting.known.sql(dialect='duckdb')})::UTINYINT END "
                         f"AS s{sighting.index}")
            if sighting.measure is not None:
                kept.add("raw:" + sighting.measure)
        counted = ("bad", "nk", "nf") if strict else ()  # kept in the table
        carry = [n for n in names if n in kept or n == "bad" or n in counted]
        dropped = [*key, *(sql_ident(n) for n in carry if n not in ("id", "start", *counted)
                           and not n.startswith("raw:"))]
        # Unless the query joins, no row's line is read from `src` (WITH ORDINALITY would
        # make DuckDB write the table on one thread): a row's line is found from its
        # place, ``rowid``, in the table, which DuckDB writes in parallel and in input
        # order (a SELECT, WHERE and UNION ALL of one table function keep the order of
        # its rows, and a table the order of their insertion). A join keeps no order.
        self.con.execute(f"CREATE TABLE keyed_rows AS SELECT * EXCLUDE ({', '.join(dropped)}), "
                         f"hash({', '.join(key)}) AS kh, hash({', '.join(reversed(key))}) AS kh2"
                         + "".join(", " + flag for flag in flags)
                         + " FROM (" + plan.select("rows", "duckdb", carry=carry)
                         + (")" if strict else ") WHERE NOT bad"))
        self.con.execute("DROP VIEW rows")
        if strict:
            survey = _Survey({}, {}, {}, {}, set())
            found = self.con.execute(
                "SELECT (rn >> 40)::INTEGER, count(*), sum(nk), count(*) FILTER (WHERE nf), "
                "bool_or(bad) FROM keyed_rows GROUP BY ALL").fetchall()
            for fi, rows, keys, faceted, _ in found:
                survey.rows[int(fi)] = int(rows)
                if keys is not None:
                    survey.keys[int(fi)] = int(keys)
                    survey.faceted[int(fi)] = int(faceted)
            total = sum(survey.rows.values())
            # More rows than the limit: the reader refuses the files whatever their texts.
            self.refused = total > limits.MAX_DEPLOYMENTS.value()
            if any(bad for *_, bad in found) or total == 0 or self.refused:
                self.con.execute("DROP TABLE keyed_rows")
                return None
            self.survey = survey
        families = " ".join(f"WHEN {fi} THEN '{'json' if kind == 'jsonl' else 'text'}'"
                            for fi, kind in enumerate(self.formats))
        # The rows of file `fi` follow those of the files before it; its first is on
        # line 2 of a CSV file (after the header), else on line 1.
        shifts, before = [], 0
        for fi, kind in enumerate(self.formats):
            shifts.append(f"WHEN {fi} THEN {1 + (kind == 'csv') - before}")
            before += self.survey.rows.get(fi, 0)
        numbered = ("keyed_rows" if self.joined else
                    f"(SELECT * REPLACE (rn + rowid + CASE rn >> 40 {' '.join(shifts)} "
                    "END AS rn) FROM keyed_rows)")
        self.con.execute(f"CREATE VIEW keyed AS SELECT *, (rn >> 40)::INTEGER AS fi, "
                         f"rn & {_LINE} AS line, CASE rn >> 40 {families} END AS fam "
                         f"FROM {numbered}")
        return self._scalar("SELECT count(*) FROM keyed_rows")

    def _probe(self) -> bool:
        """Whether the first rows of the view `rows` (`PROBE_ROWS` of them) are all valid: a
        file whose texts are not in canonical form is most often so from its first rows,
        and then the scan of every row is spared."""
        return not self._scalar(f"SELECT count(*) FROM (SELECT bad FROM rows LIMIT {PROBE_ROWS}) "
                                "WHERE bad")

    # -- judging -------------------------------------------------------------------

    def _key_outcomes(self) -> dict[int, Outcome] | None:
        """Each key's outcome, by the key's hash; None if two keys share a hash, or if a
        representative's line does not hold it (a file changed, or its lines are not
        its rows: `_sources` then hands it back too).

        Each row of `keyed` holds its key's hash ``kh``, so that no join is
        needed to find a row's outcome. A key's representative is its first row.
        """
        # Two hashes of each key, its columns in either order: one kh2 within each kh
        # means one key per kh (were two keys to share a kh, their kh2 would differ).
        # Each key's rows counted too: the report's summary (`engines.render`) reads them.
        self.con.execute("CREATE TABLE keys AS SELECT kh, min(rn) AS rep, count(*) AS n, "
                         "min(kh2) = max(kh2) AS one FROM keyed GROUP BY kh")
        if self._scalar("SELECT count(*) FROM keys WHERE NOT one"):
            return None  # pragma: no cover - 64-bit hashes of a few thousand keys collide
        found = self._representatives()
        if found is None:
            return None  # a line gone (a file changed, or lines that are not rows)
        ct = self.terms.compiled()
        outcomes: dict[int, Outcome] = {}
        names = (*VALUE_FIELDS, *self.facts)
        for kh, fi, line, family, *given in found:
            row: dict[str, object] = dict(zip(NAME_FIELDS, given[:5], strict=True))
            facts: dict[str, object] = {}
            for name, text in zip(names, given[5:], strict=True):
                if text is None:
                    continue
                value = json_value(text) if family == "json" else text
                if name in VALUE_FIELDS:
                    row[name] = value
                else:
                    facts[name] = value
            if facts:
                row["facts"] = facts
            if row.get("region") is None:
                row.pop("region", None)
            deployment = self.judge.build(str(family), row, int(line), self.paths[int(fi)])
            if deployment is None:
                return None  # not the row found valid: lines that are not rows (`_sources`)
            result = ct.evaluate(deployment, self.as_of)
            outcomes[int(kh)] = (result.verdict, result.not_covered, result.findings)
        return outcomes

    def _representatives(self) -> list[tuple[Any, ...]] | None:
        """Each key's hash and its representative's texts, read as `src` reads them: ``kh``,
        ``fi``, ``line``, ``fam``, then each name, value and fact column's text.

        The lines of a CSV or JSON Lines file that hold representatives (found
        by `read_lines`) are copied to a file of the temporary directory, which
        the file's own SELECT reads: a scan of a few lines, not of the file.
        Parquet files are scanned. None if a line is no longer in its file.
        """
        raw = ", ".join(sql_ident(n) for n in (*NAME_FIELDS, *VALUE_FIELDS,
                                                *map(fact_column, self.facts)))
        wanted: dict[int, list[int]] = {}
        keyed: dict[tuple[int, int], int] = {}
        for rep, kh in self.con.execute("SELECT rep, kh FROM keys ORDER BY rep").fetchall():
            fi, line = int(rep) >> 40, int(rep) & _LINE
            wanted.setdefault(fi, []).append(line)
            keyed[(fi, line)] = int(kh)
        found: list[tuple[Any, ...]] = []
        for fi, lines in wanted.items():
            kind = self.formats[fi]
            if kind == "parquet":
                rows = self.con.execute(
                    f"SELECT line, fam, {raw} FROM ({self._select(fi, self.paths[fi])}) "
                    f"WHERE line IN (SELECT rep & {_LINE} FROM keys WHERE rep >> 40 = {fi})"
                ).fetchall()
                numbers = {int(row[0]): int(row[0]) for row in rows}
            else:
                header = kind == "csv"  # the header, then the rows (from line 2)
                texts = read_lines(self.paths[fi], [1] * header + lines)
                if len(texts) != len(lines) + header:
                    return None
                part = Path(self.temp) / f"representatives-{fi}{Path(self.paths[fi]).suffix}"
                part.write_bytes(b"".join(text + b"\n" for text in texts))
                rows = self.con.execute(
                    f"SELECT line, fam, {raw} FROM ({self._select(fi, str(part))})").fetchall()
                numbers = {index + 1 + header: line for index, line in enumerate(lines)}
            for line, family, *given in rows:
                at = numbers[int(line)]
                found.append((keyed[(fi, at)], fi, at, family, *given))
        return found if len(found) == len(keyed) else None

    def _results(self, outcomes: dict[int, Outcome]) -> Iterator[DeploymentResult]:
        cursor = self.con.cursor()
        # Days as numbers: a few thousand distinct ones, each made a `date` once.
        cursor.execute("SELECT id, fi, line, day - DATE '1970-01-01', kh FROM keyed ORDER BY rn")
        paths = self.paths
        locate = SourceLocation
        days: dict[int, dt.date] = {}
        while batch := cursor.fetchmany(BATCH):
            for ident, fi, line, number, kh in batch:
                verdict, not_covered, findings = outcomes[kh]
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
                latest = self.con.execute("SELECT max(start) FROM keyed").fetchone()
                book.latest = None if latest is None else latest[0]
            for sighting in plan.sightings(book.tallies):
                tally = book.tallies[sighting.index]
                measure = sighting.measure
                values = {} if measure is None else self.judge.values[measure].found
                # A count adds 1 a row: no quantity to read.
                raw = "NULL" if measure is None else sql_ident("raw:" + measure)
                flag = f"s{sighting.index}"
                query = (f"SELECT id, start, {flag} & 1 = 1, CASE WHEN {flag} >= 2 THEN {raw} "
                         f"END, fam FROM keyed WHERE {flag} IS NOT NULL ORDER BY rn")
                cursor = self.con.cursor()
                cursor.execute(query)
                while batch := cursor.fetchmany(BATCH):
                    for ident, start, certain, text, family in batch:
                        amount = None if measure is not None else _ONE
                        if text is not None:
                            quantity = values[(family, text)]
                            assert isinstance(quantity, Quantity)  # INVARIANT: known
                            amount = quantity.amount
                        tally.record(ident, start, bool(certain), amount)
                cursor.close()
            return book.results()
        return results
