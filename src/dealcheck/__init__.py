"""dealcheck: check proposed deployments against the terms of partnership agreements.

The package facade only chains the stages::

    source text --parse--> AST --resolve--> Terms --compile--> index --check--> Report

>>> import dealcheck
>>> terms = dealcheck.loads('''
... agreement "Demo" effective 2025-01-01
... party Acme
... provider Cloud operated by Acme
... provider Other operated by Acme
... workload api
... clause api_exclusive:
...   Acme runs api only on Cloud
... ''')
>>> report = terms.check([{"id": "d1", "party": "Acme", "workload": "api",
...                        "provider": "Other", "start": "2025-06-01"}])
>>> report.verdict_of("d1")
<Verdict.VIOLATION: 'violation'>
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dealcheck._version import __version__
from dealcheck.checker.results import (
    AggregateResult,
    AggregateVerdict,
    DeploymentResult,
    Finding,
    Outcome,
    Verdict,
)
from dealcheck.dsl.ast import Document
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Severity
from dealcheck.engines import Engine
from dealcheck.scenario.model import Deployment, Scenario
from dealcheck.terms import Agreements, Report, Terms

if TYPE_CHECKING:
    from dealcheck.analysis.diff import Diff

__all__ = [
    "AggregateResult", "AggregateVerdict", "Agreements", "Deployment", "DeploymentResult",
    "Diagnostic", "DiagnosticsError", "Document", "Finding", "Outcome", "Report", "Scenario",
    "Severity",
    "Terms", "Verdict", "__version__", "analyze", "check_files", "diff", "load", "load_all",
    "load_scenario", "loads", "parse",
]

def parse(text: str, file: str = "<terms>") -> Document:
    """Parse terms source into its AST; raises `DiagnosticsError` on syntax errors."""
    from dealcheck.dsl.parse import parse as parse_text

    return parse_text(text, file)


def analyze(text: str, file: str = "<terms>", warnings: bool = False
            ) -> tuple[Terms | None, list[Diagnostic]]:
    """Parse and resolve, collecting every diagnostic instead of raising.

    Args:
        text: the terms source.
        file: the name used in diagnostics.
        warnings: also run the lint passes (when the terms resolve).

    Returns:
        The terms (None if errors prevented building them) and all diagnostics, sorted.
    """
    from dealcheck._speed import paused_gc
    from dealcheck.dsl.diagnostics import Severity, sort_diagnostics
    from dealcheck.dsl.parse import parse_with_recovery
    from dealcheck.rules.resolve import Resolution, resolve
    from dealcheck.terms import Terms

    resolution: Resolution | None = None
    # One pause of the cycle collector over both steps: the syntax tree is
    # freed before it resumes, so its objects are never scanned (a third of
    # the collector's work on a large file); only the terms are.
    with paused_gc():
        parsed = parse_with_recovery(text, file)
        diagnostics = list(parsed.diagnostics)
        if parsed.document is not None:
            resolution = resolve(parsed.document, file, text, parsed.broken_names)
        del parsed
    terms: Terms | None = None
    if resolution is not None:
        diagnostics += resolution.diagnostics
        terms = None if resolution.terms is None else Terms.of(resolution.terms)
        clean = not any(d.severity is Severity.ERROR for d in diagnostics)
        if warnings and terms is not None and clean:
            from dealcheck.analysis.findings import lint_warnings
            from dealcheck.rules.lint import lint

            found = lint(terms, resolution.uses)
            diagnostics += found + lint_warnings(terms, found)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        terms = None
    return terms, sort_diagnostics(diagnostics)


def diff(old: Terms | str | Path, new: Terms | str | Path,
         as_of: dt.date | str | None = None, *, old_as_of: dt.date | str | None = None,
         new_as_of: dt.date | str | None = None) -> Diff:
    """The deployments whose verdict changes from terms `old` to `new` (`dealcheck diff`).

    `old` and `new` are terms or paths of ``.deal`` files. `as_of` judges every
    deployment on that date under both; `old_as_of` / `new_as_of` fix one side's
    date, e.g. the same terms as of two dates. Raises `DiagnosticsError`.
    """
    from dealcheck.analysis.diff import diff_terms
    from dealcheck.rules.resolve import parse_as_of
    from dealcheck.terms import Terms

    sides = [t if isinstance(t, Terms) else load(t) for t in (old, new)]
    both = parse_as_of(as_of)
    return diff_terms(sides[0], sides[1], old_as_of=parse_as_of(old_as_of) or both,
                      new_as_of=parse_as_of(new_as_of) or both)


def loads(text: str, file: str = "<terms>") -> Terms:
    """Parse and resolve terms source; raises `DiagnosticsError` with every error found."""
    from dealcheck.dsl.diagnostics import DiagnosticsError, Severity

    terms, diagnostics = analyze(text, file)
    if terms is None:
        raise DiagnosticsError([d for d in diagnostics if d.severity is Severity.ERROR],
                               {file: text})
    return terms


def load(path: str | Path) -> Terms:
    """Read, parse and resolve a ``.deal`` file; raises `DiagnosticsError`."""
    from dealcheck.io_text import read_text

    name = str(path)
    return loads(read_text(name), name)


def load_all(paths: Sequence[str | Path]) -> Agreements:
    """Load several ``.deal`` files to check deployments against all of them together.

    Raises:
        DiagnosticsError: for the first file with errors, or when the agreements
            cannot be checked together (a fact declared with two types, DC950; two
            agreements with one title, DC951).
    """
    from dealcheck.terms import Agreements

    agreements = Agreements(tuple(load(path) for path in paths))
    agreements.judges()
    return agreements


def load_scenario(path: str | Path, terms: Terms) -> Scenario:
    """Read and validate a scenario file against the names `terms` declare.

    YAML, JSON, CSV or JSON Lines, by the file's extension, as `dealcheck
    check` reads it. Raises `DiagnosticsError` with every problem found.
    """
    from dealcheck.scenario.read import load_scenario as read_scenario

    return read_scenario(path, terms.vocabulary)


def check_files(terms_path: str | Path | Sequence[str | Path],
                scenario_paths: Sequence[str | Path], *,
                as_of: dt.date | str | None = None, jobs: int | None = None,
                engine: Engine = "auto", facts: Mapping[str, object] | None = None) -> Report:
    """Check the deployments of scenario files against a ``.deal`` file, as `dealcheck check` does.

    Args:
        terms_path: the terms; or a list of several ``.deal`` files, each
            deployment then judged against every one of them (read by the
            python engine, whatever `engine` and `jobs` say).
        scenario_paths: YAML, JSON, CSV, JSON Lines or Parquet files, by
            extension; ids must be unique across them.
        as_of: the evaluation date (a date, ``YYYY-MM-DD`` or ``today``); None
            judges each deployment on its start, each aggregate at the end of its window.
        jobs: DuckDB's threads, by default one a core (the python engine reads in this
            process).
        engine: what reads and checks the bulk files, as ``dealcheck check
            --engine``: ``"auto"`` (the default) and ``"duckdb"`` read CSV, JSON
            Lines and Parquet with DuckDB, ``"python"`` with the reference reader
            (which does not read Parquet). The report is the same.
        facts: facts of the whole check, as ``--fact`` gives them: every
            deployment that does not give its own value holds them, over a
            scenario file's own `facts:` (values as in a scenario's `facts`).

    Returns:
        The report, deployments in input order (`dealcheck.checker.files.check_files_into`
        hands them to a sink as they are judged instead).

    Raises:
        DiagnosticsError: with its sources, located in the terms or scenario files,
            for every problem found in them.
        ValueError: for an unknown `engine`.
    """
    from dealcheck.checker.files import check_files_into, collect_report
    from dealcheck.scenario.world import check_facts
    from dealcheck.terms import Report

    if not isinstance(terms_path, str | Path):
        if len(terms_path) > 1:
            from dealcheck.checker.agreements import check_agreement_files

            judges = load_all(terms_path).judges()
            return Report.of(collect_report(check_agreement_files(
                judges, scenario_paths, as_of, check_facts(facts, judges.vocabulary))))
        [terms_path] = terms_path
    terms = load(terms_path)
    return Report.of(check_files_into(terms, scenario_paths, collect_report,
                                      as_of=as_of, jobs=jobs, engine=engine,
                                      facts=check_facts(facts, terms.vocabulary)))
