"""The packages import downwards: rules/ never imports checker/, checker/ never imports report/.

`rules/` is the terms as data; `checker/` judges deployments against it;
`report/` renders what the checker gives it. An import the other way —
even a lazy one inside a function, or one only for type checking — ties a
lower layer to a higher one, so every import statement in every module
counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dealcheck"

#: package -> the packages of dealcheck it must not import.
FORBIDDEN = {
    "rules": ("dealcheck.checker", "dealcheck.report"),
    "checker": ("dealcheck.report",),
}


def imported_modules(path: Path, src: Path) -> list[tuple[int, str]]:
    """What each import statement of the file names, with its line (relative imports resolved).

    ``from a import b`` names ``a.b`` (``b`` may be a module); ``import a.b`` names ``a.b``.
    """
    package = ".".join(path.relative_to(src.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def violations(package: str, src: Path = SRC) -> list[str]:
    bad = []
    for path in sorted((src / package).rglob("*.py")):
        for line, module in imported_modules(path, src):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN[package]):
                bad.append(f"{path.relative_to(src.parent)}:{line}: imports `{module}`")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_up(package: str) -> None:
    assert violations(package) == []


def test_the_walk_finds_an_upward_import(tmp_path: Path) -> None:
    # The rule must be able to fail: a lazy import inside a function, a
    # relative one and a package imported by name are all found.
    rules = tmp_path / "dealcheck" / "rules"
    rules.mkdir(parents=True)
    (rules / "bad.py").write_text(
        "from dealcheck.rules import model\n"
        "def f():\n    from dealcheck.checker.check import check\n"
        "from ..checker import compile\nfrom dealcheck import report\n", "utf-8")
    assert violations("rules", tmp_path / "dealcheck") == [
        "dealcheck/rules/bad.py:3: imports `dealcheck.checker.check.check`",
        "dealcheck/rules/bad.py:4: imports `dealcheck.checker.compile`",
        "dealcheck/rules/bad.py:5: imports `dealcheck.report`"]
