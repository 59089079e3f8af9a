"""Facts of the whole check (``--fact``) in the bulk engines: cells for rows without their own.

The DuckDB and Spark engines read every cell as text (`engines.sources`); a
fact of the whole check fills the fact's cell of each row that leaves it
empty, written as that row's family writes it (``text`` for CSV and Parquet
cells, ``json`` for JSON Lines values), so that the row is then read, keyed
and judged exactly as the Python reader's deployment holding the fact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from dealcheck.engines.plan import fact_column
from dealcheck.scenario.model import FactValue, written_facts

__all__ = ["world_cells"]


def world_cells(facts: Mapping[str, FactValue]) -> dict[str, tuple[str, str]]:
    """Each fact's column (`fact_column`) and its cell as text and as JSON.

    >>> import datetime as dt
    >>> world_cells({"ipo": True, "notice": dt.date(2025, 3, 1)})
    {'fact:ipo': ('true', 'true'), 'fact:notice': ('2025-03-01', '"2025-03-01"')}
    """
    cells: dict[str, tuple[str, str]] = {}
    for name, value in written_facts(facts).items():
        text = ("true" if value else "false") if isinstance(value, bool) else value
        cells[fact_column(name)] = (text, json.dumps(value, ensure_ascii=False))
    return cells
