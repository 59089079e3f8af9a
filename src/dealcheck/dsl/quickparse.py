"""A quick parser for valid terms files: the same AST as the Lark parser, several times faster.

`parse._parse_once` tries it first. It reads the grammar of ``deal.lark`` by
recursive descent over a token list made in one regular-expression sweep, and
builds the AST with the very `ToAst` methods the Lark path uses, handing each
the children and the positions Lark would (every token of a rule, keywords
and line breaks included, as ``propagate_positions`` counts them). It decides
nothing about invalid input: at the first surprise — a syntax error, a name
spelled like a keyword, anything it does not expect — it gives up (`Undecided`)
and the Lark parser parses the text and explains the error.

INVARIANT: for any text, `quick_parse` either gives up or returns exactly
what the Lark path returns (AST, spans and comments); the tests compare both
on every terms file of the repository and on generated ones.
"""

from __future__ import annotations

import re
from typing import Any

from dealcheck.dsl.transform import ToAst

#: The keywords of ``deal.lark`` (its alphabetic string literals). A word spelled
#: like one is a keyword here; where the grammar wants a name, the quick parser
#: gives up and lets Lark's contextual lexer decide.
KEYWORDS = frozenset((
    "agreement", "amendment", "and", "any", "as", "at", "bool", "by", "capacity", "clause",
    "date", "deployment", "deployments", "effective", "ending", "example", "expect", "fact",
    "false", "from", "group", "if", "in", "is", "may", "missing", "most", "must", "not",
    "notwithstanding", "number", "of", "off", "on", "one", "only", "operated", "or", "outside",
    "party", "provider", "reaches", "region", "replace", "revoke", "run", "runs", "source",
    "starting", "through", "total", "true", "unit", "value", "when", "with", "workload",
))
VERDICTS = frozenset(("compliant", "violation", "undetermined", "not_covered", "open"))

# The keywords Lark's parser admits where the quick parser reads a name (see `_Parser.name`).
_NONE: frozenset[str] = frozenset()
_ANY = frozenset(("any",))
_GROUP = frozenset(("group",))
_NOT = frozenset(("not",))
_RULE_START = frozenset(("any", "total", "source"))

# The terminals of deal.lark, with their patterns; `ERR` catches anything else.
_TOKENS = re.compile(r"""[\t\ ]*(?:
    (?P<NL>(?:\r?\n[\t\ ]*(?:\#[^\r\n]*)?)+)
  | (?P<COMMENT>\#[^\r\n]*)
  | (?P<DATE>[0-9]{4}-[0-9]{2}-[0-9]{2})
  | (?P<NUMBER>[0-9][0-9_]*(?:\.[0-9]+)?[kMBT]?(?![A-Za-z0-9_]))
  | (?P<WORD>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<STRING>"(?:[^"\\\r\n]|\\["\\])*")
  | (?P<OP><=|>=|!=|=|<|>)
  | (?P<PUNCT>[(),:])
  | (?P<ERR>[\s\S])
)""", re.VERBOSE)
_COMMENT_IN_NL = re.compile(r"#[^\r\n]*")


class Undecided(Exception):
    """The quick parser cannot tell: the Lark parser decides (and explains errors)."""


class Tok(str):
    """A token as `ToAst` reads it (like Lark's `Token`): its text, type and position."""

    type: str
    start_pos: int
    end_pos: int
    line: int
    column: int
    end_line: int
    end_column: int


class _Meta:
    """The positions of a rule, as Lark's ``propagate_positions`` gives them."""

    __slots__ = ("column", "end_column", "end_line", "end_pos", "line", "start_pos")
    empty = False

    def __init__(self, first: tuple[Any, ...], last: tuple[Any, ...]) -> None:
        self.start_pos = first[2]
        self.line = first[4]
        self.column = first[5]
        self.end_pos = last[3]
        self.end_line = last[6]
        self.end_column = last[7]


# A token: (kind, text, start, end, line, column, end line, end column). The kind is
# the keyword itself, NAME, STRING, DATE, NUMBER, OP, a punctuation character, NL,
# INDENT, DEDENT or EOF.
Token = tuple[str, str, int, int, int, int, int, int]


def tokens(source: str) -> tuple[list[Token], list[tuple[int, str]]]:
    """The token list Lark's lexer and `DealIndenter` make of a valid file, and its comments."""
    out: list[Token] = []
    comments: list[tuple[int, str]] = []
    append = out.append
    levels = [0]
    parens = 0
    line = 1
    line_start = 0
    for match in _TOKENS.finditer(source):
        kind = match.lastgroup
        if kind is None:  # blanks at the very end
            continue
        start, end = match.span(kind)
        text = match.group(kind)
        column = start - line_start + 1
        if kind == "NL":
            if "#" in text:
                comments.extend((start + m.start(), m.group())
                                for m in _COMMENT_IN_NL.finditer(text))
            newlines = text.count("\n")
            last = text.rsplit("\n", 1)[1]
            token = ("NL", text, start, end, line, column, line + newlines, len(last) + 1)
            line += newlines
            line_start = end - len(last)
            if parens:
                continue
            append(token)
            indent = len(last.expandtabs(8))
            if indent > levels[-1]:
                levels.append(indent)
                append(("INDENT", last, *token[2:]))
                continue
            while indent < levels[-1]:
                levels.pop()
                append(("DEDENT", last, *token[2:]))
            if indent != levels[-1]:
                raise Undecided
            continue
        if kind == "COMMENT":
            comments.append((start, text))
            continue
        if kind == "WORD":
            kind = text if text in KEYWORDS else "NAME"
        elif kind == "PUNCT":
            kind = text
            if text == "(":
                parens += 1
            elif text == ")":
                parens = max(0, parens - 1)
        elif kind == "ERR":
            raise Undecided
        append((kind, text, start, end, line, column, line, column + end - start))
    if len(levels) > 1:
        raise Undecided  # Lark's closing dedents would carry no position
    append(("EOF", "", len(source), len(source), line, len(source) - line_start + 1,
            line, len(source) - line_start + 1))
    return out, comments


def quick_parse(source: str, file: str) -> tuple[Any, list[tuple[int, str]]]:
    """The document and comments of a valid terms file, as the Lark path builds them.

    Args:
        source: the text, ending with a line break (as `_parse_once` passes it).
        file: the name spans carry.

    Raises:
        Undecided: whenever the text is not plainly valid.
    """
    toks, comments = tokens(source)
    document = _Parser(toks, ToAst(file, source)).start()
    return document, comments


class _Parser:
    """Recursive descent over deal.lark; each method is one rule, named like it."""

    def __init__(self, toks: list[Token], build: ToAst) -> None:
        self.toks = toks
        self.i = 0
        self.ast = build

    # ------------------------------------------------------------ tokens
    def kind(self, ahead: int = 0) -> str:
        return self.toks[self.i + ahead][0]

    def take(self, kind: str) -> Token:
        token = self.toks[self.i]
        if token[0] != kind:
            raise Undecided
        self.i += 1
        return token

    def tok(self, kind: str, as_type: str | None = None) -> Tok:
        token = self.take(kind)
        out = Tok(token[1])
        out.type = as_type or kind
        out.start_pos, out.end_pos, out.line, out.column, out.end_line, out.end_column = token[2:]
        return out

    def name(self, exclude: frozenset[str] = frozenset()) -> Tok:
        """A NAME where Lark's parser state admits no keyword but those in `exclude`.

        There Lark's contextual lexer reads any other word, keyword-like or not
        (``total value of …``), as a NAME.
        """
        kind = self.toks[self.i][0]
        if kind != "NAME" and (kind not in KEYWORDS or kind in exclude):
            raise Undecided
        return self.tok(kind, "NAME")

    def meta(self, first: int) -> _Meta:
        return _Meta(self.toks[first], self.toks[self.i - 1])

    def node(self, rule: str, first: int, children: list[Any]) -> Any:
        """`ToAst`'s method for `rule`, on children already parsed (so the positions are known)."""
        return getattr(self.ast, rule)(self.meta(first), children)

    # ------------------------------------------------------------ top level
    def start(self) -> Any:
        first = self.i
        if self.kind() == "NL":
            self.i += 1
        children = [self.agreement()]
        while self.kind() != "EOF":
            children.append(self.item())
        return self.node("start", first, children)

    def agreement(self) -> Any:
        first = self.i
        self.take("agreement")
        text = self.tok("STRING")
        self.take("effective")
        date = self.tok("DATE")
        self.take("NL")
        return self.node("agreement", first, [text, date])

    def item(self) -> Any:
        kind = self.kind()
        if kind in ("party", "provider", "fact", "unit"):
            return getattr(self, f"{kind}_decl")()
        if kind in ("workload", "region"):
            if self.kind(1) == "group":
                return self.group_decl(kind)
            return self.list_decl(kind)
        if kind == "clause":
            return self.clause()
        if kind == "amendment":
            return self.amendment()
        if kind == "example":
            return self.example()
        raise Undecided

    def names(self, exclude: frozenset[str] = frozenset()) -> Any:
        first = self.i
        found = [self.name(exclude)]
        while self.kind() == ",":
            self.i += 1
            found.append(self.name())
        return self.node("names", first, found)

    # ------------------------------------------------------------ vocabulary
    def party_decl(self) -> Any:
        return self.list_decl("party")

    def list_decl(self, keyword: str) -> Any:
        first = self.i
        self.take(keyword)
        listed = self.names(_GROUP if keyword != "party" else _NONE)
        self.take("NL")
        return self.node(f"{keyword}_decl", first, [listed])

    def group_decl(self, keyword: str) -> Any:
        first = self.i
        self.take(keyword)
        self.take("group")
        ident = self.name()
        self.equals()
        listed = self.names()
        self.take("NL")
        return self.node(f"{keyword}_group_decl", first, [ident, listed])

    def equals(self) -> None:
        if self.toks[self.i][:2] != ("OP", "="):
            raise Undecided
        self.i += 1

    def provider_decl(self) -> Any:
        first = self.i
        self.take("provider")
        ident = self.name()
        self.take("operated")
        self.take("by")
        operator = self.name()
        self.take("NL")
        return self.node("provider_decl", first, [ident, operator])

    def fact_decl(self) -> Any:
        first = self.i
        self.take("fact")
        ident = self.name()
        self.take(":")
        kind = self.fact_type()
        self.take("NL")
        return self.node("fact_decl", first, [ident, kind])

    def fact_type(self) -> Any:
        first = self.i
        kind = self.kind()
        if kind == "bool":
            self.i += 1
            return self.node("bool_type", first, [])
        if kind == "date":
            self.i += 1
            return self.node("date_type", first, [])
        if kind == "one":
            self.i += 1
            self.take("of")
            return self.node("enum_type", first, [self.names()])
        if kind == "number":
            self.i += 1
            unit = self.name() if self.kind() == "NAME" else None
            return self.node("number_type", first, [unit])
        raise Undecided

    def unit_decl(self) -> Any:
        first = self.i
        self.take("unit")
        ident = self.name()
        self.take("NL")
        return self.node("unit_decl", first, [ident])

    # ------------------------------------------------------------ clauses
    def clause(self) -> Any:
        first = self.i
        self.take("clause")
        ident = self.name()
        label = self.tok("STRING") if self.kind() == "STRING" else None
        from_date = self.dated("from", "from_date") if self.kind() == "from" else None
        through = self.dated("through", "through_date") if self.kind() == "through" else None
        notwithstanding = None
        if self.kind() == "notwithstanding":
            start = self.i
            self.i += 1
            notwithstanding = self.node("notwithstanding", start, [self.names()])
        self.take(":")
        self.take("NL")
        self.take("INDENT")
        sources = []
        while self.kind() == "source":
            start = self.i
            self.i += 1
            text = self.tok("STRING")
            self.take("NL")
            sources.append(self.node("source", start, [text]))
        rule = self.rule()
        self.take("DEDENT")
        return self.node("clause", first,
                         [ident, label, from_date, through, notwithstanding, *sources, rule])

    def dated(self, keyword: str, rule: str) -> Any:
        first = self.i
        self.take(keyword)
        date = self.tok("DATE")
        return self.node(rule, first, [date])

    def rule(self) -> Any:
        if self.kind() == "total":
            return self.aggregate()
        first = self.i
        parties = self.selection("party", "some_parties", "any_party", _RULE_START)
        kind = self.kind()
        if kind == "runs":
            self.i += 1
            workloads = self.selection("workload", "some_workloads", "any_workload")
            providers, regions = self.providers(), self.regions()
            restriction = self.restriction_kind()
            when = self.when()
            self.take("NL")
            return self.node("restriction", first, [parties, workloads, providers,
                                                           regions, restriction, when])
        if kind == "must":
            self.i += 1
            self.take("not")
            self.take("run")
            name = "prohibition"
        elif kind == "may":
            self.i += 1
            self.take("run")
            name = "permission"
        else:
            raise Undecided
        workloads = self.selection("workload", "some_workloads", "any_workload")
        providers, regions = self.providers(), self.regions()
        when = self.when()
        self.take("NL")
        return self.node(name, first, [parties, workloads, providers, regions, when])

    def selection(self, word: str, some: str, anything: str,
                  exclude: frozenset[str] = frozenset(("any",))) -> Any:
        first = self.i
        if self.kind() == "any":
            self.i += 1
            self.take(word)
            return self.node(anything, first, [])
        return self.node(some, first, [self.names(exclude)])

    def providers(self) -> Any:
        return self._place("on", "off", "provider", "on_providers", "off_providers")

    def regions(self) -> Any:
        return self._place("in", "outside", "region", "in_regions", "outside_regions")

    def _place(self, keyword: str, negation: str, noun: str, some: str, other: str) -> Any:
        """`on X` / `off X` / `on any provider` (and the same for regions), or None."""
        first = self.i
        kind = self.kind()
        if kind == keyword:
            self.i += 1
            if self.kind() == "any":
                self.i += 1
                self.take(noun)
                return self.node(f"any_{noun}", first, [])
            return self.node(some, first, [self.names(_ANY)])
        if kind == negation:
            self.i += 1
            return self.node(other, first, [self.names()])
        return None

    def restriction_kind(self) -> Any:
        first = self.i
        self.take("only")
        kind = self.kind()
        self.i += 1
        if kind == "on":
            return self.node("only_on", first, [self.names()])
        if kind == "in":
            return self.node("only_in", first, [self.names()])
        if kind == "if":
            return self.node("only_if", first, [self.cond()])
        raise Undecided

    def when(self) -> Any:
        if self.kind() != "when":
            return None
        first = self.i
        self.i += 1
        return self.node("when", first, [self.cond()])

    def aggregate(self) -> Any:
        first = self.i
        self.take("total")
        measure = self.name()
        self.take("of")
        self.take("deployments")
        by = self.listed("by", "by_parties")
        of = self.listed("of", "of_workloads")
        providers, regions = self.providers(), self.regions()
        window = self.window()
        bound = self.bound()
        when = self.when()
        self.take("NL")
        return self.node("aggregate", first, [measure, by, of, providers, regions,
                                                     window, bound, when])

    def listed(self, keyword: str, rule: str) -> Any:
        if self.kind() != keyword:
            return None
        first = self.i
        self.i += 1
        return self.node(rule, first, [self.names()])

    def window(self) -> Any:
        if self.kind() != "starting":
            return None
        first = self.i
        self.i += 1
        if self.kind() == "from":
            self.i += 1
            start = self.tok("DATE")
            through = None
            if self.kind() == "through":
                self.i += 1
                through = self.tok("DATE")
            return self.node("window_from", first, [start, through])
        self.take("through")
        return self.node("window_through", first, [self.tok("DATE")])

    def bound(self) -> Any:
        first = self.i
        if self.kind() == "is":
            self.i += 1
            self.take("at")
            self.take("most")
            return self.node("at_most", first, [self.quantity()])
        self.take("reaches")
        amount = self.quantity()
        deadline = None
        if self.kind() == "by":
            self.i += 1
            deadline = self.tok("DATE")
        return self.node("reaches", first, [amount, deadline])

    def quantity(self) -> Any:
        first = self.i
        number = self.tok("NUMBER")
        unit = self.name() if self.kind() == "NAME" else None
        return self.node("quantity", first, [number, unit])

    # ------------------------------------------------------------ conditions
    def cond(self) -> Any:
        return self.joined("or", "or_cond", self.and_cond)

    def and_cond(self) -> Any:
        return self.joined("and", "and_cond", self.not_cond)

    def joined(self, word: str, rule: str, part: Any) -> Any:
        first = self.i
        items = [part()]
        while self.kind() == word:
            self.i += 1
            items.append(part())
        if len(items) == 1:
            return items[0]
        return self.node(rule, first, items)

    def not_cond(self) -> Any:
        if self.kind() != "not":
            return self.atom()
        first = self.i
        self.i += 1
        return self.node("not_", first, [self.not_cond()])

    def atom(self) -> Any:
        first = self.i
        if self.kind() == "(":
            self.i += 1
            inner = self.cond()
            self.take(")")
            return self.node("group", first, [inner])
        ident = self.name(_NOT)
        kind = self.kind()
        if kind == "OP":
            op = self.tok("OP", "CMP")
            return self.node("compare", first, [ident, op, self.value()])
        if kind == "in":
            self.i += 1
            return self.node("member", first, [ident, self.names()])
        if kind == "not" and self.kind(1) == "in":
            self.i += 2
            return self.node("not_member", first, [ident, self.names()])
        return self.node("truthy", first, [ident])

    def value(self) -> Any:
        first = self.i
        kind = self.kind()
        if kind in ("true", "false"):
            self.i += 1
            return self.node(f"{kind}_value", first, [])
        if kind == "NAME" or kind in KEYWORDS:
            return self.node("name_value", first, [self.name()])
        if kind == "DATE":
            date = self.tok("DATE")
            return self.node("date_value", first, [date])
        if kind == "NUMBER":
            return self.quantity()
        if kind in ("true", "false"):
            self.i += 1
            return self.node(f"{kind}_value", first, [])
        raise Undecided

    # ------------------------------------------------------------ amendments
    def amendment(self) -> Any:
        first = self.i
        self.take("amendment")
        ident = self.name()
        title = self.tok("STRING") if self.kind() == "STRING" else None
        self.take("effective")
        date = self.tok("DATE")
        self.take(":")
        self.take("NL")
        self.take("INDENT")
        items = []
        while self.kind() != "DEDENT":
            kind = self.kind()
            if kind == "revoke":
                start = self.i
                self.i += 1
                listed = self.names()
                self.take("NL")
                items.append(self.node("revoke", start, [listed]))
            elif kind == "clause":
                items.append(self.clause())
            elif kind == "replace":
                start = self.i
                self.i += 1
                items.append(self.node("replace", start, [self.clause()]))
            else:
                raise Undecided
        if not items:
            raise Undecided
        self.take("DEDENT")
        return self.node("amendment", first, [ident, title, date, *items])

    # ------------------------------------------------------------ examples
    def example(self) -> Any:
        first = self.i
        self.take("example")
        title = self.tok("STRING")
        as_of = None
        if self.kind() == "as":
            start = self.i
            self.i += 1
            self.take("of")
            date = self.tok("DATE")
            as_of = self.node("as_of", start, [date])
        self.take(":")
        self.take("NL")
        self.take("INDENT")
        items = []
        while self.kind() != "DEDENT":
            kind = self.kind()
            if kind == "deployment":
                items.append(self.deployment())
            elif kind == "expect":
                items.append(self.expectation())
            else:
                raise Undecided
        if not items:
            raise Undecided
        self.take("DEDENT")
        return self.node("example", first, [title, as_of, *items])

    def deployment(self) -> Any:
        first = self.i
        self.take("deployment")
        ident = self.name() if self.kind() == "NAME" or self.kind() in KEYWORDS else None
        self.take(":")
        party = self.name()
        self.take("runs")
        workload = self.name()
        self.take("on")
        provider = self.name()
        region = None
        if self.kind() == "in":
            self.i += 1
            region = self.name()
        self.take("starting")
        start = self.tok("DATE")
        end = None
        if self.kind() == "ending":
            self.i += 1
            end = self.tok("DATE")
        capacity = self.measured("capacity", "capacity")
        amount = self.measured("value", "amount")
        facts = None
        if self.kind() == "with":
            begin = self.i
            self.i += 1
            found = [self.fact_value()]
            while self.kind() == ",":
                self.i += 1
                found.append(self.fact_value())
            facts = self.node("with_facts", begin, found)
        self.take("NL")
        return self.node("deployment", first, [ident, party, workload, provider, region,
                                                      start, end, capacity, amount, facts])

    def measured(self, keyword: str, rule: str) -> Any:
        if self.kind() != keyword:
            return None
        first = self.i
        self.i += 1
        return self.node(rule, first, [self.quantity()])

    def fact_value(self) -> Any:
        first = self.i
        ident = self.name()
        self.equals()
        return self.node("fact_value", first, [ident, self.value()])

    def expectation(self) -> Any:
        first = self.i
        self.take("expect")
        subject = None
        kind = self.kind()
        if (kind == "NAME" or kind in KEYWORDS) and self.toks[self.i][1] not in VERDICTS:
            start = self.i
            ident = self.name()
            self.take("is")
            subject = self.node("subject", start, [ident])
        if self.kind() != "NAME" or self.toks[self.i][1] not in VERDICTS:
            raise Undecided
        verdict = self.tok("NAME", "VERDICT")
        clauses = self.listed("of", "of_clauses")
        missing = self.listed("missing", "missing")
        self.take("NL")
        return self.node("expectation", first, [subject, verdict, clauses, missing])
