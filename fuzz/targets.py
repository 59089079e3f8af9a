"""What one fuzz input must do: give a result or located diagnostics, never anything else.

Shared by the atheris harness (`fuzz_inputs.py`, long runs) and the bounded
Hypothesis tests in CI (`tests/robustness/test_fuzz.py`). Each target takes
raw bytes, runs them through a stage the way a file from a user would go, and
raises (an `AssertionError`, or whatever escaped dealcheck) only on a bug:

* `check_terms` — a ``.deal`` file: `read_text`, then `analyze` (parse,
  resolve, lint) and, when it parses, `format_source` (which re-parses its
  output and compares ASTs).
* `check_scenario` — a scenario file in one of the four formats:
  `load_scenario`, which must agree with the streaming `validate_file` and
  `iter_deployments`, and with the reading `dealcheck check` does
  (`open_scenarios(defer=True)`: validated as it is read), which must reject
  exactly the invalid files.
* `check_plan` — a Terraform plan or an asset export read through a map
  (`check --map`): where the fast reader of its JSON (`json_shallow`) takes
  it, the positional reader must read the same values.

Every diagnostic must carry a code, a one-line message and a location inside
the file, and render without error.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, render_text
from dealcheck.dsl.format import format_source
from dealcheck.io_text import read_text
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.read import (
    PiecesRejected,
    iter_deployments,
    load_scenario,
    open_scenarios,
    validate_file,
)

ROOT = Path(__file__).resolve().parents[1]
#: The terms whose vocabulary scenario inputs are checked against.
VOCABULARY_TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
#: The scenario formats, by the byte that selects them in `check_input`.
SCENARIO_SUFFIXES = (".yaml", ".json", ".csv", ".jsonl")

_SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


@cache
def vocabulary() -> Vocabulary:
    return dealcheck.load(VOCABULARY_TERMS).vocabulary


@cache
def scratch_dir() -> Path:
    """A private directory for the files the targets write (in memory where possible)."""
    return Path(tempfile.mkdtemp(prefix="dealcheck-fuzz-", dir=_SCRATCH))


def _write(data: bytes, suffix: str) -> Path:
    path = scratch_dir() / f"input{suffix}"
    path.write_bytes(data)
    return path


def check_input(data: bytes) -> None:
    """Dispatch on the first byte: terms, or one of the scenario formats."""
    if not data:
        return
    selector, body = data[0] % (1 + len(SCENARIO_SUFFIXES)), data[1:]
    if selector == 0:
        check_terms(body)
    else:
        check_scenario(body, SCENARIO_SUFFIXES[selector - 1])


def check_terms(data: bytes) -> None:
    """A terms file: diagnostics inside the file, and formatting that keeps the meaning."""
    path = _write(data, ".deal")
    file = str(path)
    try:
        text = read_text(file)
    except DiagnosticsError as exc:
        assert_located(exc.diagnostics, {file: ""}, data)
        return
    terms, diagnostics = dealcheck.analyze(text, file, warnings=True)
    assert_located(diagnostics, {file: text}, data)
    if terms is None:
        assert any(d.severity == "error" for d in diagnostics), "no terms and no error"
        if any(d.code.startswith("DC0") or d.code == "DC906" for d in diagnostics):
            return  # a syntax error: there is nothing to format
    try:
        formatted = format_source(text, file)
    except DiagnosticsError as exc:
        assert_located(exc.diagnostics, {file: text}, data)
        return
    # The formatter is idempotent: its output is its own canonical form.
    assert format_source(formatted, file) == formatted, "formatting is not idempotent"


def check_scenario(data: bytes, suffix: str) -> None:
    """A scenario file: every reader agrees, and diagnostics are located."""
    path = _write(data, suffix)
    words = vocabulary()
    try:
        deployments = load_scenario(path, words).deployments
    except DiagnosticsError as exc:
        assert exc.diagnostics, "an error without diagnostics"
        assert_located(exc.diagnostics, exc.sources, data)
        if [d.code for d in exc.diagnostics] == ["DC902"] and suffix in (".csv", ".jsonl"):
            return  # only reading whole has a size limit: streaming reads a line at a time
        assert validate_file(path, words) == exc.diagnostics, "the readers disagree"
        assert read_deferred(path) is None, "the deferred reader accepts an invalid file"
        return
    assert validate_file(path, words) == [], "the streaming reader finds a problem"
    assert tuple(iter_deployments(path, words)) == deployments, "the readers disagree"
    assert read_deferred(path) == deployments, "the deferred reader disagrees"


#: The map plans are read through in `check_plan`.
PLAN_MAP = """\
party: OpenAI
start: 2026-01-01
provider: {aws: AWS, google: GCP, azurerm: Azure, random: AWS}
workload: {"tag:Stage=*": chatgpt, aws_iam_*: ~, "*": api}
region: {us-*: US, US: US, eastus: US, westeurope: EU, "*": JP}
"""


def check_plan(data: bytes) -> None:
    """A plan or an export through a map: a scenario or located diagnostics; both JSON
    readers agree."""
    from dealcheck.scenario.infra_map import load_map
    from dealcheck.scenario.infra_read import InfraReader
    from dealcheck.scenario.json_shallow import shallow_tree
    from dealcheck.scenario.read_json import parse_json
    from dealcheck.scenario.validate import plain

    path = _write(data, ".json")
    mapping = scratch_dir() / "map.yaml"
    if not mapping.exists():
        mapping.write_text(PLAN_MAP, "utf-8")
    reader = InfraReader(load_map(mapping))
    try:
        scenario = open_scenarios([path], vocabulary(), infra=reader)
    except DiagnosticsError as exc:
        assert exc.diagnostics, "an error without diagnostics"
        assert_located([d for d in exc.diagnostics if d.span.file == str(path)], exc.sources,
                       data)
        assert all(d.span.file in (str(path), str(mapping)) for d in exc.diagnostics)
    else:
        assert all(d.source is not None and d.source.file == str(path)
                   for d in scenario.deployments())
    text = data.decode("utf-8", errors="replace")
    fast = shallow_tree(text, "x.json")
    if fast is not None:
        exact, found = parse_json(text, "x.json")
        assert exact is not None and not found, "only the fast JSON reader takes it"
        assert _floats(plain(fast)) == _floats(plain(exact)), "the JSON readers disagree"


def _floats(value: object) -> object:
    """Data with its numbers as floats (the positional reader keeps decimals exact)."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def read_deferred(path: Path) -> tuple[Deployment, ...] | None:
    """What `dealcheck check` reads of a file, validating as it goes; None if it rejects it."""
    try:
        return tuple(open_scenarios([path], vocabulary(), defer=True).deployments())
    except (DiagnosticsError, PiecesRejected):
        return None


def assert_located(diagnostics: list[Diagnostic], sources: dict[str, str], data: bytes) -> None:
    """Each diagnostic has a code, a one-line message and a place inside its file."""
    lines = data.count(b"\n") + 1
    for d in diagnostics:
        where = f"{d.code} {d.message!r} at {d.span.line}:{d.span.column}"
        assert d.code.startswith("DC") and len(d.code) == 5, where
        assert d.message and "\n" not in d.message, where
        assert not (d.message[:1].isupper() and d.message[1:2].islower()), where
        if d.span.file == "<environment>":
            continue
        assert 1 <= d.span.line <= lines, where
        assert d.span.column >= 1, where
        assert 0 <= d.span.start <= max(len(data), 1), where
    render_text(diagnostics, sources)


def cleanup() -> None:
    """Remove the scratch directory (the harness calls this at exit).

    A later target makes a new one: test modules sharing a worker each clean up
    when they end, while the others may still run.
    """
    folder = scratch_dir()
    for child in folder.iterdir():
        child.unlink()
    os.rmdir(folder)
    scratch_dir.cache_clear()
