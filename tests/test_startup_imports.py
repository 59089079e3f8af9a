"""What a command imports: only what it uses (every `dealcheck` run pays for the rest).

Each case runs in a fresh interpreter (an import, once made, stays for the
whole test session) and lists the modules loaded once the command is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "microsoft-openai"

_LOADED = """
import contextlib, io, json, sys
from dealcheck.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def loaded_by(*argv: str) -> tuple[int, set[str]]:
    """The exit code of ``dealcheck ARGV`` run in a fresh process, and every module it loaded."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _LOADED, *argv], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    code, modules = json.loads(done.stdout)
    return code, set(modules)


def among(modules: set[str], *names: str) -> list[str]:
    """Which of the packages or modules `names` (or a submodule of one) were loaded."""
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_version_builds_no_parser_or_report() -> None:
    code, modules = loaded_by("--version")
    assert code == 0
    # The facade's types are imported with the package (their names resolve in its
    # functions' annotations); the parser, readers, reports and engines are not.
    assert among(modules, "lark", "rich", "ruamel", "pydantic", "pydantic_core", "jinja2",
                 "sqlglot", "duckdb", "hypothesis", "dealcheck.dsl.parse",
                 "dealcheck.report.output", "dealcheck.analysis.diff") == []


def test_the_facades_annotations_resolve_in_a_fresh_process() -> None:
    """Tools that read a library's types (`typing.get_type_hints`) see the facade's."""
    code = ("import typing, dealcheck\n"
            "for name in ('parse', 'analyze', 'loads', 'load', 'load_scenario'):\n"
            "    typing.get_type_hints(getattr(dealcheck, name))\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_a_json_report_of_a_scenario_loads_no_other_format_or_command(tmp_path: Path) -> None:
    code, modules = loaded_by("check", str(EXAMPLE / "terms.deal"), str(EXAMPLE / "deals.yaml"),
                              "--format", "json", "-o", str(tmp_path / "report.json"))
    assert code == 0  # the example holds no violation (some are undetermined)
    assert (tmp_path / "report.json").stat().st_size > 0
    # What the check does use: the parser, the reader of YAML and the JSON report.
    assert among(modules, "lark", "ruamel", "dealcheck.report.json") == [
        "dealcheck.report.json", "lark", "ruamel"]
    # Not: the text report and its progress bar (rich), HTML (jinja2), the engines
    # for bulk files, the lint passes, the analyses, maps of infrastructure plans.
    assert among(modules, "rich", "jinja2", "pydantic", "sqlglot", "duckdb", "hypothesis",
                 "dealcheck.report.text", "dealcheck.rules.lint", "dealcheck.analysis.diff",
                 "dealcheck.analysis.findings", "dealcheck.scenario.infra_map",
                 "dealcheck.scenario.infra_read", "dealcheck.engines.duckdb") == []


@pytest.mark.slow  # DuckDB's start in a fresh process: about 1-2 s on a busy machine
def test_a_duckdb_check_to_json_lines_loads_no_text_report(tmp_path: Path) -> None:
    # The inventories of millions: the start-up is on the critical path of the whole run.
    code, modules = loaded_by("check", str(EXAMPLE / "terms.deal"), str(EXAMPLE / "inventory.csv"),
                              "--engine", "duckdb", "--format", "jsonl",
                              "-o", str(tmp_path / "report.jsonl"))
    assert code == 1  # the inventory holds a violation
    assert among(modules, "duckdb", "sqlglot", "dealcheck.engines.duckdb") == [
        "dealcheck.engines.duckdb", "duckdb", "sqlglot"]
    assert among(modules, "rich", "jinja2", "pydantic", "ruamel", "hypothesis",
                 "dealcheck.report.text", "dealcheck.rules.lint", "dealcheck.analysis.diff",
                 "dealcheck.scenario.infra_map") == []
