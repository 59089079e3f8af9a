"""Source text → typed AST, with syntax errors translated into our own diagnostics.

Lark is the one parser of terms files: the grammar (``deal.lark``) is LALR(1)
with Lark's contextual lexer, its tables built once and kept in the user's
cache directory (`dealcheck.dsl.grammar`). Indentation is turned into
`_INDENT`/`_DEDENT` tokens by `DealIndenter`. Comments are collected while
lexing so that the formatter can keep them.

Recovery: a syntax error blanks the top-level item it occurs in (keeping
every offset) and parsing starts again, so one file reports every broken
item at once rather than only the first.
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.lark import PostLex

from dealcheck._speed import paused_gc
from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, did_you_mean, error
from dealcheck.dsl.escape import quote, unprintable
from dealcheck.dsl.grammar import cache_directory, lalr_parser
from dealcheck.dsl.grammar import grammar_text as grammar_text  # for callers of parse
from dealcheck.dsl.nesting import nesting_problem
from dealcheck.dsl.span import Span
from dealcheck.dsl.transform import ToAst, code_end

#: At most this many syntax errors are reported per file before giving up.
MAX_SYNTAX_ERRORS = 50

_TOP_LEVEL_START = re.compile(r"^[^\s#]", re.MULTILINE)
_COMMENT_IN_NL = re.compile(r"#[^\r\n]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLUED_UNIT = re.compile(r"(?P<num>[0-9][0-9_]*(?:\.[0-9]+)?)(?P<unit>[A-Za-z_][A-Za-z0-9_]*)")
_CLAUSE_ID = re.compile(r"\bclause\s+([A-Za-z_][A-Za-z0-9_]*)")


class IndentationError_(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__("unindent does not match any outer indentation level")
        self.token = token


class DealIndenter(PostLex):
    """Turns `_NL` tokens into `_INDENT` / `_DEDENT`; comment lines never count."""

    # NAME is always lexable so that a keyword never matches the prefix of a
    # longer word (`onn` must be one unexpected name, not `on` then `n`).
    always_accept = ("_NL", "NAME")

    def __init__(self) -> None:
        self.levels = [0]
        self.parens = 0

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        self.levels = [0]
        self.parens = 0
        for token in stream:
            if token.type == "_NL":
                if self.parens:
                    continue
                yield token
                yield from self._indentation(token)
                continue
            if token.type == "LPAR":
                self.parens += 1
            elif token.type == "RPAR":
                self.parens = max(0, self.parens - 1)
            yield token
        while len(self.levels) > 1:
            self.levels.pop()
            yield Token("_DEDENT", "")

    def _indentation(self, token: Token) -> Iterator[Token]:
        last = str(token).rsplit("\n", 1)[1]
        indent = len(last.expandtabs(8))
        if indent > self.levels[-1]:
            self.levels.append(indent)
            yield Token.new_borrow_pos("_INDENT", last, token)
            return
        while indent < self.levels[-1]:
            self.levels.pop()
            yield Token.new_borrow_pos("_DEDENT", last, token)
        if indent != self.levels[-1]:
            raise IndentationError_(token)


_sink = threading.local()


def _on_nl(token: Token) -> Token:
    sink: list[tuple[int, str]] | None = getattr(_sink, "comments", None)
    if sink is not None and "#" in token:
        base = token.start_pos or 0
        for m in _COMMENT_IN_NL.finditer(str(token)):
            sink.append((base + m.start(), m.group()))
    return token


def _on_comment(token: Token) -> Token:
    sink: list[tuple[int, str]] | None = getattr(_sink, "comments", None)
    if sink is not None:
        sink.append((token.start_pos or 0, str(token)))
    return token


@cache
def _parser() -> Lark:
    """The one parser of terms files: built once a process, from the user's cache if there."""
    return build_parser(cache_directory())


def build_parser(directory: Path | None) -> Lark:
    """The parser of terms files, saved in (and loaded from) `directory` unless it is None."""
    return lalr_parser(
        directory,
        lexer="contextual",
        postlex=DealIndenter(),
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"_NL": _on_nl, "COMMENT": _on_comment},
    )


@dataclass(slots=True)
class ParseResult:
    """The AST (None if nothing could be parsed), diagnostics, and the names of broken items."""

    document: ast.Document | None
    diagnostics: list[Diagnostic]
    broken_names: frozenset[str] = field(default_factory=frozenset)


def parse(text: str, file: str = "<terms>") -> ast.Document:
    """Parse a terms file; raises `DiagnosticsError` on any syntax error.

    Args:
        text: the source of a ``.deal`` file.
        file: the name used in spans and diagnostics.

    Returns:
        The typed AST.
    """
    result = parse_with_recovery(text, file)
    if result.diagnostics or result.document is None:
        raise DiagnosticsError(result.diagnostics, {file: text})
    return result.document




def parse_with_recovery(text: str, file: str = "<terms>") -> ParseResult:
    """Parse, reporting every broken top-level item rather than only the first."""
    text = text[1:] if text.startswith("\ufeff") else text
    with paused_gc():
        result = _parse_with_recovery(text, file)
    result.diagnostics.extend(unfit_strings(text, file))
    return result


#: A string or a comment: a `"` inside a comment starts no string.
_STRING_OR_COMMENT = re.compile(r'#[^\r\n]*|"(?:[^"\\\r\n]|\\["\\])*"')
#: Any character `unprintable` refuses except the tab: most files have none at all.
_UNFIT_CHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
    "\u2066-\u2069\u2028\u2029\ud800-\udfff]")
#: What a string is, by the first word of its line.
_STRING_KINDS = {
    "agreement": "the agreement's title", "amendment": "an amendment's title",
    "clause": "a clause label", "replace": "a clause label", "source": "a `source` text",
    "example": "an example's title",
}


def unfit_strings(text: str, file: str) -> list[Diagnostic]:
    """DC006 for each string of a terms file holding a character unfit to print.

    Titles, labels and `source` texts are printed in reports and by `explain`
    and `test`: a control character (ESC starts terminal commands), a
    bidirectional control, or a line separator in one is refused, wherever the
    string is (see `dealcheck.dsl.escape.unprintable`). Tabs and other
    invisible characters are allowed; they are printed escaped. Comments are
    never printed and may hold anything.
    """
    if _UNFIT_CHARACTER.search(text) is None:
        return []
    found: list[Diagnostic] = []
    for match in _STRING_OR_COMMENT.finditer(text):
        body = match.group()
        if not body.startswith('"') or body.isprintable():
            continue
        what = unprintable(body.replace("\t", " "))
        if what is None:
            continue
        at = match.start() + next(i for i, c in enumerate(body) if unprintable(c) and c != "\t")
        line_start = text.rfind("\n", 0, match.start()) + 1
        words = text[line_start:match.start()].split(maxsplit=1)
        kind = _STRING_KINDS.get(words[0] if words else "", "a string")
        found.append(error(
            "DC006", f"{kind} holds {what}", _span_at(text, file, at, at + 1),
            "remove the character: strings are printed in reports and on terminals"))
        if len(found) >= MAX_SYNTAX_ERRORS:
            break
    return found


def _parse_with_recovery(text: str, file: str) -> ParseResult:
    text = text[1:] if text.startswith("\ufeff") else text
    if (too_deep := nesting_problem(text, file)) is not None:
        return ParseResult(None, [too_deep])
    work = text
    diagnostics: list[Diagnostic] = []
    broken: set[str] = set()
    blanked: set[int] = set()
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            document = _parse_once(work, file)
        except _SyntaxProblem as problem:
            diagnostics.append(problem.diagnostic)
            start, end = _enclosing_item(work, problem.anchor)
            header = _first_item(work)
            if start in blanked or (start <= header and not _starts_with_agreement(work)):
                # Nothing left to blank that would help: stop at what we have.
                return ParseResult(None, diagnostics, frozenset(broken))
            if start <= header:
                # The agreement header is broken: every item after it would be found
                # unexpected without it, so nothing more is said.
                return ParseResult(None, diagnostics, frozenset(broken))
            blanked.add(start)
            chunk = work[start:end]
            broken.update(_IDENT.findall(chunk.split("\n", 1)[0]))
            broken.update(_CLAUSE_ID.findall(chunk))
            work = work[:start] + _blank(work[start:end]) + work[end:]
            continue
        if diagnostics:
            return ParseResult(document, diagnostics, frozenset(broken))
        return ParseResult(document, [], frozenset())
    return ParseResult(None, diagnostics, frozenset(broken))


_NOT_A_LINE_BREAK = re.compile(r"[^\r\n]+")


def _blank(chunk: str) -> str:
    """`chunk` with everything but its line breaks turned into spaces, every offset kept."""
    return _NOT_A_LINE_BREAK.sub(lambda m: " " * len(m.group()), chunk)


def _first_item(text: str) -> int:
    """Where the first top-level item starts, after blank and comment lines (the text's end
    if there is none)."""
    found = _TOP_LEVEL_START.search(text)
    return len(text) if found is None else found.start()


def _starts_with_agreement(text: str) -> bool:
    """Whether the first top-level item is the agreement header."""
    return text.startswith("agreement", _first_item(text))


def _enclosing_item(text: str, offset: int) -> tuple[int, int]:
    """The top-level item around `offset`: from its first column-0 line to the next one."""
    start = 0
    end = len(text)
    for m in _TOP_LEVEL_START.finditer(text):
        if m.start() <= offset:
            start = m.start()
        else:
            end = m.start()
            break
    header = _first_item(text)
    if start == header and _starts_with_agreement(text):
        # The agreement header is a single line; never blank the items after it.
        line_end = text.find("\n", header)
        if line_end != -1 and offset > line_end:
            start = line_end + 1
    return start, end


class _SyntaxProblem(Exception):
    def __init__(self, diagnostic: Diagnostic, anchor: int | None = None) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        #: An offset inside the broken item (the diagnostic may point past its end).
        self.anchor = diagnostic.span.start if anchor is None else anchor


def _parse_once(text: str, file: str) -> ast.Document:
    source = text if text.endswith("\n") else text + "\n"
    comments: list[tuple[int, str]] = []
    _sink.comments = comments
    try:
        tree = _parser().parse(source)
    except IndentationError_ as exc:
        raise _SyntaxProblem(_indentation_diagnostic(exc, text, file)) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        diagnostic = _translate(exc, text, file)
        anchor = diagnostic.span.start
        if token is not None and token.type == "_DEDENT" and token.start_pos is not None:
            anchor = min(anchor, token.start_pos)
        raise _SyntaxProblem(diagnostic, anchor) from None
    except LarkError as exc:  # pragma: no cover - defensive: never show Lark's text
        raise _SyntaxProblem(error("DC001", "cannot parse this file",
                                   Span.point(file, 1, 1), str(type(exc).__name__))) from None
    finally:
        _sink.comments = None
    return _with_comments(ToAst(file, source).transform(tree), text, file, comments)


def _with_comments(document: ast.Document, text: str, file: str,
                   comments: list[tuple[int, str]]) -> ast.Document:
    return ast.Document(
        document.agreement, document.items,
        tuple(_comment(text, file, pos, body) for pos, body in sorted(comments)),
        span=document.span,
    )


def _comment(text: str, file: str, pos: int, body: str) -> ast.Comment:
    line_start = text.rfind("\n", 0, pos) + 1
    line = text.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    own_line = text[line_start:pos].strip() == ""
    span = Span(file, pos, pos + len(body), line, column, line, column + len(body))
    return ast.Comment(body, own_line, span=span)


# ---------------------------------------------------------------- error translation

_TERMINAL_WORDS: dict[str, str] = {
    "NAME": "a name",
    "DATE": "a date (`YYYY-MM-DD`)",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "CMP": "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
    "TIME_UNIT": "a unit of time (`days`, `weeks`, `months`, `years`, `business days`)",
    "SIGN": "`+` or `-`",
    "VERDICT": "a verdict (`compliant`, `violation`, `undetermined`, `not_covered`, `open`)",
    "CLAUSE_STATE": "a clause state (`compliant`, `violated`, `open`)",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "end of file",
}


def _expected_words(expected: set[str] | frozenset[str]) -> list[str]:
    words: set[str] = set()
    for name in expected:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = _parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            words.add(f"`{pattern.value}`")
        else:
            words.add(name.lower())
    return sorted(words, key=lambda w: (not w.startswith("`"), w))


def _keywords(expected: set[str] | frozenset[str]) -> list[str]:
    out: list[str] = []
    for name in expected:
        try:
            pattern = _parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isalpha():
            out.append(pattern.value)
    if "VERDICT" in expected:
        out.extend(["compliant", "violation", "undetermined", "not_covered", "open"])
    if "CLAUSE_STATE" in expected:
        out.extend(["compliant", "violated", "open"])
    return out


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _span_at(text: str, file: str, start: int, end: int) -> Span:
    line, col = _line_col(text, start)
    end = max(end, start)
    end_line, end_col = _line_col(text, end)
    return Span(file, start, end, line, col, end_line, end_col)


def _expected_list(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    if len(words) <= 8:
        return "one of: " + ", ".join(words)
    return "one of: " + ", ".join(words[:8]) + ", …"


def _translate(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, text, file)
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(exc, text, file)
    if isinstance(exc, UnexpectedEOF):
        end = len(text.rstrip())
        span = _span_at(text, file, end, end)
        words = _expected_words(set(exc.expected))
        return error("DC001", "unexpected end of file", span,
                     f"expected {_expected_list(words)}" if words else None)
    pos = getattr(exc, "pos_in_stream", 0) or 0  # pragma: no cover
    return error("DC001", "syntax error", _span_at(text, file, pos, pos + 1))  # pragma: no cover


def _unexpected_character(exc: UnexpectedCharacters, text: str, file: str) -> Diagnostic:
    pos: int = exc.pos_in_stream or 0
    ch = text[pos] if pos < len(text) else ""
    span = _span_at(text, file, pos, pos + 1)
    words = _expected_words(_acceptable(exc, set(exc.allowed or ())))
    expected = f"expected {_expected_list(words)}" if words else None
    if ch == '"':
        end = text.find("\n", pos)
        span = _span_at(text, file, pos, len(text) if end == -1 else end)
        return error("DC003", "unterminated string", span,
                     'close the string with `"` on the same line')
    if ch and not ch.isascii():
        return _confusable(text, file, pos)
    glued = _GLUED_UNIT.match(text, pos)
    if glued:
        return error("DC002", f"malformed quantity {quote(glued.group())}",
                     _span_at(text, file, pos, glued.end()),
                     f"put a space between the number and its unit, e.g. "
                     f"{quote(glued['num'] + ' ' + glued['unit'])}")
    return error("DC002", f"unexpected character {quote(ch)}", span, expected)


def _acceptable(exc: UnexpectedInput, fallback: set[str]) -> set[str]:
    """The terminals that would let the parser move on from where it stopped.

    LALR merges look-ahead sets, so the state's table lists tokens that only
    some contexts accept; like Lark's `InteractiveParser.accepts`, each
    candidate is fed to a copy of the parser state to keep the real ones.
    """
    state: Any = getattr(exc, "state", None)
    try:
        table = state.parse_conf.parse_table.states[state.position]
        conf = copy.copy(state.parse_conf)
    except (AttributeError, KeyError, TypeError):
        return fallback
    conf.callbacks = {}
    accepted: set[str] = set()
    for name in table:
        if not name.isupper() and not name.startswith("_") and name != "$END":
            continue
        trial = type(state)(conf, state.lexer, list(state.state_stack),
                            list(state.value_stack))
        try:
            trial.feed_token(Token(name, ""), name == "$END")
        except (UnexpectedToken, AssertionError, KeyError):
            continue
        accepted.add(name)
    return accepted or fallback


def _confusable(text: str, file: str, pos: int) -> Diagnostic:
    ch = text[pos]
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    look = _CONFUSABLES.get(ch, folded)
    hint = f"it looks like `{look}`: " if look.strip() else ""
    return error("DC004", f"unexpected character {quote(ch)} ({name.lower()})",
                 _span_at(text, file, pos, pos + 1),
                 f"{hint}names and keywords use ASCII letters, digits and `_` only")


def _unexpected_token(exc: UnexpectedToken, text: str, file: str) -> Diagnostic:
    tok: Token = exc.token
    expected = _acceptable(exc, set(exc.expected))
    words = _expected_words(expected)
    expected_text = f"expected {_expected_list(words)}" if words else None
    if tok.type == "$END":
        end = len(text.rstrip())
        return error("DC001", "unexpected end of file", _span_at(text, file, end, end),
                     expected_text)
    start = tok.start_pos or 0
    after = tok.end_pos or start
    if after < len(text) and not text[after].isascii() and not text[after].isspace():
        return _confusable(text, file, after)
    if tok.type == "_NL":
        # Point just past the last token of the line, not at a trailing comment.
        end_of_code = code_end(text, text.rfind("\n", 0, start) + 1, start)
        return error("DC001", "unexpected end of line", _span_at(text, file, end_of_code,
                                                                 end_of_code), expected_text)
    if tok.type == "_INDENT":
        line_start = start + 1 if text[start:start + 1] == "\n" else start
        return error("DC005", "unexpected indentation",
                     _span_at(text, file, line_start, line_start + len(str(tok))),
                     "only the body of a `clause`, `amendment` or `example` is indented")
    if tok.type == "_DEDENT":
        # The block ends where the next line of code starts (blank and comment lines skipped).
        pos = min(tok.end_pos if tok.end_pos is not None else len(text), len(text))
        if not str(tok) and tok.end_pos is None:
            pos = len(text.rstrip())
        return error("DC001", "unexpected end of block", _span_at(text, file, pos, pos),
                     expected_text)
    span = _span_at(text, file, start, tok.end_pos or start + len(str(tok)))
    value = str(tok)
    help_text = _misplaced_word_help(text, start, value, words) or expected_text
    if help_text == expected_text and (tok.type == "NAME" or value.isalpha()):
        close = did_you_mean(value, _keywords(expected))
        if close and close != value:
            help_text = f"did you mean `{close}`?"
            if expected_text:
                help_text += f" ({expected_text})"
    return error("DC001", f"unexpected {quote(value)}", span, help_text)


_HEADER_DATE = re.compile(r"(?:through|from)\s+([0-9]{4}-[0-9]{2}-[0-9]{2})\b")
_CLAUSE_HEADER = re.compile(r"^[ \t]*(?:replace[ \t]+)?clause[ \t]+[A-Za-z_]\w*[^\n#]*:",
                            re.MULTILINE)


def _misplaced_word_help(text: str, start: int, value: str, words: list[str]) -> str | None:
    """Help for two words written where they read naturally but the grammar has no place.

    `is at least` on a total: a minimum is a commitment, `reaches`. `through`
    or `from` after a rule: a clause's own dates belong in its header.
    """
    if (value == "least" and words == ["`most`"]) or (
            words == ["a percentage"] and re.search(r"\bleast[ \t]*$", text[:start])):
        # `is at least` takes only a percentage (a share); a quantity makes a commitment.
        return "a total with a minimum is a commitment: write `reaches` instead of `is at least`"
    if value not in ("through", "from") or "end of line" not in words:
        return None
    date = _HEADER_DATE.match(text, start)
    item_start, _ = _enclosing_item(text, start)
    headers = list(_CLAUSE_HEADER.finditer(text, item_start, start))
    if date is None or not headers:
        return None
    header = headers[-1].group().strip()
    body = header[:-1].rstrip()
    if re.search(rf"\b{value}\b", body):
        return None
    before = re.search(r"\s(through|notwithstanding)\b" if value == "from"
                       else r"\snotwithstanding\b", body)
    at = before.start() if before else len(body)
    fixed = f"{body[:at]} {value} {date[1]}{body[at:]}:"
    return f"a clause's own dates go in its header: move it there, `{fixed}`"


def _indentation_diagnostic(exc: IndentationError_, text: str, file: str) -> Diagnostic:
    start = (exc.token.start_pos or 0)
    last_nl = str(exc.token).rfind("\n")
    line_start = start + last_nl + 1
    width = len(str(exc.token)) - last_nl - 1
    return error("DC005", "unindent does not match any outer indentation level",
                 _span_at(text, file, line_start, line_start + max(width, 1)),
                 "indent the line like the lines of the block it belongs to")


#: Common look-alikes of ASCII letters seen in pasted contract text.
_CONFUSABLES: dict[str, str] = {
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
    "\u0443": "y", "\u0445": "x", "\u0456": "i", "\u0410": "A", "\u0415": "E",
    "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0391": "A", "\u0392": "B",
    "\u0395": "E", "\u039f": "O", "\u03bf": "o", "\u2013": "-", "\u2014": "-",
    "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ",
}
