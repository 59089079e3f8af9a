"""The rows an engine renders in bulk (`RowsRenderer.row`) are the streaming renderers' texts,
whether a row's text is made or found again (`RowTexts`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from report_samples import build_bulk

from dealcheck.checker.results import DeploymentResult, RowsRenderer, Verdict
from dealcheck.report.json import JsonRows, deployment_to_dict, pretty
from dealcheck.report.jsonl import JsonlRows, line
from dealcheck.report.output import RowTexts
from dealcheck.scenario.model import SourceLocation

#: Each bulk renderer, and the text its row must be (what its streaming renderer writes).
RENDERERS: dict[str, tuple[Callable[[], RowsRenderer], Callable[[DeploymentResult], str]]] = {
    "jsonl": (JsonlRows, lambda r: line(deployment_to_dict(r))),
    "json": (JsonRows, lambda r: "\n    " + pretty(deployment_to_dict(r), "    ")),
}


def _variants() -> list[DeploymentResult]:
    """Results that are equal but for one thing each, and copies equal in all."""
    out: list[DeploymentResult] = []
    for result in build_bulk(8):
        out += [result,
                dataclasses.replace(result),  # equal, and its own object
                dataclasses.replace(result, findings=tuple(result.findings)),
                dataclasses.replace(result, id=result.id + "x"),
                dataclasses.replace(result, not_covered=not result.not_covered),
                dataclasses.replace(result, verdict=Verdict.UNDETERMINED),
                dataclasses.replace(result, findings=result.findings[:1]),
                dataclasses.replace(result, source=None),
                dataclasses.replace(result, source=SourceLocation("other.jsonl", 7)),
                dataclasses.replace(result, source=SourceLocation(
                    "other.jsonl", 7 if result.source is None else result.source.line + 1))]
    return out


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_each_row_is_the_text_of_its_result_made_or_found_again(name: str) -> None:
    make, expected = RENDERERS[name]
    renderer = make()
    results = _variants()
    for result in [*results, *reversed(results)]:
        assert renderer.row(result) == expected(result)


def test_row_texts_makes_each_distinct_result_once_and_starts_again_at_its_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[DeploymentResult] = []

    def render(result: DeploymentResult) -> str:
        made.append(result)
        return f"{result.id}@{result.source}"

    results = build_bulk(6)
    moved = dataclasses.replace(results[0], source=SourceLocation("x.jsonl", 1))
    texts = RowTexts(render)
    assert [texts(r) for r in [*results, moved, *results, moved]] == [
        f"{r.id}@{r.source}" for r in [*results, moved, *results, moved]]
    assert made == [*results, moved]  # each once; the moved one is not the first
    monkeypatch.setattr(RowTexts, "LIMIT", 2)
    small = RowTexts(render)
    made.clear()
    assert [small(r) for r in [*results[:3], results[2], results[0]]] == [
        f"{r.id}@{r.source}" for r in [*results[:3], results[2], results[0]]]
    # The third starts the memo again: it holds the third, not the first.
    assert made == [*results[:3], results[0]]
