"""The shape of the source: no function too complex to read, no module too long to hold."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

SRC = Path(__file__).resolve().parents[1] / "src" / "dealcheck"

MAX_LINES = 600
"""The longest a module may be."""

#: Modules allowed over `MAX_LINES`, and allowed functions graded E or F, each
#: with the reason. Keep it empty: a module earns a place here only while it is
#: being split.
ALLOWED: dict[str, str] = {}


def _modules() -> list[tuple[str, str]]:
    paths = sorted(SRC.rglob("*.py"))
    assert len(paths) > 20  # the walk found the package
    return [(p.relative_to(SRC).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def _too_complex(source: str) -> list[str]:
    """The blocks of `source` graded E or F by radon (cyclomatic complexity over 30)."""
    return [
        f"{block.fullname} (line {block.lineno}): {cc_rank(block.complexity)} "
        f"({block.complexity})"
        for block in cc_visit(source)
        if cc_rank(block.complexity) in ("E", "F")
    ]


def test_no_function_is_graded_e_or_f() -> None:
    found = {
        name: blocks
        for name, source in _modules()
        if name not in ALLOWED and (blocks := _too_complex(source))
    }
    assert found == {}


def test_no_module_is_over_600_lines() -> None:
    lengths = {name: len(source.splitlines()) for name, source in _modules()}
    assert {n: k for n, k in lengths.items() if k > MAX_LINES and n not in ALLOWED} == {}


def test_the_allow_list_names_real_modules() -> None:
    # A module that was split or renamed must leave the list too.
    names = {name for name, _ in _modules()}
    assert set(ALLOWED) <= names


def test_the_checks_can_fail() -> None:
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(31))
    assert _too_complex(f"def f(x):\n{branches}    return -1\n") == ["f (line 1): E (32)"]
    assert _too_complex("def g(x):\n    return x\n") == []
