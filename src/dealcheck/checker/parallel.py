"""Parallel checking: bulk scenario files split at line boundaries, read in worker processes.

`dealcheck check --jobs N` goes through `ParallelCheck`. Each CSV or JSON
Lines file is cut into pieces of whole lines (for CSV, whole records: a cut
never falls inside a quoted cell); worker processes, each with the terms
compiled once, read, validate, evaluate and observe the aggregates of one
piece at a time, in one pass. The parent takes the pieces back in input
order, replays the aggregate observations into its own tallies (so
contributors and totals are exactly those of a sequential check) and hands
the results on, so the report is byte-identical to ``--jobs 1``.

For the JSON report, a worker also renders its piece's rows (`RenderedRows`:
the text `JsonStreamRenderer` would write, with the counts of the summary),
and the parent only appends them. For other formats it returns each outcome
(verdict, `not_covered`, findings) once per piece and, per deployment, only
its id, outcome number, evaluation date and line: little to send, and
results are rebuilt cheaply on the way out. It says whether its piece was
clean, with its count of deployments and the hashes of their ids; the
parent checks the ids across pieces and files and the deployment limit.
Nothing made of the results may be shown before every piece is known clean:
the CLI renders to a spool or a temporary file, and on a problem throws it
away and lets the sequential `open_scenarios` explain it.

There are never more workers than cores, nor than pieces to read. A check
that stops early (an interrupt, SIGTERM, an error) kills its workers and
removes their spool before it returns.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import multiprocessing
import os
import pickle
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from dealcheck._speed import paused_gc
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import stream
from dealcheck.checker.codegen import evaluate_stream
from dealcheck.checker.compile import CompiledTerms
from dealcheck.checker.results import (
    DeploymentResult,
    Finding,
    RenderedRows,
    RowsRenderer,
    Verdict,
)
from dealcheck.scenario.model import Deployment, SourceLocation
from dealcheck.scenario.validate import DeploymentValidator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dealcheck.scenario.read import Pending, ScenarioInputs

#: Bytes per piece: large enough that a piece's overhead is negligible, small
#: enough that results stream out steadily and memory stays bounded. A file of
#: one piece is checked in the parent: a pool would not pay off.
PIECE_BYTES = 4 << 20
#: Pieces in flight per worker.
_AHEAD = 2
#: Distinct outcomes remembered across pieces before the memo starts again.
_CANONICAL_LIMIT = 1 << 14

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes ``[start, end)`` of a file, starting its line `line`; for CSV past the
    header, `header_end` > 0."""

    path: str
    kind: str
    start: int
    end: int
    header_end: int
    line: int


#: One outcome as sent back: verdict, not_covered, findings.
SentOutcome = tuple[Verdict, bool, tuple[Finding, ...]]
#: One deployment as sent back: id, outcome number, evaluation date, line in piece, column.
SentRecord = tuple[str, int, dt.date, int, int]
#: Aggregate observations: id, start, and (tally, certainly counts, amount) per tally.
SentSighting = tuple[str, dt.date, list[tuple[int, bool, Decimal | None]]]


@dataclass(slots=True)
class PieceResult:
    """A judged piece: its results as outcomes and records, or as rendered rows."""

    outcomes: list[SentOutcome]
    records: list[SentRecord]
    sightings: list[SentSighting]
    latest: dt.date | None
    lines: int
    rendered: RenderedRows | None = None


class ParallelCheck:
    """`dealcheck check --jobs N`: bulk files read, validated and judged by worker processes.

    `open` validates the documents (YAML, JSON) and leaves the bulk files
    pending (`open_scenarios(defer=True)`); each CSV or JSON Lines file of
    several pieces is handed to the workers at once, which validate and
    judge each piece in one pass and spool what they found, saying only
    whether the piece was clean, with its count of deployments and the
    hashes of their ids. `results` replays the spooled pieces in input order
    as they come, while the workers go on; it raises `PiecesRejected` as soon
    as a piece is not clean, or at the end when the counts or ids are wrong,
    and whatever was made of the results must then be thrown away. Use it as
    a context manager: leaving stops the workers and removes the spool.
    """

    def __init__(self, terms_path: str, ct: CompiledTerms, paths: Sequence[str], jobs: int,
                 when: dt.date | None, rows: Callable[[], RowsRenderer] | None = None) -> None:
        self._terms_path, self._ct, self._paths = terms_path, ct, list(paths)
        self._jobs, self._when, self._rows = jobs, when, rows
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0  # the pool's workers
        self._spool: tempfile.TemporaryDirectory[str] | None = None
        #: By position in `paths`: a bulk file's pieces, being read by the workers.
        self._planned: dict[int, list[Future[_Checked]]] = {}

    def __enter__(self) -> ParallelCheck:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        try:
            if self._pool is not None:
                if exc_type is not None:
                    # Stopped early: what the workers are doing is not wanted any more.
                    _kill_workers(self._pool)
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        finally:
            if self._spool is not None:
                self._spool.cleanup()
                self._spool = None

    def _workers(self, pieces: int) -> ProcessPoolExecutor:
        """The pool, made on first use with at most one worker per core and per piece."""
        if self._pool is None:
            self._size = worker_count(self._jobs, pieces)
            self._pool = _pool(self._terms_path, self._ct, self._size)
        return self._pool

    def open(self) -> ScenarioInputs:
        """`open_scenarios(paths, defer=True)`, and the workers set to read the bulk files.

        Raises:
            DiagnosticsError: with every problem in every file, when a
                document has one.
        """
        from dealcheck.scenario.read import open_scenarios

        # Id hashes are compared across processes: only forked workers share `hash`.
        if self._jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            # First, so that the workers read while this process reads the documents.
            plans = {index: found for index, path in enumerate(self._paths)
                     if (found := _pieces(path)) is not None}
            if plans:
                pool = self._workers(sum(count for count, _ in plans.values()))
                self._spool = tempfile.TemporaryDirectory(prefix="dealcheck-jobs-")
                spool = self._spool.name
                for index, (_, pieces) in plans.items():
                    self._planned[index] = [
                        pool.submit(_check_piece, piece, self._when,
                                    os.path.join(spool, f"{index}-{number}"), self._rows)
                        for number, piece in enumerate(pieces)]
        return open_scenarios(self._paths, self._ct.terms.vocabulary, defer=True)

    def results(self, inputs: ScenarioInputs,
                book: AggregateBook) -> Iterator[DeploymentResult | RenderedRows]:
        """Every deployment's result, in input order, as `check.stream` would give them.

        With a `rows` renderer, the workers render what they judged, and the
        deployments of their pieces come as `RenderedRows`.

        Args:
            inputs: what `open` returned, or `open_scenarios` (then every file
                is already valid, and the workers only judge).
            book: the aggregate tallies to feed.

        Raises:
            PiecesRejected: when the pending files turn out not valid.
        """
        ct, when, pending = book.ct, self._when, inputs.pending
        for index, source in enumerate(inputs.sources):
            held = inputs.held(index)
            planned = self._planned.get(index)
            if held is not None:
                yield from stream(ct, iter(held.deployments), book, when)
            elif pending is not None and planned is not None:
                yield from _replay(_checked_pieces(planned, pending, source.path), source.path,
                                   book)
            elif pending is not None:
                yield from stream(ct, pending.read(source.path), book, when)
            else:
                found = _pieces(source.path)
                if found is not None:
                    pool = self._workers(found[0])
                    yield from _replay(_judge_pieces(pool, found[1], when, self._size,
                                                     self._rows), source.path, book)
                else:
                    from dealcheck.scenario.read import iter_validated

                    yield from stream(ct, iter_validated(source.path, ct.terms.vocabulary),
                                      book, when)
        if pending is not None:
            pending.finish()


def _checked_pieces(futures: list[Future[_Checked]], pending: Pending,
                    path: str) -> Iterator[PieceResult]:
    """The judged pieces of a file, in order, each once the workers found it clean."""
    from dealcheck.scenario.read import PiecesRejected

    count = 0
    for number, future in enumerate(futures):
        checked = future.result()
        if checked.spooled is None:
            for rest in futures[number:]:
                rest.cancel()
            raise PiecesRejected(path)
        pending.add_piece(path, checked.count, checked.ids)
        count += checked.count
        with open(checked.spooled, "rb") as stream:
            # INVARIANT: only our own workers write here (a private temporary directory).
            done: PieceResult = pickle.load(stream)
        os.unlink(checked.spooled)
        yield done
    if not count:  # a file of blank lines: `open_scenarios` decides
        raise PiecesRejected(path)


def _pieces(path: str) -> tuple[int, Iterator[Piece]] | None:
    """How many pieces a bulk file has, and the pieces, if it is worth reading in several
    processes (it has more than one)."""
    kind = _FORMATS.get(os.path.splitext(path)[1].lower())
    if kind is None or not os.path.isfile(path):  # a pipe or a device is read once, whole
        return None
    found = _bounds(path, kind, PIECE_BYTES)
    if found is None or len(found[0]) <= 2:
        return None
    return len(found[0]) - 1, _pieces_at(path, kind, *found)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform tells)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return os.cpu_count() or 1  # pragma: no cover - platforms without CPU affinity


def worker_count(jobs: int, pieces: int) -> int:
    """The workers for `--jobs N` and `pieces` pieces of work: one per core and per piece at most.

    >>> worker_count(200, 2) <= 2
    True
    """
    return max(1, min(jobs, pieces, usable_cores()))


@dataclass(frozen=True, slots=True)
class _Checked:
    """What a worker says of a piece it read, validated and judged."""

    spooled: str | None  # where its `PieceResult` was written; None: not clean
    count: int
    ids: list[bytes]  # `IdDigests.export`


def _pool(terms_path: str, ct: CompiledTerms, workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker, initargs=(terms_path, ct.terms.sha256))


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers at once and wait for them, so that none outlives the check."""
    # INVARIANT: `_processes` maps pid to process while the pool runs (Python 3.8+);
    # the pool's own shutdown would wait for every piece in progress.
    processes = list((pool._processes or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join()


def _judge_pieces(pool: ProcessPoolExecutor, pieces: Iterable[Piece], when: dt.date | None,
                  jobs: int, rows: Callable[[], RowsRenderer] | None,
                  ) -> Iterator[PieceResult]:
    pending: deque[Future[PieceResult]] = deque()
    queued = iter(pieces)
    for piece in queued:
        pending.append(pool.submit(_judge_piece, piece, when, rows))
        if len(pending) >= jobs * _AHEAD:
            break
    while pending:
        done = pending.popleft().result()
        for piece in queued:
            pending.append(pool.submit(_judge_piece, piece, when, rows))
            break
        yield done


def _replay(pieces: Iterator[PieceResult], file: str,
            book: AggregateBook) -> Iterator[DeploymentResult | RenderedRows]:
    """The results of a file's judged pieces, in order, feeding the aggregate tallies."""
    first_line = 1
    canonical: dict[SentOutcome, SentOutcome] = {}
    for done in pieces:
        for ident, start, sightings in done.sightings:
            book.replay(ident, start, sightings)
        if done.latest is not None and (book.latest is None or done.latest > book.latest):
            book.latest = done.latest
        if done.rendered is not None:
            yield done.rendered
            first_line += done.lines
            continue
        # Each piece's outcomes arrive as new objects: the same findings tuple
        # for equal outcomes, as `--jobs 1` has, lets renderers reuse their texts.
        outcomes = [canonical.setdefault(o, o) for o in done.outcomes]
        if len(canonical) > _CANONICAL_LIMIT:
            canonical.clear()
        base = first_line - 1
        for ident, number, day, line, column in done.records:
            verdict, not_covered, findings = outcomes[number]
            yield DeploymentResult(ident, verdict, day, not_covered, findings,
                                   SourceLocation(file, base + line, column))
        first_line += done.lines


# ---------------------------------------------------------------- splitting


def split(path: str, kind: str, size: int) -> list[Piece] | None:
    """Cut a file into pieces of about `size` bytes at record boundaries.

    Returns None when the file cannot be cut safely (a CSV header that is not
    one plain line): it is then read in one piece.
    """
    found = _bounds(path, kind, size)
    return None if found is None else list(_pieces_at(path, kind, *found))


def _bounds(path: str, kind: str, size: int) -> tuple[list[int], int] | None:
    """The offsets `split` cuts a file at (its start and end included), and its header's end."""
    total = os.path.getsize(path)
    header_end = 0
    if kind == "csv":
        found = _csv_header_end(path)
        if found is None:
            return None
        header_end = found
    bounds = [0]
    with open(path, "rb") as stream:
        if kind == "jsonl":
            # JSON text never holds a raw line break: every line ends a record.
            while bounds[-1] + size < total:
                stream.seek(bounds[-1] + size)
                stream.readline()
                bounds.append(stream.tell())
        else:
            bounds += _csv_bounds(stream, max(size, header_end + 1), total)
    if bounds[-1] < total:
        bounds.append(total)
    return bounds, header_end


def _pieces_at(path: str, kind: str, bounds: list[int], header_end: int) -> Iterator[Piece]:
    """The pieces between `bounds`, each with the line it starts on.

    Lines are counted as the pieces are taken: the first can be handed out
    before the file was read through.
    """
    line, offset = 1, 0
    with open(path, "rb") as stream:
        for start, end in itertools.pairwise(bounds):
            while offset < start:
                block = stream.read(min(1 << 22, start - offset))
                if not block:
                    break
                line += block.count(b"\n")
                offset += len(block)
            yield Piece(path, kind, start, end, header_end if start else 0, line)


def _csv_bounds(stream: io.BufferedReader, size: int, total: int) -> list[int]:
    """Offsets after a line break outside quotes, about every `size` bytes."""
    bounds: list[int] = []
    quotes = 0          # quote characters before `offset`
    offset = 0
    target = size
    while offset < total:
        block = stream.read(1 << 22)
        if not block:
            break
        if offset + len(block) > target:
            position = max(target - offset, 0)
            while True:
                newline = block.find(b"\n", position)
                if newline == -1:
                    break
                if (quotes + block.count(b'"', 0, newline)) % 2 == 0:
                    cut = offset + newline + 1
                    if cut < total:
                        bounds.append(cut)
                    target = cut + size
                    if target >= offset + len(block):
                        break
                    position = target - offset
                else:
                    position = newline + 1
        quotes += block.count(b'"')
        offset += len(block)
    return bounds


def _csv_header_end(path: str) -> int | None:
    """The offset just past the header record, when it is one line without quoted breaks."""
    with open(path, "rb") as stream:
        for raw in stream:
            if raw.count(b'"') % 2:
                return None
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return None
            cells = next(csv.reader([text]), [])
            if any(cell.strip() for cell in cells):
                return stream.tell()
    return None


# ---------------------------------------------------------------- in the worker

_WORKER: CompiledTerms | None = None
#: The worker's validator, kept from piece to piece: the schema generated from the
#: terms is built once, and its memos of recurring quantities and facts are kept.
_VALIDATOR: DeploymentValidator | None = None


def _start_worker(terms_path: str, sha256: str) -> None:
    global _WORKER, _VALIDATOR
    import dealcheck

    # The parent owns the interrupts: it kills its workers when it stops. A Ctrl-C
    # reaches the whole process group, and would print a traceback per worker; a
    # SIGTERM sent to the group kills a worker, as a forked one would inherit the
    # parent's handler instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    terms = dealcheck.load(terms_path)
    if terms.sha256 != sha256:
        raise RuntimeError(f"`{terms_path}` changed while it was being checked")
    _WORKER = terms.compiled()
    _VALIDATOR = DeploymentValidator(terms.vocabulary)


def _read_piece(piece: Piece) -> tuple[bytes, bytes]:
    """The piece's bytes, and before them the file's header (CSV) if the piece lacks it."""
    with open(piece.path, "rb") as stream:
        prefix = stream.read(piece.header_end) if piece.header_end else b""
        stream.seek(piece.start)
        return prefix, stream.read(piece.end - piece.start)


def _check_piece(piece: Piece, when: dt.date | None, spool: str,
                 rows: Callable[[], RowsRenderer] | None) -> _Checked:
    """Read, validate and judge a piece; spool its `PieceResult` if it is clean."""
    from dealcheck.scenario.read import PieceReader

    ct = _WORKER
    assert ct is not None  # INVARIANT: set by the pool's initializer
    prefix, data = _read_piece(piece)
    reader = PieceReader(piece.kind, io.BytesIO(prefix + data), piece.path,
                         ct.terms.vocabulary, at_start=piece.start == 0, validator=_VALIDATOR)
    # A piece's rows and results form no cycles: the collector's scans of them are waste.
    with paused_gc():
        done = _judge(ct, reader, when, piece, prefix.count(b"\n"), data.count(b"\n"), rows)
    if not reader.clean:
        return _Checked(None, 0, [])
    if done.rendered is not None:
        # The rows go to a file of their own, which the report copies at the end:
        # the parent never decodes them.
        rows_path = spool + ".rows"
        with open(rows_path, "w", encoding="utf-8", newline="") as out:
            out.write(done.rendered.text)
        done.rendered = dataclasses.replace(done.rendered, text="", path=rows_path)
    with open(spool, "wb") as out:
        pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
    return _Checked(spool, reader.count, reader.ids.export())


def _judge_piece(piece: Piece, when: dt.date | None,
                 rows: Callable[[], RowsRenderer] | None) -> PieceResult:
    """Judge a piece of a file already validated."""
    from dealcheck.scenario.read import iter_piece

    ct = _WORKER
    assert ct is not None  # INVARIANT: set by the pool's initializer
    prefix, data = _read_piece(piece)
    deployments = iter_piece(piece.kind, io.BytesIO(prefix + data), piece.path,
                             ct.terms.vocabulary, _VALIDATOR)
    with paused_gc():
        return _judge(ct, deployments, when, piece, prefix.count(b"\n"), data.count(b"\n"),
                      rows)


#: Each worker's row renderers, made once per format.
_ROW_RENDERERS: dict[Callable[[], RowsRenderer], RowsRenderer] = {}


def _judge(ct: CompiledTerms, deployments: Iterable[Deployment], when: dt.date | None,
           piece: Piece, prefix_lines: int, lines: int,
           rows: Callable[[], RowsRenderer] | None) -> PieceResult:
    book = AggregateBook(ct)
    observe = book.observe if book.tallies else None
    sightings: list[SentSighting] = []
    latest: list[dt.date] = []

    def watch(d: Deployment) -> None:
        if not latest:
            latest.append(d.start)
        elif d.start > latest[0]:
            latest[0] = d.start
        if observe is not None:
            seen = observe(d)
            if seen:
                sightings.append((d.id, d.start, seen))

    results = evaluate_stream(ct, deployments, when, watch)
    if rows is not None:
        render = _ROW_RENDERERS.get(rows)
        if render is None:
            render = _ROW_RENDERERS[rows] = rows()
        judged = list(results)
        return _rendered(judged, render, piece.line - 1 - prefix_lines, sightings,
                         latest[0] if latest else None, lines)
    numbers: dict[tuple[Verdict, bool, int], int] = {}
    outcomes: list[SentOutcome] = []
    records: list[SentRecord] = []
    for result in results:
        # INVARIANT: `outcomes` keeps every findings tuple alive, so no two
        # distinct tuples seen in this piece share an id().
        key = (result.verdict, result.not_covered, id(result.findings))
        number = numbers.get(key)
        if number is None:
            number = numbers[key] = len(outcomes)
            outcomes.append((result.verdict, result.not_covered, result.findings))
        source = result.source
        assert source is not None  # INVARIANT: streamed rows always know their line
        records.append((result.id, number, result.evaluated_on, source.line - prefix_lines,
                        source.column))
    return PieceResult(outcomes, records, sightings, latest[0] if latest else None, lines)


def _rendered(results: list[DeploymentResult], render: RowsRenderer, line_shift: int,
              sightings: list[SentSighting], latest: dt.date | None, lines: int) -> PieceResult:
    """A piece's results as the report's rows, with the counts of its summary."""
    violation = undetermined = not_covered = 0
    for result in results:
        if result.verdict is Verdict.VIOLATION:
            violation += 1
        elif result.verdict is Verdict.UNDETERMINED:
            undetermined += 1
        if result.not_covered:
            not_covered += 1
    count = len(results)
    rows = RenderedRows(render(results, line_shift), count,
                        count - violation - undetermined, violation, undetermined, not_covered)
    return PieceResult([], [], sightings, latest, lines, rows)
