"""Parquet files read row by row, for a check the DuckDB engine stepped aside from.

The Python reader does not read Parquet, so when some row is not plainly
valid `explain_parquet` reads each Parquet row as the CSV reader reads a row
of cells, and reports its problems located at the row's number and the
position of its column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.results import ReportMeta, SourceRef
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.dsl.span import Span
from dealcheck.engines.sources import (
    BATCH,
    FACT_PREFIX,
    file_format,
    file_sha256,
    sql_ident,
    sql_string,
)
from dealcheck.engines.values import cell
from dealcheck.scenario.tree import Entry, Map
from dealcheck.scenario.validate import Checked, DeploymentValidator, UniqueIds

if TYPE_CHECKING:
    import duckdb as duckdb_module

    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.files import CheckRun

__all__ = ["explain_parquet"]


def explain_parquet(terms: ReadyTerms, paths: Sequence[str], as_of: dt.date | None,
                    con: duckdb_module.DuckDBPyConnection,
                    validator: DeploymentValidator) -> CheckRun | None:
    """The Parquet files' rows read one by one, as the CSV reader reads a row of cells.

    Returns:
        None if a file is not Parquet (the Python reader then reads them
        all), else the check of the Parquet files' rows by the compiled
        evaluators.

    Raises:
        DiagnosticsError: for every problem found, Parquet files being shown without text.
    """
    from dealcheck.checker.check import stream
    from dealcheck.checker.files import CheckRun

    parquet = [p for p in paths if file_format(p) == "parquet"]
    if not parquet:
        return None
    ids = UniqueIds()
    found: list[Diagnostic] = []
    count = 0
    for path in parquet:
        for checked in _parquet_rows(con, validator, path):
            count += 1
            found.extend(checked.diagnostics)
            if checked.id is not None and checked.id_span is not None:
                duplicate = ids.add(checked.id, checked.id_span)
                if duplicate is not None:
                    found.append(duplicate)
    if found:
        raise DiagnosticsError(found, dict.fromkeys(parquet, ""))
    if len(parquet) < len(paths):
        return None
    ct = terms.compiled()
    book = AggregateBook(ct, as_of)
    deployments = (checked.deployment for path in parquet
                   for checked in _parquet_rows(con, validator, path)
                   if checked.deployment is not None)
    meta = ReportMeta(SourceRef(terms.path, terms.sha256),
                      tuple(SourceRef(p, file_sha256(p)) for p in parquet), as_of)
    return CheckRun(meta, stream(ct, deployments, book, as_of), book.results, False, count)


def _parquet_rows(con: duckdb_module.DuckDBPyConnection, validator: DeploymentValidator,
                  path: str) -> Iterator[Checked]:
    source = f"read_parquet({sql_string(path)})"
    names = [str(row[0]) for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    cells = ", ".join(f"CAST({sql_ident(n)} AS VARCHAR)" for n in names)
    cursor = con.cursor()
    cursor.execute(f"SELECT {cells} FROM {source}")
    number = 0
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            number += 1
            yield validator.check(_parquet_node(path, number, names, row), textual=True)
    cursor.close()


def _parquet_node(path: str, number: int, names: list[str], row: Sequence[object]) -> Map:
    """A Parquet row as the CSV reader would read its cells: ``facts.NAME`` columns as facts."""
    entries: list[Entry] = []
    facts: list[Entry] = []
    for column, (name, value) in enumerate(zip(names, row, strict=True), 1):
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
