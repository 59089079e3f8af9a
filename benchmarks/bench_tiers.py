"""The two test tiers: the wall time of each, and what of dealcheck the fast tier exercises.

    python benchmarks/bench_tiers.py            # time `pytest -m "not slow"`, then `pytest`
    python benchmarks/bench_tiers.py --fast     # time the fast tier only
    python benchmarks/bench_tiers.py --modules  # the fast tier, with the functions of every
                                                # module of dealcheck that its tests call

Each tier runs in a fresh process with the interpreter running this script; the load
average is printed beside every time (the machine may be shared), and so is the CPU
time of the tier's processes (test workers and the processes they wait for; not a JVM
that Spark leaves running). `--modules` runs the
fast tier in this process under a profile hook (slower: its time is not a figure) and
fails if some module of dealcheck has no function that a fast test calls.

Not part of `run.py`: this runs the test suite, and the test suite runs `run.py --quick`.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dealcheck"
FAST = ["-m", "not slow"]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min: {five:.2f})"


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def time_tier(name: str, selection: list[str]) -> int:
    """Run one tier; print its wall time and the CPU time of its processes (on a shared
    machine the CPU time, divided by the cores, says what the wall time would be alone)."""
    print(f"{name:<28} ({_load()} at the start)", flush=True)
    began, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *selection],
                          cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - began, _children_cpu() - cpu
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
    print(f"  {wall:7.1f} s wall, {cpu:7.1f} s CPU ({cpu / (os.cpu_count() or 1):.1f} s per "
          f"core), exit {done.returncode}: {summary}  ({_load()} at the end)")
    if done.returncode != 0:
        print(done.stdout[-4000:] + done.stderr[-2000:])
    return done.returncode


def _functions(code: CodeType) -> list[CodeType]:
    """Every function (and class body) defined in a module's code, nested ones included."""
    found: list[CodeType] = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.append(const)
            found.extend(_functions(const))
    return found


def module_coverage() -> int:
    import pytest

    called: set[CodeType] = set()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            called.add(frame.f_code)

    sys.setprofile(hook)
    threading.setprofile(hook)
    try:
        # In this process (`-n 0`): the profile hook sees only the calls made here.
        status = pytest.main(["-q", "-p", "no:cacheprovider", "-n", "0", *FAST,
                              str(ROOT / "tests")])
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    by_file: dict[str, set[tuple[str, int]]] = {}
    for code in called:
        by_file.setdefault(code.co_filename, set()).add((code.co_name, code.co_firstlineno))

    print(f"\nfunctions of each module called by the fast tier ({FAST[1]!r}):")
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        defined = {(c.co_name, c.co_firstlineno) for c in _functions(module)}
        hit = by_file.get(str(path), set()) & defined
        name = path.relative_to(PACKAGE.parent).as_posix()
        print(f"  {name:<42} {len(hit):4d} / {len(defined):4d}")
        if defined and not hit:
            missing.append(name)
    if missing:
        print("no fast test calls into: " + ", ".join(missing))
        return 1
    print("every module with functions is exercised by the fast tier")
    return int(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fast", action="store_true", help="time the fast tier only")
    group.add_argument("--modules", action="store_true",
                       help="list the functions of each module the fast tier calls")
    args = parser.parse_args()
    if args.modules:
        return module_coverage()
    status = time_tier('pytest -m "not slow"', FAST)
    if not args.fast:
        status |= time_tier("pytest (the full suite)", [])
    return status


if __name__ == "__main__":
    sys.exit(main())
