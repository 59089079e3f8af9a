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
reader does not read, is then read row by row (`engines.parquet`).

How each file is read as rows of text is `engines.sources`; how the texts of
dates, quantities and facts are judged, `engines.values`.

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
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from dealcheck import limits
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.codegen import Outcome
from dealcheck.checker.results import AggregateResult, DeploymentResult, ReportMeta, SourceRef
from dealcheck.engines.formats import BULK_FORMATS, reads_with_duckdb
from dealcheck.engines.parquet import explain_parquet
from dealcheck.engines.plan import EvaluationPlan, fact_column, fact_dimension_column
from dealcheck.engines.sources import (
    BATCH,
    NAME_FIELDS,
    VALUE_FIELDS,
    SourceSql,
    file_sha256,
    sql_ident,
    undeclared,
)
from dealcheck.engines.values import ValueJudge
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import SourceLocation
from dealcheck.scenario.validate import REQUIRED_FIELDS

if TYPE_CHECKING:
    import duckdb as duckdb_module

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["BULK_FORMATS", "MEMORY_LIMIT", "duckdb_run", "reads_with_duckdb"]

#: How much memory DuckDB may hold before it spills to its temporary directory.
MEMORY_LIMIT = "256MB"

_EPOCH = dt.date(1970, 1, 1)
_ONE = Decimal(1)
#: A printable ASCII id with no space at either end (other ids: the Python reader decides).
_ID_PATTERN = "[!-~]([ -~]*[!-~])?"


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
                run = explain_parquet(terms, session.paths, as_of, con, session.judge.validator)
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
        self.sql = SourceSql(con, self.vocabulary)
        self.judge = ValueJudge(con, self.vocabulary)
        self.formats: list[str] = []
        self.key_names: list[str] = []

    # -- reading -----------------------------------------------------------------

    def open(self) -> CheckRun | None:
        from dealcheck.checker.files import CheckRun
        from dealcheck.scenario.read import sha256_and_lines

        sources: list[SourceRef] = []
        selects: list[str] = []
        expected: list[int | None] = []
        for index, path in enumerate(self.paths):
            kind = BULK_FORMATS.get(Path(path).suffix.lower())
            if kind is None or not Path(path).is_file():
                return None
            self.formats.append(kind)
            if kind == "parquet":
                sha256, lines = file_sha256(path), -1
            else:
                found, lines = sha256_and_lines(path)
                if found is None:
                    return None  # a line over the limit: the reader says so
                sha256 = found
            select = self.sql.select(index, path, kind)
            if select is None:
                return None
            selects.append(select)
            sources.append(SourceRef(path, sha256))
            expected.append(lines - (kind == "csv") if kind != "parquet" else None)
        self.con.execute("CREATE TABLE src AS " + " UNION ALL ".join(selects))
        precise = [i for i, path in enumerate(self.paths)
                   if self.formats[i] == "jsonl" and not self.sql.keys_match(i, path)]
        if precise:
            for i in precise:
                selects[i] = self.sql.select_jsonl(i, self.paths[i], precise=True)
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
        self.judge.judge_all()
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


    def _typed_rows(self) -> None:
        """The table `rows`: every row typed (`engines.plan.RowColumns`), and `bad` if not valid."""
        vocabulary = self.vocabulary
        joins: list[str] = []
        # INVARIANT: `rn` grows with the file, then the line: the input order.
        columns = ["(s.fi::BIGINT << 40) + s.line AS rn", "s.fi", "s.line",
                   "s.fam", *(f"s.{sql_ident(n)}" for n in NAME_FIELDS)]
        bad = ["s.bad", *(f"s.{sql_ident(n)} IS NULL" for n in REQUIRED_FIELDS if n != "start"),
               "s.start IS NULL",
               f"NOT regexp_full_match(s.id, '{_ID_PATTERN}')",
               undeclared("s.party", vocabulary.parties),
               undeclared("s.workload", vocabulary.workloads),
               undeclared("s.provider", vocabulary.providers),
               f"coalesce({undeclared('s.region', vocabulary.regions)}, false)"]
        for number, name in enumerate((*VALUE_FIELDS, *map(fact_column, self.facts))):
            columns.append(f"s.{sql_ident(name)} AS {sql_ident('raw:' + name)}")
            if self.judge.values[name].found:
                alias = f"v{number}"
                joins.append(f"LEFT JOIN {sql_ident('v_' + name)} {alias} ON {alias}.fam = s.fam "
                             f"AND {alias}.raw = s.{sql_ident(name)}")
                bad.append(f"(s.{sql_ident(name)} IS NOT NULL AND {alias}.ok IS NOT TRUE)")
                value, dim = f"{alias}.v", f"{alias}.dim"
            else:  # no row gives it: no join
                value, dim = f"NULL::{self.judge.sql_type(name)}", "NULL::VARCHAR"
            if name in ("capacity", "value"):
                columns += [f"{value} AS {sql_ident(name + '_amount')}",
                            f"{dim} AS {sql_ident(name + '_dim')}"]
            elif name.startswith("fact:"):
                columns.append(f"{value} AS {sql_ident(name)}")
                columns.append(f"{dim} AS {sql_ident(fact_dimension_column(name[5:]))}")
            else:
                columns.append(f"{value} AS {sql_ident(name)}")
        if self.judge.values["end"].found:
            bad.append("coalesce(v1.v < v0.v, false)")  # end before start
        columns.append("(" + " OR ".join(f"coalesce({b}, true)" for b in bad) + ") AS bad")
        self.con.execute(f"CREATE TABLE rows AS SELECT {', '.join(columns)} FROM src s "
                         + " ".join(joins))
        self.con.execute("DROP TABLE src")

    # -- judging -------------------------------------------------------------------

    def _key_outcomes(self, plan: EvaluationPlan) -> dict[int, Outcome]:
        """Each key's outcome, by its representative row (the first row of the key)."""
        key = self.key_names = [name for name, _ in plan.key()]
        quoted = ", ".join(sql_ident(k) for k in key)
        self.con.execute("CREATE TABLE keyed AS " + plan.select("rows", "duckdb",
                                                                carry=("id", "fi", "line")))
        self.con.execute(f"CREATE TABLE keys AS SELECT min(rn) AS rep, {quoted} "
                         f"FROM keyed GROUP BY {quoted}")
        raw = ", ".join(sql_ident("raw:" + n) for n in (*VALUE_FIELDS,
                                                      *map(fact_column, self.facts)))
        found = self.con.execute(
            f"SELECT r.rn, r.fi, r.line, r.fam, r.id, r.party, r.workload, r.provider, "
            f"r.region, {raw} FROM rows r JOIN keys k ON r.rn = k.rep").fetchall()
        ct = self.terms.compiled()
        outcomes: dict[int, Outcome] = {}
        names = (*VALUE_FIELDS, *self.facts)
        for rn, fi, line, family, *given in found:
            row: dict[str, object] = dict(zip(NAME_FIELDS, given[:5], strict=True))
            facts: dict[str, object] = {}
            for name, text in zip(names, given[5:], strict=True):
                if text is None:
                    continue
                value = json.loads(text, parse_float=Decimal) if family == "json" else text
                if name in VALUE_FIELDS:
                    row[name] = value
                else:
                    facts[name] = value
            if facts:
                row["facts"] = facts
            if row.get("region") is None:
                row.pop("region", None)
            deployment = self.judge.build(str(family), row, int(line), self.paths[int(fi)])
            if deployment is None:  # pragma: no cover - the row was found valid
                raise AssertionError(f"row {line} of {self.paths[int(fi)]} no longer valid")
            result = ct.evaluate(deployment, self.as_of)
            outcomes[int(rn)] = (result.verdict, result.not_covered, result.findings)
        return outcomes

    def _results(self, outcomes: dict[int, Outcome]) -> Iterator[DeploymentResult]:
        on = " AND ".join(f"d.{sql_ident(k)} = k.{sql_ident(k)}" for k in self.key_names)
        cursor = self.con.cursor()
        # Days as numbers: a few thousand distinct ones, each made a `date` once.
        cursor.execute("SELECT d.id, d.fi, d.line, d.day - DATE '1970-01-01', k.rep "
                       f"FROM keyed d JOIN keys k ON {on} ORDER BY d.rn")
        paths = self.paths
        locate = SourceLocation
        days: dict[int, dt.date] = {}
        while batch := cursor.fetchmany(BATCH):
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
                values = {} if measure is None else self.judge.values[measure].found
                # A count adds 1 a row: no quantity to read.
                raw = "NULL" if measure is None else sql_ident("raw:" + measure)
                query = (
                    "SELECT id, start, " + sighting.certain.sql(dialect="duckdb")
                    + ", CASE WHEN " + sighting.known.sql(dialect="duckdb")
                    + f" THEN {raw} END, fam FROM rows WHERE "
                    + sighting.counts.sql(dialect="duckdb") + " ORDER BY rn")
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
