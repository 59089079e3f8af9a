"""The same checks as SQL: the evaluation plan and the engines that run it (DuckDB)."""

from __future__ import annotations

from typing import Literal

__all__ = ["ENGINES", "Engine"]

#: What reads and checks bulk files: ``auto`` (DuckDB for CSV, JSON Lines and
#: Parquet), ``python`` (the reference reader and evaluator) or ``duckdb``.
Engine = Literal["auto", "python", "duckdb"]

#: The engines, as `dealcheck check --engine` and `dealcheck.check_files` name them.
ENGINES: tuple[Engine, ...] = ("auto", "python", "duckdb")
