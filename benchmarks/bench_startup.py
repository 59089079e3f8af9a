"""What every `dealcheck` command pays before its own work: the start-up, in fresh processes.

Run: python benchmarks/bench_startup.py [--repeat 7] [--rows 1000]

Runs, in turn and `--repeat` times each, fresh processes of: the interpreter
alone (``python -c pass``, the floor), ``dealcheck --version``, ``dealcheck
check`` of the shipped Microsoft–OpenAI example (its terms and ``deals.yaml``)
and ``dealcheck check --engine duckdb --format jsonl`` of a small JSON Lines
inventory of those terms (`--rows` deployments, written once). Prints the best
and the median wall time and CPU time (user and system, from ``wait4``) of
each, and what each costs over the floor; then the last check again where
``PYTHONDONTWRITEBYTECODE`` is set and dealcheck runs from its sources (an
editable install), so that each run compiles every module of dealcheck
anew. Each command first runs once
untimed, so that the processes timed find what an installation keeps: the
compiled modules (written under the work directory, whatever
``PYTHONDONTWRITEBYTECODE`` says) and the parser in the user's cache. (The
machine is shared: compare within one run, and prefer the CPU figures.)
With ``--baseline SRC``, the same commands are also run, in turn with the
others, on the sources in SRC (another tree of dealcheck), and the CPU time
of each is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import MSFT_OPENAI, ROOT, Row, print_table, sample_records, work_directory

EXAMPLE = ROOT / "examples" / "microsoft-openai"


@dataclass(slots=True)
class Runs:
    """The wall and CPU times of one command's runs."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    #: False: as where ``PYTHONDONTWRITEBYTECODE`` is set and dealcheck runs from
    #: its sources (an editable install), every module of dealcheck compiled each run.
    bytecode_kept: bool = True
    #: The sources of dealcheck run (`--baseline` times another tree's too).
    src: Path = ROOT / "src"

    def figure(self) -> str:
        return (f"wall {min(self.wall) * 1e3:.0f} / {statistics.median(self.wall) * 1e3:.0f} ms, "
                f"CPU {min(self.cpu) * 1e3:.0f} / {statistics.median(self.cpu) * 1e3:.0f} ms")


def run_once(runs: Runs, pycache: Path) -> None:
    """One fresh process of `runs`' command: its wall and CPU time (from wait4)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(runs.src) + os.pathsep + env.get("PYTHONPATH", "")
    if runs.bytecode_kept:
        # Compiled modules kept as an installation keeps them (here, in the work directory).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    process = subprocess.Popen(runs.argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    runs.wall.append(time.perf_counter() - start)
    runs.cpu.append(usage.ru_utime + usage.ru_stime)
    runs.statuses.add(os.waitstatus_to_exitcode(status))


def write_inventory(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in sample_records(count):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes of each command")
    parser.add_argument("--rows", type=int, default=1000,
                        help="deployments of the JSON Lines inventory")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory and reports here (reused if present)")
    parser.add_argument("--baseline", metavar="SRC", type=Path,
                        help="the `src` directory of another tree of dealcheck (say, of "
                             "`git archive main`): each command is run with it too, in turn")
    args = parser.parse_args(argv)
    python = sys.executable
    dealcheck = [python, "-m", "dealcheck"]
    with work_directory(args.keep) as directory:
        inventory = directory / f"startup-{args.rows}.jsonl"
        if not inventory.exists():
            write_inventory(inventory, args.rows)
        report = directory / "startup-report.jsonl"
        duckdb_check = [*dealcheck, "check", str(MSFT_OPENAI), str(inventory),
                        "--engine", "duckdb", "--format", "jsonl", "-o", str(report)]
        commands = [
            Runs("python -c pass (the floor)", [python, "-c", "pass"]),
            Runs("dealcheck --version", [*dealcheck, "--version"]),
            Runs("check of the shipped example",
                 [*dealcheck, "check", str(MSFT_OPENAI), str(EXAMPLE / "deals.yaml")]),
            Runs(f"check --engine duckdb, {args.rows:,} JSON Lines rows", duckdb_check),
            Runs("the same, no bytecode kept", duckdb_check, bytecode_kept=False),
        ]
        if args.baseline is not None:
            commands += [Runs(f"baseline: {r.label}", r.argv, src=args.baseline.resolve())
                         for r in commands[1:4]]
        pycache = directory / "pycache"
        for runs in commands:  # once untimed: compiles the modules, saves the parser
            run_once(runs, pycache)
            runs.wall.clear()
            runs.cpu.clear()
        for _ in range(max(1, args.repeat)):
            for runs in commands:
                run_once(runs, pycache)
    failed = [r for r in commands if r.statuses - {0, 1}]  # 1: the example has violations
    for runs in failed:
        print(f"{runs.label} exited with {sorted(runs.statuses)}", file=sys.stderr)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    floor = commands[0]
    rows = [Row("runs", f"{max(1, args.repeat)} of each in turn, best / median"),
            Row("load average at the end", load)]
    for runs in commands:
        rows.append(Row(runs.label, runs.figure()))
    for runs in commands[1:]:
        rows.append(Row(f"... over the floor: {runs.label}",
                        f"wall {(min(runs.wall) - min(floor.wall)) * 1e3:.0f} ms, "
                        f"CPU {(min(runs.cpu) - min(floor.cpu)) * 1e3:.0f} ms (best)"))
    for before, after in zip(commands[5:], commands[1:4], strict=False):
        rows.append(Row(f"baseline / this tree: {after.label}",
                        f"CPU {min(before.cpu) / min(after.cpu):.2f}x (best), "
                        f"{statistics.median(before.cpu) / statistics.median(after.cpu):.2f}x "
                        "(median)"))
    print_table("Start-up: fresh processes of dealcheck", rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
