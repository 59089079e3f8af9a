"""`dealcheck import terraform|gcp-assets`, and the `--map` option of `dealcheck check`.

A Terraform plan (``terraform show -json``) or a Cloud Asset Inventory export
becomes a scenario through a map (docs/inputs.md): written as YAML by
`import`, or checked directly by ``check TERMS PLAN.json --map MAP.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dealcheck.dsl.diagnostics import DiagnosticsError, Severity
from dealcheck.dsl.escape import printable

__all__ = ["import_group", "infra_options", "infra_reader", "show_notes"]

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from dealcheck.scenario.infra_read import InfraReader


_MAP_HELP = ("Read each SCENARIO as a Terraform plan (`terraform show -json`) or a Cloud "
             "Asset Inventory export, through this map (docs/inputs.md), with the python engine.")


def infra_options(f: F, map_help: str = _MAP_HELP) -> F:
    """`--map MAP.yaml` and `--start DATE`, for `check`, `explain` and the `import` commands."""
    f = click.option("--start", metavar="DATE",
                     help="With --map: the start of every deployment (YYYY-MM-DD), over the "
                          "map's `start:`.")(f)
    return click.option("--map", "map_path", type=click.Path(dir_okay=False), metavar="MAP",
                        help=map_help)(f)


def infra_reader(map_path: str | None, start: str | None, error_format: str,
                 more_terms: Sequence[str] = (), only: str | None = None) -> InfraReader | None:
    """The reader `--map` asks for (None without it); exit 2 on a bad map."""
    if map_path is None:
        if start is not None:
            raise click.UsageError("--start goes with --map MAP")
        return None
    from dealcheck.cli import _fail_input
    from dealcheck.scenario.infra_map import load_map
    from dealcheck.scenario.infra_read import InfraReader

    if more_terms:
        raise click.UsageError("--map checks plans against one agreement: give one TERMS file")
    try:
        return InfraReader(load_map(map_path, start), only)
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)


def show_notes(reader: InfraReader | None) -> None:
    """What the map left out or left unknown, one `note:` a line on standard error."""
    for note in reader or ():
        click.echo(f"note: {note}", err=True)


@click.group(name="import")
def import_group() -> None:
    """Turn a Terraform plan or a cloud inventory into a scenario.

    A map says which deployments the resources are (docs/inputs.md).
    """


def _import_command(name: str, what: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        f = click.option("--error-format", type=click.Choice(["text", "json"]), default="text",
                         show_default=True, help="How diagnostics are printed.")(f)
        f = click.option("-o", "--output", type=click.Path(dir_okay=False),
                         help="Write the scenario to FILE (atomically) instead of standard "
                              "output.")(f)
        f = infra_options(f, "The map that says which deployments the resources are "
                             "(docs/inputs.md); required.")
        f = click.argument("source", metavar=what, type=click.Path(dir_okay=False))(f)
        return import_group.command(name=name)(f)  # type: ignore[return-value]
    return decorate


@_import_command("terraform", "PLAN.json")
def terraform(source: str, map_path: str | None, start: str | None, output: str | None,
              error_format: str) -> None:
    """The resources a Terraform plan creates or updates, as a scenario (needs --map)."""
    _import(source, "terraform", map_path, start, output, error_format)


@_import_command("gcp-assets", "EXPORT.json")
def gcp_assets(source: str, map_path: str | None, start: str | None, output: str | None,
               error_format: str) -> None:
    """The assets of a Cloud Asset Inventory export, as a scenario (needs --map)."""
    _import(source, "gcp-assets", map_path, start, output, error_format)


def _import(source: str, only: str, map_path: str | None, start: str | None,
            output: str | None, error_format: str) -> None:
    from dealcheck.cli import _fail_input, _refuse_overwriting
    from dealcheck.report.output import atomic_writer
    from dealcheck.scenario.infra_write import scenario_yaml
    from dealcheck.scenario.source import decode_text, read_bytes

    if map_path is None:
        raise click.UsageError("Missing option '--map': the map says which deployments "
                               "the resources are (docs/inputs.md)")
    if output:
        _refuse_overwriting(output, [source, map_path], error_format)
    reader = infra_reader(map_path, start, error_format, only=only)
    assert reader is not None  # INVARIANT: a map was given
    try:
        text, found = decode_text(read_bytes(source), source)
        tree = None
        if not found:
            tree, found = reader(text, source)
        if tree is None or any(d.severity is Severity.ERROR for d in found):
            raise DiagnosticsError(found, {source: text})
    except DiagnosticsError as exc:
        _fail_input(exc, error_format)
    header = [f"Imported by `dealcheck import {only}` from {printable(source)} "
              f"with the map {printable(map_path)}."]
    header += [f"note: {note}" for note in reader]
    written = scenario_yaml(tree, header)
    if output:
        with atomic_writer(output, encoding="utf-8") as out:
            out.write(written)
    else:
        click.echo(written, nl=False)
    show_notes(reader)
