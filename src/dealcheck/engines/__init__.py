"""The same checks as SQL: the evaluation plan and the engines that run it (DuckDB, Spark)."""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["ENGINES", "Engine", "usable_cores"]

#: What reads and checks bulk files: ``auto`` (DuckDB for CSV, JSON Lines and
#: Parquet), ``python`` (the reference reader and evaluator), ``duckdb`` or
#: ``spark`` (`engines.spark`: the ``spark`` extra).
Engine = Literal["auto", "python", "duckdb", "spark"]

#: The engines, as `dealcheck check --engine` and `dealcheck.check_files` name them.
ENGINES: tuple[Engine, ...] = ("auto", "python", "duckdb", "spark")


def usable_cores() -> int:
    """The cores this process may run on: the DuckDB engine's threads unless told (``--jobs``)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity is not None else os.cpu_count() or 1)
