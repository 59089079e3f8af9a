"""Rows an engine writes as the report takes them (`io_text.PipedText`, through a named pipe)
reach a report as bytes where the output is a regular file (`io_text.write_chunk`), as text
elsewhere: the report is the same either way, and a failure on either side ends both."""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dealcheck.io_text import PipedText, atomic_writer, write_chunk
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
INVENTORY = ROOT / "examples" / "microsoft-openai" / "inventory.csv"

#: Rows' text with characters of several bytes, then bytes that are not part of it.
ROWS = '{"id":"é-1"}\n{"id":"日本-2"}\n{"id":"🙂"}\n'
JUNK = "\n,not the rows'"


def producing(data: bytes, pieces: int = 3) -> Callable[[str], None]:
    """What writes `data` to the file it is given, in `pieces` writes."""

    def produce(path: str) -> None:
        with open(path, "wb", buffering=0) as out:
            step = max(1, len(data) // pieces)
            for at in range(0, len(data), step):
                out.write(data[at:at + step])

    return produce


@pytest.fixture
def pipes(tmp_path: Path) -> Path:
    """Where the parts' pipes go: empty again once each part is read."""
    where = tmp_path / "pipes"
    where.mkdir()
    return where


@pytest.fixture
def part(pipes: Path) -> PipedText:
    return PipedText(producing((ROWS + JUNK).encode("utf-8")), str(pipes),
                     trim=len(JUNK.encode("utf-8")))


@pytest.fixture
def no_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's text may not be read: its bytes must be copied."""

    def refuse(self: PipedText) -> Iterator[str]:
        raise AssertionError("the part was decoded")

    monkeypatch.setattr(PipedText, "texts", refuse)


def _write(target: Path, part: PipedText) -> None:
    with atomic_writer(target) as out:
        for chunk in ("[", part, "]"):
            out.write(chunk)


def test_a_report_file_takes_a_parts_bytes(tmp_path: Path, part: PipedText, pipes: Path,
                                            no_texts: None) -> None:
    target = tmp_path / "report.txt"
    _write(target, part)
    assert target.read_text(encoding="utf-8") == f"[{ROWS}]"
    assert not list(pipes.iterdir())  # the pipe is gone


def test_a_part_goes_in_short_writes(tmp_path: Path, part: PipedText, no_texts: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write = os.write
    sizes: list[int] = []

    def short(fd: int, data: bytes | memoryview) -> int:
        sizes.append(len(data))
        return write(fd, bytes(data[:3]))  # three bytes at most, as a full pipe may take

    monkeypatch.setattr(os, "write", short)
    target = tmp_path / "report.txt"
    _write(target, part)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == f"[{ROWS}]"
    assert len(sizes) > len(ROWS.encode("utf-8")) // 3


def test_a_part_is_sent_to_disk_as_it_is_written(tmp_path: Path, pipes: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck import io_text

    advised: list[tuple[int, int, int]] = []
    monkeypatch.setattr(io_text, "_WRITE_BACK_BYTES", 1000)
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: advised.append(
        (offset, length, advice)), raising=False)
    data = bytes(range(256)) * 40  # 10,240 bytes, in blocks of a few thousand
    target = tmp_path / "report.bin"
    with open(target, "wb") as out:
        out.write(b"head")
        out.flush()
        PipedText(producing(data, pieces=7), str(pipes)).copy_to(out.fileno())
    assert target.read_bytes() == b"head" + data
    # From the part's first byte, each range after the one before, none under the bound.
    assert advised and advised[0][0] == 4
    assert all(a + n == b for (a, n, _), (b, _, _) in itertools.pairwise(advised))
    assert all(n >= 1000 and advice == os.POSIX_FADV_DONTNEED for _, n, advice in advised)
    assert advised[-1][0] + advised[-1][1] > len(data) + 4 - 1000


@pytest.mark.parametrize("blocks", [
    [b"ab", b"c", b"", b"d\n"], [b"abcd\n"], [b"a", b"b", b"c", b"d", b"\n"],
    [b"abc", b"d\n"], [b"abcd", b"\n"]])
def test_the_last_bytes_are_left_out_across_blocks(blocks: list[bytes], pipes: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PipedText, "_produced",
                        lambda self: (memoryview(block) for block in blocks))
    given = PipedText(producing(b""), str(pipes), trim=2)
    assert "".join(given.texts()) == "abc"
    assert "".join(PipedText(producing(b""), str(pipes)).texts()) == "abcd\n"  # no trim
    too_short = PipedText(producing(b""), str(pipes), trim=len(b"".join(blocks)) + 1)
    with pytest.raises(OSError, match="ends before its last"):
        "".join(too_short.texts())


def test_a_producer_that_fails_before_it_writes_is_an_error(pipes: Path) -> None:
    def fail(path: str) -> None:
        raise RuntimeError("no rows today")

    with pytest.raises(RuntimeError, match="no rows today"):
        "".join(PipedText(fail, str(pipes)).texts())
    assert not list(pipes.iterdir())


def test_a_producer_that_fails_midway_is_an_error(tmp_path: Path, pipes: Path) -> None:
    def fail(path: str) -> None:
        with open(path, "wb", buffering=0) as out:
            out.write(b"x" * (3 << 20))  # more than the pipe holds
        raise RuntimeError("cut short")

    target = tmp_path / "report.txt"
    target.write_text("before", encoding="utf-8")
    with pytest.raises(RuntimeError, match="cut short"):
        _write(target, PipedText(fail, str(pipes)))
    assert target.read_text(encoding="utf-8") == "before"
    assert not list(pipes.iterdir())


def test_a_producer_that_writes_nothing_gives_no_text(pipes: Path) -> None:
    assert "".join(PipedText(producing(b""), str(pipes)).texts()) == ""


def test_a_producer_slow_to_open_its_pipe_is_waited_for(pipes: Path) -> None:
    def slow(path: str) -> None:
        time.sleep(0.3)  # the reader polls meanwhile: no writer yet is not the end
        producing(ROWS.encode("utf-8"))(path)

    assert "".join(PipedText(slow, str(pipes)).texts()) == ROWS


def test_a_reader_interrupted_before_the_producer_opens_its_pipe_stops_it(
        pipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import select

    ended: list[str] = []

    def late(path: str) -> None:
        time.sleep(0.3)  # the reader is interrupted meanwhile
        try:
            producing(b"x" * (3 << 20))(path)
        except OSError as exc:
            ended.append(errno.errorcode[exc.errno or 0])
            raise

    class Interrupted:
        def register(self, fd: int, events: int) -> None:
            pass

        def poll(self, timeout: int) -> list[tuple[int, int]]:
            raise KeyboardInterrupt

    monkeypatch.setattr(select, "poll", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        "".join(PipedText(late, str(pipes)).texts())
    assert ended == ["EPIPE"]  # it opened the pipe, then found no reader: not left waiting
    assert not list(pipes.iterdir())


def test_a_write_that_fails_is_an_error_and_stops_the_producer(
        tmp_path: Path, pipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.dsl.diagnostics import DiagnosticsError

    def full(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    ended: list[str] = []

    def endless(path: str) -> None:
        try:
            with open(path, "wb", buffering=0) as out:
                while True:  # until its reader goes
                    out.write(b"x" * 65536)
        except OSError as exc:
            ended.append(errno.errorcode[exc.errno or 0])
            raise

    target = tmp_path / "report.txt"
    target.write_text("before", encoding="utf-8")
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DiagnosticsError) as raised:
        _write(target, PipedText(endless, str(pipes)))
    monkeypatch.undo()
    assert [d.code for d in raised.value.diagnostics] == ["DC904"]
    assert "cannot write" in str(raised.value) and "no space left" in str(raised.value)
    assert target.read_text(encoding="utf-8") == "before"
    assert ended == ["EPIPE"]  # the producer was stopped, not left waiting
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipes", "report.txt"]
    assert not list(pipes.iterdir())


def test_a_file_opened_to_append_takes_a_part(tmp_path: Path, part: PipedText,
                                              no_texts: None) -> None:
    target = tmp_path / "log.txt"
    target.write_text("before\n", encoding="utf-8")
    with open(target, "a", encoding="utf-8", newline="") as handle:
        for chunk in ("[", part, "]"):
            write_chunk(handle, chunk)
    assert target.read_text(encoding="utf-8") == f"before\n[{ROWS}]"


def test_a_file_opened_to_read_and_write_takes_a_part_where_it_writes(
        tmp_path: Path, part: PipedText, no_texts: None) -> None:
    target = tmp_path / "longer.txt"
    target.write_text("x" * 100, encoding="utf-8")
    with open(target, "r+", encoding="utf-8", newline="") as handle:
        for chunk in ("[", part, "]", "!"):
            write_chunk(handle, chunk)
    written = f"[{ROWS}]!".encode()
    assert target.read_bytes() == written + b"x" * (100 - len(written))


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_an_output_of_another_encoding_takes_a_parts_text(tmp_path: Path, part: PipedText,
                                                          encoding: str) -> None:
    part = PipedText(producing('{"id":"é-1"}\n'.encode()), part.directory)
    target = tmp_path / "out.txt"
    with open(target, "w", encoding=encoding, newline="") as handle:
        write_chunk(handle, "[")
        write_chunk(handle, part)
    assert target.read_bytes() == '[{"id":"é-1"}\n'.encode(encoding)


def test_a_pipe_takes_a_parts_text(part: PipedText) -> None:
    read, write = os.pipe()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(os.fdopen(read, "rb").read()))
    reader.start()
    with os.fdopen(write, "w", encoding="utf-8", newline="") as handle:
        for chunk in ("[", part, "]"):
            write_chunk(handle, chunk)
    reader.join()
    assert got == [f"[{ROWS}]".encode()]


def test_a_spool_takes_a_parts_text(part: PipedText) -> None:
    from dealcheck.report.output import TextSpool

    spool = TextSpool(max_chars=8)
    for chunk in ("[", part, "]"):
        spool.write(chunk)
    assert "".join(spool.drain()) == f"[{ROWS}]"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_standard_output_takes_chunks_in_its_encoding(tmp_path: Path, part: PipedText,
                                                      encoding: str) -> None:
    from dealcheck.report.output import standard_output

    target = tmp_path / "out"
    part = PipedText(producing('{"id":"é-1"}\n'.encode()), part.directory)
    with open(target, "w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        handle.write("<")
        write = standard_output(encoding)
        for chunk in ("\xe9", part):
            write(chunk)
    assert target.read_bytes() == b"<" + '\xe9{"id":"é-1"}\n'.encode(encoding)


# ---------------------------------------------------------------- the CLI


def _to_stdout_file(path: Path, *args: str | Path) -> int:
    """`dealcheck ARGS` run in this process, its standard output the regular file `path`."""
    from dealcheck.cli import main

    with (open(path, "w", encoding="utf-8") as handle, contextlib.chdir(path.parent),
          contextlib.redirect_stdout(handle), contextlib.redirect_stderr(io.StringIO())):
        return main([str(arg) for arg in args])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_report_on_standard_output_is_the_report_file(tmp_path: Path, fmt: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[int] = []
    copy_to = PipedText.copy_to

    def spy(self: PipedText, fd: int) -> None:
        copied.append(fd)
        copy_to(self, fd)

    monkeypatch.setattr(PipedText, "copy_to", spy)
    args = ("check", TERMS, INVENTORY, "--format", fmt)
    reference = run_dealcheck(*args, "--engine", "python", cwd=tmp_path)
    assert not copied  # the Python engine hands on text
    to_file = run_dealcheck(*args, "--engine", "duckdb", "-o", "report", cwd=tmp_path)
    assert to_file.returncode == reference.returncode == 1
    assert (tmp_path / "report").read_text(encoding="utf-8") == reference.stdout
    assert len(copied) == 1  # the report file took the bytes
    piped = run_dealcheck(*args, "--engine", "duckdb", cwd=tmp_path)  # not a file: text
    assert piped.stdout == reference.stdout
    assert len(copied) == 1
    assert _to_stdout_file(tmp_path / "redirected", *args, "--engine", "duckdb") == 1
    assert (tmp_path / "redirected").read_text(encoding="utf-8") == reference.stdout
    assert len(copied) == 2  # standard output to a file took the bytes too


@pytest.mark.slow
def test_a_process_writes_its_report_to_a_pipe_or_a_file(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "dealcheck", "check", str(TERMS), str(INVENTORY),
               "--format", "json", "--engine", "duckdb"]
    piped = subprocess.run(command, capture_output=True, cwd=tmp_path, check=False)
    with open(tmp_path / "out.json", "wb") as out:
        to_file = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, cwd=tmp_path,
                                 check=False)
    reference = run_dealcheck("check", TERMS, INVENTORY, "--format", "json", "--engine",
                              "python", cwd=tmp_path)
    assert (piped.returncode, to_file.returncode) == (1, 1), to_file.stderr
    assert piped.stdout == (tmp_path / "out.json").read_bytes() == reference.stdout.encode()
