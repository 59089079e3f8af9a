"""The one parser of terms files, saved in the user's cache directory and loaded from it."""

from __future__ import annotations

from pathlib import Path

import lark
import pytest
from lark import Lark

from dealcheck.dsl import grammar, parse
from dealcheck.dsl.grammar import cache_directory, cache_file
from dealcheck.dsl.parse import build_parser, parse_with_recovery

ROOT = Path(__file__).resolve().parents[2]
TERMS = sorted([*ROOT.glob("examples/*/terms.deal"),
                *(ROOT / "tests" / "dsl" / "parse_cases").glob("*.deal")])
#: Broken in several ways at once: an unknown word, a bad indent, a glued unit, a look-alike.
BROKEN = """\
agreement "Broken" effective 2020-01-01
party A
clause c:
  A runz x only on B
clause d:
  source "x"
    A runs x only on B
clause e:
  total value of deployments is at most 10USD
clause f:
  A runs x only оn B
"""


def _never_built(self: Lark) -> None:
    raise AssertionError("the parser was built, not loaded from the cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Lark]:
    """A parser built in a new cache directory (a second to build: once for the module's
    tests), and the directory, where it saved itself."""
    directory = tmp_path_factory.mktemp("cache") / "dealcheck"
    return directory, build_parser(directory)


@pytest.fixture
def saved(built: tuple[Path, Lark]) -> Path:
    """A cache directory holding the saved parser, for the tests that load it."""
    return built[0]


def _copy_of(saved: Path, directory: Path) -> None:
    for path in saved.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())


def test_parser_is_saved_then_loaded_and_parses_alike(
        monkeypatch: pytest.MonkeyPatch, built: tuple[Path, Lark]) -> None:
    directory, parser = built
    saved = [p.name for p in directory.iterdir()]
    assert len(saved) == 1 and saved[0].startswith("deal-parser-"), saved
    monkeypatch.setattr(Lark, "_build_parser", _never_built)
    loaded = build_parser(directory)
    assert TERMS
    for path in TERMS:
        text = path.read_text("utf-8")
        assert loaded.parse(text) == parser.parse(text), path.name


def test_loaded_parser_gives_the_same_diagnostics_and_comments(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: Path) -> None:
    expected = parse_with_recovery(BROKEN, "broken.deal").diagnostics
    commented = TERMS[0].read_text("utf-8")
    document = parse.parse(commented)
    assert document.comments
    assert {d.code for d in expected} >= {"DC001", "DC002", "DC004", "DC005"}
    _copy_of(saved, tmp_path)
    monkeypatch.setattr(Lark, "_build_parser", _never_built)
    loaded = build_parser(tmp_path)
    monkeypatch.setattr(parse, "_parser", lambda: loaded)
    assert parse_with_recovery(BROKEN, "broken.deal").diagnostics == expected
    # The comments come from the lexer's callbacks, which the saved parser keeps.
    assert parse.parse(commented).comments == document.comments


@pytest.mark.slow
def test_a_directory_that_cannot_be_made_builds_the_parser_silently(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "home").write_text("a file, not a directory")
    parser = build_parser(tmp_path / "home" / "dealcheck")
    assert parser.parse(TERMS[0].read_text("utf-8")).data == "start"
    assert capfd.readouterr() == ("", "")


def test_a_damaged_cache_file_is_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], saved: Path) -> None:
    _copy_of(saved, tmp_path)
    (saved,) = tmp_path.iterdir()
    saved.write_bytes(b"not a parser\n\x80garbage")
    parser = build_parser(tmp_path)
    assert parser.parse(TERMS[0].read_text("utf-8")).data == "start"
    assert capfd.readouterr() == ("", "")
    monkeypatch.setattr(Lark, "_build_parser", _never_built)
    build_parser(tmp_path)  # the rebuilt parser was saved in its place


def test_the_cache_file_changes_with_the_grammar_and_lark(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"lexer": "contextual", "lexer_callbacks": {"_NL": parse._on_nl}}
    before = cache_file(tmp_path, options)
    assert cache_file(tmp_path, dict(options)) == before
    assert cache_file(tmp_path, {**options, "lexer_callbacks": {"_NL": parse._on_comment}}) \
        != before
    assert cache_file(tmp_path, {**options, "propagate_positions": True}) != before
    monkeypatch.setattr(lark, "__version__", lark.__version__ + ".post1")
    assert cache_file(tmp_path, options) != before
    monkeypatch.undo()
    monkeypatch.setattr(grammar, "grammar_text", lambda: "start: NAME\n")
    assert cache_file(tmp_path, options) != before


def test_the_cache_lives_in_the_users_cache_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_directory() == tmp_path / "dealcheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert cache_directory() == tmp_path / "me" / ".cache" / "dealcheck"


@pytest.mark.slow
def test_a_directory_refusing_writes_builds_the_parser_silently(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """What a read-only directory does for any user but root (see the test above)."""
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(grammar.tempfile, "mkstemp", refuse)
    parser = build_parser(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert parser.parse(TERMS[0].read_text("utf-8")).data == "start"
    assert capfd.readouterr() == ("", "")
