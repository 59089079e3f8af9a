"""`.pre-commit-hooks.yaml`: valid for pre-commit, its entries real dealcheck commands that pass
on the shipped examples and fail on what they guard against; docs/pre-commit.md's local
configuration runs under pre-commit itself."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_config, load_manifest

from dealcheck.cli import cli
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOC = ROOT / "docs" / "pre-commit.md"
EXAMPLES = sorted(ROOT.glob("examples/*/terms.deal"))
IDS = ["dealcheck-fmt", "dealcheck-lint", "dealcheck-test"]


def hooks() -> list[dict[str, Any]]:
    return list(load_manifest(str(HOOKS)))  # validates against pre-commit's own schema


def argv(hook: dict[str, Any]) -> list[str]:
    """The dealcheck arguments a hook runs (its entry, then its `args`)."""
    words = shlex.split(hook["entry"])
    assert words[0] == "dealcheck", hook["entry"]
    return [*words[1:], *hook["args"]]


def test_the_hooks_file_declares_the_three_hooks() -> None:
    found = hooks()
    assert [h["id"] for h in found] == IDS
    for hook in found:
        assert hook["language"] == "python"
        assert hook["pass_filenames"]
        files = re.compile(hook["files"])
        assert files.search("agreements/terms.deal")
        assert not files.search("deals.yaml") and not files.search("terms.deal.orig")


def test_each_entry_is_a_real_command_with_real_options() -> None:
    for hook in hooks():
        command, *options = argv(hook)
        assert command in cli.commands, command
        known = {o for p in cli.commands[command].params for o in getattr(p, "opts", [])}
        assert set(options) <= known, (command, options)


@pytest.mark.parametrize("hook_id", IDS)
def test_each_hook_passes_on_the_shipped_examples(hook_id: str) -> None:
    [hook] = [h for h in hooks() if h["id"] == hook_id]
    done = run_dealcheck(*argv(hook), *EXAMPLES, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_hook_fails_on_what_it_guards_against(tmp_path: Path) -> None:
    by_id = {h["id"]: h for h in hooks()}
    terms = (ROOT / "examples" / "stargate" / "terms.deal").read_text("utf-8")
    unformatted = tmp_path / "unformatted.deal"
    unformatted.write_text(terms.replace("\n", "\n\n\n", 1), "utf-8")
    broken = tmp_path / "broken.deal"
    broken.write_text(terms + "\nclause oops:\n  Nobody runs api only on Azure\n", "utf-8")
    failing = tmp_path / "failing.deal"
    assert "expect compliant of us_only" in terms
    failing.write_text(terms.replace("expect compliant of us_only", "expect violation of us_only"),
                       "utf-8")
    cases = [("dealcheck-fmt", unformatted, 1), ("dealcheck-lint", broken, 2),
             ("dealcheck-test", failing, 1)]
    for hook_id, path, code in cases:
        done = run_dealcheck(*argv(by_id[hook_id]), path, cwd=tmp_path)
        assert done.returncode == code, (hook_id, done.stdout, done.stderr)


def local_config() -> str:
    [block] = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text("utf-8"), re.M | re.S)
    return block


def test_the_documented_local_hooks_are_the_hooks_file_s(tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(local_config(), "utf-8")
    [repo] = load_config(str(config))["repos"]
    assert repo["repo"] == "local"
    shipped = {h["id"]: (h["entry"], h["files"]) for h in hooks()}
    assert {h["id"]: (h["entry"], h["files"]) for h in repo["hooks"]} == shipped


@pytest.mark.slow
def test_pre_commit_runs_the_documented_configuration(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", repo / "examples")
    (repo / ".pre-commit-config.yaml").write_text(local_config(), "utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True,
                              check=False)

    assert run("git", "init", "-q").returncode == 0
    assert run("git", "add", ".").returncode == 0
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    done = run(*pre_commit)
    assert done.returncode == 0, done.stdout + done.stderr
    for hook_id in ("dealcheck fmt --check", "dealcheck lint", "dealcheck test"):
        assert re.search(rf"^{re.escape(hook_id)}\.+Passed$", done.stdout, re.M), done.stdout
    terms = repo / "examples" / "stargate" / "terms.deal"
    terms.write_text(terms.read_text("utf-8") + "\n\n\n", "utf-8")
    run("git", "add", ".")
    done = run(*pre_commit)
    assert done.returncode == 1
    assert re.search(r"^dealcheck fmt --check\.+Failed$", done.stdout, re.M), done.stdout
