"""Report → JSON Lines (`--format jsonl`): a line per deployment, per aggregate, then the summary.

Each deployment's line is exactly the object of the JSON report's
``deployments[]`` (`deployment_to_dict`), in input order; then one line
``{"aggregate": {…}}`` per object of ``aggregates[]``; then one last line
``{"summary": {…}, "verdict": "…"}``. Lines are written as the deployments
are judged: nothing is held, for inventories of millions of rows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

from dealcheck.checker.results import (
    AggregateResult,
    DeploymentResult,
    RenderedRows,
    ReportMeta,
    full_summary,
    report_verdict,
)
from dealcheck.io_text import PipedText
from dealcheck.report.json import JsonValue, aggregate_to_dict, deployment_to_dict, summary_to_dict
from dealcheck.report.output import RowTexts

__all__ = ["JsonlRows", "JsonlStreamRenderer", "line"]

# Lines joined before they are handed on, in one piece.
_BATCH = 256


def line(value: JsonValue) -> str:
    """One JSON Lines line: compact, UTF-8 kept, newline-ended.

    >>> line({"a": [1, "é"]})
    '{"a":[1,"é"]}\\n'
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


class JsonlRows:
    """The deployment lines of `--format jsonl`, for an engine that renders rows in bulk."""

    __slots__ = ("_texts",)

    joiner = ""

    def __init__(self) -> None:
        self._texts = RowTexts(lambda result: line(deployment_to_dict(result)))

    def row(self, result: DeploymentResult) -> str:
        return self._texts(result)


class JsonlStreamRenderer:
    """Streams `--format jsonl`: deployment lines as they come (in batches), the rest at the end."""

    def __init__(self) -> None:
        self._pending: list[str] = []

    def begin(self, meta: ReportMeta) -> Iterable[str]:
        self._pending = []
        return ()

    def deployment(self, result: DeploymentResult) -> Iterable[str]:
        pending = self._pending
        pending.append(line(deployment_to_dict(result)))
        if len(pending) < _BATCH:
            return ()
        self._pending = []
        return ("".join(pending),)

    def rendered(self, rows: RenderedRows) -> Iterable[str | PipedText]:
        """Take deployment lines that a `JsonlRows` rendered, as `deployment` takes one."""
        return itertools.chain(self._flush(), rows.pieces())

    def _flush(self) -> Iterator[str]:
        if self._pending:
            yield "".join(self._pending)
            self._pending = []

    def end(
        self, aggregates: Sequence[AggregateResult], summary: Mapping[str, int]
    ) -> Iterator[str]:
        yield from self._flush()
        for aggregate in aggregates:
            yield line({"aggregate": aggregate_to_dict(aggregate)})
        whole = full_summary(summary, aggregates)
        yield line({"summary": summary_to_dict(whole), "verdict": report_verdict(whole).value})
