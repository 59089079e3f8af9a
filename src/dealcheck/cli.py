"""The `dealcheck` command: parse arguments, call the library, render, map to exit codes.

Exit codes (DESIGN.md §5): 0 nothing failed; 1 a finding at or above
`--fail-on`; 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Severity, render_text

if TYPE_CHECKING:
    from dealcheck.checker.compile import CompiledTerms
    from dealcheck.checker.parallel import ParallelCheck
    from dealcheck.scenario.read import ScenarioInputs

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
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
    text = render_text(list(diagnostics), sources, color=_color(sys.stderr))
    click.echo(text, err=True, nl=False)
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
    report_diagnostics(exc.diagnostics, sources, error_format)
    raise Failure(EXIT_INPUT)


def _parse_date(value: str | None) -> dt.date | None:
    """An `--as-of` value: `YYYY-MM-DD`, or `today` (the one use of the clock)."""
    if value is None:
        return None
    if value == "today":
        return dt.date.today()
    from dealcheck.rules.resolve import parse_date

    parsed = parse_date(value)
    if isinstance(parsed, str):
        raise click.BadParameter(parsed.replace("`", "'") + ", or 'today'",
                                 param_hint="'--as-of'")
    return parsed


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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif",
                                                    "markdown"]), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(["violation", "undetermined"]), default="violation",
              show_default=True, help="Exit 1 when a finding is at or above this level.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes for bulk (CSV, JSON Lines) files.")
@_error_format
def check(terms: str, scenarios: tuple[str, ...], as_of: str | None, fmt: str,
          output: str | None, fail_on: str, jobs: int, error_format: str) -> None:
    """Check the deployments of SCENARIO files against TERMS."""
    from dealcheck.scenario.read import PiecesRejected, open_scenarios

    when = _parse_date(as_of)
    model = _load_terms(terms, error_format)
    ct = model.compiled()
    paths = list(scenarios)
    with contextlib.ExitStack() as stack:
        workers = None
        if jobs > 1:
            from dealcheck.checker.output import rows_renderer
            from dealcheck.checker.parallel import ParallelCheck

            # The workers render the report's rows too, where the format can.
            workers = stack.enter_context(ParallelCheck(terms, ct, paths, jobs, when,
                                                        rows_renderer(fmt)))
        try:
            # Bulk files are validated as they are read and judged, so each row is
            # read once; nothing is shown until all of them are known valid.
            inputs = (open_scenarios(paths, model.vocabulary, defer=True) if workers is None
                      else workers.open())
            try:
                worst = _report(ct, inputs, workers, when, fmt, output, fail_on, terms,
                                model.sha256)
            except PiecesRejected:
                # A problem in a bulk file: what was made of it is discarded, and the
                # files are read again to explain it (or, for two ids that only
                # share a hash, to check them in the usual way).
                worst = _report(ct, open_scenarios(paths, model.vocabulary), workers, when,
                                fmt, output, fail_on, terms, model.sha256)
        except DiagnosticsError as exc:
            _fail_input(exc, error_format)
    failed = worst["violation"] or (fail_on == "undetermined" and worst["undetermined"])
    raise Failure(EXIT_FINDINGS if failed else EXIT_OK)


def _report(ct: CompiledTerms, inputs: ScenarioInputs, workers: ParallelCheck | None,
            when: dt.date | None, fmt: str,
            output: str | None, fail_on: str, terms: str, sha256: str) -> dict[str, int]:
    """Judge the deployments and write the report; the counts of violations and undetermined.

    While `inputs` are pending, nothing reaches the user before the last
    deployment was read: ``-o`` is written atomically, standard output held
    back. `PiecesRejected` leaves no trace.
    """
    from dealcheck.checker.aggregate import AggregateBook
    from dealcheck.checker.check import stream
    from dealcheck.checker.output import (
        RenderedRows,
        ReportMeta,
        SummaryCounter,
        make_renderer,
        stream_report,
    )
    from dealcheck.checker.render_text import with_progress
    from dealcheck.checker.results import AggregateVerdict, SourceRef

    book = AggregateBook(ct, when)
    meta = ReportMeta(SourceRef(terms, sha256),
                      tuple(SourceRef(s.path, s.sha256) for s in inputs.sources), when)
    worst = {"violation": 0, "undetermined": 0}

    read_all = False

    def results() -> Iterator[dealcheck.DeploymentResult | RenderedRows]:
        nonlocal read_all
        judged: Iterator[dealcheck.DeploymentResult | RenderedRows] = (
            stream(ct, with_progress(inputs.deployments(), inputs.expected, True), book, when)
            if workers is None else with_progress(workers.results(inputs, book),
                                                  inputs.expected, True, size=_deployments_in))
        yield from judged
        read_all = True

    def aggregates() -> list[dealcheck.AggregateResult]:
        found = book.results()
        for a in found:
            if a.verdict is AggregateVerdict.VIOLATION:
                worst["violation"] += 1
            elif a.verdict is AggregateVerdict.UNDETERMINED:
                worst["undetermined"] += 1
        return found

    renderer = make_renderer(fmt, fail_on=fail_on, color=output is None and _color(sys.stdout))
    counted = SummaryCounter()
    chunks = stream_report(renderer, meta, results(), aggregates, counted)
    if output:
        from dealcheck.checker.output import write_atomic_chunks

        write_atomic_chunks(output, chunks)
    else:
        # Held back: whatever a renderer emits before the last deployment was read
        # (today's renderers emit everything at the end, so this stays empty).
        early: list[str] = []
        for chunk in chunks:
            if inputs.pending is not None and not read_all:
                early.append(chunk)
                continue
            if early:
                sys.stdout.write("".join(early))
                early.clear()
            sys.stdout.write(chunk)
        sys.stdout.write("".join(early))
    sys.stdout.flush()
    worst["violation"] += counted.violation
    worst["undetermined"] += counted.undetermined
    return worst


def _deployments_in(judged: object) -> int:
    """How far a result, or a run of them rendered by a worker, moves the progress bar."""
    from dealcheck.checker.output import RenderedRows

    return judged.deployments if isinstance(judged, RenderedRows) else 1


@cli.command()
@click.argument("terms", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--id", "ident", required=True, help="The deployment to explain.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge it on DATE (YYYY-MM-DD, or `today`) instead of its start.")
@_error_format
def explain(terms: str, scenario: str, ident: str, as_of: str | None, error_format: str) -> None:
    """Show the whole derivation of one deployment's verdict."""
    from dealcheck.checker.explain import explain as derive
    from dealcheck.checker.explain import render_explanation
    from dealcheck.dsl.diagnostics import did_you_mean
    from dealcheck.scenario.read import open_scenarios

    when = _parse_date(as_of)
    model = _load_terms(terms, error_format)
    try:
        inputs = open_scenarios([scenario], model.vocabulary)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    seen: list[str] = []
    for d in inputs.deployments():
        if d.id == ident:
            click.echo(render_explanation(derive(model.compiled(), d, when), model), nl=False)
            raise Failure(EXIT_OK)
        if len(seen) < 100_000:
            seen.append(d.id)
    close = did_you_mean(ident, seen)
    hint = f"; did you mean `{close}`?" if close else ""
    click.echo(f"error: no deployment `{ident}` in `{scenario}`{hint}", err=True)
    raise Failure(EXIT_INPUT)


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
        click.echo(diff, nl=False)
    if check_only and changed:
        for path in changed:
            click.echo(f"would reformat {path}", err=True)
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
            loc = f"{path}:{outcome.example.span.line}"
            click.echo(f"{mark}  {loc}  {outcome.example.title}")
            for failure in outcome.failures:
                click.echo(f"      {failure}")
            failed += not outcome.passed
        if coverage:
            missing = cov.uncovered(model)
            partial = cov.unseen_outcomes(model)
            ids = list(dict.fromkeys(c.id for c in model.clauses))
            covered = len(ids) - len(missing)
            click.echo(f"coverage  {path}: {covered}/{len(ids)} clauses exercised")
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
def schema(what: str) -> None:
    """Print the JSON Schema of scenario files or of the JSON report."""
    if what == "report":
        from dealcheck.checker.report_model import report_json_schema

        document = report_json_schema()
    else:
        from dealcheck.scenario.schema import scenario_json_schema

        document = scenario_json_schema()
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="dealcheck",
                 standalone_mode=False)
    except Failure as exc:
        return _exit(exc.code)
    except click.exceptions.Exit as exc:
        return _exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return _exit(EXIT_INPUT)
    except click.Abort:
        click.echo("aborted", err=True)
        return _exit(EXIT_INPUT)
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
        return _exit(130)
    except Exception as exc:
        if debug:
            raise
        name = type(exc).__name__
        click.echo(f"dealcheck: internal error ({name}: {exc}); this is a bug, please report "
                   "it with the input that caused it (run with --debug for the traceback)",
                   err=True)
        return _exit(EXIT_INTERNAL)
    return _exit(EXIT_OK)


def _exit(code: int) -> int:
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
