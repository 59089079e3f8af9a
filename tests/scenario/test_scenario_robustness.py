"""Any input gives deployments or diagnostics, never a traceback (property tests)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_helpers import FIXTURES, make_vocabulary

from dealcheck.dsl.diagnostics import DiagnosticsError, render_text
from dealcheck.scenario.read import iter_deployments, load_scenario, validate_file
from hypothesis_profiles import examples

VOCABULARY = make_vocabulary()
TOKENS = [
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    '"',
    "'",
    "\n",
    "\r\n",
    "\t",
    " ",
    "-",
    "#",
    "&a",
    "*a",
    "!!python/object",
    "---",
    "true",
    "NaN",
    "null",
    "id",
    "party",
    "OpenAI",
    "start",
    "2025-02-30",
    "300 MW",
    "facts.rofr_declined",
    "\ufeff",
    "\x00",
    "\u2028",
]


def _edits(original: bytes) -> st.SearchStrategy[bytes]:
    """The fixture with a few spans replaced by tokens or random bytes."""
    piece = st.one_of(st.sampled_from(TOKENS).map(str.encode), st.binary(max_size=4))
    edit = st.tuples(st.integers(0, len(original)), st.integers(0, 8), piece)

    def apply(edits: list[tuple[int, int, bytes]]) -> bytes:
        data = bytearray(original)
        for at, drop, insert in edits:
            data[at : at + drop] = insert
        return bytes(data)

    return st.lists(edit, min_size=1, max_size=5).map(apply)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plan.yaml", "plan.json", "plan.csv", "plan.jsonl"])
def test_mangled_scenarios_give_diagnostics_not_tracebacks(name: str) -> None:
    original = (FIXTURES / name).read_bytes()

    @settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
    @given(_edits(original))
    def check(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                deployments = load_scenario(path, VOCABULARY).deployments
            except DiagnosticsError as exc:
                assert exc.diagnostics
                assert all(d.code.startswith("DC3") for d in exc.diagnostics)
                assert all("\n" not in d.message for d in exc.diagnostics)
                render_text(exc.diagnostics, exc.sources)
                assert validate_file(path, VOCABULARY) == exc.diagnostics
            else:
                assert validate_file(path, VOCABULARY) == []
                assert tuple(iter_deployments(path, VOCABULARY)) == deployments

    check()
