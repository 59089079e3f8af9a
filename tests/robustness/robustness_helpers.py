"""Shared helpers for the robustness tests: run the CLI in-process or as a process."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dealcheck.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
#: The terms the scenario corpus is checked against.
VOCABULARY = CORPUS / "vocabulary.deal"
EXAMPLE_TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
EXAMPLE_SCENARIO = ROOT / "examples" / "microsoft-openai" / "deals.yaml"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def diagnostics(self) -> list[dict[str, object]]:
        """The diagnostics of a run with ``--error-format json``."""
        found: list[dict[str, object]] = json.loads(self.stdout)["diagnostics"]
        return found


def run_cli(*argv: str) -> Run:
    """Run `dealcheck` in this process (fast): exit code, standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def run_process(*argv: str, env: dict[str, str] | None = None, timeout: float = 60,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m dealcheck` as its own process, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "dealcheck", *argv], capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=cwd, check=False)


def escape(text: str) -> str:
    r"""Non-printable characters as Python escapes, for one-line expectations (``\x00``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
