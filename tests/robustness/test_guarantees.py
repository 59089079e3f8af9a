"""The promises dealcheck makes about any input, checked end to end.

* No code from an input is executed; no network connection is opened.
* Input files are never modified.
* ``-o FILE`` is written atomically: a failed or interrupted run leaves the
  previous file intact.
* Ctrl-C exits 130 and SIGTERM 143, leaving no worker process, spool or
  temporary file behind.
* An internal error is exit code 3 and one line, the traceback only with ``--debug``.
* A YAML alias bomb is refused fast and small (the figures are printed, not asserted).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from robustness_helpers import (
    CORPUS,
    EXAMPLE_SCENARIO,
    EXAMPLE_TERMS,
    ROOT,
    VOCABULARY,
    run_cli,
    run_process,
)

from dealcheck.report import output

SRC = ROOT / "src"


def _sitecustomize(folder: Path, body: str) -> dict[str, str]:
    """An environment whose Python runs `body` at start-up, before dealcheck is imported."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(textwrap.dedent(body), encoding="utf-8")
    path = os.pathsep.join([str(folder), str(SRC), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path}


def _fingerprint(paths: list[Path]) -> dict[str, tuple[str, int, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns,
                     p.stat().st_mode) for p in paths}


# ---------------------------------------------------------------- no code, no network


@pytest.mark.parametrize("payload", [
    '!!python/object/apply:os.system ["touch {sentinel}"]',
    '!!python/object/new:subprocess.Popen [["touch", "{sentinel}"]]',
    '!!python/object/apply:builtins.exec ["open(\'{sentinel}\', \'w\')"]',
    '!!python/name:os.system',
    '!!python/module:os',
])
def test_no_code_from_a_scenario_is_executed(tmp_path: Path, payload: str) -> None:
    sentinel = tmp_path / "PWNED"
    plan = tmp_path / "plan.yaml"
    plan.write_text("deployments:\n  - " + payload.format(sentinel=sentinel) + "\n",
                    encoding="utf-8")
    run = run_cli("check", str(VOCABULARY), str(plan))
    assert run.code == 2
    assert "error[DC313]: unsupported YAML tag `!!python/" in run.stderr
    assert not sentinel.exists()


@pytest.mark.slow
def test_no_network_is_used(tmp_path: Path) -> None:
    """Every command works the same with sockets disabled, and none tries to open one."""
    attempts = tmp_path / "network-attempts.log"
    env = _sitecustomize(tmp_path / "site", f"""
        import socket

        def _refuse(*args, **kwargs):
            with open({str(attempts)!r}, "a") as log:
                log.write(repr(args) + "\\n")
            raise OSError("network access is disabled in this test")

        class _NoSocket(socket.socket):
            def __init__(self, *args, **kwargs):
                _refuse(*args)

        socket.socket = _NoSocket
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
        socket.socketpair = _refuse
    """)
    commands = [
        ["lint", str(EXAMPLE_TERMS)],
        ["check", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO), "--format", "json"],
        ["check", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO), "--format", "sarif"],
        ["explain", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO), "--id", "coreweave-contract"],
        ["test", str(EXAMPLE_TERMS)],
        ["fmt", "--check", str(EXAMPLE_TERMS)],
        ["schema", "report"],
        ["check", str(VOCABULARY), str(CORPUS / "scenarios" / "billion_laughs.yaml")],
    ]
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent("""
        import contextlib, io, json, sys
        from dealcheck.cli import main
        results = []
        for argv in json.loads(sys.argv[1]):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
            results.append([code, out.getvalue()])
        print(json.dumps(results))
    """), encoding="utf-8")
    blocked = subprocess.run([sys.executable, str(driver), json.dumps(commands)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, **env}, check=False)
    assert blocked.returncode == 0, blocked.stderr
    assert not attempts.exists(), attempts.read_text()
    free = [[(run := run_cli(*argv)).code, run.stdout] for argv in commands]
    assert json.loads(blocked.stdout) == free
    assert all(code in (0, 1, 2) for code, _ in free)  # never an internal error


# ---------------------------------------------------------------- inputs untouched


@pytest.mark.slow
def test_input_files_are_never_modified(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_bytes(EXAMPLE_TERMS.read_bytes())
    plan = tmp_path / "deals.yaml"
    plan.write_bytes(EXAMPLE_SCENARIO.read_bytes())
    messy = tmp_path / "messy.deal"  # needs formatting: `fmt --check` must still leave it
    messy.write_text('agreement   "m"  effective 2025-01-01\nparty  A,B\n', encoding="utf-8")
    os.chmod(messy, 0o640)
    corpus = sorted(p for kind in ("terms", "scenarios") for p in (CORPUS / kind).iterdir())
    inputs = [terms, plan, messy, VOCABULARY, *corpus]
    before = _fingerprint(inputs)
    runs = [
        run_cli("check", str(terms), str(plan), "-o", str(tmp_path / "report.json"),
                "--format", "json"),
        run_cli("check", str(terms), str(plan)),
        run_cli("explain", str(terms), str(plan), "--id", "coreweave-contract"),
        run_cli("lint", str(terms), str(messy)),
        run_cli("test", str(terms)),
        run_cli("fmt", "--check", str(terms), str(messy)),
    ]
    runs += [run_cli("lint", str(p)) for p in corpus if p.parent.name == "terms"]
    runs += [run_cli("check", str(VOCABULARY), str(p)) for p in corpus
             if p.parent.name == "scenarios"]
    assert all(run.code in (0, 1, 2) for run in runs)
    assert _fingerprint(inputs) == before


# ---------------------------------------------------------------- atomic -o


def test_a_bad_input_leaves_the_previous_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("previous report\n", encoding="utf-8")
    run = run_cli("check", str(VOCABULARY), str(CORPUS / "scenarios" / "duplicate_key.yaml"),
                  "-o", str(report))
    assert run.code == 2
    assert report.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


# An interrupt exits with 130; a bug with 3.
@pytest.mark.parametrize(("failure", "code"), [(KeyboardInterrupt, 130), (RuntimeError, 3)])
def test_a_run_stopped_midway_leaves_the_previous_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException],
        code: int) -> None:
    report = tmp_path / "report.json"
    report.write_text("previous report\n", encoding="utf-8")
    real = output.stream_report

    def stopping(*args: object, **kwargs: object) -> object:
        chunks = real(*args, **kwargs)  # type: ignore[arg-type]
        yield next(iter(chunks))  # part of the report is written …
        raise failure("stopped")  # … then the run stops

    monkeypatch.setattr(output, "stream_report", stopping)
    run = run_cli("check", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO), "--format", "json",
                  "-o", str(report))
    assert run.code == code
    assert "Traceback" not in run.stderr
    assert report.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


# ---------------------------------------------------------------- clean exits

#: Makes `dealcheck` stop in the middle of writing its report, once the first
#: deployment was judged: it writes the pids of its child processes (there
#: should be none) to `DEALCHECK_TEST_READY`, then waits for a signal.
_STOP_WHILE_WRITING = """
    import json, multiprocessing, os, time
    import dealcheck.report.output as output

    def stream_report(renderer, meta, deployments, aggregates, counter=None, **options):
        next(iter(deployments))
        ready = os.environ["DEALCHECK_TEST_READY"]
        with open(ready + ".part", "w") as out:
            json.dump([p.pid for p in multiprocessing.active_children()], out)
        os.rename(ready + ".part", ready)
        time.sleep(600)
        yield ""

    output.stream_report = stream_report
"""


def _running(pid: int) -> bool:
    """Whether process `pid` exists and has not ended (an unreaped one has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize(("sig", "engine", "group", "code"), [
    (signal.SIGINT, "duckdb", False, 130), (signal.SIGINT, "python", False, 130),
    (signal.SIGTERM, "duckdb", False, 143), (signal.SIGTERM, "python", False, 143),
    (signal.SIGINT, "duckdb", True, 130), (signal.SIGTERM, "python", True, 143),
    (signal.SIGKILL, "duckdb", False, -signal.SIGKILL)])
def test_a_stopped_process_leaves_the_previous_report_and_nothing_else(
        tmp_path: Path, sig: int, engine: str, group: bool, code: int) -> None:
    # Deterministic: the process is held in the middle of writing its report
    # (its temporary file exists) until the signal comes; it cannot finish first.
    # With `group`, the signal goes to the whole process group, as Ctrl-C at a terminal does.
    plan = tmp_path / "in" / "plan.jsonl"
    plan.parent.mkdir()
    row = ('{"id": "d%d", "party": "OpenAI", "workload": "%s", "provider": "%s", '
           '"start": "2025-03-01"}\n')
    plan.write_text("".join(row % (i, ("api", "training")[i % 2], ("Azure", "AWS")[i % 3 == 0])
                            for i in range(2_000)), encoding="utf-8")
    out, spool = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    spool.mkdir()
    report = out / "report.json"
    report.write_text("previous report\n", encoding="utf-8")
    ready = tmp_path / "ready.json"
    env = _sitecustomize(tmp_path / "site", _STOP_WHILE_WRITING)
    process = subprocess.Popen(
        [sys.executable, "-m", "dealcheck", "check", str(VOCABULARY), str(plan), "--format",
         "json", "-o", str(report), "--jobs", "2", "--engine", engine],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, **env, "TMPDIR": str(spool),
                                     "DEALCHECK_TEST_READY": str(ready)},
        start_new_session=True)
    workers: list[int] = []
    left: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), process.stderr.read() if process.stderr else ""
        workers = json.loads(ready.read_text(encoding="utf-8"))
        assert workers == []  # `--jobs` is DuckDB's threads: no process is started
        assert len(list(out.iterdir())) == 2  # the report and its temporary file
        assert list(spool.iterdir()) if engine == "duckdb" else True  # DuckDB's spill directory
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
        left = [pid for pid in workers if _running(pid)]
    finally:
        # Never leave a process of this test behind, even when dealcheck does.
        for pid in [process.pid, *workers]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == code
    assert report.read_text(encoding="utf-8") == "previous report\n"
    assert left == []
    if sig != signal.SIGKILL:
        assert b"Traceback" not in stderr
        assert stderr.decode().strip().splitlines()[-1] == (
            "interrupted" if sig == signal.SIGINT else "terminated")
        assert sorted(p.name for p in out.iterdir()) == ["report.json"]
        assert list(spool.iterdir()) == []


# ---------------------------------------------------------------- internal errors


@pytest.mark.slow
def test_an_internal_error_is_one_line_and_exit_3(tmp_path: Path) -> None:
    env = _sitecustomize(tmp_path / "site", """
        import dealcheck.rules.resolve as resolve

        def broken(*args, **kwargs):
            raise RuntimeError("simulated bug")

        resolve.resolve = broken
    """)
    run = run_process("lint", str(EXAMPLE_TERMS), env=env)
    assert run.returncode == 3
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "dealcheck: internal error (RuntimeError: simulated bug); this is a bug, please report "
        "it with the input that caused it (run with --debug for the traceback)"]
    debug = run_process("--debug", "lint", str(EXAMPLE_TERMS), env=env)
    assert debug.returncode not in (0, 2, 3)
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: simulated bug" in debug.stderr


@pytest.mark.slow
def test_bad_input_in_a_process_has_no_traceback() -> None:
    for argv in (["lint", str(CORPUS / "terms" / "deep_parentheses.deal")],
                 ["check", str(VOCABULARY), str(CORPUS / "scenarios" / "huge_integer.json")],
                 ["check", str(VOCABULARY), str(CORPUS / "scenarios" / "latin1.csv")]):
        run = run_process(*argv)
        assert run.returncode == 2
        assert "Traceback" not in run.stderr
        assert ": error[DC" in run.stderr


# ---------------------------------------------------------------- the alias bomb


@pytest.mark.slow
def test_a_yaml_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    """Exit 2 with DC313; time and peak memory are printed (run with -s to see them)."""
    bomb = CORPUS / "scenarios" / "billion_laughs.yaml"
    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent(f"""
        import resource, sys, time
        start = time.perf_counter()
        from dealcheck.cli import main
        imported = time.perf_counter()
        code = main(["check", {str(VOCABULARY)!r}, {str(bomb)!r}])
        done = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"{{code}} {{done - imported:.3f}} {{done - start:.3f}} {{peak}}", file=sys.stderr)
    """), encoding="utf-8")
    # The timeout only catches a hang; the figures are reported, not asserted.
    run = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                         timeout=10, env={**os.environ, "PYTHONPATH": str(SRC)}, check=False)
    *diagnostics, figures = run.stderr.strip().splitlines()
    code, check_seconds, total_seconds, peak_kib = figures.split()
    assert code == "2"
    assert "error[DC313]: YAML anchor `&a` is not allowed here" in "\n".join(diagnostics)
    print(f"\nalias bomb: refused in {float(check_seconds) * 1000:.0f} ms "
          f"({float(total_seconds) * 1000:.0f} ms with start-up), "
          f"peak RSS {int(peak_kib) / 1024:.1f} MiB")
