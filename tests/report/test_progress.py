"""The progress bar imports rich only when it may draw (a check to a pipe never pays for it)."""

from __future__ import annotations

import io
import sys

import pytest

from dealcheck.report.progress import with_progress


def _no_terminal_settings(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    return stderr


def test_progress_to_no_terminal_does_not_import_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _no_terminal_settings(monkeypatch)
    # An import of rich's console or progress now fails: the items must pass without it.
    monkeypatch.setitem(sys.modules, "rich.console", None)
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    assert list(with_progress(range(5000), 5000, True)) == list(range(5000))
    assert list(with_progress(iter(range(3)), None, True)) == [0, 1, 2]
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("setting", [("FORCE_COLOR", "1"), ("TTY_COMPATIBLE", "1")])
def test_progress_draws_where_rich_is_told_stderr_is_a_terminal(
        monkeypatch: pytest.MonkeyPatch, setting: tuple[str, str]) -> None:
    stderr = _no_terminal_settings(monkeypatch)
    monkeypatch.setenv(*setting)
    items = list(with_progress(iter(range(2000)), 2000, True, min_total=100))
    assert items == list(range(2000))
    assert "checking" in stderr.getvalue()


@pytest.mark.parametrize("setting", [("FORCE_COLOR", ""), ("TTY_COMPATIBLE", "0")])
def test_progress_draws_nothing_where_rich_sees_no_terminal(
        monkeypatch: pytest.MonkeyPatch, setting: tuple[str, str]) -> None:
    stderr = _no_terminal_settings(monkeypatch)
    monkeypatch.setenv(*setting)
    assert list(with_progress(iter(range(2000)), 2000, True, min_total=100)) == list(range(2000))
    assert stderr.getvalue() == ""
