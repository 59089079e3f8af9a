"""DC205: declared names of one kind that differ only by case, via the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import dealcheck
from helpers import run_dealcheck

TERMS = """\
agreement "Case" effective 2025-01-01
party OpenAI, Openai
party Microsoft
provider Azure operated by Microsoft
provider azure operated by Microsoft
workload api
unit gw
fact pods: number gw
clause api_exclusive:
  OpenAI runs api only on Azure
clause pods_used:
  OpenAI runs api only if pods >= 1 gw
"""


def case_warnings(text: str) -> list[tuple[int, int, str, list[tuple[int, int]]]]:
    _, diagnostics = dealcheck.analyze(text, "case.deal", warnings=True)
    return [(d.span.line, d.span.column, d.message,
             [(r.span.line, r.span.column) for r in d.related])
            for d in diagnostics if d.code == "DC205"]


def test_names_that_differ_only_by_case_are_warned_about() -> None:
    assert case_warnings(TERMS) == [
        (2, 15, "party `Openai` differs from party `OpenAI` only by case", [(2, 7)]),
        (5, 10, "provider `azure` differs from provider `Azure` only by case", [(4, 10)]),
        (7, 6, "unit `gw` differs from the built-in unit `GW` only by case", []),
    ]


def test_names_that_differ_by_more_than_case_are_not() -> None:
    text = (TERMS.replace("Openai", "OpenAI2").replace("provider azure", "provider azur")
            .replace("gw", "TPU"))
    assert case_warnings(text) == []


def test_the_same_name_in_two_kinds_is_not_a_case_twin() -> None:
    text = TERMS.replace("party OpenAI, Openai", "party OpenAI, Azure")
    assert [w[2] for w in case_warnings(text)] == [
        "provider `azure` differs from provider `Azure` only by case",
        "unit `gw` differs from the built-in unit `GW` only by case",
    ]


def test_lint_shows_the_warning_with_its_code_and_place_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "case.deal"
    path.write_text(TERMS)
    run = run_dealcheck("lint", "--error-format", "json", path, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    found = [(d["code"], d["severity"], d["line"], d["column"])
             for d in json.loads(run.stdout)["diagnostics"]]
    assert found == [("DC205", "warning", 2, 15), ("DC205", "warning", 5, 10),
                     ("DC205", "warning", 7, 6)]
