"""The nesting limit of terms conditions, checked on the source text before parsing.

Lark's LALR parser is iterative, but the AST is built, resolved, compiled and
evaluated by recursive functions: a condition nested a few hundred levels deep
would exhaust Python's recursion limit. This scan refuses such a file first.
"""

from __future__ import annotations

import re
from itertools import pairwise

from dealcheck import limits
from dealcheck.dsl.diagnostics import Diagnostic, error
from dealcheck.dsl.span import Span

# Strings (closed or not) and comments are skipped whole, so that a `(` or a
# `not` inside them does not count. A `not` nests until its operand ends: at
# `and`, `or`, the `)` closing its group, or the end of the line.
_ITEM_START = re.compile(r"\n(?=[^\s#])")
_TOKEN = re.compile(r'"(?:[^"\\\r\n]|\\.)*"?|#[^\r\n]*|[()\n]|\b(?:not|and|or)\b')


def nesting_problem(text: str, file: str) -> Diagnostic | None:
    """A DC906 diagnostic if a condition nests deeper than `limits.MAX_NESTING`, else None.

    Each `(` and each `not` opens a level: ``not (not (a))`` is four deep.

    >>> nesting_problem("x when (((a)))", "t.deal") is None
    True
    >>> from dealcheck import limits
    >>> with limits.configured(max_nesting=2):
    ...     nesting_problem("x when not (not a)", "t.deal").message
    'condition nested deeper than 2 levels'
    """
    limit = limits.MAX_NESTING.value()
    if text.count("(") + text.count("not") <= limit:
        return None  # INVARIANT: every level needs one of these; most files stop here
    # A group never spans two top-level items (strings and comments end with their
    # line), so each item is bounded on its own and only a suspect one is scanned.
    starts = [0, *(m.end() for m in _ITEM_START.finditer(text)), len(text)]
    for start, end in pairwise(starts):
        if text.count("(", start, end) + text.count("not", start, end) > limit:
            found = _scan(text, file, limit, start, end)
            if found is not None:
                return found
    return None


def _scan(text: str, file: str, limit: int, start: int, end: int) -> Diagnostic | None:
    frames = [0]  # per open group: the `not`s still waiting for their operand to end
    depth = 0  # open groups, plus the waiting `not`s of every frame
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        if token == "(":
            frames.append(0)
            depth += 1
        elif token == "not":
            frames[-1] += 1
            depth += 1
        elif token == ")":
            if len(frames) > 1:  # an unbalanced `)` is the parser's to report
                depth -= frames.pop() + 1
        elif token in ("and", "or") or (token == "\n" and len(frames) == 1):
            # Inside a group a line break is only a space: the operand goes on.
            depth -= frames[-1]
            frames[-1] = 0
        if depth > limit:
            return _too_deep(text, file, match.start(), match.end(), limit)
    return None


def _too_deep(text: str, file: str, start: int, end: int, limit: int) -> Diagnostic:
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = Span(file, start, end, line, column, line, column + end - start)
    return error(limits.MAX_NESTING.code, f"condition nested deeper than {limit} levels", span,
                 "split the condition, or " + limits.over_limit_help(limits.MAX_NESTING))
