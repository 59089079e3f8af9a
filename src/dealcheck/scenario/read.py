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
#
# This module holds the files of one check; `scenario.load` reads one file,
# and `scenario.stream` the rows of a CSV or JSON Lines one.

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.load import (
    FORMATS,
    STREAMED,
    InfraText,
    Piped,
    duplicates_among,
    held_excerpt,
    iter_deployments,
    iter_validated,
    load_file,
    load_scenario,
    scenario_format,
    source_excerpt,
    validate_file,
    validate_stream,
)
from dealcheck.scenario.model import Deployment, FactValue, Scenario, with_scenario_facts
from dealcheck.scenario.source import unreadable
from dealcheck.scenario.stream import Budget, PieceReader, is_regular
from dealcheck.scenario.validate import IdDigests, parse_deployment, parse_deployments

__all__ = [
    "FORMATS",
    "Pending",
    "PieceReader",
    "PiecesRejected",
    "ScenarioInputs",
    "ScenarioSource",
    "iter_deployments",
    "iter_validated",
    "load_scenario",
    "open_scenarios",
    "parse_deployment",
    "parse_deployments",
    "scenario_format",
    "source_excerpt",
    "validate_file",
]


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

    def __init__(self, vocabulary: Vocabulary, ids: IdDigests, budget: Budget,
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
    piped: Piped = field(default_factory=dict)
    #: The facts of the whole check (``--fact``), held by every deployment without its own.
    facts: Mapping[str, FactValue] = field(default_factory=dict)

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
        facts = self.facts
        for source, loaded in zip(self.sources, self._loaded, strict=True):
            if loaded is not None:
                yield from loaded.deployments  # (the facts are theirs already)
                continue
            rows = (self.pending.read(source.path) if self.pending is not None
                    else iter_validated(source.path, self._vocabulary))
            if facts:
                yield from (with_scenario_facts(d, facts) for d in rows)
            else:
                yield from rows
        if self.pending is not None:
            self.pending.finish()


def open_scenarios(
    paths: Sequence[str | Path], vocabulary: Vocabulary, *, defer: bool = False,
    reuse: ScenarioInputs | None = None, facts: Mapping[str, FactValue] | None = None,
    infra: InfraText | None = None,
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
    `facts` (``--fact``) hold for every deployment that does not give its own
    value, over a file's own `facts:`. With `infra`, the files are Terraform plans or
    inventories, read through a map (`load.load_file`).

    Raises:
        DiagnosticsError: with every problem in every file (with `defer`, in
            the documents: then every file is validated, to report them all).
    """
    piped: Piped = {} if reuse is None else reuse.piped
    ids = IdDigests()
    budget = Budget()  # INVARIANT: one for all the files: the limit is per check
    sources: list[ScenarioSource] = []
    loaded: list[Scenario | None] = []
    diagnostics: list[Diagnostic] = []
    texts: dict[str, str] = {}
    expected = 0  # deployments to expect in pending files: one a line
    explain = False  # a pending file is known to have a problem
    for path in paths:
        file = str(path)
        try:
            kind = "infra" if infra is not None else scenario_format(path)
            streamed = kind in STREAMED and is_regular(path)
            if streamed and defer:
                try:
                    sha256, lines = sha256_and_lines(file)
                except OSError as exc:
                    raise DiagnosticsError([unreadable(file, exc)]) from None
                explain = explain or sha256 is None
                sources.append(ScenarioSource(file, sha256 or "", None, -1))
                loaded.append(None)
                expected += max(0, lines - (kind == "csv"))  # (a CSV header is a line)
            elif streamed:
                checked = validate_stream(path, vocabulary, ids, budget)
                if checked.diagnostics:
                    diagnostics.extend(checked.diagnostics)
                    texts.update(source_excerpt(path, checked.diagnostics))
                sources.append(ScenarioSource(file, checked.sha256, None, checked.count))
                loaded.append(None)
            else:
                scenario = load_file(path, vocabulary, ids, budget, piped, facts, infra)
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
                                                                          piped=piped),
                                  facts=facts, infra=infra)
        pending = Pending(vocabulary, ids, budget, expected)
        return ScenarioInputs(tuple(sources), tuple(loaded), vocabulary, pending, piped,
                              dict(facts or {}))
    duplicates = duplicates_among(ids, paths, vocabulary, piped, infra)
    diagnostics.extend(duplicates)
    # Excerpts again of the files duplicates point into: the lines of every
    # diagnostic, not only of those found before the duplicates.
    for file in {s.file for d in duplicates for s in (d.span, *(r.span for r in d.related))}:
        texts.update(held_excerpt(file, diagnostics, piped))
    if diagnostics:
        # A duplicate id's note may point into a file that was itself valid.
        for file in {r.span.file for d in diagnostics for r in d.related} - texts.keys():
            texts.update(held_excerpt(file, diagnostics, piped))
        raise DiagnosticsError(diagnostics, texts)
    return ScenarioInputs(tuple(sources), tuple(loaded), vocabulary, piped=piped,
                          facts=dict(facts or {}))


def sha256_and_lines(path: str) -> tuple[str | None, int]:
    """The sha256 of a file, and how many lines it has (a last one without a line break too).

    The sha256 is None for a file with a line over `limits.MAX_LINE_BYTES`:
    reading stops there, as the streaming reader will (blocks no longer than
    the limit, so that only a line that spans blocks can be too long).
    """
    sha256, lines, _ = sha256_lines_and_count(path, b"")
    return sha256, lines


def sha256_lines_and_count(path: str, wanted: bytes) -> tuple[str | None, int, tuple[int, ...]]:
    """`sha256_and_lines`, and how many times each byte of `wanted` occurs in the file.

    Read in the same pass: the DuckDB engine counts a JSON Lines file's
    colons and commas so (each key of an object is followed by a colon, and
    each but the last by a comma).
    """
    limit = limits.MAX_LINE_BYTES.value()
    digest = hashlib.sha256()
    lines = 0
    counts = [0] * len(wanted)
    needles = [wanted[at:at + 1] for at in range(len(wanted))]  # counted faster than ints
    run = 0  # bytes since the last line break
    with open(path, "rb") as stream:
        while block := stream.read(min(limit, 1 << 20)):
            digest.update(block)
            for at, needle in enumerate(needles):
                counts[at] += block.count(needle)
            first = block.find(b"\n")
            if first == -1:
                run += len(block)
            else:
                if run + first > limit:
                    return None, lines, tuple(counts)
                lines += block.count(b"\n")
                run = len(block) - block.rfind(b"\n") - 1
            if run > limit:
                return None, lines, tuple(counts)
    return digest.hexdigest(), lines + (run > 0), tuple(counts)
