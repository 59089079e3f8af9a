"""Atomic writes, the streaming protocol and the renderer factory."""

from __future__ import annotations

import os
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_samples import build_bulk, build_report

from dealcheck import io_text
from dealcheck.checker.results import Report, full_summary
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.report.json import render_json
from dealcheck.report.junit import render_junit
from dealcheck.report.markdown import render_markdown
from dealcheck.report.output import (
    AccumulatingRenderer,
    ReportMeta,
    SummaryCounter,
    TextSpool,
    atomic_writer,
    check_fail_on,
    make_renderer,
    stream_report,
    write_atomic,
    write_atomic_chunks,
)
from dealcheck.report.sarif import render_sarif
from dealcheck.report.text import render_text

OLD = "previous report\n"


def leftovers(directory: Path, keep: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != keep)


def failing_chunks(exc: BaseException, after: int = 3) -> Iterator[str]:
    for i in range(after):
        yield f"chunk {i}\n" * 1000
    raise exc


# --------------------------------------------------------------------------- atomic writes


def test_write_creates_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "{}\n")
    assert target.read_bytes() == b"{}\n"
    assert leftovers(tmp_path, "report.json") == []


def test_write_replaces_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text(OLD)
    write_atomic(str(target), "new ✓\r\nline\n")
    assert target.read_bytes() == "new ✓\r\nline\n".encode()  # no newline translation
    assert leftovers(tmp_path, "report.json") == []


def test_write_chunks(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_atomic_chunks(target, (f"{i}," for i in range(1000)))
    assert target.read_text() == "".join(f"{i}," for i in range(1000))
    write_atomic(target, iter(["a", "b"]))
    assert target.read_text() == "ab"


@pytest.mark.parametrize(
    "exc",
    [RuntimeError("checker crashed"), KeyboardInterrupt(), OSError(28, "no space left")],
    ids=["runtime-error", "keyboard-interrupt", "os-error"],
)
def test_failure_midway_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, exc: BaseException
) -> None:
    target = tmp_path / "report.json"
    target.write_text(OLD)
    with pytest.raises(type(exc)):
        write_atomic_chunks(target, failing_chunks(exc))
    assert target.read_text() == OLD
    assert leftovers(tmp_path, "report.json") == []


def test_failure_on_new_file_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with pytest.raises(ValueError, match="bad deployment"):
        write_atomic_chunks(target, failing_chunks(ValueError("bad deployment")))
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_in_the_target_directory_while_writing(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    seen: list[list[str]] = []

    def chunks() -> Iterator[str]:
        yield "part one"
        seen.append(leftovers(tmp_path, "report.json"))
        yield "part two"

    write_atomic_chunks(target, chunks())
    # A short name of its own, whatever the target's (see the 250-character test below).
    assert len(seen[0]) == 1 and seen[0][0].startswith(".dealcheck-")
    assert seen[0][0].endswith(".tmp") and len(seen[0][0]) == len(".dealcheck-123456789abc.tmp")
    assert target.read_text() == "part onepart two"


def test_atomic_writer_context(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text(OLD)
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as handle:
        handle.write("half")
        raise KeyboardInterrupt
    assert target.read_text() == OLD
    with atomic_writer(target) as handle:
        handle.write("whole")
    assert target.read_text() == "whole"
    assert leftovers(tmp_path, "r.md") == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_keeps_mode_of_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text(OLD)
    os.chmod(target, 0o640)
    write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_new_file_follows_umask(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.json", "x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644


def test_missing_directory_is_a_located_error(tmp_path: Path) -> None:
    target = str(tmp_path / "nope" / "report.json")
    with pytest.raises(DiagnosticsError) as exc:
        write_atomic(target, "x")
    (d,) = exc.value.diagnostics
    assert (d.code, d.message, d.help) == (
        "DC904", f"cannot write `{target}`: no such file or directory",
        f"create the directory `{tmp_path / 'nope'}` first, or write elsewhere")
    assert (d.span.file, d.span.line, d.span.column) == (target, 1, 1)
    assert list(tmp_path.iterdir()) == []


def test_streamed_report_interrupted_keeps_old_report(tmp_path: Path, report: Report) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, render_json(report))
    before = target.read_bytes()

    def deployments() -> Iterator[object]:
        yield from build_bulk(50)
        raise KeyboardInterrupt

    chunks = stream_report(
        make_renderer("json"),
        ReportMeta.of(report),
        deployments(),  # type: ignore[arg-type]
        report.aggregates,
    )
    with pytest.raises(KeyboardInterrupt):
        write_atomic_chunks(target, chunks)
    assert target.read_bytes() == before
    assert leftovers(tmp_path, "report.json") == []


# --------------------------------------------------------------------------- streaming protocol


def test_summary_counter_matches_report_summary() -> None:
    report = build_report()
    report.deployments = build_bulk(37)
    counter = SummaryCounter()
    for d in report.deployments:
        counter.add(d)
    summary = full_summary(counter.as_dict(), report.aggregates)
    assert summary == report.summary()
    assert list(summary) == list(report.summary())
    assert list(counter.as_dict()) == [k for k in report.summary() if k != "aggregates"]


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif", "markdown", "text"])
@pytest.mark.parametrize("fail_on", ["violation", "undetermined"])
def test_make_renderer_streams_what_the_renderers_render(fmt: str, fail_on: str) -> None:
    report = build_report()
    report.deployments = build_bulk(30)
    expected = {
        "json": lambda: render_json(report),
        "junit": lambda: render_junit(report, fail_on=fail_on),
        "sarif": lambda: render_sarif(report),
        "markdown": lambda: render_markdown(report),
        "text": lambda: render_text(report),
    }[fmt]()
    renderer = make_renderer(fmt, fail_on=fail_on)
    streamed = "".join(
        stream_report(renderer, ReportMeta.of(report), iter(report.deployments), report.aggregates)
    )
    assert streamed == expected


def test_accumulating_renderer_rebuilds_the_report(report: Report) -> None:
    seen: list[tuple[Report, str]] = []

    def render(r: Report, *, version: str) -> str:
        seen.append((r, version))
        return "ok"

    out = list(
        stream_report(
            AccumulatingRenderer(render),
            ReportMeta.of(report, "9.9.9+meta"),
            report.deployments,
            report.aggregates,
        )
    )
    assert out == ["ok"]
    assert seen[0] == (report, "9.9.9+meta")


def test_make_renderer_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown report format `yaml`"):
        make_renderer("yaml")
    with pytest.raises(ValueError, match="unknown fail-on level `error`"):
        make_renderer("json", fail_on="error")


def test_check_fail_on() -> None:
    assert check_fail_on("violation") == "violation"
    assert check_fail_on("undetermined") == "undetermined"
    with pytest.raises(ValueError):
        check_fail_on("compliant")


def test_text_spool_round_trip() -> None:
    spool = TextSpool(max_chars=10)
    pieces = [f"é{i}\n" for i in range(500)]
    for piece in pieces:
        spool.write(piece)
    assert "".join(spool.drain(chunk_chars=7)) == "".join(pieces)


def test_text_width_follows_the_terminal_only_with_colour(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    meta = ReportMeta.of(report)

    def text(color: bool = False, width: int | None = None) -> str:
        renderer = make_renderer("text", color=color, width=width)
        return "".join(stream_report(renderer, meta, report.deployments, report.aggregates))

    assert text() == render_text(report, width=100)
    assert text(color=True) == render_text(report, color=True, width=72)
    assert text(width=60) == render_text(report, width=60)


RENDER_ALL = """
import sys
sys.path.insert(0, {here!r})
from report_samples import TEST_VERSION, build_report
from dealcheck.report.output import make_renderer, stream_report, ReportMeta
report = build_report()
for fmt in ("json", "junit", "sarif", "markdown", "text"):
    renderer = make_renderer(fmt, width=100)
    meta = ReportMeta.of(report, TEST_VERSION)
    sys.stdout.write("".join(stream_report(renderer, meta, report.deployments, report.aggregates)))
"""


@pytest.mark.slow
def test_byte_identical_across_processes() -> None:
    import subprocess

    code = RENDER_ALL.format(here=str(Path(__file__).parent))
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, check=True, timeout=60
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert b'"dealcheck_version": "0.0.0+test"' in outputs[0]


def test_an_interrupt_while_a_hard_linked_file_is_rewritten_waits_for_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text(OLD * 1000)
    other = tmp_path / "other-name.json"
    os.link(target, other)
    opened: list[str] = []

    def interrupted_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = open(file, mode, *args, **kwargs)  # noqa: SIM115 - returned
        if mode == "r+b":  # the target, opened to be rewritten in place: Ctrl-C now
            opened.append(str(file))
            signal.raise_signal(signal.SIGINT)
        return handle

    monkeypatch.setattr(io_text, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new report\n")
    assert opened == [str(target)]
    # The copy ran to its end before the interrupt was let through: both names agree.
    assert other.read_text() == target.read_text() == "new report\n"
    assert leftovers(tmp_path, "report.json") == ["other-name.json"]
