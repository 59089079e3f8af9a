"""Report → Parquet (`--format parquet`): one row per deployment result, findings as structs.

The columns are the keys of the JSON report's ``deployments[]`` objects:
``id``, ``verdict``, ``evaluated_on`` (a DATE), ``not_covered``,
``findings`` (a list of structs, each the object of a finding, its
``location`` a struct) and ``source`` (a struct, NULL when unknown), in
input order. Aggregates and the summary are the JSON or JSON Lines
report's.

Rows are written as they come, as JSON Lines, to a temporary file; at the
end DuckDB converts that file to Parquet within a bounded memory (the
`dealcheck.engines.duckdb` settings), and the renderer hands the bytes on
as text whose `encoding` (latin-1) gives each byte back unchanged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from dealcheck.checker.results import AggregateResult, DeploymentResult, RenderedRows, ReportMeta
from dealcheck.io_text import PipedText, write_chunk
from dealcheck.report.jsonl import JsonlRows

__all__ = ["COLUMNS", "ParquetStreamRenderer"]

_LOCATION = 'STRUCT("file" VARCHAR, "line" BIGINT, "column" BIGINT)'

#: The Parquet file's columns and their DuckDB types.
COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "verdict": "VARCHAR",
    "evaluated_on": "DATE",
    "not_covered": "BOOLEAN",
    "findings": ('STRUCT("clause" VARCHAR, "outcome" VARCHAR, "message" VARCHAR, '
                 f'"location" {_LOCATION}, "missing_facts" VARCHAR[], "fix" VARCHAR, '
                 '"overridden_by" VARCHAR[])[]'),
    "source": _LOCATION,
}

# Bytes of the Parquet file handed on at a time.
_CHUNK = 1 << 20


class ParquetStreamRenderer:
    """Streams `--format parquet` (see the module): rows to a spool, the file at the end."""

    #: The text of each chunk is the file's bytes, one character each.
    encoding = "latin-1"

    def __init__(self) -> None:
        self._rows = JsonlRows()
        # Removed by `end`, or when the renderer is dropped unfinished (a check withdrawn).
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._spool: IO[str] | None = None

    def begin(self, meta: ReportMeta) -> Iterable[str]:
        self._directory = tempfile.TemporaryDirectory(prefix="dealcheck-parquet-")
        self._spool = open(Path(self._directory.name, "rows.jsonl"), "w",  # noqa: SIM115
                           encoding="utf-8", newline="")
        return ()

    def _write(self, text: str | PipedText) -> None:
        if self._spool is None:
            raise RuntimeError("renderer got deployments before it began")
        write_chunk(self._spool, text)

    def deployment(self, result: DeploymentResult) -> Iterable[str]:
        self._write(self._rows.row(result))
        return ()

    def rendered(self, rows: RenderedRows) -> Iterable[str]:
        """Take deployment lines that a `JsonlRows` rendered, as `deployment` takes one."""
        for piece in rows.pieces():
            self._write(piece)
        return ()

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterator[str]:
        if self._spool is None or self._directory is None:
            raise RuntimeError("renderer ended before it began")
        temp, spool = self._directory, self._spool
        self._spool = self._directory = None
        try:
            spool.close()
            directory = temp.name
            target = Path(directory, "report.parquet")
            _convert(Path(directory, "rows.jsonl"), target, directory)
            with target.open("rb") as data:
                while chunk := data.read(_CHUNK):
                    yield chunk.decode("latin-1")
        finally:
            spool.close()
            temp.cleanup()


def _convert(rows: Path, target: Path, temp: str) -> None:
    """The JSON Lines rows as a Parquet file, by DuckDB within its memory limit."""
    import duckdb

    from dealcheck.engines.duckdb import MEMORY_LIMIT
    from dealcheck.engines.sources import sql_ident, sql_string

    columns = ", ".join(f"{sql_string(name)}: {sql_string(kind)}"
                        for name, kind in COLUMNS.items())
    names = ", ".join(sql_ident(name) for name in COLUMNS)
    con = duckdb.connect(":memory:", config={
        "threads": 1, "memory_limit": MEMORY_LIMIT, "temp_directory": temp,
        "preserve_insertion_order": True})
    try:
        con.execute(
            f"COPY (SELECT {names} FROM read_json({sql_string(str(rows))}, "
            f"format = 'newline_delimited', records = true, columns = {{{columns}}})) "
            f"TO {sql_string(str(target))} (FORMAT parquet)")
    finally:
        con.close()
