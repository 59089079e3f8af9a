"""A check of files: terms and scenario files judged as `dealcheck check` judges them.

`check_files_into` opens the scenario files (bulk files read by an engine:
DuckDB by default, or streamed by the Python reader, validated as their rows
are judged), judges every deployment and aggregate, and hands the run to a
*sink*: a callable that consumes it once and returns what the caller wants. The CLI's sink
renders and writes the report as the results arrive; `collect_report` keeps
them in a `Report` (the library's `dealcheck.check_files`).

The seam is `CheckRun`. While `CheckRun.pending`, its results may raise
`PiecesRejected` up to the last one: a bulk file had a problem, and whatever
the sink made of the run must leave no trace. `check_files_into` then reads
the files again, which raises the located `DiagnosticsError` (or, for two
ids that only shared a hash, gives a second, valid run to the same sink).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dealcheck._speed import paused_gc
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import stream
from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    RenderedRows,
    Report,
    ReportMeta,
    RowsRenderer,
    SourceRef,
)
from dealcheck.engines import ENGINES
from dealcheck.rules.resolve import parse_as_of
from dealcheck.scenario.model import FactValue, written_facts

if TYPE_CHECKING:
    from dealcheck.checker.compile import ReadyTerms
    from dealcheck.checker.explain import Explanation
    from dealcheck.rules.model import Vocabulary
    from dealcheck.scenario.load import InfraText
    from dealcheck.scenario.model import Deployment
    from dealcheck.scenario.read import ScenarioInputs

__all__ = ["CheckRun", "NoSuchDeployment", "check_files_into", "collect_report", "explain_file",
           "find_deployment"]

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One run over the scenario files of a check, for a sink to consume once.

    Attributes:
        meta: the report's header (the inputs, their hashes, the date).
        results: every deployment's result in input order, judged as it is
            read; with a `rows` renderer, an engine may give runs of them
            already rendered (`RenderedRows`).
        aggregates: the aggregates' results; call it after the last result.
        pending: bulk files are validated only as `results` reads them: until
            it is exhausted it may raise `PiecesRejected`, and nothing made
            of the run may reach anyone before.
        expected: about how many deployments `results` gives (a progress bar's total).
    """

    meta: ReportMeta
    results: Iterator[DeploymentResult | RenderedRows]
    aggregates: Callable[[], list[AggregateResult]]
    pending: bool
    expected: int


def check_files_into(terms: ReadyTerms, scenario_paths: Sequence[str | Path],
                     sink: Callable[[CheckRun], S], *, as_of: dt.date | str | None = None,
                     jobs: int | None = None, rows: Callable[[], RowsRenderer] | None = None,
                     engine: str = "python", facts: Mapping[str, FactValue] | None = None,
                     spark_master: str | None = None, infra: InfraText | None = None) -> S:
    """Judge the deployments of scenario files against `terms`; what `sink` makes of the run.

    Args:
        terms: the terms, loaded from their file (`dealcheck.load`).
        scenario_paths: YAML, JSON, CSV or JSON Lines files, by extension.
        sink: consumes the `CheckRun`; called a second time if the first run
            was withdrawn (`PiecesRejected`).
        as_of: the evaluation date (a date, ``YYYY-MM-DD`` or ``today``); None
            judges each deployment on its start, each aggregate at the end of its window.
        jobs: the DuckDB engine's threads, by default one a core (the Python reader runs
            in this process).
        rows: how the sink's format renders one row
            (`dealcheck.report.output.rows_renderer`): the DuckDB engine then
            renders the rows in bulk, each distinct outcome once.
        engine: ``python``, or ``duckdb`` / ``auto``: bulk files (CSV, JSON Lines,
            Parquet) read and keyed by DuckDB (`dealcheck.engines.duckdb`),
            ``jobs`` its threads; files it does not find plainly valid are read
            as ``python`` reads them (which refuses Parquet). ``spark``: bulk
            files read and keyed by Spark (`dealcheck.engines.spark`), at
            `spark_master` (None: the active session, or local mode); files
            it does not find plainly valid are read as ``duckdb`` reads them.
        spark_master: the Spark master URL for ``spark``.
        infra: reads the files as Terraform plans or inventories through a map
            (`dealcheck.scenario.infra_read.InfraReader`), with the engine ``python``.
        facts: the facts of the whole check (``--fact``, validated: see
            `dealcheck.scenario.world`), held by every deployment that does not
            give its own value, over a scenario file's own `facts:`; every
            engine gives them alike.

    Raises:
        DiagnosticsError: located in the scenario files, for every problem found in
            them, or at `as_of` (DC910); DC911 when ``spark`` cannot start Spark.
        ValueError: for an engine not in `dealcheck.engines.ENGINES`.
    """
    from dealcheck.scenario.read import PiecesRejected, open_scenarios

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    when = parse_as_of(as_of)
    paths = [str(path) for path in scenario_paths]
    if infra is not None:
        engine = "python"
    if engine == "spark":
        from dealcheck.engines.formats import file_format

        if paths and all(file_format(p) for p in paths) and _duckdb_takes(terms, paths, engine):
            from dealcheck.engines.spark import spark_run

            with spark_run(terms, paths, when, spark_master, facts) as run:
                if run is not None:
                    return sink(run)
        engine = "duckdb"  # what Spark leaves: DuckDB, or the Python reader, explains it
    if engine != "python":
        from dealcheck.engines.formats import reads_with_duckdb

        if reads_with_duckdb(paths) and _duckdb_takes(terms, paths, engine):
            from dealcheck.engines.duckdb import duckdb_run

            with duckdb_run(terms, paths, when, jobs, rows, facts) as run:
                if run is not None:
                    return sink(run)
    else:
        from dealcheck.engines.formats import refuse_parquet

        refuse_parquet(paths)
    inputs = open_scenarios(paths, terms.vocabulary, defer=True, facts=facts, infra=infra)
    try:
        return sink(_run(terms, inputs, when))
    except PiecesRejected:
        # What was made of the first run is discarded; the files are read again
        # to explain the problem (pipes are not read again).
        again = open_scenarios(paths, terms.vocabulary, reuse=inputs, facts=facts, infra=infra)
        return sink(_run(terms, again, when))


def _duckdb_takes(terms: ReadyTerms, paths: Sequence[str], engine: str) -> bool:
    """Whether the DuckDB (or Spark) engine can check with these terms: not when they compare
    two facts or fields (DC129 when it was asked for by name, or a Parquet file needs it)."""
    from dealcheck.checker.logic import describe
    from dealcheck.dsl.diagnostics import DiagnosticsError, error
    from dealcheck.engines.formats import file_format
    from dealcheck.engines.plan import declined

    relation = declined(terms.compiled().terms)
    if relation is None:
        return True
    parquet = [p for p in paths if file_format(p) == "parquet"]
    if engine in ("duckdb", "spark") or parquet:
        raise DiagnosticsError([error(
            "DC129",
            f"the {'spark' if engine == 'spark' else 'duckdb'} engine does not evaluate "
            f"`{describe(relation)}`",
            relation.span, help=(f"`{Path(parquet[0]).name}` is Parquet, which only it "
                                 "reads: check a CSV or JSON Lines copy" if parquet else
                                 "check with `--engine python`"))],
            {relation.span.file: terms.compiled().terms.source})
    return False


def _run(terms: ReadyTerms, inputs: ScenarioInputs, when: dt.date | None) -> CheckRun:
    ct = terms.compiled()
    book = AggregateBook(ct, when)
    meta = ReportMeta(SourceRef(terms.path, terms.sha256),
                      tuple(SourceRef(s.path, s.sha256) for s in inputs.sources), when,
                      facts=written_facts(inputs.facts))
    return CheckRun(meta, stream(ct, inputs.deployments(), book, when), book.results,
                    inputs.pending is not None, inputs.expected)


def collect_report(run: CheckRun) -> Report:
    """A sink that keeps the whole run in a `Report`."""
    deployments: list[DeploymentResult] = []
    # Results form no cycles: collections would only rescan those kept so far.
    with paused_gc():
        for result in run.results:
            if not isinstance(result, DeploymentResult):
                raise TypeError("a report is collected from results, not rendered rows")
            deployments.append(result)
    return Report(terms=run.meta.terms, scenarios=list(run.meta.scenarios),
                  as_of=run.meta.as_of, deployments=deployments, aggregates=run.aggregates(),
                  facts=dict(run.meta.facts), agreements=list(run.meta.agreements))


class NoSuchDeployment(LookupError):
    """`explain_file` found no deployment of that id: the id, the file, the closest id if any."""

    def __init__(self, ident: str, path: str, close: str | None) -> None:
        super().__init__(ident, path, close)
        self.ident, self.path, self.close = ident, path, close


def explain_file(terms: ReadyTerms, scenario_path: str | Path, ident: str, *,
                 as_of: dt.date | str | None = None,
                 facts: Mapping[str, FactValue] | None = None,
                 infra: InfraText | None = None) -> Explanation:
    """The whole derivation of one deployment's verdict, the deployment found by id in a file
    (a plan or an inventory read through a map, with `infra`: see `check_files_into`).

    Raises:
        DiagnosticsError: located in the scenario file, or at `as_of` (DC910).
        NoSuchDeployment: when no deployment has that id (as ids are kept: see `normal_id`).
    """
    from dealcheck.checker.explain import explain
    from dealcheck.checker.states import in_context
    from dealcheck.scenario.read import open_scenarios

    when = parse_as_of(as_of)
    d = find_deployment(terms.vocabulary, scenario_path, ident, facts=facts, infra=infra)
    return explain(terms.compiled(), in_context(
        terms.compiled(), d, lambda: open_scenarios(
            [str(scenario_path)], terms.vocabulary, facts=facts, infra=infra).deployments(),
        when), when)


def find_deployment(vocabulary: Vocabulary, scenario_path: str | Path, ident: str, *,
                    facts: Mapping[str, FactValue] | None = None,
                    infra: InfraText | None = None) -> Deployment:
    """The deployment of id `ident` in a scenario file read with `vocabulary`.

    Raises:
        DiagnosticsError: located in the scenario file.
        NoSuchDeployment: when no deployment has that id (as ids are kept: see `normal_id`).
    """
    from dealcheck.dsl.diagnostics import did_you_mean
    from dealcheck.scenario.read import open_scenarios
    from dealcheck.scenario.validate import normal_id

    ident = normal_id(ident)  # as the scenario's ids are kept
    path = str(scenario_path)
    seen: list[str] = []
    for d in open_scenarios([path], vocabulary, facts=facts, infra=infra).deployments():
        if d.id == ident:
            return d
        if len(seen) < 100_000:
            seen.append(d.id)
    raise NoSuchDeployment(ident, path, did_you_mean(ident, seen))
