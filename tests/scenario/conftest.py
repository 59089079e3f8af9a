"""Shared fixtures for the scenario reader tests: a small vocabulary built by hand."""

from __future__ import annotations

import pytest

from dealcheck.rules.model import Vocabulary

pytest.register_assert_rewrite("scenario_helpers")

from scenario_helpers import make_vocabulary  # noqa: E402


@pytest.fixture
def vocabulary() -> Vocabulary:
    return make_vocabulary()
