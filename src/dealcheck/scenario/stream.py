"""Stream the rows of CSV and JSON Lines inputs: bounded lines, validated one row at a time.

The reading stage under `scenario.load` and `scenario.read`: each line is
read with a bound (`limits.MAX_LINE_BYTES`), each row counts against the
deployment limit (`Budget`), and `checked_rows` validates the rows one by
one. `PieceReader` reads a file as it is judged (`scenario.read.Pending`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.io_text import too_large
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.read_tabular import Row, read_csv_rows, read_jsonl_rows
from dealcheck.scenario.source import unreadable
from dealcheck.scenario.validate import DeploymentValidator, IdDigests, IdTable, UniqueIds

__all__ = [
    "UNCHECKED_IDS",
    "Budget",
    "LineTooLong",
    "PieceReader",
    "bounded_lines",
    "bounded_rows",
    "checked_rows",
    "is_regular",
    "parse_rows",
    "read_once",
    "stopping",
]


class _Unchecked(UniqueIds):
    """For rows whose ids were already checked across the whole file: tracks none."""

    __slots__ = ()

    def __contains__(self, deployment_id: object) -> bool:
        return False

    def fresh(self, deployment_id: str, file: str, line: int) -> bool:
        return True

    def add(self, deployment_id: str, span: Span) -> Diagnostic | None:
        return None


UNCHECKED_IDS = _Unchecked()


def is_regular(path: str | Path) -> bool:
    """Whether `path` is a regular file (or cannot be looked at: opening it will say why)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def read_once(file: str) -> tuple[bytes, Diagnostic | None]:
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
                for line in bounded_lines(stream, file):
                    size += len(line)
                    if size > limit:
                        raise too_large(file, None, limit)
                    kept.append(line)
            except LineTooLong as exc:
                return b"".join(kept), exc.diagnostic
    except OSError as exc:
        raise DiagnosticsError([unreadable(file, exc)]) from None
    return b"".join(kept), None


class Budget:
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


class LineTooLong(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def bounded_lines(
    stream: BinaryIO, file: str, update: Callable[[bytes], object] | None = None
) -> Iterator[bytes]:
    """The lines of a streamed file; `LineTooLong` (DC905) for one over `limits.MAX_LINE_BYTES`.

    Each line is read with a bound, so that a file without line breaks is
    refused after `limit` bytes rather than read whole into memory.
    """
    limit = limits.MAX_LINE_BYTES.value()
    number = 0
    offset = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            raise LineTooLong(
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


def stopping(lines: Iterable[bytes], stopped: Diagnostic | None) -> Iterator[bytes]:
    """The lines before a line too long, then its `LineTooLong`, as `bounded_lines` raises it."""
    yield from lines
    if stopped is not None:
        raise LineTooLong(stopped)


def bounded_rows(rows: Iterable[Row], file: str, budget: Budget) -> Iterator[Row]:
    """The rows, up to the first one over a limit (a line too long, too many deployments)."""
    pending = iter(rows)
    while True:
        try:
            row = next(pending)
        except StopIteration:
            return
        except LineTooLong as exc:
            yield Row(exc.diagnostic.span.line, None, [exc.diagnostic])
            return
        budget.left -= 1  # INVARIANT: `budget.take`, without a span for every row
        if budget.left < 0:
            yield Row(row.line, None, [budget.over(Span.point(file, row.line, 1))])
            return
        yield row


def parse_rows(kind: str, lines: Iterable[bytes], file: str, vocabulary: Vocabulary, *,
          whole_file: bool = True, at_start: bool = True) -> Iterator[Row]:
    if kind == "csv":
        return read_csv_rows(lines, file, vocabulary)
    return read_jsonl_rows(lines, file, whole_file=whole_file, at_start=at_start)


def checked_rows(
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


class PieceReader:
    """The deployments of a CSV or JSON Lines file, or of a piece of one, validated as read.

    For reading each row once (`Pending`): a piece is whole lines (for CSV,
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
                 budget: Budget | None = None,
                 validator: DeploymentValidator | None = None) -> None:
        self._kind, self._stream, self._file = kind, stream, file
        self._vocabulary, self._at_start, self._whole_file = vocabulary, at_start, whole_file
        self._budget, self._validator = budget, validator
        self.clean = True
        self.count = 0
        self.ids = IdDigests() if ids is None else ids

    def __iter__(self) -> Iterator[Deployment]:
        file, budget = self._file, self._budget
        lines = bounded_lines(self._stream, file)
        rows = parse_rows(self._kind, lines, file, self._vocabulary, whole_file=self._whole_file,
                     at_start=self._at_start)
        try:
            for deployment, diagnostics in checked_rows(rows, self._vocabulary, self.ids,
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
        except LineTooLong:
            self.clean = False
