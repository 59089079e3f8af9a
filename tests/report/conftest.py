"""Fixtures for the report renderer tests: a sample report and golden files (their version is
pinned by passing `TEST_VERSION` to the renderers)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from report_samples import GOLDEN, UPDATE_ENV, build_report

from dealcheck.checker.results import Report


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with `golden/<name>`; rewrite it when DEALCHECK_UPDATE_GOLDEN=1."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if os.environ.get(UPDATE_ENV) == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        assert path.exists(), f"missing golden file {path}; run with {UPDATE_ENV}=1"
        expected = path.read_bytes().decode("utf-8")
        assert actual == expected, f"output differs from {path}; run with {UPDATE_ENV}=1"

    return check
