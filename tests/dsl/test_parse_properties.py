"""Property tests from the grammar itself: `hypothesis.extra.lark.from_lark` over deal.lark.

`from_lark` draws a string for each terminal and concatenates them, so three
things need help, through its `explicit` argument:

- the grammar's `%declare _INDENT _DEDENT` come from our postlexer, which
  `from_lark` cannot run: they are drawn as two marker characters, and
  `lay_out` then turns the markers into real indentation (like hypothesmith
  does for Python's INDENT/DEDENT tokens);
- tokens are not separated: every terminal is drawn padded with spaces, so
  that ``party`` and ``A`` do not fuse into the name ``partyA``;
- a NAME must not be a keyword: the contextual lexer reads a keyword as a
  name only where the keyword cannot occur, so names come from a safe pool.

Comments are generated where the grammar allows them (in end-of-line tokens
and inside parentheses), never as `%ignore`d COMMENTs drawn mid-line, which
would swallow the rest of the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from dealcheck.dsl import ast
from dealcheck.dsl.escape import BIDI_CONTROLS, UNFIT_CATEGORIES
from dealcheck.dsl.format import format_document
from dealcheck.dsl.parse import _parser, grammar_text, parse
from hypothesis_profiles import examples

INDENT_MARK = "\x0e"
DEDENT_MARK = "\x0f"
#: Identifiers that are no keyword of the language.
NAMES = ("a", "b2", "OpenAI", "Azure", "api_x", "_p", "US", "x_1", "MW", "USD")
VERDICTS = ("compliant", "violation", "undetermined", "not_covered", "open")
OPERATORS = ("<=", ">=", "!=", "=", "<", ">")


# Plain strategies for the regex terminals: `from_regex` would do, but is slower
# to draw from, and these tests are meant to stay fast.
DATES = st.builds(
    "{:04d}-{:02d}-{:02d}".format,
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
)
NUMBERS = st.builds(
    lambda whole, fraction, multiplier: whole + fraction + multiplier,
    st.sampled_from(["0", "7", "12", "250", "1_000", "4608", "007"]),
    st.sampled_from(["", ".5", ".25", ".0"]),
    st.sampled_from(["", "k", "M", "B", "T"]),
)
#: Any text a string may hold, quoted as the grammar's STRING (escaping `"` and `\`);
#: no controls or bidirectional characters, which a terms file refuses (DC006).
STRINGS = st.text(
    st.characters(codec="utf-8",
                  exclude_characters="".join(BIDI_CONTROLS) + INDENT_MARK + DEDENT_MARK,
                  exclude_categories=UNFIT_CATEGORIES),
    max_size=8,
).map(lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def padded(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(lambda text: f" {text} ")


@cache
def grammar() -> Lark:
    return Lark(grammar_text(), parser="lalr")


def explicit() -> dict[str, st.SearchStrategy[str]]:
    strategies: dict[str, st.SearchStrategy[str]] = {}
    for terminal in grammar().terminals:
        pattern = terminal.pattern
        if pattern.type == "str":
            strategies[terminal.name] = st.just(f" {pattern.value} ")
    strategies.update(
        {
            "NAME": padded(st.sampled_from(NAMES)),
            "DATE": padded(DATES),
            "NUMBER": padded(NUMBERS),
            "STRING": padded(STRINGS),
            "VERDICT": padded(st.sampled_from(VERDICTS)),
            "CMP": padded(st.sampled_from(OPERATORS)),
            "COMMENT": st.just(""),
            # A condition may run over several lines inside parentheses, with comments.
            "LPAR": st.sampled_from([" ( ", " (\n ", " (  # inside\n ", " (\n# own line\n "]),
        }
    )
    return strategies


def end_of_line() -> st.SearchStrategy[str]:
    # Own-line comments keep the indentation drawn here (see `lay_out`), so they
    # land at every column: inside a block, at its end, or outside it.
    comment_lines = st.lists(
        st.sampled_from(["# c", "  # c", "    # c", "\t# c", "        # c", "", "  "]),
        min_size=1,
        max_size=3,
    ).map(lambda lines: "\n" + "\n".join(lines) + "\n")
    return st.one_of(st.just("\n"), st.just("  # trailing\n"), comment_lines)


def from_rule(start: str) -> st.SearchStrategy[str]:
    """Strings for one rule of the grammar, with markers for the indentation tokens,
    built when first drawn (not when the tests are collected: the grammar takes
    seconds to compile, in every worker)."""
    return st.deferred(lambda: _from_rule(start))


def _from_rule(start: str) -> st.SearchStrategy[str]:
    """`explicit` may only name terminals that `start` reaches (Lark drops the
    others when it compiles the grammar for that start)."""
    terminals, rules, ignored = grammar().grammar.compile([start], ())
    reachable = {t.name for t in terminals} | set(ignored)
    reachable |= {s.name for rule in rules for s in rule.expansion if s.is_term}
    strategies = explicit()
    strategies.update(
        {"_NL": end_of_line(), "_INDENT": st.just(INDENT_MARK), "_DEDENT": st.just(DEDENT_MARK)}
    )
    return from_lark(
        grammar(),
        start=start,
        explicit={name: s for name, s in strategies.items() if name in reachable},
    )


WIDTHS = st.sampled_from([1, 2, 4])


def documents() -> st.SearchStrategy[str]:
    """Whole files, from the grammar's start rule."""
    return st.builds(lay_out, from_rule("start"), WIDTHS)


def block_documents() -> st.SearchStrategy[str]:
    """Files of clauses, amendments and examples, which whole files draw too rarely."""
    blocks = st.lists(
        st.one_of(from_rule("clause"), from_rule("amendment"), from_rule("example")),
        min_size=1,
        max_size=2,
    )
    return st.builds(
        lambda items, width: lay_out(
            'agreement "t" effective 2025-01-01\n' + "".join(items), width
        ),
        blocks,
        WIDTHS,
    )


def lay_out(raw: str, width: int) -> str:
    """Turn indentation markers at line starts into `width` spaces a level.

    Markers only ever follow an end of line (in the grammar `_INDENT` and
    `_DEDENT` come right after `_NL`), so they are always at a line start.
    """
    depth = 0
    lines = []
    for physical in raw.split("\n"):
        rest = physical.lstrip(" \t")
        if rest.startswith("#"):
            lines.append(physical)  # an own-line comment keeps its drawn indentation
            continue
        while rest[:1] in (INDENT_MARK, DEDENT_MARK):
            depth += 1 if rest[0] == INDENT_MARK else -1
            rest = rest[1:].lstrip(" \t")
        assert INDENT_MARK not in rest and DEDENT_MARK not in rest
        lines.append(" " * (width * depth) + rest if rest else "")
    return "\n".join(lines)


@settings(max_examples=examples(200), deadline=None)
@given(DATES, NUMBERS, STRINGS)
def test_terminal_strategies_match_the_grammar(date: str, number: str, string: str) -> None:
    for name, text in (("DATE", date), ("NUMBER", number), ("STRING", string)):
        # The terms' own parser (loaded from its cache): `grammar()` takes a second to build.
        pattern = _parser().get_terminal(name).pattern
        assert re.fullmatch(pattern.to_regexp(), text), (name, text)


def test_lay_out_indents_blocks() -> None:
    raw = f"clause c:\n{INDENT_MARK} a runs b only on c\n{DEDENT_MARK}party a\n"
    assert lay_out(raw, 4) == "clause c:\n    a runs b only on c\nparty a\n"


def texts(comments: Iterable[ast.Comment]) -> list[str]:
    return [c.text.rstrip() for c in comments]


def check_round_trip(text: str) -> str:
    """Format `text`: same AST, same comments, and formatting again changes nothing."""
    doc = parse(text)
    formatted = format_document(doc, source=text)
    again = parse(formatted)
    assert again == doc
    assert texts(again.comments) == texts(doc.comments)
    assert format_document(again, source=formatted) == formatted
    return formatted


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(documents())
def test_grammar_documents_round_trip(text: str) -> None:
    check_round_trip(text)


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(block_documents())
def test_grammar_blocks_round_trip(text: str) -> None:
    check_round_trip(text)


def conditions() -> st.SearchStrategy[str]:
    # The condition sub-grammar alone: `start="cond"` keeps only the rules and
    # terminals `cond` reaches, so no indentation token is involved. The
    # longest draws (thousands of characters) add time, not coverage.
    return from_rule("cond").filter(lambda cond: len(cond) <= 400)


@pytest.mark.slow
@settings(max_examples=examples(200), deadline=None)
@given(conditions())
def test_grammar_conditions_round_trip(cond: str) -> None:
    text = (
        f'agreement "t" effective 2025-01-01\n'
        f"clause c:\n  OpenAI runs api only if {cond}  # after\n"
    )
    formatted = check_round_trip(text)
    # One line, single spaces, the trailing comment kept at its end, whatever
    # the line breaks, spaces and comments drawn inside the condition.
    rule = formatted.splitlines()[-1]
    assert re.fullmatch(r"  OpenAI runs api only if \S( ?\S)*  # after", rule), rule
