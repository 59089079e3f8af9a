"""Inputs within the documented limits cost bounded time and memory.

No timing is asserted: an input that used to hang runs in a child process
with a generous timeout, memory is bounded with `tracemalloc`, and the
work of `lint` by what it reports. `benchmarks/bench_bounds.py` prints the
figures at full size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import queue
import subprocess
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from robustness_helpers import VOCABULARY, run_cli, run_process

import dealcheck
from dealcheck import limits
from dealcheck.scenario.model import Deployment

AMENDED_HEAD = """\
agreement "Amended" effective 2019-01-01
party OpenAI, Microsoft
provider Azure operated by Microsoft
workload api, training
"""
FIRST_DAY = dt.date(2019, 1, 2)


def _amended(count: int) -> str:
    """Terms amended `count` times, each amendment adding a clause on one day of its own."""
    return AMENDED_HEAD + "".join(
        f"\namendment a{i} effective {FIRST_DAY + dt.timedelta(days=i)}:\n"
        f"  clause c{i}:\n    Microsoft runs training only on Azure\n"
        for i in range(count))


def test_memory_does_not_grow_with_amendments_times_dates() -> None:
    # Each day starts a new epoch, in force with every clause added so far:
    # an epoch that holds a plan of each clause in force costs amendments x dates.
    count = 400
    terms = dealcheck.loads(_amended(count))
    ct = terms.compiled()
    deployments = [Deployment(id=f"d{i}", party="OpenAI", workload="api", provider="Azure",
                              start=FIRST_DAY + dt.timedelta(days=i)) for i in range(count)]
    tracemalloc.start()
    try:
        results = [ct.evaluate(d) for d in deployments]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert {r.verdict for r in results} == {dealcheck.Verdict.COMPLIANT}
    # About 1 KiB a deployment (its result, its epoch); a plan of each clause
    # in force in each epoch was 14 MB here.
    assert peak < 2 * 1024 * 1024, peak


# ---------------------------------------------------------------- inputs that never end


def _diagnostics(done: subprocess.CompletedProcess[str]) -> list[tuple[str, int, int, str]]:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return [(d["code"], d["line"], d["column"], d["message"])
            for d in json.loads(done.stdout)["diagnostics"]]


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["x.jsonl", "x.csv"])
@pytest.mark.parametrize("command", ["check", "explain"])
def test_an_endless_input_stops_at_its_first_line(tmp_path: Path, name: str,
                                                  command: str) -> None:
    # Hashing the whole file before any limit applied never ended.
    endless = tmp_path / name
    endless.symlink_to("/dev/zero")
    extra = ["--id", "d1"] if command == "explain" else []
    done = run_process(command, str(VOCABULARY), str(endless), *extra, "--error-format", "json",
                       timeout=120)
    limit = limits.MAX_LINE_BYTES.default
    assert _diagnostics(done) == [("DC905", 1, 1, f"line 1 is longer than {limit} bytes")]


def _bytes_read() -> int:
    with open("/proc/self/io", encoding="ascii") as io_counters:
        return int(next(line for line in io_counters if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/self/io")
def test_a_sparse_file_without_line_breaks_is_read_one_line_deep(tmp_path: Path) -> None:
    # 2 GiB of zeros: refused after one line's worth, not hashed through first.
    path = tmp_path / "endless.csv"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    before = _bytes_read()
    run = run_cli("check", str(VOCABULARY), str(path), "--error-format", "json")
    read = _bytes_read() - before
    assert run.code == 2
    assert [d["code"] for d in run.diagnostics()] == ["DC905"]
    assert read < 32 * 1024**2, read


ROWS = ('{"id": "d1", "party": "OpenAI", "workload": "api", "provider": "AWS", '
        '"start": "2025-03-01"}\n'
        '{"id": "d2", "party": "OpenAI", "workload": "api", "provider": "Azure", '
        '"start": "2025-03-01"}\n')


@contextlib.contextmanager
def _fed(fifo: Path, data: bytes) -> Iterator[None]:
    """`fifo` written by a thread while the block runs (once: a pipe is read once)."""
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as pipe, contextlib.suppress(BrokenPipeError):
            pipe.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():  # the pipe was never opened: let the writer go
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_a_named_pipe_is_read_once(tmp_path: Path, jobs: str) -> None:
    fifo = tmp_path / "plan.jsonl"
    with _fed(fifo, ROWS.encode()):
        done = run_process("check", str(VOCABULARY), str(fifo), "--format", "json",
                           "--jobs", jobs, timeout=120)
    assert done.returncode == 1, done.stderr  # d1 breaks api_exclusive
    report = json.loads(done.stdout)
    assert report["scenarios"] == [
        {"path": str(fifo), "sha256": hashlib.sha256(ROWS.encode()).hexdigest()}]
    assert [d["id"] for d in report["deployments"]] == ["d1", "d2"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_with_a_problem_is_explained_without_reading_it_again(
        tmp_path: Path) -> None:
    # The other file's problem makes the check read the files again to explain it;
    # the pipe's id is also the other file's.
    other = tmp_path / "more.csv"
    other.write_text("id,party,workload,provider,start\nd1,OpenAI,api,Azure,2025-03-01\n"
                     "d3,OpenAI,nope,Azure,2025-03-01\n", encoding="utf-8")
    fifo = tmp_path / "plan.jsonl"
    with _fed(fifo, ROWS.encode()):
        done = run_process("check", str(VOCABULARY), str(fifo), str(other),
                           "--error-format", "json", timeout=120)
    assert [(code, line, message) for code, line, _, message in _diagnostics(done)] == [
        ("DC304", 2, "duplicate deployment id `d1`"), ("DC303", 3, "undeclared workload `nope`")]
    [duplicate, _] = json.loads(done.stdout)["diagnostics"]
    assert [(r["file"], r["line"]) for r in duplicate["related"]] == [(str(fifo), 1)]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_read_up_to_the_file_size_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.jsonl"
    with _fed(fifo, ROWS.encode() * 100):
        done = run_process("check", str(VOCABULARY), str(fifo), "--error-format", "json",
                           env={"DEALCHECK_MAX_FILE_BYTES": "1000"}, timeout=120)
    assert _diagnostics(done) == [
        ("DC902", 1, 1, f"`{fifo}` is over the limit of 1000 bytes")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_duplicate_id_in_a_pipe_is_found_as_it_is_read(tmp_path: Path) -> None:
    # Finding the first use of an id again meant reading the pipe a second time.
    from dealcheck.scenario.read import iter_deployments

    vocabulary = dealcheck.load(VOCABULARY).vocabulary
    fifo = tmp_path / "plan.jsonl"
    outcome: queue.Queue[list[str] | dealcheck.DiagnosticsError] = queue.Queue()

    def consume() -> None:
        yielded: list[str] = []
        try:
            for deployment in iter_deployments(fifo, vocabulary):
                yielded.append(deployment.id)
        except dealcheck.DiagnosticsError as exc:
            outcome.put(exc)
            return
        outcome.put(yielded)

    with _fed(fifo, (ROWS + ROWS.splitlines(keepends=True)[0]).encode()):
        threading.Thread(target=consume, daemon=True).start()
        found = outcome.get(timeout=60)
    assert isinstance(found, dealcheck.DiagnosticsError)
    [duplicate] = found.diagnostics
    assert (duplicate.code, duplicate.span.line, duplicate.related[0].span.line) == (
        "DC304", 3, 1)
