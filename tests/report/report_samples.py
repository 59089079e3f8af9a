"""Hand-built reports for the renderer tests: one of each verdict, outcome and aggregate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    DeploymentResult,
    Finding,
    Location,
    Outcome,
    Projection,
    Report,
    SourceRef,
    Verdict,
)
from dealcheck.scenario.model import SourceLocation

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"

#: Set to 1 to rewrite golden files from the current output (then review the diff).
UPDATE_ENV = "DEALCHECK_UPDATE_GOLDEN"

#: Pinned so golden files do not change with every release.
TEST_VERSION = "0.0.0+test"

TERMS = "examples/microsoft-openai/terms.deal"
PLAN = "examples/microsoft-openai/plan-2025.yaml"
TERMS_SHA = "3f1c" * 16
PLAN_SHA = "9a0e" * 16


def _clause(line: int, column: int = 3) -> Location:
    return Location(TERMS, line, column)


def build_report() -> Report:
    """A report with one of each interesting case (built fresh on every call)."""
    deployments = [
        DeploymentResult(
            id="aws-api",
            verdict=Verdict.VIOLATION,
            evaluated_on=dt.date(2025, 11, 3),
            not_covered=False,
            findings=(
                Finding(
                    clause="api_exclusive",
                    outcome=Outcome.VIOLATED,
                    message="`api` runs on `AWS`; clause 2.1 allows only `Azure`",
                    location=_clause(12),
                    fix="run on `Azure`",
                ),
            ),
            source=SourceLocation(PLAN, 4, 5),
        ),
        DeploymentResult(
            id="coreweave-training",
            verdict=Verdict.UNDETERMINED,
            evaluated_on=dt.date(2025, 3, 10),
            not_covered=False,
            findings=(
                Finding(
                    clause="rofr",
                    outcome=Outcome.UNKNOWN,
                    message=(
                        "training elsewhere needs Microsoft to decline its right of first refusal"
                    ),
                    location=_clause(18),
                    missing_facts=("rofr_declined",),
                    fix="compliant if `rofr_declined = true`",
                ),
            ),
            source=SourceLocation(PLAN, 14, 5),
        ),
        DeploymentResult(
            id="natsec-api",
            verdict=Verdict.COMPLIANT,
            evaluated_on=dt.date(2025, 11, 3),
            not_covered=False,
            findings=(
                Finding(
                    clause="api_exclusive",
                    outcome=Outcome.OVERRIDDEN,
                    message="`api` off Azure is allowed for US national-security customers",
                    location=_clause(12),
                    overridden_by=("national_security",),
                ),
                Finding(
                    clause="national_security",
                    outcome=Outcome.SATISFIED,
                    message="customer is `us_national_security`",
                    location=_clause(31),
                ),
            ),
            source=SourceLocation(PLAN, 24, 5),
        ),
        DeploymentResult(
            id="stargate-abilene",
            verdict=Verdict.COMPLIANT,
            evaluated_on=dt.date(2025, 1, 21),
            not_covered=True,
            findings=(),
            source=SourceLocation(PLAN, 34, 5),
        ),
    ]
    aggregates = [
        AggregateResult(
            clause="azure_commitment",
            kind="commitment",
            verdict=AggregateVerdict.OPEN,
            total="38B USD",
            limit="250B USD",
            contributors=("natsec-api",),
            message="212B USD still to commit before the deadline",
            location=_clause(40),
            evaluated_on=dt.date(2025, 11, 3),
            deadline=dt.date(2032, 12, 31),
            projected=Projection("52B USD", AggregateVerdict.VIOLATION),
            window_from=dt.date(2025, 10, 28),
            window_through=dt.date(2032, 12, 31),
        ),
        AggregateResult(
            clause="stargate_cap",
            kind="cap",
            verdict=AggregateVerdict.VIOLATION,
            total="520B USD",
            limit="500B USD",
            contributors=("stargate-abilene",),
            message="cap exceeded by 20B USD (Microsoft–OpenAI, Stargate)",
            location=_clause(44),
            evaluated_on=dt.date(2025, 11, 3),
            projected=Projection("520B USD", AggregateVerdict.VIOLATION, dt.date(2025, 9, 30)),
            window_from=dt.date(2025, 1, 21),
        ),
        AggregateResult(
            clause="gpu_cap",
            kind="cap",
            verdict=AggregateVerdict.UNDETERMINED,
            total="4.6k GPU",
            limit="10k GPU",
            contributors=("coreweave-training",),
            message="a missing quantity could exceed the cap",
            location=_clause(48),
            evaluated_on=dt.date(2025, 11, 3),
            missing_quantity=("coreweave-training",),
            unknown_scope=("aws-api",),
        ),
    ]
    return Report(
        terms=SourceRef(TERMS, TERMS_SHA),
        scenarios=[SourceRef(PLAN, PLAN_SHA)],
        as_of=None,
        deployments=deployments,
        aggregates=aggregates,
    )


def build_bulk(n: int) -> list[DeploymentResult]:
    """`n` deployments cycling through the sample's four, with distinct ids."""
    base = build_report().deployments
    out = []
    for i in range(n):
        d = base[i % len(base)]
        out.append(
            DeploymentResult(
                id=f"{d.id}-{i}",
                verdict=d.verdict,
                evaluated_on=d.evaluated_on,
                not_covered=d.not_covered,
                findings=d.findings,
                source=SourceLocation(PLAN, 4 + 10 * i, 5),
            )
        )
    return out
