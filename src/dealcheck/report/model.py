"""Pydantic models of the JSON report: its JSON Schema, parsing and round trips."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    AgreementRef,
    DeploymentResult,
    Finding,
    Location,
    Outcome,
    PeriodResult,
    Projection,
    Report,
    SourceRef,
    Verdict,
)
from dealcheck.report.json import dumps
from dealcheck.scenario.model import SourceLocation

__all__ = [
    "AggregateCountsModel",
    "AggregateModel",
    "AgreementRefModel",
    "DeploymentModel",
    "FindingModel",
    "LocationModel",
    "ProjectionModel",
    "ReportDocument",
    "SourceRefModel",
    "SummaryModel",
    "WindowModel",
    "parse_report_json",
    "report_json_schema",
]

#: The JSON Schema dialect `report_json_schema` declares.
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Strict(BaseModel):
    # Every key is required and none other is allowed: the schema then pins the exact
    # shape that `render_json` emits, and a typo in a consumer's fixture fails loudly.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRefModel(_Strict):
    model_config = ConfigDict(title="SourceRef")

    path: str = Field(description="the file as named on the command line")
    sha256: str = Field(description="hex SHA-256 of the file's bytes")

    @classmethod
    def of(cls, ref: SourceRef) -> Self:
        return cls(path=ref.path, sha256=ref.sha256)


class AgreementRefModel(_Strict):
    model_config = ConfigDict(title="AgreementRef")

    title: str = Field(description="the agreement's title, as findings name it")
    path: str = Field(description="the file as named on the command line")
    sha256: str = Field(description="hex SHA-256 of the file's bytes")

    @classmethod
    def of(cls, ref: AgreementRef) -> Self:
        return cls(title=ref.title, path=ref.path, sha256=ref.sha256)


class LocationModel(_Strict):
    model_config = ConfigDict(title="Location")

    file: str
    line: int = Field(ge=1, description="1-based line")
    column: int = Field(ge=1, description="1-based column")

    @classmethod
    def of(cls, location: Location | SourceLocation) -> Self:
        return cls(file=location.file, line=location.line, column=location.column)


class AggregateCountsModel(_Strict):
    model_config = ConfigDict(title="AggregateCounts")

    compliant: int = Field(ge=0)
    violation: int = Field(ge=0)
    open: int = Field(ge=0)
    undetermined: int = Field(ge=0)


class SummaryModel(_Strict):
    model_config = ConfigDict(title="Summary")

    deployments: int = Field(ge=0)
    compliant: int = Field(ge=0)
    violation: int = Field(ge=0)
    undetermined: int = Field(ge=0)
    not_covered: int = Field(
        ge=0, description="compliant deployments that no clause in force scopes"
    )
    aggregates: AggregateCountsModel = Field(
        description="aggregates (versions) by verdict; advisory targets are not counted")


class FindingModel(_Strict):
    model_config = ConfigDict(title="Finding")

    clause: str = Field(description="the clause id")
    outcome: Outcome
    message: str
    location: LocationModel = Field(description="the clause in the terms file")
    missing_facts: list[str] = Field(
        description="facts whose values would decide an unknown outcome"
    )
    fix: str | None = Field(description="what would make the deployment comply")
    overridden_by: list[str] = Field(description="permissions that lifted this clause")
    advisory: bool = Field(
        default=False, exclude_if=lambda value: not value,
        description="the clause is a target, not a promise: the finding never changes the "
        "verdict (written only when true)")

    agreement: str | None = Field(
        default=None, exclude_if=lambda value: value is None,
        description="the title of the agreement whose clause this is, when several are "
        "checked together (written only then)")

    @classmethod
    def of(cls, finding: Finding) -> Self:
        return cls(
            clause=finding.clause,
            outcome=finding.outcome,
            message=finding.message,
            location=LocationModel.of(finding.location),
            missing_facts=list(finding.missing_facts),
            fix=finding.fix,
            overridden_by=list(finding.overridden_by),
            advisory=finding.advisory,
            agreement=finding.agreement,
        )

    def to_finding(self) -> Finding:
        loc = self.location
        return Finding(
            clause=self.clause,
            outcome=self.outcome,
            message=self.message,
            location=Location(file=loc.file, line=loc.line, column=loc.column),
            missing_facts=tuple(self.missing_facts),
            fix=self.fix,
            overridden_by=tuple(self.overridden_by),
            advisory=self.advisory,
            agreement=self.agreement,
        )


class DeploymentModel(_Strict):
    model_config = ConfigDict(title="Deployment")

    id: str
    verdict: Verdict
    evaluated_on: dt.date = Field(description="the date whose terms in force judged it")
    not_covered: bool
    findings: list[FindingModel]
    source: LocationModel | None = Field(description="where the scenario file declares it")

    @classmethod
    def of(cls, result: DeploymentResult) -> Self:
        return cls(
            id=result.id,
            verdict=result.verdict,
            evaluated_on=result.evaluated_on,
            not_covered=result.not_covered,
            findings=[FindingModel.of(f) for f in result.findings],
            source=None if result.source is None else LocationModel.of(result.source),
        )

    def to_result(self) -> DeploymentResult:
        src = self.source
        return DeploymentResult(
            id=self.id,
            verdict=self.verdict,
            evaluated_on=self.evaluated_on,
            not_covered=self.not_covered,
            findings=tuple(f.to_finding() for f in self.findings),
            source=None if src is None else SourceLocation(src.file, src.line, src.column),
        )


class ProjectionModel(_Strict):
    model_config = ConfigDict(title="Projection")

    total: str = Field(description="the total over every deployment given, written exactly")
    verdict: AggregateVerdict = Field(
        description="judged at the deadline (a commitment) or the end of the window (a cap)"
    )
    crossed_on: dt.date | None = Field(
        description="the date the total first exceeds the cap or reaches the commitment"
    )

    @classmethod
    def of(cls, projection: Projection) -> Self:
        return cls(total=projection.total, verdict=projection.verdict,
                   crossed_on=projection.crossed_on)

    def to_projection(self) -> Projection:
        return Projection(self.total, self.verdict, self.crossed_on)


class WindowModel(_Strict):
    model_config = ConfigDict(title="Window")

    first: dt.date | None = Field(description="the first start counted")
    last: dt.date | None = Field(description="the last start counted; null: open-ended")


class PeriodModel(_Strict):
    model_config = ConfigDict(title="Period")

    first: dt.date = Field(description="the first start the period counts")
    last: dt.date = Field(description="the last start the period counts")
    total: str = Field(description="the period's total, exact")
    verdict: AggregateVerdict = Field(
        description="the limit applied to the period alone; `open`: a commitment's current period"
    )

    @classmethod
    def of(cls, period: PeriodResult) -> Self:
        return cls(first=period.first, last=period.last, total=period.total,
                   verdict=period.verdict)

    def to_period(self) -> PeriodResult:
        return PeriodResult(self.first, self.last, self.total, self.verdict)


class AggregateModel(_Strict):
    model_config = ConfigDict(title="Aggregate")

    # INVARIANT: field order is the JSON key order of `render_json.aggregate_to_dict`.
    clause: str
    verdict: AggregateVerdict
    total: str = Field(description="the sum on the evaluation date, exact, e.g. `38B USD`")
    limit: str = Field(description="the cap or commitment, e.g. `250B USD`")
    contributors: list[str] = Field(description="ids of the deployments summed")
    projected: ProjectionModel | None = Field(description="over every deployment given")
    kind: str = Field(description="`cap`, `commitment` or `share`")
    message: str
    location: LocationModel = Field(description="the clause in the terms file")
    evaluated_on: dt.date
    deadline: dt.date | None
    window: WindowModel = Field(description="the starts this version of the clause counts")
    missing_quantity: list[str] = Field(description="contributors lacking the summed quantity")
    unknown_scope: list[str] = Field(description="deployments that may or may not be in scope")
    fix: str | None = Field(
        default=None, exclude_if=lambda value: value is None,
        description="what would make a violated or undetermined aggregate comply, in the "
        "unit of the clause (written only then)")
    periods: list[PeriodModel] | None = Field(
        default=None, exclude_if=lambda periods: periods is None,
        description="a per-period aggregate only: each period judged, in date order")
    advisory: bool = Field(
        default=False, exclude_if=lambda value: not value,
        description="the clause is a target, not a promise: its verdict never changes the "
        "report's, nor the summary's counts (written only when true)")
    agreement: str | None = Field(
        default=None, exclude_if=lambda value: value is None,
        description="the title of the agreement whose clause this is, when several are "
        "checked together (written only then)")

    @classmethod
    def of(cls, aggregate: AggregateResult) -> Self:
        return cls(
            clause=aggregate.clause,
            verdict=aggregate.verdict,
            total=aggregate.total,
            limit=aggregate.limit,
            contributors=list(aggregate.contributors),
            projected=None if aggregate.projected is None
            else ProjectionModel.of(aggregate.projected),
            kind=aggregate.kind,
            message=aggregate.message,
            location=LocationModel.of(aggregate.location),
            evaluated_on=aggregate.evaluated_on,
            deadline=aggregate.deadline,
            window=WindowModel(first=aggregate.window_from, last=aggregate.window_through),
            missing_quantity=list(aggregate.missing_quantity),
            unknown_scope=list(aggregate.unknown_scope),
            fix=aggregate.fix,
            periods=None if aggregate.periods is None
            else [PeriodModel.of(p) for p in aggregate.periods],
            advisory=aggregate.advisory,
            agreement=aggregate.agreement,
        )

    def to_result(self) -> AggregateResult:
        loc = self.location
        return AggregateResult(
            clause=self.clause,
            kind=self.kind,
            verdict=self.verdict,
            total=self.total,
            limit=self.limit,
            contributors=tuple(self.contributors),
            message=self.message,
            location=Location(file=loc.file, line=loc.line, column=loc.column),
            evaluated_on=self.evaluated_on,
            deadline=self.deadline,
            missing_quantity=tuple(self.missing_quantity),
            unknown_scope=tuple(self.unknown_scope),
            projected=None if self.projected is None else self.projected.to_projection(),
            window_from=self.window.first,
            window_through=self.window.last,
            periods=None if self.periods is None
            else tuple(p.to_period() for p in self.periods),
            fix=self.fix,
            advisory=self.advisory,
            agreement=self.agreement,
        )


class ReportDocument(_Strict):
    """The JSON report of one check."""

    model_config = ConfigDict(title="dealcheck report")

    dealcheck_version: str
    terms: SourceRefModel
    agreements: list[AgreementRefModel] | None = Field(
        default=None, exclude_if=lambda value: value is None,
        description="every agreement checked, when several are checked together (`terms` is "
        "the first); written only then")
    scenarios: list[SourceRefModel]
    as_of: dt.date | None = Field(description="the --as-of date, or null: each deployment's start")
    facts: dict[str, str | bool] | None = Field(
        default=None,
        description="the facts of the whole check (--fact), each as a value of a scenario's "
                    "facts; absent when none was given")
    verdict: Verdict = Field(
        description="the worst deployment or aggregate verdict (an open commitment is compliant)"
    )
    summary: SummaryModel
    deployments: list[DeploymentModel]
    aggregates: list[AggregateModel]

    @classmethod
    def from_report(cls, report: Report, *, version: str = __version__) -> Self:
        """Build the document from a report (validating every value on the way).

        Args:
            report: the outcome of a check.
            version: the dealcheck version the report names.

        Returns:
            The model; `to_json()` gives the same text as `render_json(report)`.
        """
        return cls(
            dealcheck_version=version,
            terms=SourceRefModel.of(report.terms),
            agreements=[AgreementRefModel.of(a) for a in report.agreements] or None,
            scenarios=[SourceRefModel.of(s) for s in report.scenarios],
            as_of=report.as_of,
            facts=dict(report.facts) or None,
            verdict=report.verdict,
            summary=SummaryModel.model_validate(report.summary()),
            deployments=[DeploymentModel.of(d) for d in report.deployments],
            aggregates=[AggregateModel.of(a) for a in report.aggregates],
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse and validate a JSON report.

        Raises:
            pydantic.ValidationError: the text is not a valid report.
        """
        return cls.model_validate_json(text)

    def to_json(self) -> str:
        """The document as text, formatted exactly as `render_json` formats it."""
        return dumps(self.model_dump(mode="json", exclude={"facts"} if self.facts is None
                                     else set()))

    def to_report(self) -> Report:
        """Back to the checker's result types (the version string is not kept)."""
        return Report(
            terms=SourceRef(self.terms.path, self.terms.sha256),
            scenarios=[SourceRef(s.path, s.sha256) for s in self.scenarios],
            as_of=self.as_of,
            deployments=[d.to_result() for d in self.deployments],
            aggregates=[a.to_result() for a in self.aggregates],
            facts=dict(self.facts or {}),
            agreements=[AgreementRef(a.title, a.path, a.sha256) for a in self.agreements or ()],
        )


def parse_report_json(text: str | bytes) -> ReportDocument:
    """Parse and validate a JSON report produced by `dealcheck check --format json`.

    Args:
        text: the JSON text.

    Returns:
        The validated document.

    Raises:
        pydantic.ValidationError: the text is not a valid report.
    """
    return ReportDocument.from_json(text)


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, printed by `dealcheck schema report`.

    Returns:
        A JSON Schema (draft 2020-12) document; every key is required, none other allowed.
    """
    schema = ReportDocument.model_json_schema(mode="serialization")
    return {"$schema": SCHEMA_DIALECT, **schema}
