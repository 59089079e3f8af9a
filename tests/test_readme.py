"""The README's walkthrough: every console block, run as written, prints what it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
BIN = Path(sys.executable).parent


def console_blocks() -> list[tuple[str, str]]:
    """(command, expected output) pairs from the README's ```console blocks."""
    pairs: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        command: str | None = None
        output: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            pairs.append((command, "\n".join(output)))
    return pairs


BLOCKS = console_blocks()


def test_the_walkthrough_has_its_steps() -> None:
    commands = " ".join(c for c, _ in BLOCKS)
    for word in ("check", "explain", "--as-of", "test", "lint"):
        assert f"dealcheck {word}" in commands or word in commands


@pytest.mark.parametrize(("command", "expected"), BLOCKS, ids=[c[:70] for c, _ in BLOCKS])
def test_console_block(command: str, expected: str) -> None:
    runnable = command.replace(".venv/bin/", f"{BIN}/")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    done = subprocess.run(["bash", "-c", runnable], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=False)
    assert "Traceback" not in done.stderr
    got = "\n".join(line.rstrip() for line in done.stdout.rstrip("\n").splitlines())
    want = "\n".join(line.rstrip() for line in expected.rstrip("\n").splitlines())
    assert got == want


def test_set_up_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && " \
           ".venv/bin/python -m pytest -q" in README
    assert "-m pytest -q" in ci


def test_library_snippet_runs() -> None:
    [snippet] = re.findall(r"```python\n(.*?)```", README, re.S)
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        exec(compile(snippet.replace("print(report.to_json())", "report.to_json()"),
                     "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    report = namespace["report"]
    assert str(report.verdict_of("aws-api")) == "violation"  # type: ignore[attr-defined]
    fix = report.violations[0].findings[0].fix  # type: ignore[attr-defined]
    assert fix == "run on `Azure`, or have `customer = us_national_security` (`national_security`)"
