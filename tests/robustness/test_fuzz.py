"""Bounded fuzzing in CI: mutated valid inputs through the parser and the scenario loader.

Each input goes through the same oracle as the long atheris runs
(`fuzz/targets.py`): a result or located diagnostics, never anything else.
Terms are mutated token by token (so that most mutants get past the lexer and
reach the grammar); scenarios byte by byte with hostile tokens, under small
limits so that the limit paths are fuzzed too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_helpers import ROOT

from dealcheck import limits
from hypothesis_profiles import examples

sys.path.insert(0, str(ROOT / "fuzz"))
import targets

# Hundreds of mutated inputs per test: the slow tier.
pytestmark = pytest.mark.slow

TERMS_SEEDS = [ROOT / "examples" / "microsoft-openai" / "terms.deal",
               ROOT / "examples" / "stargate" / "terms.deal",
               *sorted((ROOT / "tests" / "dsl" / "parse_cases").glob("*.deal"))]
SCENARIO_SEEDS = [ROOT / "examples" / "microsoft-openai" / "deals.yaml",
                  *sorted((ROOT / "tests" / "scenario" / "fixtures").iterdir())]
_TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|\n[ \t]*|[A-Za-z0-9_.\-]+|[^\sA-Za-z0-9_]| +')
#: What a mutation may insert: keywords, symbols, and text that breaks things.
TERMS_PIECES = [
    "agreement", "party", "provider", "operated", "by", "workload", "group", "region",
    "fact", "unit", "clause", "amendment", "example", "revoke", "replace", "source",
    "notwithstanding", "runs", "only", "on", "in", "if", "off", "outside", "must", "not",
    "run", "may", "total", "of", "deployments", "starting", "from", "through", "is", "at",
    "most", "reaches", "when", "and", "or", "any", "deployment", "expect", "with", "as",
    "missing", "true", "false", "bool", "one", "number", "date", "compliant", "violation",
    "(", ")", ":", ",", "=", "<=", "!=", '"', "#", "\n", "\n  ", "\n    ", "\t", "\r\n",
    "2025-02-30", "0000-01-01", "9999-12-31", "1e9", "300MW", "99999999999999999999999T",
    "(" * 70, "not " * 70, "\u0430", "\u00a0", "\u201c", "\x00", "\ufeff", "\u2028",
]
SCENARIO_PIECES = [
    b"{", b"}", b"[", b"]", b":", b",", b'"', b"'", b"\n", b"\r\n", b"\r", b"\t", b" ", b"- ",
    b"#", b"&a ", b"*a", b"!!python/object/apply:os.system", b"!!binary", b"---", b"<<: ",
    b"NaN", b".inf", b"1e999", b"9" * 5000, b"-", b"null", b"true", b"2025-02-30",
    b"\\ud800", b"\\u001b", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xe9", b"[" * 20,
    b"id", b"party", b"start", b"capacity", b"facts", b"deployments", b"300 MW",
    b"99999999999999999999T USD", b"facts.rofr_declined", b'""', b'"a""b"',
]


@pytest.fixture(scope="module", autouse=True)
def _scratch() -> Iterator[None]:
    yield
    targets.cleanup()


def _tokens(path: Path) -> list[str]:
    return _TOKEN.findall(path.read_text(encoding="utf-8"))


@st.composite
def mutated_terms(draw: st.DrawFn) -> bytes:
    tokens = list(draw(st.sampled_from([_tokens(p) for p in TERMS_SEEDS])))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(tokens)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "cut"]))
        if action == "delete" and at < len(tokens):
            del tokens[at:at + draw(st.integers(1, 6))]
        elif action == "insert":
            piece = draw(st.one_of(st.sampled_from(TERMS_PIECES), st.text(max_size=4)))
            tokens.insert(at, piece)
        elif action == "duplicate" and at < len(tokens):
            tokens[at:at] = tokens[at:at + draw(st.integers(1, 8))]
        elif action == "swap" and at + 1 < len(tokens):
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        elif action == "cut":
            del tokens[at:]
    return "".join(tokens).encode("utf-8", errors="surrogatepass")


@st.composite
def mutated_scenario(draw: st.DrawFn) -> tuple[bytes, str]:
    seed = draw(st.sampled_from(SCENARIO_SEEDS))
    data = bytearray(seed.read_bytes())
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data)))
        drop = draw(st.integers(0, 8))
        piece = draw(st.one_of(st.sampled_from(SCENARIO_PIECES), st.binary(max_size=4)))
        data[at:at + drop] = piece
    # Sometimes read it as another format than its own.
    suffix = draw(st.sampled_from([seed.suffix, *targets.SCENARIO_SUFFIXES]))
    return bytes(data), suffix


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_terms())
def test_mutated_terms(data: bytes) -> None:
    targets.check_terms(data)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_scenario())
def test_mutated_scenarios(case: tuple[bytes, str]) -> None:
    data, suffix = case
    targets.check_scenario(data, suffix)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_scenario())
def test_mutated_scenarios_under_small_limits(case: tuple[bytes, str]) -> None:
    data, suffix = case
    with limits.configured(max_file_bytes=1500, max_line_bytes=200, max_nesting=4,
                           max_deployments=3, max_quantity=10**9):
        targets.check_scenario(data, suffix)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_terms())
def test_mutated_terms_under_small_limits(data: bytes) -> None:
    with limits.configured(max_file_bytes=4000, max_nesting=3, max_quantity=10**6):
        targets.check_terms(data)
