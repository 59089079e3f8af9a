"""The `dealcheck diff` and `dealcheck analyze` commands (registered in `dealcheck.cli`).

Exit codes: `diff` 0 when no deployment changes verdict and no aggregate
clause changed, 1 when something changed, 2 for bad input or usage;
`analyze` 0 without findings, 1 with some, 2 for bad input.
"""

from __future__ import annotations

import click


def _date(value: str | None, error_format: str, option: str) -> object:
    from dealcheck.cli import _fail_input
    from dealcheck.dsl.diagnostics import DiagnosticsError
    from dealcheck.rules.resolve import parse_as_of

    try:
        return parse_as_of(value, option)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


@click.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge every deployment on DATE under both versions (else on its start).")
@click.option("--old-as-of", "old_as_of", metavar="DATE",
              help="The terms of OLD as in force on DATE (compare one file on two dates).")
@click.option("--new-as-of", "new_as_of", metavar="DATE",
              help="The terms of NEW as in force on DATE.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@click.option("--error-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How diagnostics are printed.")
def diff(old: str, new: str, as_of: str | None, old_as_of: str | None,
         new_as_of: str | None, fmt: str, error_format: str) -> None:
    """Show the deployments whose verdict changes from terms OLD to terms NEW."""
    from dealcheck.analysis.diff import diff_terms
    from dealcheck.cli import EXIT_FINDINGS, EXIT_OK, Failure, _fail_input, _load_terms
    from dealcheck.dsl.diagnostics import DiagnosticsError

    both = _date(as_of, error_format, "--as-of")
    days = [_date(old_as_of, error_format, "--old-as-of") or both,
            _date(new_as_of, error_format, "--new-as-of") or both]
    before, after = _load_terms(old, error_format), _load_terms(new, error_format)
    try:
        result = diff_terms(before, after, old_as_of=days[0],  # type: ignore[arg-type]
                            new_as_of=days[1])  # type: ignore[arg-type]
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    render = {"text": result.to_text, "json": result.to_json, "markdown": result.to_markdown}
    click.echo(render[fmt](), nl=False)
    raise Failure(EXIT_FINDINGS if result.changed else EXIT_OK)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--error-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How diagnostics are printed.")
def analyze(files: tuple[str, ...], fmt: str, error_format: str) -> None:
    """Find dead, vacuous, shadowed, conflicting and redundant clauses in terms FILES."""
    from dealcheck.analysis.findings import Analysis, merged
    from dealcheck.cli import EXIT_FINDINGS, EXIT_OK, Failure, _load_terms

    results = [_load_terms(path, error_format).analyze() for path in files]
    found: Analysis = merged(results)
    click.echo(found.to_json() if fmt == "json" else found.to_text(), nl=False)
    raise Failure(EXIT_FINDINGS if found.findings else EXIT_OK)
