"""Report → SARIF 2.1.0: results at the deployment in the scenario, related to the clause."""

from __future__ import annotations

import collections
import os
import re
from pathlib import PurePath, PureWindowsPath
from urllib.parse import quote

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    DeploymentResult,
    Finding,
    Location,
    Outcome,
    Report,
    SourceRef,
)
from dealcheck.report.json import (
    JsonValue,
    dumps,
    projection_to_dict,
    summary_to_dict,
)

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "artifact_uri", "render_sarif", "rule_id",
           "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_FINGERPRINT_KEY = "dealcheck/v1"
_URI_SAFE = "/:@!$&'()*+,;=-._~"
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def artifact_uri(path: str) -> str:
    """A file path as a SARIF artifact URI: relative paths stay relative, with `/`.

    Args:
        path: a path as the user named it.

    Returns:
        A URI reference (`file://` for absolute paths), percent-encoded.

    >>> artifact_uri("deals/terms v2.deal")
    'deals/terms%20v2.deal'
    >>> artifact_uri("/srv/terms.deal")
    'file:///srv/terms.deal'
    """
    if _DRIVE.match(path):
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe=_URI_SAFE)
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    if PurePath(posix).is_absolute() or posix.startswith("/"):
        return "file://" + quote(posix, safe=_URI_SAFE)
    # A relative path whose first segment holds ':' would read as a URI scheme.
    return quote(posix, safe=_URI_SAFE.replace(":", ""))


def _physical(file: str, line: int, column: int) -> dict[str, JsonValue]:
    return {
        "artifactLocation": {"uri": artifact_uri(file)},
        "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
    }


def _clause_location(location: Location, clause: str, id: int) -> dict[str, JsonValue]:
    return {
        "id": id,
        "physicalLocation": _physical(location.file, location.line, location.column),
        "message": {"text": f"clause `{clause}`"},
    }


def _finding_text(result: DeploymentResult, finding: Finding) -> str:
    text = f"`{result.id}`: {finding.message}"
    if finding.missing_facts:
        text += " (missing facts: " + ", ".join(f"`{f}`" for f in finding.missing_facts) + ")"
    if finding.fix:
        text += f" (fix: {finding.fix})"
    return text


def _finding_result(
    result: DeploymentResult, finding: Finding, rule_index: int
) -> dict[str, JsonValue]:
    violated = finding.outcome is Outcome.VIOLATED
    kind, level = ("fail", "error") if violated else ("review", "warning")
    if finding.advisory:
        kind, level = "informational", "note"
    clause_loc = finding.location
    # Without a scenario position (a deployment built in code) the clause is the best place.
    at = result.source if result.source is not None else clause_loc
    primary: dict[str, JsonValue] = {
        "physicalLocation": _physical(at.file, at.line, at.column),
        "logicalLocations": [{"name": result.id, "kind": "object"}],
    }
    return {
        "ruleId": rule_id(_rule_key(finding)),
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": _finding_text(result, finding)},
        "locations": [primary],
        "relatedLocations": [_clause_location(clause_loc, finding.clause, 1)],
        "partialFingerprints": {
            _FINGERPRINT_KEY: f"deployment:{result.id}:{rule_id(_rule_key(finding))}"},
        "properties": {
            "deployment": result.id,
            "verdict": result.verdict.value,
            "outcome": finding.outcome.value,
            "evaluated_on": result.evaluated_on.isoformat(),
            "missing_facts": list(finding.missing_facts),
            "fix": finding.fix,
            **({"advisory": True} if finding.advisory else {}),
            **({"agreement": finding.agreement} if finding.agreement is not None else {}),
        },
    }


def _aggregate_result(aggregate: AggregateResult, rule_index: int,
                      versions: int = 1) -> dict[str, JsonValue]:
    violation = aggregate.verdict is AggregateVerdict.VIOLATION
    kind, level = ("fail", "error") if violation else ("review", "warning")
    if aggregate.advisory:
        kind, level = "informational", "note"
    loc = aggregate.location
    text = f"{aggregate.kind} `{aggregate.clause}`: {aggregate.message}"
    text += f" (total {aggregate.total}, limit {aggregate.limit})"
    if aggregate.missing_quantity:
        text += " (missing quantity: " + ", ".join(f"`{d}`" for d in aggregate.missing_quantity)
        text += ")"
    if aggregate.fix:
        text += f" (fix: {aggregate.fix})"
    return {
        "ruleId": rule_id(_rule_key(aggregate)),
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical(loc.file, loc.line, loc.column)}],
        "partialFingerprints": {_FINGERPRINT_KEY: _aggregate_fingerprint(aggregate, versions)},
        "properties": {
            "kind": aggregate.kind,
            "verdict": aggregate.verdict.value,
            "total": aggregate.total,
            "limit": aggregate.limit,
            "contributors": list(aggregate.contributors),
            "projected": projection_to_dict(aggregate),
            "evaluated_on": aggregate.evaluated_on.isoformat(),
            "deadline": None if aggregate.deadline is None else aggregate.deadline.isoformat(),
            "missing_quantity": list(aggregate.missing_quantity),
            "unknown_scope": list(aggregate.unknown_scope),
            **({"fix": aggregate.fix} if aggregate.fix is not None else {}),
            **({"advisory": True} if aggregate.advisory else {}),
            **({"agreement": aggregate.agreement} if aggregate.agreement is not None else {}),
        },
    }


def _aggregate_fingerprint(aggregate: AggregateResult, versions: int) -> str:
    """`aggregate:RULE`; with several versions of the clause reported, also its window."""
    rule = rule_id(_rule_key(aggregate))
    if versions > 1 and aggregate.window_from is not None:
        return f"aggregate:{rule}:{aggregate.window_from.isoformat()}"
    return f"aggregate:{rule}"


#: A rule: the title of the agreement (None when one is checked) and the clause id.
RuleKey = tuple[str | None, str]


def _rule_key(item: Finding | AggregateResult) -> RuleKey:
    return (item.agreement, item.clause)


def rule_id(key: RuleKey) -> str:
    """A SARIF rule id: the clause id, after its agreement's title when several are checked.

    Same-named clauses of two agreements are two rules.

    >>> rule_id((None, "api_exclusive"))
    'api_exclusive'
    >>> rule_id(("Chip supply", "api_exclusive"))
    'Chip supply/api_exclusive'
    """
    agreement, clause = key
    return clause if agreement is None else f"{agreement}/{clause}"


def _rule(key: RuleKey, loc: Location) -> dict[str, JsonValue]:
    agreement, clause = key
    of = "the terms" if agreement is None else f"\"{agreement}\""
    properties: dict[str, JsonValue] = {"file": loc.file, "line": loc.line, "column": loc.column}
    if agreement is not None:
        properties["agreement"] = agreement
    return {"id": rule_id(key), "shortDescription": {"text": f"clause `{clause}` of {of}"},
            "properties": properties}


def _reported(
    report: Report,
) -> tuple[list[tuple[DeploymentResult, Finding]], list[AggregateResult]]:
    findings = [
        (d, f)
        for d in report.deployments
        for f in d.findings
        if f.outcome in (Outcome.VIOLATED, Outcome.UNKNOWN)
    ]
    aggregates = [
        a
        for a in report.aggregates
        if a.verdict in (AggregateVerdict.VIOLATION, AggregateVerdict.UNDETERMINED)
    ]
    return findings, aggregates


def sarif_log(report: Report, *, version: str = __version__) -> dict[str, JsonValue]:
    """The SARIF log as plain JSON data.

    One run; `tool.driver.rules` lists each clause that a result refers to, sorted by id.
    A violated finding is an `error` and an unknown one a `warning`, located at the
    deployment in its scenario file, with the clause in the terms file as related location.
    Aggregates in violation (`error`) or undetermined (`warning`) are located at the clause.
    An advisory clause's (a target's) missed or undecided results are `note`s.

    Args:
        report: the outcome of a check.
        version: the dealcheck version the log names as the tool's.

    Returns:
        The SARIF 2.1.0 log object.
    """
    findings, aggregates = _reported(report)
    clause_at: dict[RuleKey, Location] = {}
    for _, finding in findings:
        clause_at.setdefault(_rule_key(finding), finding.location)
    for aggregate in aggregates:
        clause_at.setdefault(_rule_key(aggregate), aggregate.location)
    rule_keys = sorted(clause_at, key=rule_id)
    index = {key: i for i, key in enumerate(rule_keys)}
    rules: list[JsonValue] = [_rule(key, clause_at[key]) for key in rule_keys]
    results: list[JsonValue] = [_finding_result(d, f, index[_rule_key(f)]) for d, f in findings]
    versions = collections.Counter(_rule_key(a) for a in aggregates)
    seen_prints: collections.Counter[str] = collections.Counter()
    for a in aggregates:
        key = _rule_key(a)
        result = _aggregate_result(a, index[key], versions[key])
        fingerprint = _aggregate_fingerprint(a, versions[key])
        seen_prints[fingerprint] += 1
        if seen_prints[fingerprint] > 1:
            # Two versions of one clause whose windows start on the same day: the
            # later one in report order is told apart by its rank.
            result["partialFingerprints"] = {
                _FINGERPRINT_KEY: f"{fingerprint}#{seen_prints[fingerprint]}"}
        results.append(result)

    artifacts: list[JsonValue] = []
    seen: set[str] = set()
    agreements = [SourceRef(a.path, a.sha256) for a in report.agreements]
    for ref in (report.terms, *agreements, *report.scenarios):
        uri = artifact_uri(ref.path)
        if uri in seen:  # the schema wants unique artifacts
            continue
        seen.add(uri)
        artifact: dict[str, JsonValue] = {"location": {"uri": uri}}
        if ref.sha256:
            artifact["hashes"] = {"sha-256": ref.sha256}
        artifacts.append(artifact)

    run: dict[str, JsonValue] = {
        "tool": {
            "driver": {
                "name": "dealcheck",
                "version": version,
                "semanticVersion": version,
                "rules": rules,
            }
        },
        "artifacts": artifacts,
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "as_of": None if report.as_of is None else report.as_of.isoformat(),
            "verdict": report.verdict.value,
            "summary": summary_to_dict(report.summary()),
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, *, version: str = __version__) -> str:
    """The report as a SARIF 2.1.0 log, for code-scanning dashboards.

    Args:
        report: the outcome of a check.
        version: the dealcheck version the log names as the tool's.

    Returns:
        The JSON text, deterministic, ending with a newline.
    """
    return dumps(sarif_log(report, version=version))
