"""examples/distribution and examples/ai-compute: the verdicts docs/case-study.md §5–§6 describe."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import dealcheck
from dealcheck import AggregateVerdict, Verdict
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = ROOT / "examples" / "distribution"
AI_COMPUTE = ROOT / "examples" / "ai-compute"
TERMS = ("examples/distribution/terms.deal", "examples/ai-compute/terms.deal")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_dealcheck(*args, cwd=ROOT)


def check_json(example: Path, scenario: str, *extra: str) -> tuple[int, dict[str, object]]:
    done = cli("check", str((example / "terms.deal").relative_to(ROOT)),
               str((example / scenario).relative_to(ROOT)), "--format", "json", *extra)
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    return done.returncode, document


def by_id(document: dict[str, object], key: str) -> dict[str, dict[str, object]]:
    field = "id" if key == "deployments" else "clause"
    return {d[field]: d for d in document[key]}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- both examples


def test_examples_pass_with_every_clause_exercised() -> None:
    done = cli("test", *TERMS, "--coverage")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "coverage  examples/distribution/terms.deal: 5/5 clauses exercised" in done.stdout
    assert "coverage  examples/ai-compute/terms.deal: 6/6 clauses exercised" in done.stdout
    assert "FAIL" not in done.stdout
    assert done.stdout.rstrip().endswith("34 passed, 0 failed")


def test_examples_are_formatted_and_lint_clean() -> None:
    formatted = cli("fmt", "--check", *TERMS)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = cli("lint", *TERMS)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "warning" not in linted.stdout + linted.stderr


@pytest.mark.parametrize("example", [DISTRIBUTION, AI_COMPUTE], ids=["distribution", "ai-compute"])
def test_every_clause_quotes_its_source(example: Path) -> None:
    for clause in dealcheck.load(example / "terms.deal").clauses:
        assert clause.sources, clause.id


# ---------------------------------------------------------------- distribution


def test_distribution_scenario() -> None:
    code, document = check_json(DISTRIBUTION, "purchases.yaml")
    assert code == 1
    assert document["verdict"] == "violation"
    deployments = by_id(document, "deployments")
    # EMC buys in its territory; wound care goes to a government channel.
    for emc in ("emc-year-1", "emc-year-2", "emc-year-3", "emc-government-wound-care"):
        deployment = deployments[emc]
        assert (deployment["verdict"], deployment["not_covered"]) == ("compliant", False)
    # Notice on 2024-10-22 (the file's `facts:`): on 2024-11-10 the 30-day cure
    # period is still running, so Sonoma's own sale breaks EMC's exclusivity.
    during = deployments["sonoma-during-cure"]
    assert during["verdict"] == "violation"
    [finding] = during["findings"]  # type: ignore[misc]
    assert finding["clause"] == "exclusive_territory"
    assert "have `breach_notice = 2024-10-10`" in finding["fix"]
    # The termination took effect on 2024-11-21: nothing binds Sonoma's sales,
    # until the (hypothetical) renewal of 2025-09-01.
    for gap in ("sonoma-after-termination", "sonoma-before-renewal"):
        assert (deployments[gap]["verdict"], deployments[gap]["not_covered"]) == (
            "compliant", True)
    for renewed in ("emc-renewal-year-1", "emc-renewal-year-2"):
        assert (deployments[renewed]["verdict"], deployments[renewed]["not_covered"]) == (
            "compliant", False)
    # Minimums per contract year: the first two met, the third short, the last
    # (cut by the termination) empty; the fix names what each lacked.
    minimum, renewal = [a for a in document["aggregates"]  # type: ignore[attr-defined]
                        if a["clause"] == "minimum_purchases"]
    assert minimum["verdict"] == "violation"
    assert minimum["window"] == {"first": "2021-03-26", "last": "2024-11-20"}
    assert [(p["first"], p["total"], p["verdict"]) for p in minimum["periods"]] == [
        ("2021-03-26", "42000 cases", "compliant"),
        ("2022-03-26", "41000 cases", "compliant"),
        ("2023-03-26", "28000 cases", "violation"),
        ("2024-03-26", "0 cases", "violation"),
    ]
    assert minimum["fix"] == (
        "add 12000 cases of capacity in the period 2023-03-26 to 2024-03-25; "
        "add 40000 cases of capacity in the period 2024-03-26 to 2024-11-20")
    # The renewed minimums: two contract years from 1 September 2025, each met.
    assert renewal["verdict"] == "compliant"
    assert renewal["window"] == {"first": "2025-09-01", "last": "2027-08-31"}
    assert [(p["first"], p["total"]) for p in renewal["periods"]] == [
        ("2025-09-01", "44000 cases"), ("2026-09-01", "40000 cases")]


def test_distribution_renewal_is_marked_hypothetical() -> None:
    terms = dealcheck.load(DISTRIBUTION / "terms.deal")
    termination, renewal = terms.amendments
    assert termination.effective < renewal.effective
    assert (renewal.id, renewal.effective.isoformat()) == ("hypothetical_renewal", "2025-09-01")
    assert "not in any filing" in renewal.title
    renewed = [c for c in terms.clauses if c.in_force_from.isoformat() == "2025-09-01"]
    assert sorted(c.id for c in renewed) == ["exclusive_territory", "minimum_purchases",
                                             "territory"]
    for clause in renewed:
        assert all(s.startswith("Hypothetical, not in any filing") for s in clause.sources)
        assert clause.in_force_through is not None
        assert clause.in_force_through.isoformat() == "2027-08-31"  # for 2 years


def test_distribution_cure_period_through_the_fact_option() -> None:
    # `--fact` overrides the file's notice date: notified on 2024-10-01, the cure
    # period has run by 2024-11-10 and Sonoma may sell.
    _, document = check_json(DISTRIBUTION, "purchases.yaml", "--fact", "breach_notice=2024-10-01")
    assert by_id(document, "deployments")["sonoma-during-cure"]["verdict"] == "compliant"


def test_distribution_through_the_api() -> None:
    terms = dealcheck.load(DISTRIBUTION / "terms.deal")
    report = terms.check([
        {"id": "mexico", "party": "EMC", "workload": "eye_care", "provider": "Sonoma_supply",
         "region": "MX", "start": "2022-05-02", "capacity": "1k cases"},
        {"id": "no-notice", "party": "Sonoma", "workload": "eye_care",
         "provider": "Sonoma_supply", "region": "US", "start": "2024-11-15"},
    ])
    assert report.verdict_of("mexico") is Verdict.VIOLATION            # outside the Territory
    assert report.verdict_of("no-notice") is Verdict.UNDETERMINED      # was a notice given?
    assert "breach_notice" in report.result_of("no-notice").findings[0].missing_facts


# ---------------------------------------------------------------- AI compute


def test_ai_compute_scenario() -> None:
    code, document = check_json(AI_COMPUTE, "announced.yaml")
    # Every block complies; Rainier's power is not public, so AWS's share is
    # undetermined, which is the report's verdict; nothing fails (exit 0).
    assert code == 0
    assert document["verdict"] == "undetermined"
    assert {d["verdict"] for d in document["deployments"]} == {"compliant"}  # type: ignore[attr-defined]
    aggregates = by_id(document, "aggregates")
    share = aggregates["aws_primary_training"]
    assert (share["kind"], share["verdict"]) == ("share", "undetermined")
    assert share["missing_quantity"] == ["anthropic-rainier"]
    # The first AMD gigawatt vests the first tranche and counts once: the later
    # tranches are still open.
    assert aggregates["amd_first_tranche"]["verdict"] == "compliant"
    later = aggregates["amd_later_tranches"]
    assert (later["verdict"], later["total"]) == ("open", "0 W")
    # The letter of intent's targets are advisory, and not counted in the summary.
    for target, verdict in (("nvidia_first_gigawatt", "compliant"),
                            ("nvidia_ten_gigawatts", "open"),
                            ("amd_first_deployment_2026", "compliant")):
        aggregate = aggregates[target]
        assert (aggregate["verdict"], aggregate.get("advisory")) == (verdict, True)
    assert document["summary"]["aggregates"] == {  # type: ignore[index]
        "compliant": 1, "violation": 0, "open": 1, "undetermined": 1}


def test_ai_compute_missed_targets_are_no_breach() -> None:
    terms = dealcheck.load(AI_COMPUTE / "terms.deal")
    rows = [
        {"id": "rubin", "party": "OpenAI", "workload": "training", "provider": "NVIDIA_systems",
         "region": "US", "start": "2026-08-01", "capacity": "600 MW"},
        {"id": "mi450", "party": "OpenAI", "workload": "training", "provider": "AMD_GPUs",
         "region": "US", "start": "2027-02-01", "capacity": "1 GW"},
        {"id": "rainier", "party": "Anthropic", "workload": "training", "provider": "AWS",
         "region": "US", "start": "2025-10-29", "capacity": "1.2 GW"},
        {"id": "tpus", "party": "Anthropic", "workload": "training", "provider": "GCP",
         "region": "US", "start": "2026-01-15", "capacity": "1 GW"},
    ]
    report = terms.check(rows, as_of="2027-03-01")
    # Both 2026 targets are missed ...
    assert report.aggregate("nvidia_first_gigawatt").verdict is AggregateVerdict.VIOLATION
    assert report.aggregate("amd_first_deployment_2026").verdict is AggregateVerdict.VIOLATION
    # ... yet the binding clauses decide: AWS holds 1.2 GW of 2.2 GW, and the
    # first AMD gigawatt vests the first tranche.
    assert report.aggregate("aws_primary_training").verdict is AggregateVerdict.COMPLIANT
    assert report.aggregate("amd_first_tranche").verdict is AggregateVerdict.COMPLIANT
    assert report.verdict.value == "compliant"
