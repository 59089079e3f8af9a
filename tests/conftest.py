"""Test-wide setup: pytest puts this directory on `sys.path`, so tests import `helpers`."""

import pytest

# Show values, not a bare AssertionError, when a shared helper's assertion fails.
pytest.register_assert_rewrite("helpers")
