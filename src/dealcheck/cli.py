"""The `dealcheck` command: parse arguments, call the library, render, map to exit codes.

Exit codes (README, "CLI"): 0 nothing failed; 1 a finding at or above
`--fail-on`; 2 bad input or usage; 3 internal error; 130 interrupted
(SIGINT, Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

import dealcheck
from dealcheck.cli_import import import_group, infra_options, infra_reader, show_notes
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Severity, iter_text
from dealcheck.dsl.escape import printable, quote
from dealcheck.engines import ENGINES
from dealcheck.interrupts import Terminated, signals_raise
from dealcheck.report import REPORT_FORMATS

if TYPE_CHECKING:
    from dealcheck.checker.files import CheckRun
    from dealcheck.io_text import PipedText
    from dealcheck.report.output import RenderedRows
    from dealcheck.rules.model import Vocabulary
    from dealcheck.scenario.load import InfraText
    from dealcheck.scenario.model import FactValue

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
#: 128 + the signal's number, as shells report a process stopped by it.
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
F = TypeVar("F", bound=Callable[..., Any])


class Failure(Exception):
    """A user error already reported: exit with `code`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def report_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, str],
                       error_format: str) -> None:
    if error_format == "json":
        from dealcheck.dsl.diagnostics import render_json

        click.echo(render_json(list(diagnostics)))
        return
    # Written as drawn: a file with thousands of problems is never held as one text.
    for chunk in iter_text(diagnostics, sources, color=_color(sys.stderr)):
        click.echo(chunk, err=True, nl=False)
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    if errors or warnings:
        parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
        if warnings:
            parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
        click.echo(f"found {' and '.join(parts)}", err=True)


def _fail_input(exc: DiagnosticsError, error_format: str) -> NoReturn:
    sources = dict(exc.sources)
    for d in exc.diagnostics:
        if d.span.file not in sources and os.path.isfile(d.span.file):
            with contextlib.suppress(OSError):
                sources[d.span.file] = Path(d.span.file).read_text("utf-8", errors="replace")
    # A file given without its text (one too large, an output) shows no empty excerpt.
    report_diagnostics(exc.diagnostics, {f: t for f, t in sources.items() if t}, error_format)
    raise Failure(EXIT_INPUT)


def _parse_date(value: str | None, error_format: str) -> dt.date | None:
    """`--as-of` (a date or `today`), read as `terms.check(as_of=...)` reads it (DC910)."""
    from dealcheck.rules.resolve import parse_as_of

    try:
        return parse_as_of(value, "--as-of")
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


def _fact_option(f: F) -> F:
    return click.option("--fact", "facts", metavar="NAME=VALUE", multiple=True,
                        help="A fact of the whole check (repeatable): every deployment that "
                             "does not give its own value holds it, over a scenario's own "
                             "`facts:`.")(f)


def _parse_facts(arguments: tuple[str, ...], vocabulary: Vocabulary,
                 error_format: str) -> dict[str, FactValue]:
    """``--fact NAME=VALUE`` arguments, read as a scenario's facts are (DC955, DC303, DC308)."""
    from dealcheck.scenario.world import parse_fact_options

    try:
        return parse_fact_options(arguments, vocabulary)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


def _error_format(f: F) -> F:
    return click.option("--error-format", type=click.Choice(["text", "json"]), default="text",
                        show_default=True, help="How diagnostics are printed.")(f)


def _load_terms(path: str, error_format: str) -> dealcheck.Terms:
    try:
        return dealcheck.load(path)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


# ---------------------------------------------------------------- the group


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(dealcheck.__version__, prog_name="dealcheck")
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Check proposed deployments against the terms of partnership agreements."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("terms", type=click.Path(dir_okay=False))
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge every deployment and aggregate on DATE (YYYY-MM-DD, or `today`); "
                   "without it each deployment on its start, each aggregate at the end of "
                   "its window.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text",
              show_default=True,
              help="Report format. `jsonl` (a line per deployment, per aggregate, then the "
                   "summary) and `parquet` (a row per deployment; binary: use -o) are for "
                   "inventories of millions.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to FILE (atomically; a pipe or a device directly) "
                   "instead of standard output. FILE must not be an input.")
@click.option("--fail-on", type=click.Choice(["violation", "undetermined"]), default="violation",
              show_default=True, help="Exit 1 when a finding is at or above this level.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              show_default="a thread a core",
              help="Threads of the DuckDB engine (bulk files); the python engine runs in "
                   "one process.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True,
              help="What reads and checks bulk files: `duckdb` (CSV, JSON Lines, Parquet; "
                   "`auto` for those), `python` (the reference; YAML and JSON always) or "
                   "`spark` (pip install 'dealcheck[spark]').")
@click.option("--spark-master", metavar="URL",
              help="With `--engine spark`: the Spark master, e.g. `spark://host:7077` "
                   "(default: local mode, a thread a core, `local[*]`).")
@_fact_option
@infra_options
@_error_format
def check(terms: str, scenarios: tuple[str, ...], as_of: str | None, fmt: str,
          output: str | None, fail_on: str, jobs: int | None, engine: str, spark_master: str | None,
          facts: tuple[str, ...], map_path: str | None, start: str | None,
          error_format: str) -> None:
    """Check the deployments of SCENARIO files against TERMS.

    Further arguments ending in `.deal` are more agreements: each deployment is
    then judged against every one of them.
    """
    from dealcheck.checker.files import check_files_into
    from dealcheck.report.output import rows_renderer

    more_terms = [p for p in scenarios if p.endswith(".deal")]
    scenarios = tuple(p for p in scenarios if not p.endswith(".deal"))
    if not scenarios:
        raise click.UsageError("Missing argument 'SCENARIOS...': only terms were given.")
    if more_terms and engine in ("duckdb", "spark"):
        raise click.UsageError("several agreements are checked with `--engine python` "
                               f"(`auto` chooses it): `--engine {engine}` checks one")
    if map_path is not None and engine in ("duckdb", "spark"):
        raise click.UsageError("plans read through `--map` are checked with `--engine python` "
                               f"(`auto` chooses it), not `--engine {engine}`")
    when = _parse_date(as_of, error_format)
    if output:
        _refuse_overwriting(output, [terms, *more_terms, *scenarios], error_format)
    elif fmt == "parquet" and getattr(sys.stdout, "isatty", lambda: False)():
        raise click.UsageError("a Parquet report is binary: write it to a file with "
                               "`-o REPORT.parquet`")
    model = _load_terms(terms, error_format)
    infra = infra_reader(map_path, start, error_format, more_terms)
    sink = _report_sink(fmt, output, fail_on, infra)
    try:
        if more_terms:
            from dealcheck.checker.agreements import check_agreement_files, judges_of

            judges = judges_of([model, *(_load_terms(p, error_format) for p in more_terms)])
            world = _parse_facts(facts, judges.vocabulary, error_format)
            worst = sink(check_agreement_files(judges, scenarios, when, world))
        else:
            world = _parse_facts(facts, model.vocabulary, error_format)
            worst = check_files_into(model, scenarios, sink, as_of=when, jobs=jobs,
                                     rows=rows_renderer(fmt), engine=engine, facts=world,
                                     spark_master=spark_master, infra=infra)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    show_notes(infra)
    failed = worst["violation"] or (fail_on == "undetermined" and worst["undetermined"])
    raise Failure(EXIT_FINDINGS if failed else EXIT_OK)


def _report_sink(fmt: str, output: str | None, fail_on: str,
                 infra: InfraText | None = None) -> Callable[[CheckRun], dict[str, int]]:
    """What writes a check's report: the counts of violations and undetermined it found.

    While the run is pending, nothing reaches the user before the last
    deployment was read: ``-o`` is written atomically, standard output held
    back. A withdrawn run (`PiecesRejected`) leaves no trace.
    """

    def write_report(run: CheckRun) -> dict[str, int]:
        from dealcheck.checker.results import aggregate_counts
        from dealcheck.report.output import (
            SummaryCounter,
            atomic_writer,
            make_renderer,
            standard_output,
            stream_report,
        )
        from dealcheck.report.progress import with_progress

        worst = {"violation": 0, "undetermined": 0}
        read_all = False

        def results() -> Iterator[dealcheck.DeploymentResult | RenderedRows]:
            nonlocal read_all
            yield from with_progress(run.results, run.expected, True, size=_deployments_in)
            read_all = True

        def aggregates() -> list[dealcheck.AggregateResult]:
            found = run.aggregates()
            counts = aggregate_counts(found)  # advisory targets never fail a check
            worst["violation"] += counts["violation"]
            worst["undetermined"] += counts["undetermined"]
            return found

        from dealcheck.checked_inputs import html_context

        renderer = make_renderer(fmt, fail_on=fail_on,
                                 html_context=lambda report: html_context(report, infra),
                                 color=output is None and _color(sys.stdout))
        counted = SummaryCounter()
        meta = dataclasses.replace(run.meta, version=dealcheck.__version__)
        # Files of rows an engine wrote go on as they are: a file takes their bytes.
        chunks = stream_report(renderer, meta, results(), aggregates, counted, files=True)
        # Parquet's chunks are bytes, one character each (its renderer's `encoding`).
        encoding: str = getattr(renderer, "encoding", "utf-8")
        if output:
            with atomic_writer(output, encoding=encoding) as out:
                # A temporary file shows nothing before it is complete; a pipe or a device does.
                _emit(chunks, out.write, lambda: out.direct and run.pending and not read_all)
        else:
            _emit(chunks, standard_output(encoding), lambda: run.pending and not read_all)
        sys.stdout.flush()
        worst["violation"] += counted.violation
        worst["undetermined"] += counted.undetermined
        return worst

    return write_report


def _emit(chunks: Iterable[str | PipedText], write: Callable[[str | PipedText], object],
          hold: Callable[[], bool]) -> None:
    """Write the report's chunks, holding back those that come while `hold()` is true.

    A bulk file's report may yet be withdrawn until its last deployment was read
    (`PiecesRejected`), so nothing of it may reach a reader before. What is held
    back waits in a `TextSpool` (memory, then a temporary file): `--format jsonl`
    of millions of rows to standard output stays in bounded memory.
    """
    from dealcheck.report.output import TextSpool

    early: TextSpool | None = None
    try:
        for chunk in chunks:
            if hold():
                if early is None:
                    early = TextSpool()
                early.write(chunk)
                continue
            if early is not None:
                for text in early.drain():
                    write(text)
                early = None
            write(chunk)
        if early is not None:
            for text in early.drain():
                write(text)
            early = None
    finally:
        if early is not None:
            early.close()


def _refuse_overwriting(output: str, inputs: Sequence[str], error_format: str) -> None:
    """Exit 2 (DC904) when the report would be written over one of the check's inputs."""
    from dealcheck.io_text import refuse_overwriting

    try:
        refuse_overwriting(output, inputs)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


def _deployments_in(judged: object) -> int:
    """How far a result, or a run of them rendered by an engine, moves the progress bar."""
    from dealcheck.report.output import RenderedRows

    return judged.deployments if isinstance(judged, RenderedRows) else 1


@cli.command()
@click.argument("terms", type=click.Path(dir_okay=False))
@click.argument("scenario", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--id", "ident", required=True, help="The deployment to explain.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge it on DATE (YYYY-MM-DD, or `today`) instead of its start.")
@_fact_option
@infra_options
@_error_format
def explain(terms: str, scenario: tuple[str, ...], ident: str, as_of: str | None,
            facts: tuple[str, ...], map_path: str | None, start: str | None,
            error_format: str) -> None:
    """Show the whole derivation of one deployment's verdict.

    Arguments before SCENARIO ending in `.deal` are more agreements: the
    deployment is explained under each of them.
    """
    from dealcheck.checker.explain import render_explanation
    from dealcheck.checker.files import NoSuchDeployment, explain_file

    more_terms = [p for p in scenario if p.endswith(".deal")]
    scenarios = [p for p in scenario if not p.endswith(".deal")]
    if len(scenarios) != 1:
        raise click.UsageError("give exactly one SCENARIO file after the terms")
    [scenario_path] = scenarios
    when = _parse_date(as_of, error_format)
    model = _load_terms(terms, error_format)
    infra = infra_reader(map_path, start, error_format, more_terms)
    try:
        if more_terms:
            from dealcheck.checker.agreements import (
                explain_agreements,
                judges_of,
                render_explanations,
            )

            judges = judges_of([model, *(_load_terms(p, error_format) for p in more_terms)])
            world = _parse_facts(facts, judges.vocabulary, error_format)
            text = render_explanations(judges, explain_agreements(
                judges, scenario_path, ident, as_of=when, facts=world))
        else:
            world = _parse_facts(facts, model.vocabulary, error_format)
            text = render_explanation(
                explain_file(model, scenario_path, ident, as_of=when, facts=world, infra=infra),
                model)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    except NoSuchDeployment as exc:
        hint = f"; did you mean {quote(exc.close, 200)}?" if exc.close else ""
        click.echo(f"error: no deployment {quote(exc.ident, 200)} in "
                   f"{quote(scenario_path, 1000)}{hint}", err=True)
        raise Failure(EXIT_INPUT) from None
    click.echo(text, nl=False)
    raise Failure(EXIT_OK)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_error_format
def lint(files: tuple[str, ...], error_format: str) -> None:
    """Report every error and warning in terms FILES."""
    from dealcheck.io_text import read_text

    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in files:
        try:
            text = read_text(path)
        except DiagnosticsError as exc:
            diagnostics += exc.diagnostics
            continue
        sources[path] = text
        _, found = dealcheck.analyze(text, path, warnings=True)
        diagnostics += found
    report_diagnostics(diagnostics, sources, error_format)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise Failure(EXIT_INPUT)
    if error_format == "text" and not diagnostics:
        click.echo(f"{len(files)} file{'s' * (len(files) != 1)} checked: no problems", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; exit 1 and show a diff if a file is not formatted.")
@_error_format
def fmt(files: tuple[str, ...], check_only: bool, error_format: str) -> None:
    """Format terms FILES in the one canonical layout (comments kept)."""
    from dealcheck.dsl.format import format_files

    try:
        changed, diffs = format_files(list(files), check=check_only)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    for diff in diffs:
        # A comment may hold anything, even ESC: the diff shows it escaped (tabs kept).
        lines = diff.split("\n")
        click.echo("\n".join("\t".join(printable(part) for part in line.split("\t"))
                             for line in lines), nl=False)
    if check_only and changed:
        for path in changed:
            click.echo(f"would reformat {printable(path)}", err=True)
        raise Failure(EXIT_FINDINGS)
    verb = "already formatted" if not changed else f"reformatted {len(changed)}"
    if not check_only:
        click.echo(f"{verb}: {len(files)} file{'s' * (len(files) != 1)}", err=True)


@cli.command(name="test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--coverage", is_flag=True, help="Report clauses and outcomes no example exercises.")
@_error_format
def test_cmd(files: tuple[str, ...], coverage: bool, error_format: str) -> None:
    """Run the examples written inside terms FILES."""
    from dealcheck.checker.examples import Coverage, run_examples

    failed = 0
    total = 0
    uncovered_any = False
    for path in files:
        model = _load_terms(path, error_format)
        cov = Coverage()
        for outcome in run_examples(model, cov):
            total += 1
            mark = "pass" if outcome.passed else "FAIL"
            loc = f"{printable(path)}:{outcome.example.span.line}"
            click.echo(f"{mark}  {loc}  {printable(outcome.example.title)}")
            for failure in outcome.failures:
                click.echo(f"      {printable(failure)}")
            failed += not outcome.passed
        if coverage:
            missing = cov.uncovered(model)
            partial = cov.unseen_outcomes(model)
            ids = list(dict.fromkeys(c.id for c in model.clauses))
            covered = len(ids) - len(missing)
            click.echo(f"coverage  {printable(path)}: {covered}/{len(ids)} clauses exercised")
            for clause_id in missing:
                click.echo(f"      not exercised: {clause_id}")
                uncovered_any = True
            for clause_id, outcomes in partial.items():
                click.echo(f"      {clause_id}: never {', '.join(outcomes)}")
    click.echo(f"{total - failed} passed, {failed} failed")
    if not total:
        click.echo("no examples found", err=True)
    raise Failure(EXIT_FINDINGS if failed or (coverage and uncovered_any) else EXIT_OK)


@cli.command()
@click.argument("what", type=click.Choice(["scenario", "report"]))
@click.option("--terms", "terms", type=click.Path(dir_okay=False), metavar="TERMS",
              help="With `scenario`: the names TERMS declares as enumerations.")
@_error_format
def schema(what: str, terms: str | None, error_format: str) -> None:
    """Print the JSON Schema of scenario files or of the JSON report."""
    if what == "report":
        from dealcheck.report.model import report_json_schema

        if terms is not None:
            raise click.UsageError("--terms goes with `schema scenario` only")
        document = report_json_schema()
    else:
        from dealcheck.scenario.schema import scenario_json_schema

        vocabulary = None if terms is None else _load_terms(terms, error_format).vocabulary
        document = scenario_json_schema(vocabulary)
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


cli.add_command(import_group)

from dealcheck.analysis.commands import analyze as _analyze  # noqa: E402
from dealcheck.analysis.commands import diff as _diff  # noqa: E402

cli.add_command(_diff)
cli.add_command(_analyze)

# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        with signals_raise():
            cli.main(args=list(argv) if argv is not None else None, prog_name="dealcheck",
                     standalone_mode=False)
    except Failure as exc:
        return _exit(exc.code)
    except click.exceptions.Exit as exc:
        return _exit(exc.exit_code)
    except click.ClickException as exc:
        # The message may quote a file name or an argument: shown escaped, line by line.
        shown = io.StringIO()
        exc.show(file=shown)
        lines = shown.getvalue().split("\n")
        click.echo("\n".join(printable(line) for line in lines), err=True, nl=False)
        return _exit(EXIT_INPUT)
    except click.Abort as exc:
        # Click turns Ctrl-C into `Abort`; end of input (Ctrl-D at a prompt) too.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            return _exit(EXIT_INTERRUPTED)
        click.echo("aborted", err=True)
        return _exit(EXIT_INPUT)
    except Terminated:
        click.echo("terminated", err=True)
        return _exit(EXIT_TERMINATED)
    except DiagnosticsError as exc:
        try:
            _fail_input(exc, "text")
        except Failure as failure:
            return _exit(failure.code)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _exit(EXIT_OK)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return _exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        name = type(exc).__name__
        click.echo(f"dealcheck: internal error ({name}: {printable(str(exc))}); this is a bug, "
                   "please report it with the input that caused it (run with --debug for the "
                   "traceback)", err=True)
        return _exit(EXIT_INTERNAL)
    return _exit(EXIT_OK)


def _exit(code: int) -> int:
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
