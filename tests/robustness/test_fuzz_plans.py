"""Bounded fuzzing of Terraform plans and asset exports read through a map (`check --map`).

Real plans and exports (tests/fixtures), mutated byte by byte with JSON
pieces, through the oracle of `fuzz/targets.py` (`check_plan`): a scenario or
located diagnostics, and the two JSON readers agreeing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_helpers import ROOT

from dealcheck import limits

sys.path.insert(0, str(ROOT / "fuzz"))
import targets

pytestmark = pytest.mark.slow

SEEDS = [*sorted((ROOT / "tests" / "fixtures" / "terraform").glob("*.json")),
         *sorted((ROOT / "tests" / "fixtures" / "inventory").glob("*.json"))]
PIECES = [b"{", b"}", b"[", b"]", b":", b",", b'"', b"\n", b" ", b"null", b"true", b"NaN",
          b"1e999", b'"2.0"', b'"delete"', b'"create"', b'"update"', b'"us-east-1"',
          b'"var.region"', b'"address"', b'"region"', b'"format_version"', b"\\ud800",
          b"\\u2028", b"\xff", b"\x00", b"[" * 70, b"{}", b"[]"]


@pytest.fixture(scope="module", autouse=True)
def _scratch() -> Iterator[None]:
    yield
    targets.cleanup()


@st.composite
def mutated_plan(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.binary(max_size=4)))
        data[at:at + draw(st.integers(0, 8))] = piece
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_plan())
def test_mutated_plans(data: bytes) -> None:
    targets.check_plan(data)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_plan())
def test_mutated_plans_under_small_limits(data: bytes) -> None:
    with limits.configured(max_nesting=6, max_deployments=3, max_file_bytes=30_000):
        targets.check_plan(data)
