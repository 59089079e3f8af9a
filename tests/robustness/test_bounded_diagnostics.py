"""Diagnostics of a hostile file stay small: bounded excerpts, counted repeats, short messages.

Sizes only (bytes of standard error, lines, characters); how long these take
is measured by benchmarks/bench_diagnostics.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from robustness_helpers import EXAMPLE_TERMS, run_cli

from dealcheck.dsl.diagnostics import (
    EXCERPT_WIDTH,
    MAX_SHOWN_PER_CODE,
    did_you_mean,
    error,
    render_text,
)
from dealcheck.dsl.span import Span

MIB = 1024 * 1024


def _minified(path: Path, count: int) -> Path:
    """`count` deployments on one JSON line, each naming an undeclared party (DC303)."""
    deployments = [{"id": f"d{i}", "party": "Nobody", "workload": "api", "provider": "Azure",
                    "start": "2025-01-01"} for i in range(count)]
    path.write_text(json.dumps({"deployments": deployments}, separators=(",", ":")))
    return path


def test_three_thousand_errors_on_one_minified_line_stay_under_two_mib(tmp_path: Path) -> None:
    scenario = _minified(tmp_path / "plan.json", 3000)
    run = run_cli("check", str(EXAMPLE_TERMS), str(scenario))
    assert run.code == 2
    # 266 KiB of input used to give 1.2 GiB of standard error: every excerpt was the line.
    assert len(run.stderr.encode()) < 2 * MIB
    assert len(run.stderr.encode()) < 20_000
    assert run.stderr.count("error[DC303]: undeclared party `Nobody`") == MAX_SHOWN_PER_CODE
    assert f"… and {3000 - MAX_SHOWN_PER_CODE:,} more like this" in run.stderr
    assert run.stderr.rstrip().endswith("found 3000 errors")
    longest = max(len(line) for line in run.stderr.splitlines())
    assert longest <= EXCERPT_WIDTH + 20


def test_excerpt_of_a_long_line_is_cut_around_the_span() -> None:
    line = "a" * 5000 + "BAD" + "b" * 5000
    source = f"first\n{line}\n"
    start = len("first\n") + 5000
    span = Span("f.json", start, start + 3, 2, 5001, 2, 5004)
    text = render_text([error("DC999", "bad thing", span)], {"f.json": source})
    _, shown, carets, _ = text.split("\n")
    assert shown.startswith("   2 | …a") and shown.endswith("b…")
    assert len(shown) == len("   2 | ") + EXCERPT_WIDTH + 2
    # The carets stand under `BAD`, and only under it.
    assert shown[carets.index("^"):carets.index("^") + 3] == "BAD"
    assert carets.strip() == "^^^"


def test_short_lines_are_shown_whole_as_before() -> None:
    source = "x = 1\nparty OpenAI runs api\n"
    span = Span("t.deal", 12, 18, 2, 7, 2, 13)
    text = render_text([error("DC999", "bad thing", span)], {"t.deal": source})
    assert text.splitlines()[1:3] == ["   2 | party OpenAI runs api", " " * 13 + "^" * 6]


def test_repeats_are_counted_per_file_and_code() -> None:
    span_a = Span("a.json", 0, 1, 1, 1, 1, 2)
    span_b = Span("b.json", 0, 1, 1, 1, 1, 2)
    many = [error("DC303", f"problem {i}", span_a) for i in range(25)]
    many += [error("DC304", "other", span_a), error("DC303", "in b", span_b)]
    text = render_text(many, {})
    assert text.count("error[DC303]: problem") == MAX_SHOWN_PER_CODE
    assert "a.json: error[DC303]: … and 15 more like this" in text
    assert "error[DC304]: other" in text and "error[DC303]: in b" in text
    assert "more like this" not in render_text(many[:MAX_SHOWN_PER_CODE], {})


def test_a_terms_file_whose_last_line_is_a_megabyte_word(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text(EXAMPLE_TERMS.read_text() + "x" * 1_000_000 + "\n")
    run = run_cli("lint", str(terms))
    assert run.code == 2
    assert "error[DC001]: unexpected `xxxx" in run.stderr
    # The message quotes the word cut short, and the excerpt shows a window of the line.
    assert len(run.stderr.encode()) < 2_000
    assert len(run.stderr.splitlines()) == 5


def test_a_five_megabyte_one_line_terms_file(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    terms.write_text("y" * 5_000_000)
    run = run_cli("lint", str(terms))
    assert run.code == 2
    assert "error[DC001]" in run.stderr
    assert len(run.stderr.encode()) < 2_000


def test_did_you_mean_does_not_compare_words_of_very_different_lengths() -> None:
    # A megabyte-long word is no typo of a keyword, and is not compared letter by letter.
    assert did_you_mean("x" * 1_000_000, ["agreement", "clause"]) is None
    assert did_you_mean("claus", ["agreement", "clause"]) == "clause"
    assert did_you_mean("agremeent", ["agreement", "clause"]) == "agreement"
