"""The two test tiers: the Hypothesis profiles, and what the fast tier leaves out.

`pytest -m "not slow"` is the fast tier; `python benchmarks/bench_tiers.py --modules`
lists, for every module of dealcheck, the functions the fast tier calls (too slow to
run inside the suite: it traces every call of the whole tier).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import settings

import hypothesis_profiles

TESTS = Path(__file__).resolve().parent


def test_the_ci_profile_draws_a_quarter_and_the_long_one_ten_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hypothesis_profiles.ENV, raising=False)
    assert hypothesis_profiles.examples(200) == 50
    assert hypothesis_profiles.examples(20) == 10   # never fewer than ten
    monkeypatch.setenv(hypothesis_profiles.ENV, "long")
    assert hypothesis_profiles.examples(200) == 2000
    monkeypatch.setenv(hypothesis_profiles.ENV, "longer")
    with pytest.raises(ValueError, match="DEALCHECK_HYPOTHESIS=longer: expected one of ci, long"):
        hypothesis_profiles.examples(200)


def test_this_run_has_loaded_its_profile() -> None:
    expected = round(100 * hypothesis_profiles.SCALE[hypothesis_profiles.profile()])
    assert settings.default.max_examples == expected
    assert settings.default.deadline is None


def _jvm_tests(path: Path) -> dict[str, bool]:
    """The tests of `path` that take the `spark` fixture (a JVM): whether each is slow."""
    found = {}
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test") \
                and any(a.arg == "spark" for a in node.args.args):
            marks = [ast.unparse(d) for d in node.decorator_list]
            found[node.name] = "pytest.mark.slow" in marks
    return found


def test_no_fast_test_starts_a_jvm() -> None:
    # Starting Spark's JVM costs more than the whole fast tier may take.
    found = _jvm_tests(TESTS / "engines" / "test_engine_spark.py")
    assert len(found) >= 5
    assert [name for name, slow in found.items() if not slow] == []


def test_the_jvm_check_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_text("import pytest\n\n@pytest.mark.slow\ndef test_a(spark):\n    pass\n\n"
                    "def test_b(spark, tmp_path):\n    pass\n\ndef test_c(tmp_path):\n"
                    "    pass\n", "utf-8")
    assert _jvm_tests(path) == {"test_a": True, "test_b": False}
