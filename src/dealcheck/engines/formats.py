"""Which scenario files the DuckDB engine reads, by extension (no SQL: cheap to import)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.tree import code

__all__ = ["BULK_FORMATS", "file_format", "reads_with_duckdb", "refuse_parquet"]

#: File extensions the engine reads, and the format of each.
BULK_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def file_format(path: str) -> str | None:
    """The bulk format of a file, by its extension (None: not one the engine reads)."""
    return BULK_FORMATS.get(Path(path).suffix.lower())


def reads_with_duckdb(paths: Sequence[str | Path]) -> bool:
    """Whether ``--engine auto`` reads these scenario files with DuckDB.

    All of them must be files, and all bulk or one of them Parquet (which
    only DuckDB reads: the other files are then read by the Python reader).

    >>> reads_with_duckdb(["plan.yaml"])
    False
    """
    suffixes = [Path(p).suffix.lower() for p in paths]
    return bool(paths) and all(Path(p).is_file() for p in paths) and (
        all(s in BULK_FORMATS for s in suffixes) or ".parquet" in suffixes)


def refuse_parquet(paths: Sequence[str]) -> None:
    """Parquet files are the DuckDB engine's to read: a diagnostic for each, for ``python``.

    Raises:
        DiagnosticsError: located at each Parquet file, shown without its bytes.
    """
    parquet = [p for p in paths if file_format(p) == "parquet"]
    if parquet:
        raise DiagnosticsError(
            [error(errors.MALFORMED_FILE,
                   f"the python engine does not read Parquet files like {code(Path(p).name)}",
                   Span.point(p, 1, 1),
                   help="check it with `--engine duckdb` (or `--engine auto`, the default)")
             for p in parquet],
            dict.fromkeys(parquet, ""))
