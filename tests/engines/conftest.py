"""Fixtures of the engine tests."""

from __future__ import annotations

from typing import Any

import pytest

from dealcheck.engines import duckdb as duckdb_engine


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each DuckDB run of the test checked the files itself (False: it handed them
    back to the Python reader), in the order of the runs.

    A test that compares the engines asserts it on the very run it compares, rather
    than running the engine once more to ask.
    """
    found: list[bool] = []
    open_ = duckdb_engine._Session.open

    def spy(self: Any) -> Any:
        try:
            run = open_(self)
        except Exception:
            found.append(False)  # DuckDB could not read a file: handed back
            raise
        found.append(run is not None)
        return run

    monkeypatch.setattr(duckdb_engine._Session, "open", spy)
    return found
