"""The Spark engine: the DuckDB engine's plan on Spark, for inventories beyond one machine.

Install it with ``pip install 'dealcheck[spark]'`` (pyspark; Spark needs a
Java runtime, 17 or later). Two ways in:

- ``dealcheck check TERMS inventory.jsonl --engine spark [--spark-master URL]``
  (`spark_run`): Spark reads the CSV, JSON Lines or Parquet files
  (`engines.spark_read`), validates and keys every row; the distinct keys
  come to the driver, where the reference evaluator judges one row of each,
  and the outcomes go back to the rows in a broadcast join. The report is
  the one ``--engine python`` writes, byte for byte. A row that is not
  plainly valid makes the engine step aside, as the DuckDB engine does: the
  Python reader then reports every problem, located (the DuckDB engine's
  row by row reader for Parquet).
- `check_dataframe` for a pipeline: a DataFrame of deployments in, a
  DataFrame of results out, computed on the cluster. Only the distinct
  evaluation keys (a few thousand for millions of rows) reach the driver.

The work is the DuckDB engine's, written once: the texts of dates,
quantities and facts are judged by `engines.values.ValueJudge`, one per
distinct text; the key is `engines.plan.EvaluationPlan` in Spark's SQL;
each key is judged by the compiled terms.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealcheck import limits
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.codegen import Outcome
from dealcheck.checker.results import AggregateResult, DeploymentResult, ReportMeta, SourceRef
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.engines.formats import file_format
from dealcheck.engines.plan import EvaluationPlan, fact_column, typed_columns
from dealcheck.engines.sources import NAME_FIELDS, VALUE_FIELDS, file_sha256, undeclared
from dealcheck.engines.spark_read import SparkSources
from dealcheck.engines.values import ValueJudge, Values, cell, json_value, sql_value
from dealcheck.engines.world import world_cells
from dealcheck.rules.units import Quantity
from dealcheck.scenario.model import FactValue, SourceLocation, written_facts
from dealcheck.scenario.tree import Entry, Map
from dealcheck.scenario.validate import REQUIRED_FIELDS, UniqueIds

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["DEFAULT_MASTER", "SPARK_INSTALL", "SPARK_UNAVAILABLE", "check_dataframe",
           "spark_run", "spark_session"]

#: What installs the engine.
SPARK_INSTALL = "pip install 'dealcheck[spark]'"
#: Where Spark runs without `--spark-master`: in this process's JVM, a thread a core.
DEFAULT_MASTER = "local[*]"
#: The code of the diagnostic for a Spark that cannot be had (not installed, no Java).
SPARK_UNAVAILABLE = "DC911"
#: Where a DataFrame's rows are located in diagnostics (their line: the row's number).
DATAFRAME = "<dataframe>"

_ID_PATTERN = "^[!-~]([ -~]*[!-~])?$"
#: Characters that Spark's file names read as patterns (globs, a scheme).
_PATTERN_CHARACTERS = frozenset("*?[]{}\\:,")
#: Spark logs only errors, and shows no progress bars: the report's streams stay clean.
#: (Its own loggers configured at the root's level, Spark announces no level of its own.)
_QUIET_LOG = """\
rootLogger.level = error
logger.apache.name = org.apache
logger.apache.level = error
logger.shaded.name = org.sparkproject
logger.shaded.level = error
logger.netty.name = io.netty
logger.netty.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c: %m%n
"""


_ONE = Decimal(1)


def _unavailable(message: str, help: str) -> DiagnosticsError:
    return DiagnosticsError([error(SPARK_UNAVAILABLE, message, Span.point("--engine", 1, 1),
                                   help=help)], {"--engine": ""})


def spark_session(master: str | None = None) -> SparkSession:
    """The Spark session the engine runs on: the active one, or a new one at `master`.

    Args:
        master: a Spark master URL (``local[4]``, ``spark://host:7077``); None
            takes the active session, or starts one at `DEFAULT_MASTER`.

    Raises:
        DiagnosticsError: DC911 when pyspark is not installed or Spark does not start.
    """
    return _open_session(master)[0]


def _open_session(master: str | None) -> tuple[SparkSession, bool]:
    """`spark_session`, and whether it started the session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _unavailable("the spark engine needs pyspark, which is not installed",
                           f"install it: `{SPARK_INSTALL}`") from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active, False
    url = master or DEFAULT_MASTER
    log = Path(tempfile.gettempdir()) / "dealcheck-spark-log4j2.properties"
    with contextlib.suppress(OSError):  # else Spark logs as it does by default
        if not log.is_file() or log.read_text(encoding="utf-8") != _QUIET_LOG:
            log.write_text(_QUIET_LOG, encoding="utf-8")
    builder = (SparkSession.builder.master(url).appName("dealcheck")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log}"))
    if url.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    try:
        return builder.getOrCreate(), True
    except Exception as exc:  # pyspark's own errors: no Java, a master not reached
        java = "JAVA_HOME" in os.environ or any(
            (Path(p) / "java").is_file() for p in os.environ.get("PATH", "").split(os.pathsep))
        raise _unavailable(
            f"spark did not start at `{url}`: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            "check that the master URL is right" if java else
            "install a Java runtime (17 or later), e.g. `apt-get install "
            "openjdk-17-jre-headless`") from None


@contextlib.contextmanager
def spark_run(terms: ReadyTerms, paths: Sequence[str | Path], as_of: dt.date | None,
              master: str | None = None,
              facts: Mapping[str, FactValue] | None = None) -> Iterator[CheckRun | None]:
    """The check of bulk scenario files on Spark as a `CheckRun`, or None: read them otherwise.

    None means some row is not plainly valid, or a file is not one Spark reads
    here: the Python reader (for Parquet, the DuckDB engine) then explains, or
    checks, them. A session this starts is stopped after the run. `facts`
    (``--fact``) are held by each row without its own value (`engines.world`).

    Raises:
        DiagnosticsError: DC911 when Spark cannot be had (`spark_session`).
    """
    spark, started = _open_session(master)
    check = _SparkCheck(terms, spark, as_of, facts)
    try:
        yield check.files([str(p) for p in paths])
    finally:
        check.close()
        if started:
            spark.stop()


def check_dataframe(terms: ReadyTerms, frame: DataFrame,
                    as_of: dt.date | str | None = None) -> DataFrame:
    """Check a DataFrame of deployments on Spark: a DataFrame of results, one row per deployment.

    `frame` has the columns of a CSV inventory: ``id``, ``party``,
    ``workload``, ``provider``, ``start`` and optionally ``region``, ``end``,
    ``capacity``, ``value`` and ``facts.NAME`` for declared facts, as text
    (dates and booleans are read as their text). The result stays on the
    cluster; its columns are ``id``, ``verdict``, ``evaluated_on`` (date),
    ``not_covered`` and ``findings``, an array of structs with the fields of
    a finding in the JSON report (``clause``, ``outcome``, ``message``,
    ``missing_facts``, ``fix``, ``overridden_by``). Aggregates (caps,
    commitments) are the CLI's report's.

    Example::

        terms = dealcheck.load("terms.deal")
        frame = spark.read.csv("inventory.csv", header=True)
        results = check_dataframe(terms, frame, as_of="2025-06-30")
        results.where("verdict = 'violation'").show()

    Raises:
        DiagnosticsError: for rows that are not valid deployments, located at
            ``<dataframe>:ROW`` (ROW counts from 1), with the Python reader's messages.
        ValueError: for a column of a type other than text, date or boolean.
    """
    from dealcheck.rules.resolve import parse_as_of

    check = _SparkCheck(terms, frame.sparkSession, parse_as_of(as_of))
    try:
        src = check.sources.read_frame(0, frame)
        if src is None:
            raise ValueError("a DataFrame of deployments has the columns of a CSV inventory, "
                             "as text, dates or booleans")
        rows = check.typed(src)
        problems = check.problems(rows)
        if problems:
            raise DiagnosticsError(problems, {})
        keyed, keys = check.keyed(rows)
        outcomes = check.outcomes(rows, keys)
        return check.results_frame(keyed, keys, outcomes)
    finally:
        # The result's plan holds what the views named; its cached parts stay cached.
        check.close(keep_cached=True)


class _SparkCheck:
    """One check on one Spark session: its views of rows, keyed rows and keys."""

    def __init__(self, terms: ReadyTerms, spark: SparkSession, as_of: dt.date | None,
                 world: Mapping[str, FactValue] | None = None) -> None:
        import duckdb

        self.terms = terms
        self.world = dict(world or {})
        self.spark = spark
        self.as_of = as_of
        self.vocabulary = terms.vocabulary
        self.facts = list(self.vocabulary.facts)
        self.sources = SparkSources(spark, self.vocabulary)
        # The judge's connection is unused: texts are judged one by one here.
        self.judge = ValueJudge(duckdb.connect(":memory:"), self.vocabulary)
        self.prefix = f"dealcheck_{uuid.uuid4().hex[:12]}_"
        self.views: list[str] = []
        self.cached: list[DataFrame] = []
        self.key_names: list[str] = []
        self.paths: list[str] = []
        self.latest: dt.date | None = None

    def view(self, frame: DataFrame, name: str) -> str:
        """`frame` as a temporary view of this check; its name."""
        full = self.prefix + name
        frame.createOrReplaceTempView(full)
        self.views.append(full)
        return full

    def keep(self, frame: DataFrame) -> DataFrame:
        self.cached.append(frame.cache())
        return frame

    def close(self, keep_cached: bool = False) -> None:
        with contextlib.suppress(Exception):  # a stopped session has nothing left
            for frame in () if keep_cached else self.cached:
                frame.unpersist()
            for name in self.views:
                self.spark.catalog.dropTempView(name)
        self.judge.con.close()

    # -- files ---------------------------------------------------------------------

    def files(self, paths: list[str]) -> CheckRun | None:
        from dealcheck.checker.files import CheckRun
        from dealcheck.scenario.read import sha256_and_lines

        self.paths = paths
        sources: list[SourceRef] = []
        frames: list[DataFrame] = []
        expected: list[int | None] = []
        for index, path in enumerate(paths):
            kind = file_format(path)
            if kind is None or not Path(path).is_file():
                return None
            if kind == "parquet":
                sha256, lines = file_sha256(path), -1
            else:
                found, lines = sha256_and_lines(path)
                if found is None:
                    return None  # a line over the limit: the reader says so
                sha256 = found
            resolved = str(Path(path).resolve())
            if any(c in resolved for c in _PATTERN_CHARACTERS):
                return None  # Spark would read the name as a pattern of names
            frame = self.sources.read(index, resolved, kind)
            if frame is None:
                return None
            frames.append(frame)
            sources.append(SourceRef(path, sha256))
            expected.append(None if kind == "parquet" else lines - (kind == "csv"))
        src = frames[0]
        for frame in frames[1:]:
            src = src.unionByName(frame)
        rows = self.typed(self._holding_world_facts(src))
        # One query for what decides whether the engine reads the files: the rows of
        # each file, bad rows, distinct ids; and for the plan, parties and workloads.
        summary = self.spark.sql(
            "SELECT fi, count(*), sum(CAST(bad AS INT)), count(DISTINCT id), max(start), "
            f"collect_set(struct(party, workload)) FROM {self.prefix}rows "
            "GROUP BY ROLLUP(fi)").collect()
        counts = {int(r[0]): int(r[1]) for r in summary if r[0] is not None}
        every = next((r for r in summary if r[0] is None), None)
        if (every is None or any(lines is not None and counts.get(fi, 0) != lines
                                 for fi, lines in enumerate(expected))
                or not every[1] or every[2] or every[1] > limits.MAX_DEPLOYMENTS.value()
                or every[3] != every[1]):
            return None
        self.latest = every[4]
        keyed, keys = self.keyed(rows, [(str(p[0]), str(p[1])) for p in every[5]])
        outcomes = self.outcomes(rows, keys)
        meta = ReportMeta(SourceRef(self.terms.path, self.terms.sha256), tuple(sources),
                          self.as_of, facts=written_facts(self.world))
        # The aggregates are read before the results: Spark is asked nothing once
        # the last result was given (the session may be stopped then).
        aggregates = self._aggregates(keyed)
        return CheckRun(meta, self._results(keyed, keys, outcomes), lambda: aggregates,
                        False, int(every[1]))

    def _holding_world_facts(self, src: DataFrame) -> DataFrame:
        """`src` with the facts of the whole check in the cells of rows that give none."""
        from pyspark.sql import functions as F

        for column, (text, as_json) in world_cells(self.world).items():
            cell = F.col(f"`{column}`")
            src = src.withColumn(column, F.coalesce(
                cell, F.when(F.col("fam") == "json", F.lit(as_json)).otherwise(F.lit(text))))
        return src

    def _duplicates(self, rows: DataFrame, limit: int) -> list[str]:
        found = self.spark.sql(f"SELECT id FROM {self.prefix}rows GROUP BY id "
                               f"HAVING count(*) > 1 LIMIT {limit}").collect()
        return [str(r[0]) for r in found]

    # -- typing and validating -------------------------------------------------------

    def typed(self, src: DataFrame) -> DataFrame:
        """The view ``rows``: every row typed (`engines.plan.RowColumns`), and ``bad`` if not valid.

        Each distinct text of a date, quantity or fact is judged once by
        `ValueJudge`; the verdicts join back to the rows, broadcast.
        """
        from pyspark.sql import functions as F

        names = [*VALUE_FIELDS, *map(fact_column, self.facts)]
        self.view(src, "src")
        texts = None
        for name in names:
            part = src.where(F.col(f"`{name}`").isNotNull()).select(
                F.lit(name).alias("name"), "fam", F.col(f"`{name}`").alias("raw"))
            texts = part if texts is None else texts.unionByName(part)
        assert texts is not None  # INVARIANT: the value fields are never none
        self.values: dict[str, Values] = {name: Values() for name in names}
        for name, family, text in texts.distinct().collect():
            value = self.judge.judge(str(name), str(family), str(text))
            self.values[str(name)].found[(str(family), str(text))] = value
        columns = ["shiftleft(CAST(s.fi AS BIGINT), 40) + s.line AS rn", "s.fi", "s.line",
                   "s.fam", *(f"s.{_ident(n)}" for n in NAME_FIELDS)]
        bad = ["s.bad", *(f"s.{_ident(n)} IS NULL" for n in REQUIRED_FIELDS if n != "start"),
               "s.start IS NULL", f"NOT (s.id RLIKE '{_ID_PATTERN}')",
               undeclared("s.party", self.vocabulary.parties),
               undeclared("s.workload", self.vocabulary.workloads),
               undeclared("s.provider", self.vocabulary.providers),
               f"coalesce({undeclared('s.region', self.vocabulary.regions)}, false)"]
        joins: list[str] = []
        for number, name in enumerate(names):
            columns.append(f"s.{_ident(name)} AS {_ident('raw:' + name)}")
            kind = _spark_type(self.judge.sql_type(name))
            values = self.values[name].found
            if values:
                alias = f"v{number}"
                table = self.view(self.spark.createDataFrame(
                    [(fam, raw, *sql_value(v)) for (fam, raw), v in values.items()],
                    f"fam STRING, raw STRING, ok BOOLEAN, v {kind}, dim STRING"), f"v{number}")
                joins.append(f"LEFT JOIN {table} {alias} ON {alias}.fam = s.fam "
                             f"AND {alias}.raw = s.{_ident(name)}")
                bad.append(f"(s.{_ident(name)} IS NOT NULL AND {alias}.ok IS NOT TRUE)")
                value, dim = f"{alias}.v", f"{alias}.dim"
            else:  # no row gives it: no join
                value, dim = f"CAST(NULL AS {kind})", "CAST(NULL AS STRING)"
            columns += typed_columns(name, value, dim, _ident)
        if self.values["end"].found:
            bad.append("coalesce(v1.v < v0.v, false)")  # end before start
        columns.append("(" + " OR ".join(f"coalesce({b}, true)" for b in bad) + ") AS bad")
        rows = self.keep(self.spark.sql(
            f"SELECT {', '.join(columns)} FROM {self.prefix}src s " + " ".join(joins)))
        self.view(rows, "rows")
        return rows

    def problems(self, rows: DataFrame, most: int = 100) -> list[Diagnostic]:
        """The diagnostics of a DataFrame's rows that are not valid deployments (at most `most`)."""
        diagnostics: list[Diagnostic] = []
        raw = ", ".join(_ident("raw:" + n) for n in (*VALUE_FIELDS,
                                                      *map(fact_column, self.facts)))
        found = self.spark.sql(f"SELECT line, {', '.join(NAME_FIELDS)}, {raw} FROM "
                               f"{self.prefix}rows WHERE bad ORDER BY rn LIMIT {most}").collect()
        for line, *given in found:
            span = Span.point(DATAFRAME, int(line), 1)
            entries: list[Entry] = []
            facts: list[Entry] = []
            names = (*NAME_FIELDS, *VALUE_FIELDS, *self.facts)
            for number, (name, text) in enumerate(zip(names, given, strict=True)):
                if text is None:
                    continue
                entry = Entry(name, span, cell(text, span))
                (facts if number >= len(NAME_FIELDS) + len(VALUE_FIELDS) else entries).append(
                    entry)
            if facts:
                entries.append(Entry("facts", span, Map(tuple(facts), span)))
            checked = self.judge.validator.check(Map(tuple(entries), span), textual=True)
            diagnostics.extend(checked.diagnostics)
        if not found:
            ids = UniqueIds()
            dupes = self._duplicates(rows, most)
            if dupes:
                for ident, line in self.spark.sql(
                        f"SELECT id, line FROM {self.prefix}rows WHERE id IN "
                        f"({', '.join(_string(d) for d in dupes)}) ORDER BY rn").collect():
                    problem = ids.add(str(ident), Span.point(DATAFRAME, int(line), 1))
                    if problem is not None:
                        diagnostics.append(problem)
        return diagnostics

    # -- keys ----------------------------------------------------------------------

    def keyed(self, rows: DataFrame,
              pairs: list[tuple[str, str]] | None = None) -> tuple[DataFrame, DataFrame]:
        """The views ``keyed`` (each row's key, by the plan) and ``keys`` (each key's first row).

        `pairs`: the rows' distinct (party, workload), if known.
        """
        if pairs is None:
            pairs = [(str(p), str(w)) for p, w in self.spark.sql(
                f"SELECT DISTINCT party, workload FROM {self.prefix}rows").collect()]
        self.plan = EvaluationPlan(self.terms.compiled(),
                                   {n: f.type for n, f in self.vocabulary.facts.items()},
                                   self.as_of, pairs)
        self.key_names = [name for name, _ in self.plan.key()]
        keyed = self.spark.sql(self.plan.select(self.prefix + "rows", "spark",
                                                carry=("id", "fi", "line")))
        self.view(keyed, "keyed")
        quoted = ", ".join(_ident(k) for k in self.key_names)
        keys = self.keep(self.spark.sql(f"SELECT min(rn) AS rep, {quoted} "
                                        f"FROM {self.prefix}keyed GROUP BY {quoted}"))
        self.view(keys, "keys")
        return keyed, keys

    def outcomes(self, rows: DataFrame, keys: DataFrame) -> dict[int, Outcome]:
        """Each key's outcome, by its representative row: the only rows the driver reads."""
        raw = ", ".join(f"r.{_ident('raw:' + n)}" for n in (*VALUE_FIELDS,
                                                             *map(fact_column, self.facts)))
        found = self.spark.sql(
            f"SELECT r.rn, r.fi, r.line, r.fam, r.id, r.party, r.workload, r.provider, "
            f"r.region, {raw} FROM {self.prefix}rows r JOIN {self.prefix}keys k "
            f"ON r.rn = k.rep").collect()
        ct = self.terms.compiled()
        outcomes: dict[int, Outcome] = {}
        names = (*VALUE_FIELDS, *self.facts)
        for rn, fi, line, family, *given in found:
            row: dict[str, object] = dict(zip(NAME_FIELDS, given[:5], strict=True))
            facts: dict[str, object] = {}
            for name, text in zip(names, given[5:], strict=True):
                if text is None:
                    continue
                value = json_value(text) if family == "json" else text
                (row if name in VALUE_FIELDS else facts)[name] = value
            if facts:
                row["facts"] = facts
            if row.get("region") is None:
                row.pop("region", None)
            file = self.paths[int(fi)] if self.paths else DATAFRAME
            deployment = self.judge.build(str(family), row, int(line), file)
            if deployment is None:  # pragma: no cover - the row was found valid
                raise AssertionError(f"row {line} of {file} no longer valid")
            result = ct.evaluate(deployment, self.as_of)
            outcomes[int(rn)] = (result.verdict, result.not_covered, result.findings)
        return outcomes

    def _on(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{_ident(k)} = {right}.{_ident(k)}" for k in self.key_names)

    def _results(self, keyed: DataFrame, keys: DataFrame,
                 outcomes: dict[int, Outcome]) -> Iterator[DeploymentResult]:
        found = self.spark.sql(
            f"SELECT /*+ BROADCAST(k) */ d.id, d.fi, d.line, "
            f"datediff(d.day, DATE '1970-01-01'), k.rep FROM {self.prefix}keyed d "
            f"JOIN {self.prefix}keys k ON {self._on('d', 'k')} ORDER BY d.rn")
        rows = found.toLocalIterator(prefetchPartitions=True)
        paths = self.paths
        days: dict[int, dt.date] = {}
        epoch = dt.date(1970, 1, 1)
        for ident, fi, line, number, rep in rows:
            verdict, not_covered, findings = outcomes[rep]
            day = days.get(number)
            if day is None:
                day = days[number] = epoch + dt.timedelta(days=number)
            yield DeploymentResult(ident, verdict, day, not_covered, findings,
                                   SourceLocation(paths[fi], line, 1))

    def _aggregates(self, keyed: DataFrame) -> list[AggregateResult]:
        """The aggregates' results: the rows each tally counts, in input order, summed in Python."""
        book = AggregateBook(self.terms.compiled(), self.as_of)
        if book.tallies:
            book.latest = self.latest
        for sighting in self.plan.sightings(book.tallies):
            tally = book.tallies[sighting.index]
            measure = sighting.measure
            values = {} if measure is None else self.values[measure].found
            raw = "NULL" if measure is None else _ident("raw:" + measure)
            query = (
                "SELECT id, start, " + sighting.certain.sql(dialect="spark")
                + ", CASE WHEN " + sighting.known.sql(dialect="spark")
                + f" THEN {raw} END, fam FROM {self.prefix}rows WHERE "
                + sighting.counts.sql(dialect="spark") + " ORDER BY rn")
            for ident, start, certain, text, family in self.spark.sql(query).toLocalIterator():
                amount = None if measure is not None else _ONE  # a count: each row adds 1
                if text is not None:
                    quantity = values[(family, text)]
                    assert isinstance(quantity, Quantity)  # INVARIANT: known
                    amount = quantity.amount
                tally.record(ident, start, bool(certain), amount)
        return book.results()

    # -- the DataFrame of results ----------------------------------------------------

    def results_frame(self, keyed: DataFrame, keys: DataFrame,
                      outcomes: dict[int, Outcome]) -> DataFrame:
        """Each row's id and outcome: the keys' outcomes joined back on the cluster (broadcast)."""
        from dealcheck.report.json import finding_to_dict

        table = [(rep, verdict.value, not_covered,
                  [_finding_row(finding_to_dict(f)) for f in findings])
                 for rep, (verdict, not_covered, findings) in outcomes.items()]
        judged = self.view(self.spark.createDataFrame(table, _OUTCOME_SCHEMA), "outcomes")
        return self.spark.sql(
            f"SELECT /*+ BROADCAST(k), BROADCAST(o) */ d.id, o.verdict, d.day AS evaluated_on, "
            f"o.not_covered, o.findings FROM {self.prefix}keyed d "
            f"JOIN {self.prefix}keys k ON {self._on('d', 'k')} "
            f"JOIN {judged} o ON o.rep = k.rep ORDER BY d.rn")


_OUTCOME_SCHEMA = ("rep BIGINT, verdict STRING, not_covered BOOLEAN, findings ARRAY<STRUCT<"
                   "clause: STRING, outcome: STRING, message: STRING, "
                   "missing_facts: ARRAY<STRING>, fix: STRING, overridden_by: ARRAY<STRING>>>")


def _finding_row(found: Mapping[str, Any]) -> tuple[object, ...]:
    return (found["clause"], found["outcome"], found["message"], found["missing_facts"],
            found["fix"], found["overridden_by"])


def _spark_type(duckdb_type: str) -> str:
    """A DuckDB type of `ValueJudge.sql_type` as Spark names it."""
    return "STRING" if duckdb_type == "VARCHAR" else duckdb_type


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

