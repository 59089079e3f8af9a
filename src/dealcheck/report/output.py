"""Report output: the streaming renderer protocol, bounded spooling and atomic file writes.

The writing itself (`atomic_writer`, `write_atomic`) lives in `dealcheck.io_text`,
shared with `dealcheck fmt`; it is re-exported here.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Literal, Protocol, overload

from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    RenderedRows,
    Report,
    ReportMeta,
    RowsRenderer,
    Verdict,
)
from dealcheck.io_text import OutputFile, PipedText, atomic_writer, texts, write_atomic, write_chunk
from dealcheck.report import REPORT_FORMATS

if TYPE_CHECKING:
    from dealcheck.report.html import HtmlContext

__all__ = [
    "FAIL_ON_CHOICES",
    "REPORT_FORMATS",
    "AccumulatingRenderer",
    "OutputFile",
    "PipedText",
    "RenderedRows",
    "ReportMeta",
    "RowTexts",
    "RowsRenderer",
    "StreamingRenderer",
    "SummaryCounter",
    "TextSpool",
    "atomic_writer",
    "check_fail_on",
    "make_renderer",
    "rows_renderer",
    "standard_output",
    "stream_report",
    "write_atomic",
    "write_atomic_chunks",
]


#: The values `--fail-on` accepts, weakest last.
FAIL_ON_CHOICES: tuple[str, ...] = ("violation", "undetermined")

#: Default number of characters a spool keeps in memory before it moves to a temporary file.
DEFAULT_SPOOL_CHARS = 8 * 1024 * 1024


def check_fail_on(fail_on: str) -> str:
    """Validate a `--fail-on` value.

    Args:
        fail_on: `violation` or `undetermined`.

    Returns:
        The value, unchanged.

    >>> check_fail_on("undetermined")
    'undetermined'
    """
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError(
            f"unknown fail-on level `{fail_on}`, expected one of: violation, undetermined"
        )
    return str(fail_on)


# --------------------------------------------------------------------------- streaming protocol


class SummaryCounter:
    """Counts verdicts as deployments stream past: `Report.summary()` without `aggregates`."""

    __slots__ = ("compliant", "deployments", "not_covered", "undetermined", "violation")

    def __init__(self) -> None:
        self.deployments = 0
        self.compliant = 0
        self.violation = 0
        self.undetermined = 0
        self.not_covered = 0

    def add(self, result: DeploymentResult) -> None:
        self.deployments += 1
        if result.verdict is Verdict.VIOLATION:
            self.violation += 1
        elif result.verdict is Verdict.UNDETERMINED:
            self.undetermined += 1
        else:
            self.compliant += 1
        if result.not_covered:
            self.not_covered += 1

    def add_rendered(self, rows: RenderedRows) -> None:
        self.deployments += rows.deployments
        self.compliant += rows.compliant
        self.violation += rows.violation
        self.undetermined += rows.undetermined
        self.not_covered += rows.not_covered

    def as_dict(self) -> dict[str, int]:
        # INVARIANT: the keys and order of `Report.summary()`, `aggregates` aside.
        return {
            "deployments": self.deployments,
            "compliant": self.compliant,
            "violation": self.violation,
            "undetermined": self.undetermined,
            "not_covered": self.not_covered,
        }


class StreamingRenderer(Protocol):
    """A renderer fed one deployment at a time; each step returns the text it can emit now.

    `begin` is called once, then `deployment` for every result in order, then `end` once
    with the aggregates (known only after every deployment was seen) and the summary.
    Concatenating everything the three steps return gives the whole document. A renderer
    that takes rows an engine rendered (`rendered`) hands on the files that hold them
    (`PipedText`), from `rendered` or `end`.
    """

    def begin(self, meta: ReportMeta) -> Iterable[str]: ...

    def deployment(self, result: DeploymentResult) -> Iterable[str]: ...

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterable[str | PipedText]: ...


AggregatesSource = Sequence[AggregateResult] | Callable[[], Sequence[AggregateResult]]


class RowTexts:
    """A `RowsRenderer.row` that makes each distinct result's text once.

    An engine renders one row per distinct key (`engines.render`), and keys'
    outcomes repeat: a few dozen texts for thousands of keys. Results that
    are equal (`source` included) have the same text: each is its own key.
    """

    __slots__ = ("_made", "_render")

    #: Texts kept before the memo starts again.
    LIMIT = 4096

    def __init__(self, render: Callable[[DeploymentResult], str]) -> None:
        self._render = render
        self._made: dict[tuple[DeploymentResult, object], str] = {}

    def __call__(self, result: DeploymentResult) -> str:
        key = (result, result.source)
        text = self._made.get(key)
        if text is None:
            if len(self._made) >= self.LIMIT:
                self._made.clear()
            text = self._made[key] = self._render(result)
        return text


def rows_renderer(format: str) -> Callable[[], RowsRenderer] | None:
    """What renders the rows of a `--format` for an engine that writes rows in bulk, if any.

    The JSON report, JSON Lines and Parquet (whose rows are JSON Lines on
    their way to DuckDB's Parquet writer): their rows are most of a bulk
    check's output, and they do not depend on one another.
    """
    if format == "json":
        from dealcheck.report.json import JsonRows

        return JsonRows
    if format in ("jsonl", "parquet"):
        from dealcheck.report.jsonl import JsonlRows

        return JsonlRows
    return None


@overload
def stream_report(
    renderer: StreamingRenderer, meta: ReportMeta,
    deployments: Iterable[DeploymentResult | RenderedRows], aggregates: AggregatesSource,
    counter: SummaryCounter | None = None, *, files: Literal[False] = False,
) -> Iterator[str]: ...


@overload
def stream_report(
    renderer: StreamingRenderer, meta: ReportMeta,
    deployments: Iterable[DeploymentResult | RenderedRows], aggregates: AggregatesSource,
    counter: SummaryCounter | None = None, *, files: bool,
) -> Iterator[str | PipedText]: ...


def stream_report(
    renderer: StreamingRenderer,
    meta: ReportMeta,
    deployments: Iterable[DeploymentResult | RenderedRows],
    aggregates: AggregatesSource,
    counter: SummaryCounter | None = None,
    *,
    files: bool = False,
) -> Iterator[str] | Iterator[str | PipedText]:
    """Drive a streaming renderer over deployments that arrive one by one.

    Args:
        renderer: the output format.
        meta: the report header.
        deployments: results in report order; consumed once, never held. Runs of
            them may come already rendered by an engine (`RenderedRows`), for
            formats with a `rows_renderer`.
        aggregates: the aggregate results, or a callable returning them that is called
            only after the last deployment (the checker computes aggregates as it goes).
        counter: where to count the verdicts for the summary, for a caller that
            needs them too (a new one if omitted).
        files: hand on the files of rows an engine rendered as they are
            (`PipedText`), for a writer that copies their bytes
            (`io_text.write_chunk`); else their text.

    Returns:
        The document as chunks, suitable for `write_atomic_chunks`.
    """
    chunks = _stream(renderer, meta, deployments, aggregates,
                     SummaryCounter() if counter is None else counter)
    return chunks if files else texts(chunks)


def _stream(renderer: StreamingRenderer, meta: ReportMeta,
            deployments: Iterable[DeploymentResult | RenderedRows],
            aggregates: AggregatesSource, counter: SummaryCounter) -> Iterator[str | PipedText]:
    yield from renderer.begin(meta)
    for result in deployments:
        if isinstance(result, RenderedRows):
            take: Callable[[RenderedRows], Iterable[str | PipedText]] | None = getattr(
                renderer, "rendered", None)
            if take is None:
                raise TypeError(f"{type(renderer).__name__} takes no rows rendered elsewhere")
            counter.add_rendered(result)
            yield from take(result)
            continue
        counter.add(result)
        yield from renderer.deployment(result)
    final = aggregates() if callable(aggregates) else aggregates
    yield from renderer.end(final, counter.as_dict())


class ReportRenderer(Protocol):
    """A whole-report renderer: the report, and the dealcheck version it names."""

    def __call__(self, report: Report, *, version: str) -> str: ...


class AccumulatingRenderer:
    """Adapts a whole-report renderer (text, markdown, SARIF) to the streaming protocol.

    It holds every deployment until `end`: fine for reports meant for people.
    """

    def __init__(self, render: ReportRenderer) -> None:
        self._render = render
        self._meta: ReportMeta | None = None
        self._deployments: list[DeploymentResult] = []

    def begin(self, meta: ReportMeta) -> Iterable[str]:
        self._meta = meta
        self._deployments = []
        return ()

    def deployment(self, result: DeploymentResult) -> Iterable[str]:
        self._deployments.append(result)
        return ()

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterable[str]:
        if self._meta is None:
            raise RuntimeError("renderer ended before it began")
        report = Report(
            terms=self._meta.terms,
            scenarios=list(self._meta.scenarios),
            as_of=self._meta.as_of,
            deployments=self._deployments,
            aggregates=list(aggregates),
            facts=dict(self._meta.facts),
            agreements=list(self._meta.agreements),
        )
        self._deployments = []
        return (self._render(report, version=self._meta.version),)


def make_renderer(
    format: str, *, fail_on: str = "violation", color: bool = False, width: int | None = None,
    html_context: Callable[[Report], HtmlContext] | None = None,
) -> StreamingRenderer:
    """The streaming renderer for a `--format` value.

    Args:
        format: one of `REPORT_FORMATS`. Parquet is binary: its renderer's
            `encoding` (latin-1) carries each byte as one character.
        fail_on: the `--fail-on` level (JUnit marks undetermined as failures only at
            `undetermined`).
        color: ANSI colour in `text` output (pass it when stdout is a terminal).
        width: the width of `text` output; by default the terminal's when `color`,
            else a fixed 100 columns so that files and pipes get stable text.
        html_context: what gives the `html` page the terms and deployments checked
            (`dealcheck.checked_inputs.html_context`); without it the page shows
            what the report holds.

    Returns:
        A renderer to pass to `stream_report`.
    """
    check_fail_on(fail_on)
    if format == "json":
        from dealcheck.report.json import JsonStreamRenderer

        return JsonStreamRenderer()
    if format == "jsonl":
        from dealcheck.report.jsonl import JsonlStreamRenderer

        return JsonlStreamRenderer()
    if format == "parquet":
        from dealcheck.report.parquet import ParquetStreamRenderer

        return ParquetStreamRenderer()
    if format == "junit":
        from dealcheck.report.junit import JunitStreamRenderer

        return JunitStreamRenderer(fail_on=fail_on)
    if format == "sarif":
        from dealcheck.report.sarif import render_sarif

        return AccumulatingRenderer(render_sarif)
    if format == "markdown":
        from dealcheck.report.markdown import render_markdown

        return AccumulatingRenderer(render_markdown)
    if format == "html":
        from dealcheck.report.html import render_html

        def page(report: Report, *, version: str) -> str:
            context = None if html_context is None else html_context(report)
            return render_html(report, version=version, context=context)

        return AccumulatingRenderer(page)
    if format == "text":
        from dealcheck.report.text import DEFAULT_WIDTH, render_text

        if width is None:
            width = (
                shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if color else DEFAULT_WIDTH
            )
        columns = width
        return AccumulatingRenderer(
            lambda report, *, version: render_text(
                report, color=color, width=columns, version=version
            )
        )
    raise ValueError(f"unknown report format `{format}`")


# --------------------------------------------------------------------------- spooling


class TextSpool:
    """Append-only text buffer kept in memory up to a size, then in a temporary file.

    Streaming renderers whose header depends on totals (JSON's summary, JUnit's counts)
    write their body here and replay it at the end, so memory stays bounded.
    """

    def __init__(self, max_chars: int = DEFAULT_SPOOL_CHARS) -> None:
        self._file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in drain
            max_size=max_chars, mode="w+", encoding="utf-8", newline=""
        )

    def write(self, text: str | PipedText) -> None:
        for piece in texts((text,)):
            self._file.write(piece)

    def drain(self, chunk_chars: int = 1 << 16) -> Iterator[str]:
        """Yield everything written, in chunks, then release the buffer."""
        try:
            self._file.seek(0)
            while chunk := self._file.read(chunk_chars):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()


# --------------------------------------------------------------------------- writing


def standard_output(encoding: str = "utf-8") -> Callable[[str | PipedText], None]:
    """What writes a report's chunks to standard output (as it is when each is written).

    UTF-8 text goes to the text layer (`write_chunk`: a file takes a
    `PipedText`'s bytes); in another `encoding` (Parquet's bytes, a character
    each), the chunks' bytes go under it, which is flushed first.
    """
    if encoding == "utf-8":
        return lambda chunk: write_chunk(sys.stdout, chunk)
    sys.stdout.flush()

    def write(chunk: str | PipedText) -> None:
        for text in texts((chunk,)):
            sys.stdout.buffer.write(text.encode(encoding))

    return write



def write_atomic_chunks(
    path: str | os.PathLike[str], chunks: Iterable[str], *, encoding: str = "utf-8"
) -> None:
    """Write text chunks to `path` with `atomic_writer`, consuming the iterator as it goes.

    If the iterator raises (or the user interrupts), `path` keeps its previous content and
    no temporary file remains.

    Args:
        path: the file to create or replace.
        chunks: the text, for example from `stream_report`.
        encoding: the text encoding.

    Raises:
        DiagnosticsError: DC904 when the file cannot be written.
    """
    write_atomic(path, chunks, encoding=encoding)
