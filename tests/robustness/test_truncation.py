"""Half-written input: a sample cut at every token boundary parses or gives located errors.

The terms sample is cut after every token, and after the indentation of every
line, so that every position of the grammar is reached; the scenario samples
are cut at every byte. Each cut either loads, or gives diagnostics that point
inside what is left of the file — never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from robustness_helpers import ROOT, run_cli

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, Severity, render_text
from dealcheck.scenario.read import load_scenario, validate_file

#: The sample with the most grammar in it: every kind of clause, amendments, examples.
TERMS_SAMPLES = [ROOT / "examples" / "microsoft-openai" / "terms.deal"]
SCENARIO_SAMPLES = sorted((ROOT / "tests" / "scenario" / "fixtures").iterdir())
# Tokens as the lexer sees them: strings and comments whole, words, numbers, symbols.
_TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|[A-Za-z0-9_.\-]+|[^\sA-Za-z0-9_]')


def _boundaries(text: str) -> list[int]:
    """After every token, and before the first token of each line (after its indentation).

    Before any other token the cut differs from the one after the token before
    it only by spaces, which the grammar ignores.
    """
    cuts = {0, len(text)}
    for match in _TOKEN.finditer(text):
        cuts.add(match.end())
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start:match.start()].strip():
            cuts.add(match.start())
    return sorted(cuts)


def _assert_inside(diagnostics: list[Diagnostic], text: str) -> None:
    last_line = text.count("\n") + 1
    for d in diagnostics:
        assert d.code.startswith("DC"), d
        assert 1 <= d.span.line <= last_line and d.span.column >= 1, (d, last_line)
        assert 0 <= d.span.start <= len(text), d


@pytest.mark.slow
@pytest.mark.parametrize("sample", TERMS_SAMPLES, ids=lambda p: p.parent.name)
def test_terms_cut_at_every_token_boundary(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8")
    cuts = _boundaries(text)
    assert len(cuts) > 900
    clean = 0
    for cut in cuts:
        part = text[:cut]
        terms, diagnostics = dealcheck.analyze(part, "cut.deal")
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        assert (terms is None) == bool(errors), (cut, diagnostics)
        _assert_inside(diagnostics, part)
        render_text(diagnostics, {"cut.deal": part})
        clean += terms is not None
    assert 0 < clean < len(cuts)


def test_cut_terms_through_the_cli(tmp_path: Path) -> None:
    """Every 25th cut, as a file given to `dealcheck lint`: exit 0 or 2, never a traceback."""
    text = TERMS_SAMPLES[0].read_text(encoding="utf-8")
    path = tmp_path / "cut.deal"
    for cut in _boundaries(text)[::25]:
        path.write_text(text[:cut], encoding="utf-8")
        run = run_cli("lint", str(path))
        assert run.code in (0, 2), run.stderr
        assert "Traceback" not in run.stderr
        if run.code == 2:
            assert f"{path}:" in run.stderr and ": error[DC" in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sample", SCENARIO_SAMPLES, ids=lambda p: p.name)
def test_scenario_cut_at_every_byte(sample: Path, tmp_path: Path) -> None:
    words = dealcheck.load(ROOT / "tests" / "robustness" / "corpus" / "vocabulary.deal")
    data = sample.read_bytes()
    path = tmp_path / sample.name
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        try:
            load_scenario(path, words.vocabulary)
        except DiagnosticsError as exc:
            assert exc.diagnostics
            text = data[:cut].decode("utf-8", errors="replace")
            _assert_inside(exc.diagnostics, text)
            render_text(exc.diagnostics, exc.sources)
            assert validate_file(path, words.vocabulary) == exc.diagnostics
