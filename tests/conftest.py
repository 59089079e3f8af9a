"""Test-wide setup: pytest puts this directory on `sys.path`, so tests import `helpers`."""

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

import hypothesis_profiles

# Show values, not a bare AssertionError, when a shared helper's assertion fails.
pytest.register_assert_rewrite("helpers")

hypothesis_profiles.load()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session (a JVM) per test worker, for every test that needs one
    (mark such tests `slow`: the JVM alone costs more than the fast tier may take)."""
    from dealcheck.engines.spark import spark_session

    # The JVM's quick compiler only (and its simplest collector): a test session runs
    # small checks, where the optimising compiler costs more CPU than it saves (about half).
    before = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    try:
        session = spark_session("local[2]")
    finally:
        if before is None:
            del os.environ["JAVA_TOOL_OPTIONS"]
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = before
    yield session
    session.stop()


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes the tests start a normal Ctrl-C.

    A suite started in the background (`bash .ci/run &`) inherits SIGINT
    ignored, and an ignored signal stays ignored across `exec`: the tests that
    interrupt a `dealcheck` process would then interrupt nothing. A handler of
    our own is reset to the default in every child.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
