"""Read one scenario file: whole (`load_scenario`), or streamed in two passes.

For bulk inventories (CSV, JSON Lines), `validate_file` then
`iter_deployments`: a first streaming pass that only collects diagnostics,
and a second that yields deployments. Memory stays bounded apart from 8
bytes per id (`IdDigests`); nothing is checked until the whole input is
known valid.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error, sort_diagnostics
from dealcheck.dsl.span import Span
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario import errors
from dealcheck.scenario.fields import FieldRules
from dealcheck.scenario.model import Deployment, FactValue, Scenario, with_scenario_facts
from dealcheck.scenario.read_json import parse_json
from dealcheck.scenario.source import decode_text, excerpt, read_bytes, unreadable
from dealcheck.scenario.stream import (
    UNCHECKED_IDS,
    Budget,
    bounded_lines,
    bounded_rows,
    checked_rows,
    is_regular,
    parse_rows,
    read_once,
    stopping,
)
from dealcheck.scenario.tree import Node, code
from dealcheck.scenario.validate import (
    DeploymentValidator,
    IdDigests,
    IdTable,
    UniqueIds,
    check_document,
)

__all__ = [
    "FORMATS", "STREAMED", "InfraText", "Piped", "StreamCheck", "duplicates_among",
    "find_duplicates",
    "held_excerpt", "iter_deployments", "iter_validated", "load_file", "load_scenario",
    "scenario_format", "source_excerpt", "validate_file", "validate_stream",
]

FORMATS: dict[str, str] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
STREAMED = frozenset(("csv", "jsonl"))
#: What reads a Terraform plan or an inventory through a map (`scenario.infra_read.InfraReader`):
#: a file's text and name in, the scenario tree it stands for and its diagnostics out.
InfraText = Callable[[str, str], "tuple[Node | None, list[Diagnostic]]"]


def scenario_format(path: str | Path) -> str:
    """The format a scenario file is read as, from its extension.

    >>> scenario_format("plan.YML")
    'yaml'

    Raises:
        DiagnosticsError: for an extension that is not a scenario format.
    """
    suffix = Path(path).suffix.lower()
    found = FORMATS.get(suffix)
    if found is None:
        listed = ", ".join(f"`{s}`" for s in FORMATS)
        raise DiagnosticsError(
            [
                error(
                    errors.MALFORMED_FILE,
                    f"unsupported scenario format {code(suffix or Path(path).name)}",
                    Span.point(str(path), 1, 1),
                    help=f"name the file with one of {listed}",
                )
            ]
        )
    return found


def load_scenario(path: str | Path, vocabulary: Vocabulary) -> Scenario:
    """Read and validate a whole scenario file.

    Args:
        path: a ``.yaml``/``.yml``, ``.json``, ``.csv`` or ``.jsonl``/``.ndjson`` file.
        vocabulary: the names the terms declare.

    Returns:
        the scenario, with its deployments in file order and the sha256 of its bytes.

    Raises:
        DiagnosticsError: with every problem found, and the file's text as source
            so that carets render.
    """
    if scenario_format(path) not in STREAMED:
        return load_file(path, vocabulary, UniqueIds(), Budget())
    # As `validate_file` streams it: ids as digests, then a closer look at
    # any seen twice, so that both readers report the same duplicates.
    ids = IdDigests()
    found: list[Diagnostic] = []
    sources: dict[str, str] = {}
    scenario = None
    piped: Piped = {}
    try:
        scenario = load_file(path, vocabulary, ids, Budget(), piped)
    except DiagnosticsError as exc:
        found, sources = exc.diagnostics, exc.sources
    duplicates = duplicates_among(ids, [path], vocabulary, piped)
    if duplicates:
        found.extend(duplicates)
        # The lines of every diagnostic, the duplicates' and the others'.
        sources = held_excerpt(path, found, piped)
    if found or scenario is None:
        raise DiagnosticsError(found, sources)
    return scenario


def validate_file(
    path: str | Path, vocabulary: Vocabulary, max_errors: int | None = None
) -> list[Diagnostic]:
    """The first pass: every problem in a scenario file, streaming CSV and JSON Lines.

    Args:
        path: the scenario file.
        vocabulary: the names the terms declare.
        max_errors: stop after this many diagnostics (``None``: report all).

    Returns:
        the diagnostics, sorted by position; empty when the file is valid.
    """
    try:
        if scenario_format(path) in STREAMED and is_regular(path):
            ids = IdDigests()
            found = validate_stream(path, vocabulary, ids, Budget(), max_errors).diagnostics
            found.extend(duplicates_among(ids, [path], vocabulary))
        else:
            load_scenario(path, vocabulary)
            found = []
    except DiagnosticsError as exc:
        found = exc.diagnostics
    found = sort_diagnostics(found)
    return found[:max_errors] if max_errors is not None else found


def iter_deployments(path: str | Path, vocabulary: Vocabulary) -> Generator[Deployment, None, None]:
    """The second pass: the deployments of a scenario file, one at a time.

    CSV and JSON Lines are streamed: rows are read, validated and yielded one
    by one. Call `validate_file` first when nothing may be checked before the
    whole input is known valid; this generator assumes it and raises at the
    first invalid row. Close it (or exhaust it) to close the file.

    Raises:
        DiagnosticsError: at the first invalid row (after the rows before it
            were yielded), with that row's diagnostics; for a duplicate id,
            once every row was yielded (from a pipe: at the row that repeats it).
    """
    if not is_regular(path):
        # A pipe is read once, row by row: ids are compared as they come.
        yield from _iter_file(path, vocabulary, UniqueIds())
        return
    ids = IdDigests()
    yield from _iter_file(path, vocabulary, ids)
    duplicates = duplicates_among(ids, [path], vocabulary)
    if duplicates:
        raise DiagnosticsError(duplicates, source_excerpt(path, duplicates))


def iter_validated(path: str | Path, vocabulary: Vocabulary) -> Iterator[Deployment]:
    """`iter_deployments` for a file `open_scenarios` validated: ids are not checked again."""
    return _iter_file(path, vocabulary, UNCHECKED_IDS)


def _iter_file(
    path: str | Path, vocabulary: Vocabulary, ids: IdTable
) -> Generator[Deployment, None, None]:
    file = str(path)
    kind = scenario_format(path)
    if kind not in STREAMED:
        yield from load_scenario(path, vocabulary).deployments
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 - the `with` below closes it
    except OSError as exc:
        raise DiagnosticsError([unreadable(file, exc)]) from None
    with stream:
        lines = bounded_lines(stream, file)
        rows = bounded_rows(parse_rows(kind, lines, file, vocabulary), file, Budget())
        for deployment, diagnostics in checked_rows(rows, vocabulary, ids):
            if diagnostics:
                # (A pipe's lines cannot be read again to show them.)
                excerpt = source_excerpt(path, diagnostics) if is_regular(path) else {}
                raise DiagnosticsError(diagnostics, excerpt)
            assert deployment is not None
            yield deployment


def source_excerpt(path: str | Path, diagnostics: Iterable[Diagnostic]) -> dict[str, str]:
    """The `sources` to render diagnostics of a large file with: only the lines they point at."""
    file = str(path)
    lines: set[int] = set()
    for diagnostic in diagnostics:
        for span in (diagnostic.span, *(r.span for r in diagnostic.related)):
            if span.file == file:
                lines.add(span.line)
    return {file: excerpt(path, lines)}


def duplicates_among(
    ids: IdDigests, paths: Sequence[str | Path], vocabulary: Vocabulary, piped: Piped | None = None,
    infra: InfraText | None = None,
) -> list[Diagnostic]:
    """The duplicate ids of the files whose ids `ids` recorded (none unless hashes collide)."""
    colliding = ids.colliding()
    return find_duplicates(paths, vocabulary, colliding, piped, infra) if colliding else []


def find_duplicates(
    paths: Sequence[str | Path], vocabulary: Vocabulary, colliding: frozenset[int],
    piped: Piped | None = None, infra: InfraText | None = None,
) -> list[Diagnostic]:
    """The closer look `IdDigests.colliding` asks for: every id used twice, with its first use.

    The files are read again as in the first pass (one deployment budget for
    them all), tracking only the ids with a colliding hash.
    """
    suspects = UniqueIds(only=colliding)
    budget = Budget()
    found: list[Diagnostic] = []
    for path in paths:
        try:
            if infra is None and scenario_format(path) in STREAMED and is_regular(path):
                diagnostics = validate_stream(path, vocabulary, suspects, budget).diagnostics
            else:
                load_file(path, vocabulary, suspects, budget, piped, infra=infra)
                diagnostics = []
        except DiagnosticsError as exc:
            diagnostics = exc.diagnostics
        found.extend(d for d in diagnostics if d.code == errors.DUPLICATE_ID)
    return found


#: What was read of each input that cannot be read twice (`read_once`), by path.
Piped = dict[str, "tuple[bytes, Diagnostic | None] | DiagnosticsError"]


def held_excerpt(path: str | Path, diagnostics: Iterable[Diagnostic],
             piped: Piped | None) -> dict[str, str]:
    """`source_excerpt`, or for an input read once, the text that was read."""
    held = None if piped is None else piped.get(str(path))
    if isinstance(held, DiagnosticsError):
        return dict(held.sources)
    if held is not None:
        return {str(path): decode_text(held[0], str(path))[0]}
    return source_excerpt(path, diagnostics)


def load_file(path: str | Path, vocabulary: Vocabulary, ids: IdTable, budget: Budget,
              piped: Piped | None = None,
              facts: Mapping[str, FactValue] | None = None,
              infra: InfraText | None = None) -> Scenario:
    """`path`, validated whole; `facts` (``--fact``) hold for every deployment without its own
    value, over the facts the file itself gives its whole scenario. With `infra`, `path` is a
    Terraform plan or an inventory, read through a map into the scenario it stands for."""
    file = str(path)
    kind = "infra" if infra is not None else scenario_format(path)
    stopped: Diagnostic | None = None  # a line too long, where reading stopped
    if kind in STREAMED and not is_regular(path):
        held = None if piped is None else piped.get(file)
        if held is None:
            try:
                held = read_once(file)
            except DiagnosticsError as exc:
                held = exc
            if piped is not None:
                piped[file] = held
        if isinstance(held, DiagnosticsError):
            raise held
        data, stopped = held
    else:
        data = read_bytes(path)
    text, diagnostics = decode_text(data, file)
    sources = {file: text}
    name: str | None = None
    deployments: list[Deployment] = []
    own: dict[str, FactValue] = {}
    if kind in STREAMED:
        # The rows report bad bytes themselves, line by line, among their other
        # problems: exactly what the streaming `validate_file` finds.
        diagnostics = []
        lines = stopping(bounded_lines(io.BytesIO(data), file), stopped)
        rows = bounded_rows(parse_rows(kind, lines, file, vocabulary), file, budget)
        for deployment, found in checked_rows(rows, vocabulary, ids):
            diagnostics.extend(found)
            if deployment is not None and not diagnostics:
                deployments.append(deployment)
    elif not diagnostics:  # YAML and JSON text is only parsed once it decodes
        name, deployments, own = _read_document(
            kind, text, file, vocabulary, ids, budget, diagnostics, infra
        )
    if diagnostics:
        raise DiagnosticsError(diagnostics, sources)
    world = {**own, **(facts or {})}
    if world:
        deployments = [with_scenario_facts(d, world) for d in deployments]
    return Scenario(file, name, tuple(deployments), hashlib.sha256(data).hexdigest(), own)


@dataclass(slots=True)
class StreamCheck:
    diagnostics: list[Diagnostic]
    sha256: str
    count: int


def validate_stream(
    path: str | Path,
    vocabulary: Vocabulary,
    ids: IdTable,
    budget: Budget,
    max_errors: int | None = None,
) -> StreamCheck:
    """One streaming pass over a CSV or JSON Lines file: diagnostics, sha256 and row count."""
    file = str(path)
    found: list[Diagnostic] = []
    count = 0
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as stream:
            lines = bounded_lines(stream, file, digest.update)
            kind = scenario_format(path)
            rows = bounded_rows(parse_rows(kind, lines, file, vocabulary), file, budget)
            for deployment, diagnostics in checked_rows(rows, vocabulary, ids):
                found.extend(diagnostics)
                count += deployment is not None
                if max_errors is not None and len(found) >= max_errors:
                    break
    except OSError as exc:
        return StreamCheck([unreadable(file, exc)], "", 0)
    return StreamCheck(found, digest.hexdigest(), count)


def _read_document(
    kind: str,
    text: str,
    file: str,
    vocabulary: Vocabulary,
    ids: IdTable,
    budget: Budget,
    diagnostics: list[Diagnostic],
    infra: InfraText | None = None,
) -> tuple[str | None, list[Deployment], dict[str, FactValue]]:
    """The scenario's name, its deployments (as written) and the facts of the whole scenario."""
    if not text.strip():
        diagnostics.append(_empty(file))
        return None, [], {}
    if kind == "yaml":
        # Imported here: ruamel.yaml costs ~30 ms, which JSON, CSV and JSON Lines
        # users (and `import dealcheck`) need not pay.
        from dealcheck.scenario.read_yaml import parse_yaml

        root, found = parse_yaml(text, file)
    elif infra is not None:
        root, found = infra(text, file)
    else:
        root, found = parse_json(text, file)
    diagnostics.extend(found)
    if root is None:
        if not found:
            diagnostics.append(_empty(file))
        return None, [], {}
    document = check_document(root, diagnostics)
    facts = FieldRules(vocabulary).facts(document.facts, diagnostics)
    validator = DeploymentValidator(vocabulary)
    deployments: list[Deployment] = []
    for node in document.deployments:
        over = budget.take(node.span)
        if over is not None:
            diagnostics.append(over)
            break
        checked = validator.check(node)
        diagnostics.extend(checked.diagnostics)
        if checked.id is not None and checked.id_span is not None:
            duplicate = ids.add(checked.id, checked.id_span)
            if duplicate is not None:
                diagnostics.append(duplicate)
        if checked.deployment is not None:
            deployments.append(checked.deployment)
    return document.name, deployments, facts


def _empty(file: str) -> Diagnostic:
    return error(
        errors.MALFORMED_FILE,
        "empty scenario file",
        Span.point(file, 1, 1),
        help="a scenario file holds a mapping with a `deployments` list",
    )
