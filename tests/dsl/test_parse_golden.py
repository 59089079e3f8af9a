"""Golden parser fixtures: `parse_cases/NAME.deal` → `NAME.ast.txt`, and the language docs.

Run with DEALCHECK_UPDATE_GOLDEN=1 to rewrite the `.ast.txt` files from the
current parser, then review the diff.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.examples import run_examples
from dealcheck.dsl import ast
from dealcheck.dsl.parse import _parser, parse_with_recovery
from helpers import compare_golden, dump_ast

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "parse_cases"
LANGUAGE_DOC = ROOT / "docs" / "language.md"

#: name → (terms file, golden file)
GOLDEN: dict[str, tuple[Path, Path]] = {
    path.stem: (path, path.with_suffix(".ast.txt")) for path in sorted(CASES.glob("*.deal"))
}
for _example in ("microsoft-openai", "stargate"):
    GOLDEN[f"example-{_example}"] = (ROOT / "examples" / _example / "terms.deal",
                                     CASES / f"example-{_example}.ast.txt")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_ast_matches_golden(name: str) -> None:
    source, golden = GOLDEN[name]
    document = dealcheck.parse(_read(source), source.name)
    compare_golden(golden, dump_ast(document))


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_case_resolves_without_diagnostics(name: str) -> None:
    source, _ = GOLDEN[name]
    text = _read(source)
    terms, diagnostics = dealcheck.analyze(text, source.name, warnings=False)
    assert [(d.code, d.message) for d in diagnostics] == []
    assert terms is not None


def test_every_case_has_a_golden_file_and_no_golden_file_is_orphaned() -> None:
    goldens = {p.name for p in CASES.glob("*.ast.txt")}
    assert goldens == {g.name for _, g in GOLDEN.values()}
    assert len([n for n in GOLDEN if not n.startswith("example-")]) >= 8


def test_spans_take_no_part_in_equality() -> None:
    text = _read(CASES / "conditions.deal")
    moved = "\n\n# shifted\n" + text.replace("  ", "    ")
    assert dealcheck.parse(text) == dealcheck.parse(moved)
    assert dump_ast(dealcheck.parse(text)) != ""


def _rule_names_that_build_trees() -> set[str]:
    """Every grammar rule (or alias) that shows up as a tree node when it is used."""
    names: set[str] = set()
    for rule in _parser().rules:
        origin = str(rule.origin.name)
        if origin.startswith("_"):
            continue  # inlined helper rules
        if rule.alias:
            names.add(str(rule.alias))
        elif not rule.options.expand1 or len(rule.expansion) > 1:
            names.add(origin)
    return names


def test_cases_cover_every_grammar_rule() -> None:
    parser = _parser()
    seen: set[str] = set()
    for path in CASES.glob("*.deal"):
        tree = parser.parse(_read(path))
        seen |= {str(t.data) for t in tree.iter_subtrees()}
    assert _rule_names_that_build_trees() - seen == set()


def test_cases_cover_every_ast_node_class() -> None:
    classes = {cls for cls in vars(ast).values()
               if isinstance(cls, type) and issubclass(cls, ast.Node) and cls is not ast.Node}
    seen: set[type] = set()

    def walk(value: object) -> None:
        if isinstance(value, tuple):
            for item in value:
                walk(item)
        elif isinstance(value, ast.Node):
            seen.add(type(value))
            for name in value.__dataclass_fields__:
                walk(getattr(value, name))

    for path in CASES.glob("*.deal"):
        walk(dealcheck.parse(_read(path)))
    assert {c.__name__ for c in classes - seen} == set()


def test_comments_are_collected_in_order() -> None:
    document = dealcheck.parse(_read(CASES / "layout.deal"), "layout.deal")
    got = [(c.span.line, c.span.column, c.own_line, c.text) for c in document.comments]
    assert got == [
        (2, 1, True, "# A comment before the header, after a blank line."),
        (3, 42, False, "# trailing comment on the header"),
        (8, 1, True, "# Comments and blank lines inside blocks do not count as indentation."),
        (10, 5, True, "# an own-line comment inside a clause"),
        (12, 57, False, "# trailing"),
        (18, 2, True, "# a comment at the amendment's level"),
        (23, 3, True, "# expect lines may follow comments"),
    ]


# ---------------------------------------------------------------- docs/language.md

_FENCE = re.compile(r"^```deal\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _doc_blocks() -> list[tuple[int, str]]:
    text = _read(LANGUAGE_DOC)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def test_language_doc_has_deal_blocks() -> None:
    assert len(_doc_blocks()) >= 10


@pytest.mark.parametrize(("line", "block"), _doc_blocks(),
                         ids=[f"line{line}" for line, _ in _doc_blocks()])
def test_language_doc_block_parses_and_resolves(line: int, block: str) -> None:
    file = f"language.md:{line}"
    parsed = parse_with_recovery(block, file)
    assert [(d.code, d.message) for d in parsed.diagnostics] == []
    terms, diagnostics = dealcheck.analyze(block, file, warnings=False)
    assert [(d.code, d.span.line, d.message) for d in diagnostics] == []
    assert terms is not None
    # The examples in the docs state the semantics they describe: they must hold.
    failures = [f"{o.example.title}: {f}" for o in run_examples(terms) for f in o.failures]
    assert failures == []
