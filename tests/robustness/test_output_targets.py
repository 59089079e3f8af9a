"""Where a report (``check -o``) or a formatted file (``fmt``) goes: never over an input,
never replacing a device, a pipe or a symlink, and every failure a located user error.

Character devices are made in the test's own directory (``mknod``, as root) with the
numbers of ``/dev/null`` and ``/dev/full``: the machine's own devices are never the
target when a regression could replace them.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from robustness_helpers import EXAMPLE_SCENARIO, EXAMPLE_TERMS, ROOT, run_cli, run_process

#: The text report of the example checked in `inputs`, as standard output shows it.
REPORT = run_cli("check", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO)).stdout.replace(
    str(EXAMPLE_TERMS), "terms.deal").replace(str(EXAMPLE_SCENARIO), "deals.yaml")
MESSY = 'agreement   "m"  effective 2025-01-01\nparty  A,B\n'
FORMATTED = 'agreement "m" effective 2025-01-01\n\nparty A, B\n'


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding copies of the example's terms and scenario; the working directory."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "terms.deal").write_bytes(EXAMPLE_TERMS.read_bytes())
    (folder / "deals.yaml").write_bytes(EXAMPLE_SCENARIO.read_bytes())
    monkeypatch.chdir(folder)
    return folder


def check_to(output: str) -> tuple[int, str]:
    """`dealcheck check terms.deal deals.yaml -o OUTPUT`: exit code and standard error."""
    run = run_cli("check", "terms.deal", "deals.yaml", "-o", output)
    assert run.stdout == ""
    return run.code, run.stderr


def char_device(folder: Path, name: str, minor: int) -> Path:
    """A character device with the numbers of /dev/null (minor 3) or /dev/full (minor 7)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        with open(path, "w", encoding="utf-8"):  # a file system mounted `nodev` refuses this
            pass
    except OSError as exc:
        pytest.skip(f"cannot make a character device here: {exc}")
    return path


def is_char_device(path: Path, minor: int) -> bool:
    found = os.lstat(path)
    return stat.S_ISCHR(found.st_mode) and found.st_rdev == os.makedev(1, minor)


# ---------------------------------------------------------------- never over an input


@pytest.mark.parametrize(("spelling", "named"), [
    ("deals.yaml", "deals.yaml"),
    ("./deals.yaml", "deals.yaml"),
    ("../work/deals.yaml", "deals.yaml"),
    ("{absolute}", "deals.yaml"),
    ("terms.deal", "terms.deal"),
    ("./../work/terms.deal", "terms.deal"),
    ("link.yaml", "deals.yaml"),    # a symlink to the scenario
    ("hard.yaml", "deals.yaml"),    # a hard link of the scenario
    ("hard.deal", "terms.deal"),    # a hard link of the terms
])
def test_an_output_that_is_an_input_is_refused(inputs: Path, spelling: str,
                                               named: str) -> None:
    os.symlink("deals.yaml", inputs / "link.yaml")
    os.link(inputs / "deals.yaml", inputs / "hard.yaml")
    os.link(inputs / "terms.deal", inputs / "hard.deal")
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}
    output = spelling.format(absolute=inputs / "deals.yaml")
    code, stderr = check_to(output)
    assert code == 2
    assert stderr == (f"{output}:1:1: error[DC904]: cannot write `{output}`: it is the same "
                      f"file as the input `{named}`\n"
                      "  help: write to a file that is not an input\n"
                      "found 1 error\n")
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before
    assert (inputs / "link.yaml").is_symlink()


def test_an_output_next_to_the_inputs_is_written(inputs: Path) -> None:
    code, _ = check_to("report.txt")
    assert code in (0, 1)
    assert (inputs / "report.txt").read_text(encoding="utf-8") == REPORT


# ---------------------------------------------------------------- pipes, devices, links


def read_fifo(path: Path) -> tuple[threading.Thread, list[bytes]]:
    """A thread that reads the named pipe `path` to its end, into the returned list."""
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as stream:
            got.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, got


@pytest.mark.parametrize("through_symlink", [False, True], ids=["fifo", "symlink-to-fifo"])
def test_a_named_pipe_receives_the_report(inputs: Path, through_symlink: bool) -> None:
    fifo = inputs / "pipe"
    os.mkfifo(fifo)
    output = "pipe"
    if through_symlink:
        os.symlink(fifo, inputs / "to-pipe")
        output = "to-pipe"
    reader, got = read_fifo(fifo)
    code, stderr = check_to(output)
    reader.join(timeout=30)
    assert (code, stderr) in ((0, ""), (1, ""))
    assert got == [REPORT.encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.path.islink(inputs / output) == through_symlink
    assert sorted(p.name for p in inputs.iterdir()) == sorted(
        ["terms.deal", "deals.yaml", "pipe"] + ["to-pipe"] * through_symlink)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_named_pipe_gets_nothing_from_a_check_that_fails(inputs: Path, engine: str) -> None:
    # The python engine judges a bulk file as it reads it; its bad last row is found
    # after the report was begun. Nothing of that report may reach the pipe's reader.
    row = ('{"id": "d%d", "party": "OpenAI", "workload": "training", "provider": "Azure", '
           '"start": "2025-03-01"}\n')
    (inputs / "plan.jsonl").write_text("".join(row % i for i in range(500))
                                       + row.replace("OpenAI", "Nobody") % 500, "utf-8")
    fifo = inputs / "pipe"
    os.mkfifo(fifo)
    reader, got = read_fifo(fifo)
    run = run_cli("check", "terms.deal", "plan.jsonl", "-o", "pipe", "--engine", engine)
    assert run.code == 2 and "plan.jsonl:501:" in run.stderr
    # dealcheck never opened the pipe (had it, the reader would have ended, and this
    # would fail with ENXIO): the reader is still waiting, and gets nothing.
    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(timeout=30)
    assert got == [b""]


@pytest.mark.slow
def test_a_symlink_to_standard_output_writes_to_it(inputs: Path, tmp_path: Path) -> None:
    """`-o` a link to /dev/stdout, with standard output a pipe: the reader gets the report."""
    link = tmp_path / "stdout"
    os.symlink("/dev/stdout", link)
    run = run_process("check", "terms.deal", "deals.yaml", "-o", str(link), cwd=inputs)
    assert (run.returncode, run.stderr) in ((0, ""), (1, ""))
    assert run.stdout == REPORT
    assert link.is_symlink()


@pytest.mark.parametrize("through_symlink", [False, True], ids=["device", "symlink-to-device"])
def test_a_character_device_is_written_not_replaced(inputs: Path, tmp_path: Path,
                                                    through_symlink: bool) -> None:
    devices = tmp_path / "dev"
    devices.mkdir()
    null = char_device(devices, "null", 3)
    output = str(null)
    if through_symlink:
        os.symlink(null, inputs / "quiet")
        output = "quiet"
    code, stderr = check_to(output)
    assert (code, stderr) in ((0, ""), (1, ""))
    assert is_char_device(null, 3)
    assert os.listdir(devices) == ["null"]
    assert os.path.islink(inputs / "quiet") == through_symlink


def test_a_symlink_output_writes_its_target_and_stays(inputs: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "latest.txt").write_text("previous report\n", encoding="utf-8")
    os.symlink(reports / "latest.txt", inputs / "report.txt")
    code, _ = check_to("report.txt")
    assert code in (0, 1)
    assert (inputs / "report.txt").is_symlink()
    assert (reports / "latest.txt").read_text(encoding="utf-8") == REPORT
    assert os.listdir(reports) == ["latest.txt"]  # the temporary file was next to the target


def test_a_dangling_symlink_output_creates_its_target(inputs: Path) -> None:
    os.symlink("made.txt", inputs / "report.txt")
    code, _ = check_to("report.txt")
    assert code in (0, 1)
    assert (inputs / "report.txt").is_symlink()
    assert (inputs / "made.txt").read_text(encoding="utf-8") == REPORT


def test_a_hard_linked_output_stays_whole(inputs: Path, tmp_path: Path) -> None:
    first = inputs / "report.txt"
    first.write_text("previous report\n", encoding="utf-8")
    os.chmod(first, 0o640)
    other = tmp_path / "elsewhere.txt"
    os.link(first, other)
    code, _ = check_to("report.txt")
    assert code in (0, 1)
    assert other.read_text(encoding="utf-8") == REPORT  # the other name sees the new report
    assert os.path.samefile(first, other) and first.stat().st_nlink == 2
    assert stat.S_IMODE(first.stat().st_mode) == 0o640
    assert sorted(p.name for p in inputs.iterdir()) == ["deals.yaml", "report.txt",
                                                        "terms.deal"]


def test_fmt_formats_the_target_of_a_symlink_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.deal"
    real.write_text(MESSY, encoding="utf-8")
    link = tmp_path / "link.deal"
    os.symlink("real.deal", link)
    run = run_cli("fmt", str(link))
    assert run.code == 0
    assert link.is_symlink() and os.readlink(link) == "real.deal"
    assert real.read_text(encoding="utf-8") == FORMATTED
    assert sorted(os.listdir(tmp_path)) == ["link.deal", "real.deal"]


def test_fmt_keeps_hard_links_whole(tmp_path: Path) -> None:
    first = tmp_path / "terms.deal"
    first.write_text(MESSY, encoding="utf-8")
    other = tmp_path / "copy.deal"
    os.link(first, other)
    assert run_cli("fmt", str(first)).code == 0
    assert other.read_text(encoding="utf-8") == FORMATTED
    assert os.path.samefile(first, other)


# ---------------------------------------------------------------- output errors are user errors


def test_a_missing_output_directory_is_a_located_error(inputs: Path) -> None:
    code, stderr = check_to("missing/report.txt")
    assert code == 2
    assert stderr == ("missing/report.txt:1:1: error[DC904]: cannot write `missing/report.txt`: "
                      "no such file or directory\n"
                      "  help: create the directory `missing` first, or write elsewhere\n"
                      "found 1 error\n")


def test_a_250_character_file_name_is_written(inputs: Path) -> None:
    name = "r" * 246 + ".txt"  # valid: NAME_MAX is 255; with a hidden prefix and suffix it was not
    code, stderr = check_to(name)
    assert (code, stderr) in ((0, ""), (1, ""))
    assert (inputs / name).read_text(encoding="utf-8") == REPORT
    assert sorted(p.name for p in inputs.iterdir()) == sorted(["deals.yaml", "terms.deal", name])


def test_a_file_name_too_long_is_a_located_error(inputs: Path) -> None:
    name = "r" * 300
    code, stderr = check_to(name)
    assert code == 2
    assert stderr.startswith(f"{name}:1:1: error[DC904]: cannot write `{name}`: file name too "
                             "long\n")
    assert "  help: use a shorter file name\n" in stderr
    assert sorted(p.name for p in inputs.iterdir()) == ["deals.yaml", "terms.deal"]


def test_a_full_device_is_a_located_error(inputs: Path, tmp_path: Path) -> None:
    devices = tmp_path / "dev"
    devices.mkdir()
    full = char_device(devices, "full", 7)
    code, stderr = check_to(str(full))
    assert code == 2
    assert stderr.startswith(f"{full}:1:1: error[DC904]: cannot write `{full}`: no space left "
                             "on device\n")
    assert "  help: free some space on the disk, or write elsewhere\n" in stderr
    assert is_char_device(full, 7)


def test_a_disk_full_while_saving_keeps_the_previous_report(
        inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (inputs / "report.txt").write_text("previous report\n", encoding="utf-8")

    def full(fd: int) -> None:  # what a file system that ran out of room reports
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, stderr = check_to("report.txt")
    assert code == 2
    assert stderr.startswith("report.txt:1:1: error[DC904]: cannot write `report.txt`: no "
                             "space left on device\n")
    assert (inputs / "report.txt").read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in inputs.iterdir()) == ["deals.yaml", "report.txt", "terms.deal"]


@pytest.mark.slow
def test_a_write_refused_midway_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A real refusal of the system while the report is written: a file size limit (EFBIG)."""
    out = tmp_path / "out"
    out.mkdir()

    def small_files() -> None:  # Python ignores SIGXFSZ: the write fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    run = subprocess.run(
        [sys.executable, "-m", "dealcheck", "check", str(EXAMPLE_TERMS), str(EXAMPLE_SCENARIO),
         "--format", "json", "-o", str(out / "report.json")], capture_output=True, text=True,
        preexec_fn=small_files, env={**os.environ, "PYTHONPATH": str(ROOT / "src"),
                                     "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60, check=False)
    assert run.returncode == 2
    assert f"error[DC904]: cannot write `{out / 'report.json'}`: file too large" in run.stderr
    assert os.listdir(out) == []


def test_fmt_reports_a_failed_write_as_dc904(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(MESSY, encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    run = run_cli("fmt", str(terms))
    assert run.code == 2
    assert f"error[DC904]: cannot write `{terms}`: no space left on device" in run.stderr
    assert terms.read_text(encoding="utf-8") == MESSY
    assert os.listdir(tmp_path) == ["terms.deal"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="reads /proc")
def test_ctrl_c_while_a_named_pipe_waits_for_its_reader(inputs: Path) -> None:
    """Without a reader, opening the pipe waits: Ctrl-C ends the wait, exit code 130."""
    os.mkfifo(inputs / "pipe")
    process = subprocess.Popen(
        [sys.executable, "-m", "dealcheck", "check", "terms.deal", "deals.yaml", "-o", "pipe"],
        cwd=inputs, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        wchan = Path(f"/proc/{process.pid}/wchan")
        deadline = time.monotonic() + 60
        waiting = False
        while not waiting and process.poll() is None and time.monotonic() < deadline:
            waiting = wchan.read_text(encoding="utf-8") == "wait_for_partner"  # in open(2)
            time.sleep(0.01)
        assert process.poll() is None, process.communicate()[1]
        if not waiting:
            pytest.skip("the kernel does not show where the process waits")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == 130
    assert stderr.decode().split() == ["interrupted"]
    assert stat.S_ISFIFO(os.stat(inputs / "pipe").st_mode)
    assert sorted(p.name for p in inputs.iterdir()) == ["deals.yaml", "pipe", "terms.deal"]
