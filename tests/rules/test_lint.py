"""Lint warnings DC201–DC204: when each fires and when it must not, via the library and the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.examples import run_examples
from dealcheck.dsl.diagnostics import Diagnostic, Severity
from dealcheck.rules import lint
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / "microsoft-openai" / "terms.deal",
            ROOT / "examples" / "stargate" / "terms.deal"]

#: Eight lines of vocabulary: the body of a test starts on line 9.
HEADER = """\
agreement "Lint" effective 2025-01-01
party Acme, Zed
provider Azure operated by Acme
provider AWS operated by Zed
workload api, training
region US, EU
fact consent: bool
fact waiver: bool
"""

#: Reads both facts, so that DC201 stays quiet unless a test wants it.
USES_FACTS = "clause reads_facts:\n  Zed runs training only if consent or waiver\n"


def warnings_of(body: str, *, header: bool = True) -> list[tuple[str, int, int, str]]:
    text = (HEADER + body) if header else body
    terms, diagnostics = dealcheck.analyze(text, "lint.deal", warnings=True)
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    assert terms is not None
    return [(d.code, d.span.line, d.span.column, d.message) for d in diagnostics
            if d.code not in ANALYSIS_CODES]


#: The warnings of `dealcheck analyze` (tests/analysis): not what these tests are about.
ANALYSIS_CODES = frozenset(("DC230", "DC231", "DC232", "DC233", "DC234"))


def run_lint(*files: str, cwd: Path, fmt: str = "text") -> subprocess.CompletedProcess[str]:
    return run_dealcheck("lint", "--error-format", fmt, *files, cwd=cwd)


def test_warning_codes_are_the_documented_ones() -> None:
    assert sorted(lint.CODES) == ["DC201", "DC202", "DC203", "DC204", "DC205", "DC220"]


# ---------------------------------------------------------------- DC201 unused facts


def test_dc201_fact_no_clause_reads() -> None:
    assert warnings_of("clause c1:\n  Acme runs api only if consent\n") == [
        ("DC201", 8, 6, "fact `waiver` is never read by a clause")]


def test_dc201_fact_read_by_when_of_a_permission_is_used() -> None:
    assert warnings_of("clause c1:\n  Acme runs api only if consent\n"
                       "clause p1 notwithstanding c1:\n  Acme may run api when waiver\n") == []


def test_dc201_fact_read_by_an_aggregate_condition_is_used() -> None:
    assert warnings_of("clause c1:\n  total value of deployments is at most 1B USD when consent\n"
                       "clause c2:\n  Zed must not run api when waiver\n") == []


def test_dc201_every_unused_fact_is_reported_in_order() -> None:
    assert warnings_of("clause c1:\n  Acme runs api only on Azure\n") == [
        ("DC201", 7, 6, "fact `consent` is never read by a clause"),
        ("DC201", 8, 6, "fact `waiver` is never read by a clause"),
    ]


def test_dc201_unit_no_clause_reads() -> None:
    assert warnings_of(USES_FACTS + "unit TPU\n") == [
        ("DC201", 11, 6, "unit `TPU` is never used")]


def test_dc201_fact_set_only_by_an_example_is_still_unused() -> None:
    body = ("clause c1:\n  Acme runs api only if consent\n"
            'example "e":\n  deployment d: Acme runs api on Azure starting 2025-02-01 with '
            "consent = true, waiver = true\n  expect compliant\n")
    assert warnings_of(body) == [("DC201", 8, 6, "fact `waiver` is never read by a clause")]


# ---------------------------------------------------------------- DC202 idle permissions


def test_dc202_permission_scope_disjoint_from_its_target() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api on Azure only if consent\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n")
    assert warnings_of(body) == [("DC202", 13, 8, "permission `p1` overrides nothing of `c1`")]


def test_dc202_permission_for_another_party() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause p1 notwithstanding c1:\n  Zed may run api on AWS\n")
    assert warnings_of(body) == [("DC202", 13, 8, "permission `p1` overrides nothing of `c1`")]


def test_dc202_quiet_when_the_permission_can_override() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on AWS when consent\n")
    assert warnings_of(body) == []


def test_dc202_permission_outside_an_exclusivitys_own_providers() -> None:
    # `off Azure` and `on Azure` cannot hold for the same deployment.
    body = USES_FACTS + ("clause c1:\n  Acme runs api off Azure only in US\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on Azure\n")
    assert warnings_of(body) == [("DC202", 13, 8, "permission `p1` overrides nothing of `c1`")]


# ---------------------------------------------------------------- DC203 dead clauses


def test_dc203_revoked_before_it_takes_effect() -> None:
    body = USES_FACTS + ("clause c1 from 2025-06-01:\n  Acme runs api only on Azure\n"
                         "amendment a1 effective 2025-03-01:\n  revoke c1\n")
    assert warnings_of(body) == [("DC203", 11, 8, "clause `c1` ends before it takes effect")]


def test_dc203_replaced_before_it_takes_effect() -> None:
    body = USES_FACTS + ("amendment a1 effective 2025-03-01:\n"
                         "  clause c1 from 2025-09-01:\n    Acme runs api only on Azure\n"
                         "amendment a2 effective 2025-06-01:\n"
                         "  replace clause c1:\n    Acme runs api only on AWS\n")
    assert warnings_of(body) == [("DC203", 12, 10, "clause `c1` ends before it takes effect")]


def test_dc203_quiet_for_a_clause_revoked_after_it_took_effect() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "amendment a1 effective 2025-01-02:\n  revoke c1\n")
    assert warnings_of(body) == []


# ---------------------------------------------------------------- DC204 unrelated permissions


def test_dc204_restriction_not_named_by_an_applying_permission() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause c2:\n  Acme must not run api in EU\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n")
    assert warnings_of(body) == [
        ("DC204", 15, 8, "permission `p1` does not name `c2`, which applies to the same "
                         "deployments")]


def test_dc204_restriction_still_wins_at_evaluation() -> None:
    text = HEADER + USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                                  "clause c2:\n  Acme must not run api in EU\n"
                                  "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n"
                                  'example "both apply":\n'
                                  "  deployment d: Acme runs api on AWS in EU starting 2025-05-01\n"
                                  "  expect violation of c2\n")
    [outcome] = run_examples(dealcheck.loads(text))
    assert outcome.failures == []
    [result] = outcome.report.deployments
    assert [(f.clause, str(f.outcome)) for f in result.findings] == [
        ("c1", "overridden"), ("c2", "violated")]


def test_dc204_quiet_when_the_windows_do_not_meet() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause c2 through 2025-02-28:\n  Acme must not run api\n"
                         "clause p1 from 2025-03-01 notwithstanding c1:\n  Acme may run api\n")
    assert warnings_of(body) == []


def test_dc204_quiet_when_the_scopes_do_not_meet() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause c2:\n  Acme must not run training\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n")
    assert warnings_of(body) == []


def test_dc204_quiet_for_an_exception_to_an_exception() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api when consent\n"
                         "clause p2 notwithstanding p1:\n  Acme may run api on AWS when waiver\n")
    assert warnings_of(body) == []


def _waivers(count: int) -> str:
    """`count` restrictions on the same deployments, each with its own waiver."""
    return USES_FACTS + "".join(f"clause r{i}:\n  Acme runs api only on Azure\n"
                                f"clause w{i} notwithstanding r{i}:\n  Acme may run api on AWS\n"
                                for i in range(count))


def test_dc204_one_warning_per_permission_with_a_count() -> None:
    # Each waiver meets every other restriction: one warning each, not one per pair.
    terms, diagnostics = dealcheck.analyze(HEADER + _waivers(60), "lint.deal", warnings=True)
    diagnostics = [d for d in diagnostics if d.code not in ANALYSIS_CODES]
    assert terms is not None
    assert [d.code for d in diagnostics] == ["DC204"] * 60
    first, last = diagnostics[0], diagnostics[-1]
    assert first.message == ("permission `w0` does not name 59 restrictions that apply to the "
                             "same deployments: `r1`, `r2`, `r3` and 56 more")
    assert last.message == ("permission `w59` does not name 59 restrictions that apply to the "
                            "same deployments: `r0`, `r1`, `r2` and 56 more")
    assert [r.message for r in first.related] == [
        "`r1` is defined here", "`r2` is defined here", "`r3` is defined here"]
    assert [r.span.line for r in first.related] == [15, 19, 23]
    assert first.help == ("they still bind where both apply; add to `notwithstanding` those the "
                          "permission is meant to override")


def test_dc204_lists_a_few_restrictions_in_full() -> None:
    body = USES_FACTS + ("clause c1:\n  Acme runs api only on Azure\n"
                         "clause c2:\n  Acme must not run api in EU\n"
                         "clause c3:\n  Acme runs api only in US\n"
                         "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n")
    assert warnings_of(body) == [
        ("DC204", 17, 8, "permission `p1` does not name 2 restrictions that apply to the same "
                         "deployments: `c2` and `c3`")]


def test_dc204_applying_the_help_silences_it() -> None:
    body = _waivers(3)
    assert [w[0] for w in warnings_of(body)] == ["DC204"] * 3
    named = body.replace("notwithstanding r0:", "notwithstanding r0, r1, r2:")
    named = named.replace("notwithstanding r1:", "notwithstanding r1, r0, r2:")
    named = named.replace("notwithstanding r2:", "notwithstanding r2, r0, r1:")
    assert warnings_of(named) == []


def test_dc204_tests_restrictions_of_one_scope_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 restrictions with the same scope meet the same permissions: the pair
    # search tests each permission against the group once, not against each.
    calls = 0
    scopes_meet = lint.scopes_meet

    def counted(a: object, b: object) -> bool:
        nonlocal calls
        calls += 1
        return scopes_meet(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(lint, "scopes_meet", counted)
    _, diagnostics = dealcheck.analyze(HEADER + _waivers(200), "lint.deal", warnings=True)
    assert len([d for d in diagnostics if d.code == "DC204"]) == 200
    dc204_calls = calls - 200  # DC202 tests each waiver against its own restriction
    assert dc204_calls <= 2 * 200, calls


# ---------------------------------------------------------------- when lint runs


def test_no_warnings_unless_asked() -> None:
    _, diagnostics = dealcheck.analyze(HEADER + "clause c1:\n  Acme runs api only on Azure\n",
                                       "lint.deal", warnings=False)
    assert diagnostics == []


def test_no_warnings_when_there_are_errors() -> None:
    terms, diagnostics = dealcheck.analyze(
        HEADER + "clause c1:\n  Acme runs api only on Azur\n", "lint.deal", warnings=True)
    assert terms is None
    assert [(d.code, str(d.severity)) for d in diagnostics] == [("DC101", "error")]


def test_lint_passes_are_pure_functions_in_order() -> None:
    text = HEADER + "clause c1:\n  Acme runs api only on Azure\n"
    from dealcheck.rules.resolve import resolve

    resolution = resolve(dealcheck.parse(text, "lint.deal"), "lint.deal", text)
    assert resolution.terms is not None
    first = lint.lint(resolution.terms, resolution.uses)
    second = lint.lint(resolution.terms, resolution.uses)
    assert first == second
    assert [p.__name__ for p in lint.PASSES] == [
        "unused", "empty_windows", "idle_permissions", "unrelated_permissions", "case_twins",
        "self_comparisons"]


# ---------------------------------------------------------------- the CLI


def test_cli_exits_0_with_warnings_only(tmp_path: Path) -> None:
    (tmp_path / "w.deal").write_text(HEADER + "clause c1:\n  Acme runs api only if consent\n",
                                     encoding="utf-8")
    run = run_lint("w.deal", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr == (
        "w.deal:8:6: warning[DC201]: fact `waiver` is never read by a clause\n"
        "   8 | fact waiver: bool\n"
        "            ^^^^^^\n"
        "  help: use it in a condition, or remove it\n"
        "found 1 warning\n"
    )


def test_cli_exits_2_when_errors_and_reports_no_warnings(tmp_path: Path) -> None:
    (tmp_path / "e.deal").write_text(HEADER + "clause c1:\n  Acme runs api only on Azur\n",
                                     encoding="utf-8")
    run = run_lint("e.deal", cwd=tmp_path)
    assert run.returncode == 2
    assert "error[DC101]" in run.stderr and "warning[" not in run.stderr
    assert run.stderr.endswith("found 1 error\n")


def test_cli_json_lists_warnings(tmp_path: Path) -> None:
    (tmp_path / "w.deal").write_text(HEADER + "clause c1:\n  Acme runs api only on Azure\n",
                                     encoding="utf-8")
    run = run_lint("w.deal", cwd=tmp_path, fmt="json")
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)["diagnostics"]
    assert [(d["code"], d["severity"], d["line"], d["column"]) for d in found] == [
        ("DC201", "warning", 7, 6), ("DC201", "warning", 8, 6)]


# ---------------------------------------------------------------- the shipped examples


def _diagnostics_of(path: Path) -> list[Diagnostic]:
    _, diagnostics = dealcheck.analyze(path.read_text("utf-8"), str(path), warnings=True)
    return diagnostics


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_terms_have_no_errors(path: Path) -> None:
    errors = [d for d in _diagnostics_of(path) if d.severity is Severity.ERROR]
    assert [(d.code, d.span.line, d.message) for d in errors] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_terms_have_no_warnings(path: Path) -> None:
    assert [(d.code, d.span.line, d.message) for d in _diagnostics_of(path)] == []


def test_cli_lints_both_examples_clean() -> None:
    run = run_lint(*(str(p.relative_to(ROOT)) for p in EXAMPLES), cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "2 files checked: no problems\n"
