"""Several agreements in one check: every deployment judged against each, findings naming theirs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

import dealcheck
from dealcheck import Outcome, Verdict
from dealcheck.report.model import ReportDocument, report_json_schema
from helpers import run_dealcheck

CLOUD = """\
agreement "Cloud partnership" effective 2025-01-01
party Acme, Microsoft, Amazon
provider Azure operated by Microsoft
provider AWS operated by Amazon
workload api, training

clause api_exclusive "2.1":
  Acme runs api only on Azure

clause azure_spend:
  total value of deployments by Acme on Azure reaches 5M USD by 2025-12-31
"""

CHIPS = """\
agreement "Chip supply" effective 2025-01-01
party Acme, Chipco
provider Chipcloud operated by Chipco
workload training, inference
fact export_cleared: bool

clause training_cleared "4":
  Acme runs training only if export_cleared

clause chipco_hosts:
  Acme runs api only if operator = Chipco
"""

CHIPS = CHIPS.replace("workload training, inference", "workload training, inference, api")

PLAN = """\
deployments:
  - id: api-aws
    party: Acme
    workload: api
    provider: AWS
    value: 1M USD
    start: 2025-03-01
  - id: train-chip
    party: Acme
    workload: training
    provider: Chipcloud
    start: 2025-03-01
  - id: infer-chip
    party: Acme
    workload: inference
    provider: Chipcloud
    start: 2025-03-01
    facts: {export_cleared: true}
  - id: api-chip
    party: Acme
    workload: api
    provider: Chipcloud
    start: 2025-03-01
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "cloud.deal").write_text(CLOUD, encoding="utf-8")
    (tmp_path / "chips.deal").write_text(CHIPS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    return tmp_path


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dealcheck(*args, cwd=cwd)


def outcomes(report: dealcheck.Report, ident: str) -> list[tuple[str | None, str, Outcome]]:
    return [(f.agreement, f.clause, f.outcome) for f in report.result_of(ident).findings]


def both() -> dealcheck.Agreements:
    return dealcheck.Agreements((dealcheck.loads(CLOUD, "cloud.deal"),
                                 dealcheck.loads(CHIPS, "chips.deal")))


def test_each_deployment_is_judged_against_every_agreement(files: Path) -> None:
    report = dealcheck.check_files([files / "cloud.deal", files / "chips.deal"],
                                   [files / "plan.yaml"])
    # A provider only the other agreement declares is not one this one allows.
    assert outcomes(report, "api-aws") == [
        ("Cloud partnership", "api_exclusive", Outcome.VIOLATED),
        ("Chip supply", "chipco_hosts", Outcome.VIOLATED)]
    # A party or workload an agreement does not declare: none of its clauses scopes it.
    assert outcomes(report, "train-chip") == [
        ("Chip supply", "training_cleared", Outcome.UNKNOWN)]
    assert report.verdict_of("train-chip") is Verdict.UNDETERMINED
    # The worst verdict over the agreements: a violation under one is a violation.
    assert outcomes(report, "api-chip") == [
        ("Cloud partnership", "api_exclusive", Outcome.VIOLATED),
        ("Chip supply", "chipco_hosts", Outcome.SATISFIED)]
    assert report.verdict_of("api-chip") is Verdict.VIOLATION
    # Covered when some agreement covers it; `infer-chip` only Chip supply speaks of.
    infer = report.result_of("infer-chip")
    assert (infer.verdict, infer.not_covered, infer.findings) == (Verdict.COMPLIANT, True, ())
    assert [(a.agreement, a.clause) for a in report.aggregates] == [
        ("Cloud partnership", "azure_spend")]
    assert [(a.title, Path(a.path).name) for a in report.agreements] == [
        ("Cloud partnership", "cloud.deal"), ("Chip supply", "chips.deal")]
    assert Path(report.terms.path).name == "cloud.deal"


def test_the_library_checks_deployments_against_several_agreements() -> None:
    report = both().check([{"id": "d", "party": "Acme", "workload": "training",
                            "provider": "Chipcloud", "start": "2025-03-01",
                            "facts": {"export_cleared": False}}])
    assert report.verdict_of("d") is Verdict.VIOLATION
    assert outcomes(report, "d") == [("Chip supply", "training_cleared", Outcome.VIOLATED)]


def test_a_name_no_agreement_declares_is_still_an_error() -> None:
    with pytest.raises(dealcheck.DiagnosticsError) as info:
        both().check([{"id": "d", "party": "Acme", "workload": "trainign",
                       "provider": "Chipcloud", "start": "2025-03-01"}])
    [d] = info.value.diagnostics
    assert d.message == "undeclared workload `trainign`"


def test_load_all_refuses_agreements_that_cannot_be_merged(tmp_path: Path) -> None:
    (tmp_path / "a.deal").write_text(CLOUD, encoding="utf-8")
    (tmp_path / "b.deal").write_text(CLOUD, encoding="utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as info:
        dealcheck.load_all([tmp_path / "a.deal", tmp_path / "b.deal"])
    assert [d.code for d in info.value.diagnostics] == ["DC951"]


def test_the_json_report_names_the_agreements(files: Path) -> None:
    done = run(files, "check", "cloud.deal", "chips.deal", "plan.yaml", "--format", "json")
    assert (done.returncode, done.stderr) == (1, "")
    document = json.loads(done.stdout)
    assert list(document)[:3] == ["dealcheck_version", "terms", "agreements"]
    assert [(a["title"], a["path"]) for a in document["agreements"]] == [
        ("Cloud partnership", "cloud.deal"), ("Chip supply", "chips.deal")]
    assert document["terms"]["sha256"] == document["agreements"][0]["sha256"]
    findings = [f for d in document["deployments"] for f in d["findings"]]
    assert {f["agreement"] for f in findings} == {"Cloud partnership", "Chip supply"}
    assert document["aggregates"][0]["agreement"] == "Cloud partnership"
    schema = report_json_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    assert ReportDocument.from_json(done.stdout).to_json() == done.stdout


def test_one_agreement_writes_no_agreement_keys(files: Path) -> None:
    done = run(files, "check", "cloud.deal", "plan.yaml", "--format", "json")
    assert done.returncode == 2  # `Chipcloud` is no provider of Cloud partnership alone
    done = run(files, "check", "chips.deal", "plan.yaml", "--format", "json")
    assert done.returncode == 2
    report = dealcheck.loads(CLOUD, "cloud.deal").check([
        {"id": "d", "party": "Acme", "workload": "api", "provider": "AWS",
         "start": "2025-03-01"}])
    assert report.agreements == []
    assert '"agreement' not in report.to_json()


def test_the_text_report_names_the_agreements(files: Path) -> None:
    done = run(files, "check", "cloud.deal", "chips.deal", "plan.yaml")
    assert done.returncode == 1
    assert "agreements:\n  \"Cloud partnership\": cloud.deal\n  \"Chip supply\": chips.deal\n" \
        in done.stdout
    assert '  violated api_exclusive of "Cloud partnership"  cloud.deal:7:8\n' in done.stdout
    assert '  azure_spend of "Cloud partnership": ' in done.stdout


def test_explain_shows_every_agreement_then_the_verdict_over_them(files: Path) -> None:
    done = run(files, "explain", "cloud.deal", "chips.deal", "plan.yaml", "--id", "api-chip")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith('agreement "Cloud partnership" (cloud.deal):\n')
    assert '\nagreement "Chip supply" (chips.deal):\n' in out
    assert "  api_exclusive: scopes it" in out and "  chipco_hosts: scopes it" in out
    assert out.endswith("\nverdict over every agreement: violation\n")


@pytest.mark.parametrize(("args", "message"), [
    (["check", "cloud.deal", "chips.deal", "plan.yaml", "--engine", "duckdb"],
     "several agreements are checked with `--engine python`"),
    (["check", "cloud.deal", "chips.deal"], "only terms were given"),
    (["explain", "cloud.deal", "chips.deal", "--id", "x"], "give exactly one SCENARIO"),
])
def test_usage_mistakes_exit_2(files: Path, args: list[str], message: str) -> None:
    done = run(files, *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_fact_of_the_check_holds_under_every_agreement(files: Path) -> None:
    # `export_cleared` is declared by the second agreement only: read with the merged names.
    done = run(files, "check", "cloud.deal", "chips.deal", "plan.yaml", "--format", "json",
               "--fact", "export_cleared=true")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["facts"] == {"export_cleared": True}
    train = next(d for d in document["deployments"] if d["id"] == "train-chip")
    assert (train["verdict"], [(f["agreement"], f["outcome"]) for f in train["findings"]]) == (
        "compliant", [("Chip supply", "satisfied")])
    report = dealcheck.check_files([files / "cloud.deal", files / "chips.deal"],
                                   [files / "plan.yaml"], facts={"export_cleared": True})
    assert report.verdict_of("train-chip") is Verdict.COMPLIANT
    assert report.facts == {"export_cleared": True}
    # A deployment's own value still wins over the check's.
    assert both().check([{"id": "d", "party": "Acme", "workload": "training",
                          "provider": "Chipcloud", "start": "2025-03-01",
                          "facts": {"export_cleared": False}}],
                        facts={"export_cleared": True}).verdict_of("d") is Verdict.VIOLATION
    done = run(files, "explain", "cloud.deal", "chips.deal", "plan.yaml", "--id", "train-chip",
               "--fact", "export_cleared=true")
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\nverdict over every agreement: compliant\n")


def test_a_fact_no_agreement_declares_is_located_in_the_argument(files: Path) -> None:
    done = run(files, "check", "cloud.deal", "chips.deal", "plan.yaml",
               "--fact", "export_clear=true")
    assert done.returncode == 2
    assert "--fact:1:1: error[DC303]: undeclared fact `export_clear`" in done.stderr
    assert "did you mean `export_cleared`?" in done.stderr


def test_a_fact_of_two_types_is_a_located_input_error(files: Path) -> None:
    (files / "chips.deal").write_text(CHIPS.replace("fact export_cleared: bool",
                                                    "fact export_cleared: bool\nfact x: bool"),
                                      encoding="utf-8")
    (files / "more.deal").write_text(CLOUD.replace("Cloud partnership", "More")
                                     + "fact x: date\n", encoding="utf-8")
    done = run(files, "check", "chips.deal", "more.deal", "plan.yaml")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "more.deal:12:6: error[DC950]: fact `x` is `date` here but `bool` in `chips.deal`\n")
    assert "help: declare it alike in every agreement checked together: `fact x: bool`" \
        in done.stderr


def test_sarif_rules_of_same_named_clauses_of_two_agreements_stay_apart(files: Path) -> None:
    same_name = CHIPS.replace("clause chipco_hosts:", "clause api_exclusive:")
    (files / "chips.deal").write_text(same_name, encoding="utf-8")
    done = run(files, "check", "cloud.deal", "chips.deal", "plan.yaml", "--format", "sarif")
    assert done.returncode == 1, done.stderr
    [sarif_run] = json.loads(done.stdout)["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [(r["id"], r["shortDescription"]["text"], r["properties"]["line"]) for r in rules] == [
        ("Chip supply/api_exclusive", 'clause `api_exclusive` of "Chip supply"', 10),
        ("Chip supply/training_cleared", 'clause `training_cleared` of "Chip supply"', 7),
        ("Cloud partnership/api_exclusive", 'clause `api_exclusive` of "Cloud partnership"', 7),
        ("Cloud partnership/azure_spend", 'clause `azure_spend` of "Cloud partnership"', 10)]
    api_aws = [(r["ruleId"], rules[r["ruleIndex"]]["id"], r["partialFingerprints"]["dealcheck/v1"])
               for r in sarif_run["results"] if r["properties"].get("deployment") == "api-aws"]
    assert api_aws == [
        ("Cloud partnership/api_exclusive", "Cloud partnership/api_exclusive",
         "deployment:api-aws:Cloud partnership/api_exclusive"),
        ("Chip supply/api_exclusive", "Chip supply/api_exclusive",
         "deployment:api-aws:Chip supply/api_exclusive")]
