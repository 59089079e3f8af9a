"""Every code block of the README and of docs/*.md, run as written.

- ```console: each `$ command` runs from the repository's root (with this
  virtualenv's tools) and prints exactly the lines that follow it. Its
  `dealcheck` runs in this process (`main(argv)`) when its arguments are plain
  words; the rest of its pipeline, in bash.
- ```deal: the terms resolve without a diagnostic, warnings included, and
  their examples pass. A block that shows a mistake on purpose is marked
  ```deal broken, and must then have an error.
- ```python: runs as a test module under pytest, from the repository's root.
  A block whose first line is a comment naming its file
  (`# examples/microsoft-openai/tests/test_terms.py`) runs as that file, in a
  scratch copy of the top directory of that path.

```text and ```sh blocks are grammar sketches, transcripts and set-up lines;
the set-up line is checked against the CI script below.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.examples import run_examples
from dealcheck.cli import main
from dealcheck.dsl.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text("utf-8")

_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int          # the line of the opening fence
    language: str
    marks: str         # the words after the language: `broken`
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(language: str) -> list[Block]:
    found: list[Block] = []
    for doc in DOCS:
        text = doc.read_text("utf-8")
        for m in _FENCE.finditer(text):
            if m[1] == language:
                found.append(Block(doc, text.count("\n", 0, m.start()) + 1, m[1],
                                   m[2].strip(), m[3]))
    return found


def console_commands() -> list[tuple[str, str, str]]:
    """(where, command, expected output) for every `$ ` line of every ```console block."""
    out: list[tuple[str, str, str]] = []
    for block in blocks("console"):
        command: str | None = None
        output: list[str] = []
        for line in block.text.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    out.append((block.where, command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            out.append((block.where, command, "\n".join(output)))
    return out


COMMANDS = console_commands()
DEAL = blocks("deal")
PYTHON = blocks("python")


def test_the_docs_have_blocks_of_every_kind() -> None:
    assert len(DOCS) >= 4
    assert {b.doc.name for b in DEAL} >= {"language.md"}
    assert {b.doc.name for b in PYTHON} >= {"README.md", "testing.md", "limits.md"}
    recipes = [name for b in PYTHON if b.doc.name == "testing.md"
               for name in re.findall(r"^def (test_\w+)", b.text, re.MULTILINE)]
    assert len(recipes) >= 6, recipes
    assert len(COMMANDS) >= 6


def test_the_walkthrough_has_its_steps() -> None:
    commands = " ".join(c for _, c, _ in COMMANDS)
    for word in ("check", "explain", "--as-of", "test", "lint"):
        assert f"dealcheck {word}" in commands or word in commands


@pytest.mark.parametrize(("where", "command", "expected"), [
    # A block on the Spark engine starts a JVM: slower than the whole fast tier may be.
    pytest.param(*c, marks=[pytest.mark.slow] if "--engine spark" in c[1] else [])
    for c in COMMANDS], ids=[f"{w} {c[:60]}" for w, c, _ in COMMANDS])
def test_console_block(where: str, command: str, expected: str,
                       monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    if "--engine spark" in command:
        request.getfixturevalue("spark")  # the CLI in this process takes the active session
    env = {"NO_COLOR": "1", "COLUMNS": "100"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    done = _run_in_process(command) or subprocess.run(
        ["bash", "-c", command.replace(".venv/bin/", f"{BIN}/")], capture_output=True,
        text=True, cwd=ROOT, env={**os.environ, **env}, check=False)
    assert "Traceback" not in done.stderr
    got = "\n".join(line.rstrip() for line in done.stdout.rstrip("\n").splitlines())
    want = "\n".join(line.rstrip() for line in expected.rstrip("\n").splitlines())
    assert got == want


#: `[mkdir -p DIR && ].venv/bin/dealcheck ARGS [2>&1] [| or && the rest]`, ARGS plain words.
_DEALCHECK = re.compile(r"(?:mkdir -p (?P<mkdir>[\w./-]+) && )?"
                        r"\.venv/bin/dealcheck (?P<args>[\w ./=:-]+?)(?P<merged> 2>&1)?"
                        r"(?: (?P<then>\||&&) (?P<rest>.+))?")


def _run_in_process(command: str) -> subprocess.CompletedProcess[str] | None:
    """`command` with its `dealcheck` run in this process (a new interpreter costs more than
    most checks), what follows it in the pipeline run by bash on its output (after `&&`:
    when it succeeded, on no input); None if the command is not of that shape."""
    shape = _DEALCHECK.fullmatch(command)
    if shape is None:
        return None
    if shape["mkdir"]:
        (ROOT / shape["mkdir"]).mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    err = out if shape["merged"] else io.StringIO()
    with (contextlib.chdir(ROOT), contextlib.redirect_stdout(out),
          contextlib.redirect_stderr(err)):
        code = main(shape["args"].split())
    piped = shape["then"] == "|"
    if shape["rest"] is None or (not piped and code != 0):
        return subprocess.CompletedProcess(command, code, out.getvalue(), err.getvalue())
    rest = subprocess.run(["bash", "-c", shape["rest"].replace(".venv/bin/", f"{BIN}/")],
                          input=out.getvalue() if piped else "", capture_output=True,
                          text=True, cwd=ROOT, check=False)
    return subprocess.CompletedProcess(command, rest.returncode,
                                       rest.stdout if piped else out.getvalue() + rest.stdout,
                                       err.getvalue() + rest.stderr)


def test_console_commands_run_in_this_process_when_they_can() -> None:
    plain = [c for _, c, _ in COMMANDS if _DEALCHECK.fullmatch(c)]
    assert len(plain) >= len(COMMANDS) - 3, [c for _, c, _ in COMMANDS if c not in plain]
    done = _run_in_process(".venv/bin/dealcheck lint tests/fixtures/three-mistakes.deal 2>&1"
                           " | tail -1")
    assert done is not None and done.stdout.startswith("found 3 errors"), done
    assert _run_in_process(".venv/bin/dealcheck check \"$(ls examples)\"") is None
    # After `&&`, the rest runs only when dealcheck succeeded, as in a shell.
    done = _run_in_process("mkdir -p build && .venv/bin/dealcheck lint "
                           "examples/stargate/terms.deal && echo next")
    assert done is not None and (done.returncode, done.stdout) == (0, "next\n"), done
    done = _run_in_process(".venv/bin/dealcheck lint tests/fixtures/three-mistakes.deal "
                           "&& echo next")
    assert done is not None and done.returncode == 2 and "next" not in done.stdout, done


@pytest.mark.parametrize("block", DEAL, ids=[b.where for b in DEAL])
def test_deal_block(block: Block) -> None:
    terms, diagnostics = dealcheck.analyze(block.text, block.where, warnings=True)
    if block.marks == "broken":
        assert any(d.severity is Severity.ERROR for d in diagnostics), \
            "marked broken, but it resolves"
        return
    assert block.marks == "", f"unknown mark `{block.marks}`"
    assert [(d.code, d.message) for d in diagnostics] == []
    assert terms is not None
    failed = [(o.example.title, o.failures) for o in run_examples(terms) if not o.passed]
    assert failed == []


@pytest.mark.slow
@pytest.mark.parametrize("block", PYTHON, ids=[b.where for b in PYTHON])
def test_python_block(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    first = block.text.split("\n", 1)[0]
    if not re.search(r"^(def test_|class Test)", block.text, re.MULTILINE) \
            and not re.match(r"#\s*[\w./-]+\.py\b", first):
        # No test in it: running the module (its import) is the test, in this process
        # (with this worker's Spark session for a block on Spark: a JVM starts slowly).
        if "dealcheck.engines.spark" in block.text:
            request.getfixturevalue("spark")
        with contextlib.chdir(ROOT):
            exec(compile(block.text, block.where, "exec"), {"__name__": f"block_{block.line}"})
        return
    named = re.match(r"#\s*([\w./-]+\.py)\b", first)
    if named:
        path = Path(named[1])
        top = path.parts[0]
        shutil.copytree(ROOT / top, tmp_path / top)
        cwd, module = tmp_path, tmp_path / path
        module.parent.mkdir(parents=True, exist_ok=True)
    else:
        cwd, module = ROOT, tmp_path / f"test_block_{block.line}.py"
    module.write_text(block.text, "utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(module)],
        capture_output=True, text=True, cwd=cwd, check=False)
    # 5: the block defines no test; running it (its import) is the test then.
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]


def test_the_docs_and_examples_stand_alone() -> None:
    """No citation of documents that ship without the repository; every relative link resolves."""
    files = [*DOCS, *sorted(p for p in (ROOT / "examples").rglob("*") if p.is_file())]
    # Bytes, not text: examples include binary inventories (Parquet).
    cited = [(f.relative_to(ROOT), word) for f in files for word in ("CASE-STUDY", "DESIGN.md",
                                                                     "DESIGN §")
             if word.encode() in f.read_bytes()]
    assert cited == []
    broken = [(doc.relative_to(ROOT), link) for doc in DOCS
              for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text("utf-8"))
              if "://" not in link and not (doc.parent / link).exists()]
    assert broken == []


def test_set_up_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && " \
           ".venv/bin/python -m pytest -q" in README
    assert "-m pytest -q" in ci


def test_library_snippet_says_what_it_shows() -> None:
    [snippet] = [b for b in PYTHON if b.doc.name == "README.md"]
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        exec(compile(snippet.text.replace("print(report.to_json())", "report.to_json()"),
                     "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    report = namespace["report"]
    assert str(report.verdict_of("aws-api")) == "violation"  # type: ignore[attr-defined]
    fix = report.violations[0].findings[0].fix  # type: ignore[attr-defined]
    assert fix == "run on `Azure`, or have `customer = us_national_security` (`national_security`)"
    decision = namespace["decision"]
    assert isinstance(decision, dealcheck.DeploymentResult)
    assert str(decision.verdict) == "compliant" and not decision.not_covered
    scenario = namespace["scenario"]
    assert isinstance(scenario, dealcheck.Scenario)
    checked = namespace["terms"].check(scenario.deployments)  # type: ignore[attr-defined]
    assert str(checked.verdict_of("stargate-abilene")) == "undetermined"
