"""Text for people: golden file, colour only on request, fixed width, progress helper."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from report_samples import TEST_VERSION, build_report
from rich.console import Console

from dealcheck.checker.results import Report
from dealcheck.report.progress import with_progress
from dealcheck.report.text import render_text

ANSI = re.compile(r"\x1b\[")


def test_golden(report: Report, golden: Callable[[str, str], None]) -> None:
    golden("report.txt", render_text(report, version=TEST_VERSION))


def test_no_ansi_without_colour(report: Report) -> None:
    text = render_text(report, color=False)
    assert "\x1b" not in text


def test_no_ansi_even_when_environment_forces_colour(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "40")
    text = render_text(report, color=False)
    assert "\x1b" not in text
    assert text == render_text(build_report(), color=False)


def test_colour_when_asked(report: Report) -> None:
    coloured = render_text(report, color=True)
    assert ANSI.search(coloured)
    # same words once the escapes are gone
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in plain.splitlines()] == render_text(report).splitlines()


def test_width_is_fixed(report: Report) -> None:
    text = render_text(report)
    assert max(len(line) for line in text.splitlines()) <= 100
    narrow = render_text(report, width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert narrow != text


def test_content(report: Report) -> None:
    text = render_text(report)
    assert text.startswith("dealcheck: violation")
    assert "violation aws-api" in text
    assert "fix: run on `Azure`" in text
    assert "missing facts: rofr_declined" in text
    assert "not covered by any clause in force: stargate-abilene" in text
    # compliant deployments are counted, not detailed
    details = text.split("deployments that do not comply")[1].split("not covered by any")[0]
    assert "aws-api" in details and "coreweave-training" in details
    assert "natsec-api" not in details
    for clause in ("azure_commitment", "stargate_cap", "gpu_cap"):
        assert clause in text
    summary_row = text.splitlines()[text.splitlines().index("summary") + 4]
    assert summary_row.split() == ["4", "2", "1", "1", "1"]


def test_all_compliant_message(report: Report) -> None:
    report.deployments = report.deployments[2:]
    report.aggregates = []
    text = render_text(report)
    assert text.startswith("dealcheck: compliant")
    assert "all 2 deployments comply" in text


def test_progress_passes_items_through_when_not_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False)
    items = list(with_progress(range(5000), 5000, True, console=console))
    assert items == list(range(5000))
    assert buffer.getvalue() == ""


def test_progress_disabled_or_short_input_draws_nothing() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True)
    assert list(with_progress(range(10), 10, True, console=console)) == list(range(10))
    assert list(with_progress(range(5000), 5000, False, console=console)) == list(range(5000))
    assert buffer.getvalue() == ""


def test_progress_draws_on_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80)
    items = list(with_progress(iter(range(2000)), 2000, True, console=console, min_total=100))
    assert items == list(range(2000))
    assert "checking" in buffer.getvalue()


def test_progress_counts_runs_of_items_by_their_size() -> None:
    # An engine hands runs of many deployments on at once: the bar counts deployments.
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80)
    runs = [100] * 20
    items = list(with_progress(iter(runs), 2000, True, console=console, min_total=100,
                               size=lambda run: run))
    assert items == runs
    assert "2000/2000" in buffer.getvalue() and "20/2000" not in buffer.getvalue()


def test_progress_is_lazy() -> None:
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for i in range(3):
            pulled.append(i)
            yield i

    iterator = with_progress(source(), None, False)
    assert pulled == []
    assert next(iterator) == 0
    assert pulled == [0]
