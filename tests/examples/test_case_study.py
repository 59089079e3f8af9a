"""docs/case-study.md §2–§4: every stated or implied verdict, through the public CLI and API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import dealcheck
from dealcheck import AggregateVerdict, Outcome, Verdict
from helpers import run_dealcheck

ROOT = Path(__file__).resolve().parents[2]
MSFT = ROOT / "examples" / "microsoft-openai"
STARGATE = ROOT / "examples" / "stargate"

C, V, U = "compliant", "violation", "undetermined"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_dealcheck(*args, cwd=ROOT)


def check_json(terms: Path, scenario: Path, *extra: str) -> dict[str, object]:
    done = cli("check", str(terms.relative_to(ROOT)), str(scenario.relative_to(ROOT)),
               "--format", "json", *extra)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    return document


def verdicts(document: dict[str, object]) -> dict[str, tuple[str, bool]]:
    return {d["id"]: (d["verdict"], d["not_covered"])  # type: ignore[index]
            for d in document["deployments"]}  # type: ignore[attr-defined]


# The §4 deals under the terms in force on each deal's own date.
DEALS_AT_START = {
    "azure-supercomputers": (C, False),     # azure_exclusive satisfied
    "azure-ai-on-oci": (C, False),          # consented_capacity overrides azure_exclusive
    "coreweave-contract": (U, False),       # rofr: rofr_declined unknown
    "google-cloud-capacity": (U, False),
    "stargate-norway": (U, False),
    "oracle-compute-contract": (U, False),
    "stargate-five-sites": (U, False),
    "stargate-abilene": (U, False),
    "azure-gb300-cluster": (C, True),       # training on Azure: no clause of 2025-10 scopes it
    "stargate-michigan": (C, True),         # after 2025-10-28 non-API runs anywhere
    "aws-contract-chatgpt": (C, True),
    "aws-contract-training": (C, True),
    "cerebras-inference": (C, True),
    "aws-government-access": (C, False),    # national_security overrides api_exclusive
}


def test_deals_report_at_each_deals_own_date() -> None:
    document = check_json(MSFT / "terms.deal", MSFT / "deals.yaml")
    assert verdicts(document) == DEALS_AT_START
    assert document["summary"] == {"deployments": 14, "compliant": 8, "violation": 0,
                                   "undetermined": 6, "not_covered": 5,
                                   "aggregates": {"compliant": 0, "violation": 0, "open": 1,
                                                  "undetermined": 0}}
    assert document["verdict"] == "undetermined"


def test_undetermined_deals_name_rofr_declined_as_the_deciding_fact() -> None:
    document = check_json(MSFT / "terms.deal", MSFT / "deals.yaml")
    undetermined = [d for d in document["deployments"]  # type: ignore[attr-defined]
                    if d["verdict"] == U]
    assert len(undetermined) == 6
    for d in undetermined:
        [finding] = d["findings"]
        assert finding["clause"] == "rofr"
        assert finding["outcome"] == "unknown"
        assert finding["missing_facts"] == ["rofr_declined"]
        assert finding["fix"] == "have `rofr_declined = true`"


def test_azure_commitment_is_progress_not_a_breach() -> None:
    document = check_json(MSFT / "terms.deal", MSFT / "deals.yaml")
    [aggregate] = document["aggregates"]  # type: ignore[misc]
    assert aggregate["clause"] == "azure_commitment"
    assert aggregate["verdict"] == "open"
    assert aggregate["limit"] == "250B USD"
    assert aggregate["total"] == "0 USD"   # no Azure deal starts on or after 2025-10-28


REPLAY = {
    # Base agreement: everything off Azure needs Microsoft's consent, unknown for most deals.
    "2025-01-20": {"azure-supercomputers": (C, False), "azure-ai-on-oci": (C, False),
                   "azure-gb300-cluster": (C, False), "aws-government-access": (U, False),
                   "coreweave-contract": (U, False), "cerebras-inference": (U, False)},
    # Stargate day: API exclusive to Azure, ROFR on everything else off Azure.
    "2025-01-21": {"azure-supercomputers": (C, True), "azure-ai-on-oci": (U, False),
                   "azure-gb300-cluster": (C, True), "aws-government-access": (V, False),
                   "coreweave-contract": (U, False), "cerebras-inference": (U, False)},
    # Definitive agreement: no ROFR; national-security API on any provider.
    "2025-10-28": {"azure-supercomputers": (C, True), "azure-ai-on-oci": (C, True),
                   "azure-gb300-cluster": (C, True), "aws-government-access": (C, False),
                   "coreweave-contract": (C, True), "cerebras-inference": (C, True)},
    # Azure first: products off Azure must ship first on Azure unless it cannot support them.
    "2026-04-27": {"azure-supercomputers": (C, True), "azure-ai-on-oci": (U, False),
                   "azure-gb300-cluster": (C, True), "aws-government-access": (U, False),
                   "coreweave-contract": (C, True), "cerebras-inference": (U, False)},
}


@pytest.mark.parametrize("as_of", sorted(REPLAY))
def test_replaying_the_deals_as_of_each_amendment(as_of: str) -> None:
    document = check_json(MSFT / "terms.deal", MSFT / "deals.yaml", "--as-of", as_of)
    got = verdicts(document)
    assert {k: got[k] for k in REPLAY[as_of]} == REPLAY[as_of]


def test_base_agreement_missing_consent_is_the_deciding_fact() -> None:
    terms = dealcheck.load(MSFT / "terms.deal")
    report = terms.check([{"id": "gcp", "party": "OpenAI", "workload": "chatgpt",
                           "provider": "GCP", "start": "2023-06-01"}])
    [f] = report.result_of("gcp").findings
    assert (f.clause, f.outcome, f.missing_facts) == ("azure_exclusive", Outcome.UNKNOWN,
                                                     ("microsoft_consent",))


@pytest.mark.parametrize(("clause", "start", "through"), [
    ("azure_exclusive", "2019-07-22", "2025-01-20"),
    ("consented_capacity", "2019-07-22", "2025-01-20"),
    ("api_exclusive", "2025-01-21", "2026-04-26"),
    ("rofr", "2025-01-21", "2025-10-27"),
    ("national_security", "2025-10-28", "2026-04-26"),
    ("open_weights_criteria", "2025-10-28", None),
    ("azure_commitment", "2025-10-28", None),
    ("azure_first", "2026-04-27", None),
])
def test_clause_windows_follow_the_amendments(clause: str, start: str,
                                              through: str | None) -> None:
    terms = dealcheck.load(MSFT / "terms.deal")
    [c] = [c for c in terms.clauses if c.id == clause]
    assert c.in_force_from.isoformat() == start
    assert (c.in_force_through.isoformat() if c.in_force_through else None) == through


def test_amendments_are_written_as_amendments() -> None:
    terms = dealcheck.load(MSFT / "terms.deal")
    assert [(a.effective.isoformat(), a.revoked, a.added) for a in terms.amendments] == [
        ("2025-01-21", ("azure_exclusive", "consented_capacity"), ("api_exclusive", "rofr")),
        ("2025-10-28", ("rofr",), ("national_security", "open_weights_criteria",
                                   "azure_commitment")),
        ("2026-04-27", ("api_exclusive", "national_security"), ("azure_first",)),
    ]


def test_every_clause_quotes_its_source() -> None:
    for path in (MSFT / "terms.deal", STARGATE / "terms.deal"):
        for c in dealcheck.load(path).clauses:
            assert c.sources, c.id


# ---------------------------------------------------------------- Stargate


def test_stargate_buildout_as_a_whole_plan() -> None:
    # Without --as-of the build-out is the whole plan: each aggregate is judged at
    # the end of its window, and 7.7 GW by 2025-12-31 misses the 10 GW commitment.
    document = check_json(STARGATE / "terms.deal", STARGATE / "buildout.yaml")
    assert set(verdicts(document).values()) == {(C, False)}   # us_only satisfied everywhere
    assert document["verdict"] == "violation"
    aggregates = {a["clause"]: a for a in document["aggregates"]}  # type: ignore[attr-defined]
    assert aggregates["ten_gigawatts"]["verdict"] == "violation"
    assert aggregates["ten_gigawatts"]["total"] == "7.7 GW"
    assert aggregates["ten_gigawatts"]["evaluated_on"] == "2025-12-31"
    assert aggregates["ten_gigawatts"]["projected"] == {
        "total": "7.7 GW", "verdict": "violation", "crossed_on": None}
    # No per-site investment figure is public: the money aggregates stay undetermined.
    for clause in ("initial_deployment", "four_year_cap"):
        assert aggregates[clause]["verdict"] == "undetermined"
        assert aggregates[clause]["missing_quantity"] == [
            "stargate-five-sites", "stargate-abilene", "stargate-michigan"]


def test_stargate_ten_gigawatts_missed_after_its_deadline() -> None:
    done = cli("check", "examples/stargate/terms.deal", "examples/stargate/buildout.yaml",
               "--as-of", "2026-01-01", "--format", "json")
    assert done.returncode == 1   # an aggregate violation fails the check
    aggregates = {a["clause"]: a for a in json.loads(done.stdout)["aggregates"]}
    assert aggregates["ten_gigawatts"]["verdict"] == "violation"


def test_stargate_us_only_and_aggregates_through_the_api() -> None:
    terms = dealcheck.load(STARGATE / "terms.deal")
    report = terms.check([
        {"id": "uae", "party": "OpenAI", "workload": "training", "provider": "Stargate",
         "region": "AE", "start": "2025-05-22", "capacity": "1 GW", "value": "60B USD"},
        {"id": "us", "party": "SoftBank", "workload": "training", "provider": "Stargate",
         "region": "US", "start": "2025-02-01", "capacity": "9000 MW", "value": "45B USD"},
    ], as_of="2026-01-01")
    assert report.verdict_of("uae") is Verdict.VIOLATION
    assert report.result_of("uae").findings[0].fix == "run in `united_states`"
    assert report.verdict_of("us") is Verdict.COMPLIANT
    assert report.aggregate("ten_gigawatts").verdict is AggregateVerdict.COMPLIANT
    assert report.aggregate("initial_deployment").verdict is AggregateVerdict.COMPLIANT
    assert report.aggregate("initial_deployment").total == "105B USD"
    assert report.aggregate("four_year_cap").verdict is AggregateVerdict.COMPLIANT


# ---------------------------------------------------------------- the executable examples


def test_examples_pass_with_full_clause_coverage() -> None:
    done = cli("test", "examples/microsoft-openai/terms.deal", "examples/stargate/terms.deal",
               "--coverage")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "coverage  examples/microsoft-openai/terms.deal: 8/8 clauses exercised" in done.stdout
    assert "coverage  examples/stargate/terms.deal: 4/4 clauses exercised" in done.stdout
    assert "      never " not in done.stdout and ": never " not in done.stdout
    assert done.stdout.rstrip().endswith("35 passed, 0 failed")


def test_a_wrong_expectation_fails_with_an_explanation(tmp_path: Path) -> None:
    source = (MSFT / "terms.deal").read_text("utf-8").replace(
        "expect violation of api_exclusive", "expect compliant", 1)
    broken = tmp_path / "terms.deal"
    broken.write_text(source, "utf-8")
    done = run_dealcheck("test", broken, cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL" in done.stdout
    assert "expected compliant, got violation (api_exclusive: violated: `api` by `OpenAI` " \
           "runs on `AWS`, but `api_exclusive` allows only `Azure`)" in done.stdout
    assert done.stdout.rstrip().endswith("20 passed, 1 failed")


def test_example_files_are_formatted() -> None:
    done = cli("fmt", "--check", "examples/microsoft-openai/terms.deal",
               "examples/stargate/terms.deal")
    assert done.returncode == 0, done.stdout + done.stderr


def test_stargate_plan_over_the_cap_fails_on_the_aggregate_alone() -> None:
    done = cli("check", "examples/stargate/terms.deal", "examples/stargate/over-cap.yaml",
               "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert set(verdicts(document).values()) == {(C, False)}
    assert document["verdict"] == "violation"
    assert document["summary"]["aggregates"] == {  # type: ignore[index]
        "compliant": 2, "violation": 1, "open": 0, "undetermined": 0}
    cap = {a["clause"]: a for a in document["aggregates"]}["four_year_cap"]  # type: ignore[attr-defined]
    assert cap["projected"] == {"total": "600B USD", "verdict": "violation",
                                "crossed_on": "2028-03-01"}
