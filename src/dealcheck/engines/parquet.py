"""Parquet files read row by row, for a check the DuckDB engine stepped aside from.

The Python reader does not read Parquet, so when some row is not plainly
valid `explain_parquet` reads each Parquet row as the CSV reader reads a row
of cells, and reports its problems located at the row's number and the
position of its column. The check's other files (CSV, JSON Lines) are read
by the Python reader: its diagnostics are reported beside the Parquet ones,
and the deployments it reads checked with theirs, in input order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.results import ReportMeta, SourceRef
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.engines.formats import file_format
from dealcheck.engines.sources import (
    BATCH,
    FACT_PREFIX,
    ParquetCells,
    file_sha256,
    parquet_cells,
)
from dealcheck.engines.values import cell
from dealcheck.scenario import errors
from dealcheck.scenario.model import Deployment, FactValue, with_scenario_facts, written_facts
from dealcheck.scenario.tree import Entry, Map, code
from dealcheck.scenario.validate import Checked, DeploymentValidator, UniqueIds

if TYPE_CHECKING:
    import duckdb as duckdb_module

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["explain_parquet"]


def explain_parquet(terms: ReadyTerms, paths: Sequence[str], as_of: dt.date | None,
                    con: duckdb_module.DuckDBPyConnection,
                    validator: DeploymentValidator,
                    facts: Mapping[str, FactValue] | None = None) -> CheckRun | None:
    """The check of files holding Parquet ones, their rows read one by one.

    Args:
        terms: the terms.
        paths: the check's scenario files, some of them Parquet.
        as_of: the evaluation date; None judges each deployment on its start.
        con: the connection that reads the Parquet files.
        validator: validates each Parquet row.
        facts: the facts of the whole check, held by each deployment without its own.

    Returns:
        None if no file is Parquet (the Python reader then reads them all),
        else the check of every file's deployments, in input order.

    Raises:
        DiagnosticsError: for every problem found: in Parquet rows (shown
            without text), by the Python reader in the other files, and ids
            used twice across them.
    """
    import duckdb

    from dealcheck.checker.check import stream
    from dealcheck.checker.files import CheckRun

    if not any(file_format(p) == "parquet" for p in paths):
        return None
    world = dict(facts or {})
    others = _Others(terms, [p for p in paths if file_format(p) != "parquet"], world)
    found: list[Diagnostic] = [] if others.problems is None else list(others.problems.diagnostics)
    ids = UniqueIds()
    count = 0
    for path in paths:
        rows = others.ids(path) if path in others.held else _row_ids(con, validator, path)
        try:
            for id_, span, diagnostics in rows:
                count += 1
                found.extend(diagnostics)
                duplicate = None if id_ is None or span is None else ids.add(id_, span)
                if duplicate is not None:
                    found.append(duplicate)
        except duckdb.Error:
            found.append(error(
                errors.MALFORMED_FILE, f"{code(Path(path).name)} is not a readable Parquet file",
                Span.point(path, 1, 1),
                help="write it as Parquet, or name it for its format: `.csv`, `.jsonl`, "
                     "`.yaml` or `.json`"))
    if found:
        sources = {p: "" for p in paths if p not in others.held}
        raise DiagnosticsError(found, sources | others.sources)

    def deployments() -> Iterator[Deployment]:
        for path in paths:
            if path in others.held:
                yield from others.held[path]
            else:
                yield from (with_scenario_facts(checked.deployment, world)
                            for checked in _parquet_rows(con, validator, path)
                            if checked.deployment is not None)

    ct = terms.compiled()
    book = AggregateBook(ct, as_of)
    meta = ReportMeta(SourceRef(terms.path, terms.sha256),
                      tuple(SourceRef(p, others.hashes.get(p) or file_sha256(p))
                            for p in paths), as_of, facts=written_facts(world))
    return CheckRun(meta, stream(ct, deployments(), book, as_of), book.results, False, count)


class _Others:
    """The check's files that are not Parquet, read whole by the Python reader.

    `held`: each file's deployments (none when the reader found `problems`).
    """

    def __init__(self, terms: ReadyTerms, paths: list[str],
                 facts: Mapping[str, FactValue]) -> None:
        from dealcheck.scenario.read import open_scenarios

        self.held: dict[str, list[Deployment]] = {p: [] for p in paths}
        self.hashes: dict[str, str] = {}
        self.problems: DiagnosticsError | None = None
        if not paths:
            return
        try:
            inputs = open_scenarios(paths, terms.vocabulary, facts=facts)
        except DiagnosticsError as error:
            self.problems = error
            return
        self.hashes = {source.path: source.sha256 for source in inputs.sources}
        for deployment in inputs.deployments():
            where = deployment.source
            self.held[paths[0] if where is None else where.file].append(deployment)

    @property
    def sources(self) -> dict[str, str]:
        """The texts of the files the reader's diagnostics are located in."""
        return {} if self.problems is None else self.problems.sources

    def ids(self, path: str) -> Iterator[tuple[str | None, Span | None, list[Diagnostic]]]:
        """Each deployment's id in `path` and where it is (the reader found no problem)."""
        for deployment in self.held[path]:
            line = 1 if deployment.source is None else deployment.source.line
            yield deployment.id, Span.point(path, line, 1), []


def _row_ids(con: duckdb_module.DuckDBPyConnection, validator: DeploymentValidator,
             path: str) -> Iterator[tuple[str | None, Span | None, list[Diagnostic]]]:
    """Each Parquet row's id, where it is, and the row's problems."""
    for checked in _parquet_rows(con, validator, path):
        yield checked.id, checked.id_span, list(checked.diagnostics)


def _parquet_rows(con: duckdb_module.DuckDBPyConnection, validator: DeploymentValidator,
                  path: str) -> Iterator[Checked]:
    read = parquet_cells(con, path)
    cursor = con.cursor()
    cursor.execute(f"SELECT {', '.join(read.cells)} FROM {read.source}")
    number = 0
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            number += 1
            yield validator.check(_parquet_node(path, number, read, row), textual=True)
    cursor.close()


def _parquet_node(path: str, number: int, read: ParquetCells, row: Sequence[object]) -> Map:
    """A Parquet row as the CSV reader would read its cells: ``facts.NAME`` columns as facts."""
    entries: list[Entry] = []
    facts: list[Entry] = []
    for column, name, value in zip(read.columns, read.names, row, strict=True):
        span = Span.point(path, number, column)
        key = name.strip()
        if key.startswith(FACT_PREFIX):
            facts.append(Entry(key[len(FACT_PREFIX):], span, cell(value, span)))
        else:
            entries.append(Entry(key, span, cell(value, span)))
    span = Span.point(path, number, 1)
    if facts:
        entries.append(Entry("facts", span, Map(tuple(facts), span)))
    return Map(tuple(entries), span)
