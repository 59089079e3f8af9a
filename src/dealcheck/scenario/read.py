"""Read scenario files (YAML, JSON, CSV, JSON Lines) into validated deployments."""

# Three ways in:
#
# * `load_scenario` reads a whole file and returns a `Scenario`, or raises a
#   `DiagnosticsError` with every problem found.
# * For bulk inventories (CSV, JSON Lines), `validate_file` then
#   `iter_deployments`: a first streaming pass that only collects diagnostics,
#   and a second that yields deployments. Memory stays bounded apart from 8
#   bytes per id (`IdDigests`); nothing is checked until the whole input is
#   known valid.
# * `open_scenarios` does both for the files of one check: it validates them
#   all (ids unique across them), then hands out their deployments.
#
# A CSV or JSON Lines input that is not a regular file (a named pipe, a
# device, `/dev/stdin`) cannot be read twice: it is read once, with the line
# and file size limits, and held in memory like a YAML or JSON scenario.

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error, sort_diagnostics
from dealcheck.dsl.span import Span
from dealcheck.io_text import too_large
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario import errors
from dealcheck.scenario.model import Deployment, Scenario
from dealcheck.scenario.read_json import parse_json
from dealcheck.scenario.read_tabular import Row, read_csv_rows, read_jsonl_rows
from dealcheck.scenario.source import decode_text, excerpt, read_bytes, unreadable
from dealcheck.scenario.tree import code
from dealcheck.scenario.validate import (
    DeploymentValidator,
    IdDigests,
    IdTable,
    UniqueIds,
    check_document,
    parse_deployment,
    parse_deployments,
)

__all__ = [
    "FORMATS",
    "Pending",
    "PieceReader",
    "PiecesRejected",
    "ScenarioInputs",
    "ScenarioSource",
    "iter_deployments",
    "iter_piece",
    "iter_validated",
    "load_scenario",
    "open_scenarios",
    "parse_deployment",
    "parse_deployments",
    "scenario_format",
    "source_excerpt",
    "validate_file",
]

#: File extensions and the format each is read as.
FORMATS: dict[str, str] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_STREAMED = frozenset(("csv", "jsonl"))


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
    if scenario_format(path) not in _STREAMED:
        return _load(path, vocabulary, UniqueIds(), _Budget())
    # As `validate_file` streams it: ids as digests, then a closer look at
    # any seen twice, so that both readers report the same duplicates.
    ids = IdDigests()
    found: list[Diagnostic] = []
    sources: dict[str, str] = {}
    scenario = None
    piped: _Piped = {}
    try:
        scenario = _load(path, vocabulary, ids, _Budget(), piped)
    except DiagnosticsError as exc:
        found, sources = exc.diagnostics, exc.sources
    duplicates = _duplicates_among(ids, [path], vocabulary, piped)
    if duplicates:
        found.extend(duplicates)
        # The lines of every diagnostic, the duplicates' and the others'.
        sources = _excerpt(path, found, piped)
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
        if scenario_format(path) in _STREAMED and _regular(path):
            ids = IdDigests()
            found = _validate_stream(path, vocabulary, ids, _Budget(), max_errors).diagnostics
            found.extend(_duplicates_among(ids, [path], vocabulary))
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
    if not _regular(path):
        # A pipe is read once, row by row: ids are compared as they come.
        yield from _iter_file(path, vocabulary, UniqueIds())
        return
    ids = IdDigests()
    yield from _iter_file(path, vocabulary, ids)
    duplicates = _duplicates_among(ids, [path], vocabulary)
    if duplicates:
        raise DiagnosticsError(duplicates, source_excerpt(path, duplicates))


def iter_validated(path: str | Path, vocabulary: Vocabulary) -> Iterator[Deployment]:
    """`iter_deployments` for a file `open_scenarios` validated: ids are not checked again."""
    return _iter_file(path, vocabulary, _UNCHECKED_IDS)


def _iter_file(
    path: str | Path, vocabulary: Vocabulary, ids: IdTable
) -> Generator[Deployment, None, None]:
    file = str(path)
    kind = scenario_format(path)
    if kind not in _STREAMED:
        yield from load_scenario(path, vocabulary).deployments
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 - the `with` below closes it
    except OSError as exc:
        raise DiagnosticsError([unreadable(file, exc)]) from None
    with stream:
        rows = _bounded(_rows(kind, _lines(stream, file), file, vocabulary), file, _Budget())
        for deployment, diagnostics in _checked_rows(rows, vocabulary, ids):
            if diagnostics:
                # (A pipe's lines cannot be read again to show them.)
                excerpt = source_excerpt(path, diagnostics) if _regular(path) else {}
                raise DiagnosticsError(diagnostics, excerpt)
            assert deployment is not None
            yield deployment


def iter_piece(
    kind: str, lines: Iterable[bytes], file: str, vocabulary: Vocabulary,
    validator: DeploymentValidator | None = None,
) -> Iterator[Deployment]:
    """The deployments of a piece of a validated CSV or JSON Lines file.

    For reading one file in several processes (`checker.parallel`): the piece
    is whole lines; for CSV, `lines` start with the file's header. Line
    numbers count from the first of `lines`.

    Ids are not checked again: `validate_file` found any duplicate, across
    the whole file. A `validator` kept from piece to piece keeps what it
    learnt of the file's recurring texts.

    Raises:
        DiagnosticsError: at the first invalid row (the file changed since it
            was validated).
    """
    rows = _rows(kind, lines, file, vocabulary, whole_file=False)
    for deployment, diagnostics in _checked_rows(rows, vocabulary, _UNCHECKED_IDS,
                                                 validator=validator):
        if diagnostics:
            raise DiagnosticsError(diagnostics)
        assert deployment is not None
        yield deployment


class PieceReader:
    """The deployments of a CSV or JSON Lines file, or of a piece of one, validated as read.

    For reading each row once (`Pending`) and for checking one file in
    several processes (`checker.parallel`): a piece is whole lines (for CSV,
    starting with the file's header); `at_start` says whether it starts the
    file, `whole_file` whether it is all of it. Reading stops at the first
    problem, with `clean` False: only `open_scenarios` explains problems.
    A `validator` kept from piece to piece keeps what it learnt of recurring
    quantities and facts.
    What a piece cannot tell — duplicate ids across pieces and files, the
    deployment limit across files, an empty file — the caller decides from
    the `count` and `ids` of all of them.
    """

    __slots__ = ("_at_start", "_budget", "_file", "_kind", "_stream", "_validator",
                 "_vocabulary", "_whole_file", "clean", "count", "ids")

    def __init__(self, kind: str, stream: BinaryIO, file: str, vocabulary: Vocabulary, *,
                 at_start: bool, whole_file: bool = False, ids: IdDigests | None = None,
                 budget: _Budget | None = None,
                 validator: DeploymentValidator | None = None) -> None:
        self._kind, self._stream, self._file = kind, stream, file
        self._vocabulary, self._at_start, self._whole_file = vocabulary, at_start, whole_file
        self._budget, self._validator = budget, validator
        self.clean = True
        self.count = 0
        self.ids = IdDigests() if ids is None else ids

    def __iter__(self) -> Iterator[Deployment]:
        file, budget = self._file, self._budget
        lines = _lines(self._stream, file)
        rows = _rows(self._kind, lines, file, self._vocabulary, whole_file=self._whole_file,
                     at_start=self._at_start)
        try:
            for deployment, diagnostics in _checked_rows(rows, self._vocabulary, self.ids,
                                                         validator=self._validator):
                if diagnostics or deployment is None:
                    self.clean = False
                    return
                if budget is not None:
                    budget.left -= 1
                    if budget.left < 0:
                        self.clean = False
                        return
                self.count += 1
                yield deployment
        except _LineTooLong:
            self.clean = False


class PiecesRejected(Exception):
    """A bulk file read while it was validated has a problem: `open_scenarios` explains it."""


class Pending:
    """The bulk files of a check, validated as they are read (`open_scenarios(defer=True)`).

    Each row is read once: validated, then judged at once. Whatever was
    judged before a problem turns up must be thrown away: `read` and `finish`
    raise `PiecesRejected`, and `open_scenarios` then reads the files again
    to explain what is wrong. Ids are checked across all the files (and the
    documents validated beforehand), and the deployment limit over all.
    """

    __slots__ = ("_budget", "_ids", "_vocabulary", "expected")

    def __init__(self, vocabulary: Vocabulary, ids: IdDigests, budget: _Budget,
                 expected: int = 0) -> None:
        self._vocabulary, self._ids, self._budget = vocabulary, ids, budget
        #: About how many deployments the files hold (their lines), for a progress bar.
        self.expected = expected

    def read(self, path: str) -> Iterator[Deployment]:
        """The deployments of a whole CSV or JSON Lines file, validated as they go by.

        Raises:
            PiecesRejected: once the file turns out not valid.
        """
        try:
            stream = Path(path).open("rb")  # noqa: SIM115 - the `with` below closes it
        except OSError:
            raise PiecesRejected(path) from None
        with stream:
            reader = PieceReader(scenario_format(path), stream, path, self._vocabulary,
                                 at_start=True, whole_file=True, ids=self._ids,
                                 budget=self._budget)
            yield from reader
        if not reader.clean:  # (an empty file is a problem of its first line)
            raise PiecesRejected(path)

    def add_piece(self, path: str, count: int, ids: list[bytes]) -> None:
        """Count a clean piece validated elsewhere, with its ids (`IdDigests.export`).

        Raises:
            PiecesRejected: past the deployment limit.
        """
        self._budget.left -= count
        if self._budget.left < 0:
            raise PiecesRejected(path)
        self._ids.merge(ids)

    def finish(self) -> None:
        """After the last file: are the ids unique?

        Raises:
            PiecesRejected: if two ids may be the same (`open_scenarios` decides).
        """
        if self._ids.colliding():
            raise PiecesRejected("ids")


@dataclass(frozen=True, slots=True)
class ScenarioSource:
    """One validated scenario file: what the report says about it."""

    path: str
    sha256: str
    name: str | None
    count: int  # -1 for a bulk file still `Pending`


@dataclass(frozen=True, slots=True)
class ScenarioInputs:
    """The validated scenario files of one check, ready to be read deployment by deployment.

    YAML and JSON scenarios are held in memory (they were read whole); CSV and
    JSON Lines are read again, streaming, each time `deployments` is called
    (unless they are not regular files: those are read once and held).
    """

    sources: tuple[ScenarioSource, ...]
    _loaded: tuple[Scenario | None, ...]
    _vocabulary: Vocabulary
    #: The bulk files still to be validated, as they are read.
    pending: Pending | None = None
    #: What was read of the inputs that cannot be read twice (pipes, devices).
    piped: _Piped = field(default_factory=dict)

    def held(self, index: int) -> Scenario | None:
        """The scenario of ``sources[index]`` if it was read whole (YAML, JSON), else None."""
        return self._loaded[index]

    @property
    def count(self) -> int | None:
        """How many deployments the files hold (None while bulk files are `pending`)."""
        if self.pending is not None:
            return None
        return sum(source.count for source in self.sources)

    @property
    def expected(self) -> int:
        """How many deployments to expect, for a progress bar: `count`, or about it while pending.

        A pending file counts one deployment a line (blank lines and records
        across lines make it a little more than there are).
        """
        if self.pending is None:
            return sum(source.count for source in self.sources)
        held = sum(source.count for source in self.sources if source.count >= 0)
        return held + self.pending.expected

    def deployments(self) -> Iterator[Deployment]:
        """Every deployment, file by file, in file order.

        Raises:
            DiagnosticsError: if a streamed file changed since it was validated.
            PiecesRejected: when `pending` files turn out not valid.
        """
        for source, loaded in zip(self.sources, self._loaded, strict=True):
            if loaded is not None:
                yield from loaded.deployments
            elif self.pending is not None:
                yield from self.pending.read(source.path)
            else:
                yield from iter_validated(source.path, self._vocabulary)
        if self.pending is not None:
            self.pending.finish()


def open_scenarios(
    paths: Sequence[str | Path], vocabulary: Vocabulary, *, defer: bool = False,
    reuse: ScenarioInputs | None = None,
) -> ScenarioInputs:
    """Validate the scenario files of one check, all of them, before any is checked.

    Ids must be unique across the files, since reports name deployments by id.
    With `defer` (`dealcheck check`), CSV and JSON Lines files are left
    `pending`: validated as `ScenarioInputs.deployments` reads them, so that
    each row is read once; whatever is made of them must be thrown away if
    that raises `PiecesRejected`, and `open_scenarios` without `defer` called
    to explain the problem.

    `reuse`, the inputs of an earlier call on the same paths, gives back what
    was read of the inputs that cannot be read twice (pipes, devices).

    Raises:
        DiagnosticsError: with every problem in every file (with `defer`, in
            the documents: then every file is validated, to report them all).
    """
    piped: _Piped = {} if reuse is None else reuse.piped
    ids = IdDigests()
    budget = _Budget()  # INVARIANT: one for all the files: the limit is per check
    sources: list[ScenarioSource] = []
    loaded: list[Scenario | None] = []
    diagnostics: list[Diagnostic] = []
    texts: dict[str, str] = {}
    expected = 0  # deployments to expect in pending files: one a line
    explain = False  # a pending file is known to have a problem
    for path in paths:
        file = str(path)
        try:
            kind = scenario_format(path)
            streamed = kind in _STREAMED and _regular(path)
            if streamed and defer:
                try:
                    sha256, lines = _sha256_and_lines(file)
                except OSError as exc:
                    raise DiagnosticsError([unreadable(file, exc)]) from None
                explain = explain or sha256 is None
                sources.append(ScenarioSource(file, sha256 or "", None, -1))
                loaded.append(None)
                expected += max(0, lines - (kind == "csv"))  # (a CSV header is a line)
            elif streamed:
                checked = _validate_stream(path, vocabulary, ids, budget)
                if checked.diagnostics:
                    diagnostics.extend(checked.diagnostics)
                    texts.update(source_excerpt(path, checked.diagnostics))
                sources.append(ScenarioSource(file, checked.sha256, None, checked.count))
                loaded.append(None)
            else:
                scenario = _load(path, vocabulary, ids, budget, piped)
                sources.append(
                    ScenarioSource(file, scenario.sha256, scenario.name, len(scenario.deployments))
                )
                loaded.append(scenario)
        except DiagnosticsError as exc:
            diagnostics.extend(exc.diagnostics)
            texts.update(exc.sources)
    if defer:
        if diagnostics or explain:
            # To report the bulk files' problems too.
            return open_scenarios(paths, vocabulary, reuse=ScenarioInputs((), (), vocabulary,
                                                                          piped=piped))
        pending = Pending(vocabulary, ids, budget, expected)
        return ScenarioInputs(tuple(sources), tuple(loaded), vocabulary, pending, piped)
    duplicates = _duplicates_among(ids, paths, vocabulary, piped)
    diagnostics.extend(duplicates)
    # Excerpts again of the files duplicates point into: the lines of every
    # diagnostic, not only of those found before the duplicates.
    for file in {s.file for d in duplicates for s in (d.span, *(r.span for r in d.related))}:
        texts.update(_excerpt(file, diagnostics, piped))
    if diagnostics:
        # A duplicate id's note may point into a file that was itself valid.
        for file in {r.span.file for d in diagnostics for r in d.related} - texts.keys():
            texts.update(_excerpt(file, diagnostics, piped))
        raise DiagnosticsError(diagnostics, texts)
    return ScenarioInputs(tuple(sources), tuple(loaded), vocabulary, piped=piped)


def _sha256_and_lines(path: str) -> tuple[str | None, int]:
    """The sha256 of a file, and how many lines it has (a last one without a line break too).

    The sha256 is None for a file with a line over `limits.MAX_LINE_BYTES`:
    reading stops there, as the streaming reader will (blocks no longer than
    the limit, so that only a line that spans blocks can be too long).
    """
    limit = limits.MAX_LINE_BYTES.value()
    digest = hashlib.sha256()
    lines = 0
    run = 0  # bytes since the last line break
    with open(path, "rb") as stream:
        while block := stream.read(min(limit, 1 << 20)):
            digest.update(block)
            first = block.find(b"\n")
            if first == -1:
                run += len(block)
            else:
                if run + first > limit:
                    return None, lines
                lines += block.count(b"\n")
                run = len(block) - block.rfind(b"\n") - 1
            if run > limit:
                return None, lines
    return digest.hexdigest(), lines + (run > 0)


def source_excerpt(path: str | Path, diagnostics: Iterable[Diagnostic]) -> dict[str, str]:
    """The `sources` to render diagnostics of a large file with: only the lines they point at."""
    file = str(path)
    lines: set[int] = set()
    for diagnostic in diagnostics:
        for span in (diagnostic.span, *(r.span for r in diagnostic.related)):
            if span.file == file:
                lines.add(span.line)
    return {file: excerpt(path, lines)}


# -- internals ---------------------------------------------------------------------

class _Unchecked(UniqueIds):
    """For rows whose ids were already checked across the whole file: tracks none."""

    __slots__ = ()

    def __contains__(self, deployment_id: object) -> bool:
        return False

    def fresh(self, deployment_id: str, file: str, line: int) -> bool:
        return True

    def add(self, deployment_id: str, span: Span) -> Diagnostic | None:
        return None


_UNCHECKED_IDS = _Unchecked()


def _duplicates_among(
    ids: IdDigests, paths: Sequence[str | Path], vocabulary: Vocabulary, piped: _Piped | None = None
) -> list[Diagnostic]:
    """The duplicate ids of the files whose ids `ids` recorded (none unless hashes collide)."""
    colliding = ids.colliding()
    return _duplicates(paths, vocabulary, colliding, piped) if colliding else []


def _duplicates(
    paths: Sequence[str | Path], vocabulary: Vocabulary, colliding: frozenset[int],
    piped: _Piped | None = None,
) -> list[Diagnostic]:
    """The closer look `IdDigests.colliding` asks for: every id used twice, with its first use.

    The files are read again as in the first pass (one deployment budget for
    them all), tracking only the ids with a colliding hash.
    """
    suspects = UniqueIds(only=colliding)
    budget = _Budget()
    found: list[Diagnostic] = []
    for path in paths:
        try:
            if scenario_format(path) in _STREAMED and _regular(path):
                diagnostics = _validate_stream(path, vocabulary, suspects, budget).diagnostics
            else:
                _load(path, vocabulary, suspects, budget, piped)
                diagnostics = []
        except DiagnosticsError as exc:
            diagnostics = exc.diagnostics
        found.extend(d for d in diagnostics if d.code == errors.DUPLICATE_ID)
    return found



#: What was read of each input that cannot be read twice (`_read_once`), by path.
_Piped = dict[str, "tuple[bytes, Diagnostic | None] | DiagnosticsError"]


def _excerpt(path: str | Path, diagnostics: Iterable[Diagnostic],
             piped: _Piped | None) -> dict[str, str]:
    """`source_excerpt`, or for an input read once, the text that was read."""
    held = None if piped is None else piped.get(str(path))
    if isinstance(held, DiagnosticsError):
        return dict(held.sources)
    if held is not None:
        return {str(path): decode_text(held[0], str(path))[0]}
    return source_excerpt(path, diagnostics)


def _regular(path: str | Path) -> bool:
    """Whether `path` is a regular file (or cannot be looked at: opening it will say why)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _read_once(file: str) -> tuple[bytes, Diagnostic | None]:
    """The bytes of a CSV or JSON Lines input that is not a regular file, read line by line.

    Reading stops at the first line over `limits.MAX_LINE_BYTES`, returned
    with the lines before it and its DC905 diagnostic.

    Raises:
        DiagnosticsError: when it cannot be read, or is over `limits.MAX_FILE_BYTES` (DC902).
    """
    limit = limits.MAX_FILE_BYTES.value()
    kept: list[bytes] = []
    size = 0
    try:
        with open(file, "rb") as stream:
            try:
                for line in _lines(stream, file):
                    size += len(line)
                    if size > limit:
                        raise too_large(file, None, limit)
                    kept.append(line)
            except _LineTooLong as exc:
                return b"".join(kept), exc.diagnostic
    except OSError as exc:
        raise DiagnosticsError([unreadable(file, exc)]) from None
    return b"".join(kept), None


def _load(path: str | Path, vocabulary: Vocabulary, ids: IdTable, budget: _Budget,
          piped: _Piped | None = None) -> Scenario:
    file = str(path)
    kind = scenario_format(path)
    stopped: Diagnostic | None = None  # a line too long, where reading stopped
    if kind in _STREAMED and not _regular(path):
        held = None if piped is None else piped.get(file)
        if held is None:
            try:
                held = _read_once(file)
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
    if kind in _STREAMED:
        # The rows report bad bytes themselves, line by line, among their other
        # problems: exactly what the streaming `validate_file` finds.
        diagnostics = []
        lines = _stopping(_lines(io.BytesIO(data), file), stopped)
        rows = _bounded(_rows(kind, lines, file, vocabulary), file, budget)
        for deployment, found in _checked_rows(rows, vocabulary, ids):
            diagnostics.extend(found)
            if deployment is not None and not diagnostics:
                deployments.append(deployment)
    elif not diagnostics:  # YAML and JSON text is only parsed once it decodes
        name, deployments = _read_document(
            kind, text, file, vocabulary, ids, budget, diagnostics
        )
    if diagnostics:
        raise DiagnosticsError(diagnostics, sources)
    return Scenario(file, name, tuple(deployments), hashlib.sha256(data).hexdigest())


@dataclass(slots=True)
class _StreamCheck:
    diagnostics: list[Diagnostic]
    sha256: str
    count: int


def _validate_stream(
    path: str | Path,
    vocabulary: Vocabulary,
    ids: IdTable,
    budget: _Budget,
    max_errors: int | None = None,
) -> _StreamCheck:
    """One streaming pass over a CSV or JSON Lines file: diagnostics, sha256 and row count."""
    file = str(path)
    found: list[Diagnostic] = []
    count = 0
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as stream:
            lines = _lines(stream, file, digest.update)
            rows = _bounded(_rows(scenario_format(path), lines, file, vocabulary), file, budget)
            for deployment, diagnostics in _checked_rows(rows, vocabulary, ids):
                found.extend(diagnostics)
                count += deployment is not None
                if max_errors is not None and len(found) >= max_errors:
                    break
    except OSError as exc:
        return _StreamCheck([unreadable(file, exc)], "", 0)
    return _StreamCheck(found, digest.hexdigest(), count)


class _Budget:
    """How many more deployments one call may read (`limits.MAX_DEPLOYMENTS`)."""

    __slots__ = ("left", "limit")

    def __init__(self) -> None:
        self.limit = limits.MAX_DEPLOYMENTS.value()
        self.left = self.limit

    def take(self, span: Span) -> Diagnostic | None:
        """Count one deployment (valid or not); a DC907 diagnostic for the first one too many."""
        self.left -= 1
        return None if self.left >= 0 else self.over(span)

    def over(self, span: Span) -> Diagnostic:
        """The DC907 diagnostic for the deployment at `span`, the first one too many."""
        return error(
            limits.MAX_DEPLOYMENTS.code,
            f"more than {self.limit} deployments",
            span,
            help="split the scenario, or " + limits.over_limit_help(limits.MAX_DEPLOYMENTS),
        )


class _LineTooLong(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _lines(
    stream: BinaryIO, file: str, update: Callable[[bytes], object] | None = None
) -> Iterator[bytes]:
    """The lines of a streamed file; `_LineTooLong` (DC905) for one over `limits.MAX_LINE_BYTES`.

    Each line is read with a bound, so that a file without line breaks is
    refused after `limit` bytes rather than read whole into memory.
    """
    limit = limits.MAX_LINE_BYTES.value()
    number = 0
    offset = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            raise _LineTooLong(
                error(
                    limits.MAX_LINE_BYTES.code,
                    f"line {number} is longer than {limit} bytes",
                    Span.point(file, number, 1, offset),
                    help="a row of a CSV or JSON Lines scenario is one deployment; "
                    + limits.over_limit_help(limits.MAX_LINE_BYTES),
                )
            )
        if update is not None:
            update(line)
        offset += len(line)
        yield line


def _stopping(lines: Iterable[bytes], stopped: Diagnostic | None) -> Iterator[bytes]:
    """The lines read before a line too long, then its `_LineTooLong`, as `_lines` raises it."""
    yield from lines
    if stopped is not None:
        raise _LineTooLong(stopped)


def _bounded(rows: Iterable[Row], file: str, budget: _Budget) -> Iterator[Row]:
    """The rows, up to the first one over a limit (a line too long, too many deployments)."""
    pending = iter(rows)
    while True:
        try:
            row = next(pending)
        except StopIteration:
            return
        except _LineTooLong as exc:
            yield Row(exc.diagnostic.span.line, None, [exc.diagnostic])
            return
        budget.left -= 1  # INVARIANT: `budget.take`, without a span for every row
        if budget.left < 0:
            yield Row(row.line, None, [budget.over(Span.point(file, row.line, 1))])
            return
        yield row


def _read_document(
    kind: str,
    text: str,
    file: str,
    vocabulary: Vocabulary,
    ids: IdTable,
    budget: _Budget,
    diagnostics: list[Diagnostic],
) -> tuple[str | None, list[Deployment]]:
    if not text.strip():
        diagnostics.append(_empty(file))
        return None, []
    if kind == "yaml":
        # Imported here: ruamel.yaml costs ~30 ms, which JSON, CSV and JSON Lines
        # users (and `import dealcheck`) need not pay.
        from dealcheck.scenario.read_yaml import parse_yaml

        root, found = parse_yaml(text, file)
    else:
        root, found = parse_json(text, file)
    diagnostics.extend(found)
    if root is None:
        if not found:
            diagnostics.append(_empty(file))
        return None, []
    document = check_document(root, diagnostics)
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
    return document.name, deployments


def _empty(file: str) -> Diagnostic:
    return error(
        errors.MALFORMED_FILE,
        "empty scenario file",
        Span.point(file, 1, 1),
        help="a scenario file holds a mapping with a `deployments` list",
    )


def _rows(kind: str, lines: Iterable[bytes], file: str, vocabulary: Vocabulary, *,
          whole_file: bool = True, at_start: bool = True) -> Iterator[Row]:
    if kind == "csv":
        return read_csv_rows(lines, file, vocabulary)
    return read_jsonl_rows(lines, file, whole_file=whole_file, at_start=at_start)


def _checked_rows(
    rows: Iterable[Row], vocabulary: Vocabulary, ids: IdTable,
    validator: DeploymentValidator | None = None,
) -> Iterator[tuple[Deployment | None, list[Diagnostic]]]:
    """Validate rows one at a time: each deployment (if valid) with its diagnostics.

    A row of plain data (JSON Lines) is only made a tree, and then read again
    for exact positions, when the generated validator refuses it (or its id
    was seen before). `validator` (of `vocabulary`) is made afresh unless given.
    """
    if validator is None:
        validator = DeploymentValidator(vocabulary)
    accept = validator.accept
    for row in rows:
        if row.data is not None:
            deployment = accept(row.data, row.file, row.line)
            # INVARIANT: `fresh` records what `ids.add` would for the row's coarse id span.
            if deployment is not None and ids.fresh(deployment.id, row.file, row.line):
                yield deployment, []
                continue
            row = row.with_tree()
        if row.node is None:
            yield None, row.diagnostics
            continue
        checked = validator.check(row.node, absent_ok=row.absent_ok, textual=row.textual)
        if row.locate is not None and (checked.diagnostics or checked.id in ids):
            exact = row.locate()  # only now: exact positions cost a second parse
            if exact is not None:
                checked = validator.check(exact, absent_ok=row.absent_ok, textual=row.textual)
        diagnostics = row.diagnostics + checked.diagnostics
        if checked.id is not None and checked.id_span is not None:
            duplicate = ids.add(checked.id, checked.id_span)
            if duplicate is not None:
                diagnostics.append(duplicate)
        yield (None if diagnostics else checked.deployment), diagnostics
