"""Shared test helpers: a readable AST dump for golden files, and expected diagnostics.

`dump_ast` writes the node class name and its fields, indented, without spans,
so that golden files change only when the parser's output really changes.
`ExpectedDiagnostic` plays the part of cedar's `ExpectedErrorMessageBuilder`:
a test states the code, message, help, position and underlined text, and
`assert_diagnostic` compares them with the diagnostic and with what
`render_text` draws. `run_dealcheck` runs the CLI in this process, for tests
about what it says rather than about the process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dealcheck.cli import main
from dealcheck.dsl.ast import Node
from dealcheck.dsl.diagnostics import Diagnostic, render_text

#: Set to 1 to rewrite golden files from the current output (then review the diff).
UPDATE_ENV = "DEALCHECK_UPDATE_GOLDEN"

#: Nodes whose one-line form is at most this long are written on one line.
_INLINE_WIDTH = 72


# ---------------------------------------------------------------- the CLI in this process


def run_dealcheck(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`dealcheck ARGS` run from `cwd` in this process, its exit code and output reported as
    `subprocess.run(..., capture_output=True, text=True)` would (without a process's start-up)."""
    argv = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    with (contextlib.chdir(cwd), contextlib.redirect_stdout(out),
          contextlib.redirect_stderr(err)):
        code = main(argv)
    return subprocess.CompletedProcess(["dealcheck", *argv], code, out.getvalue(), err.getvalue())


# ---------------------------------------------------------------- AST dump


def _fields(node: object) -> list[tuple[str, object]]:
    # A field marked `dump: when-set` is left out while it holds its default, so
    # that adding an optional part to the language leaves older dumps as they are.
    return [(f.name, getattr(node, f.name)) for f in dataclasses.fields(node)  # type: ignore[arg-type]
            if f.name != "span" and not (f.metadata.get("dump") == "when-set"
                                         and getattr(node, f.name) == f.default)]


def _inline(value: object) -> str | None:
    """The one-line form of a value, or None if it holds a node that needs a block."""
    if value is None or isinstance(value, str | bool | int):
        return repr(value)
    if isinstance(value, tuple):
        parts = [_inline(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "[" + ", ".join(p for p in parts if p is not None) + "]"
    if dataclasses.is_dataclass(value):
        fields = _fields(value)
        parts = [_inline(v) for _, v in fields]
        if any(p is None for p in parts):
            return None
        if len(fields) == 1:
            return f"{type(value).__name__}({parts[0]})"
        inner = ", ".join(f"{name}={p}" for (name, _), p in zip(fields, parts, strict=True))
        return f"{type(value).__name__}({inner})"
    raise TypeError(f"cannot dump {type(value).__name__}")  # pragma: no cover


def _block(value: object, indent: int, out: list[str], lead: str) -> None:
    """Append `value` to `out`; `lead` is what precedes it on its first line."""
    pad = " " * indent
    one_line = _inline(value)
    fits = one_line is not None and len(lead) + len(one_line) <= _INLINE_WIDTH
    if one_line is not None and (fits or not isinstance(value, tuple | Node)):
        out.append(f"{pad}{lead}{one_line}")
        return
    if isinstance(value, tuple):
        out.append(f"{pad}{lead}".rstrip())
        for item in value:
            _block(item, indent + 2, out, "- ")
        return
    out.append(f"{pad}{lead}{type(value).__name__}")
    inner = indent + (4 if lead == "- " else 2)
    for name, v in _fields(value):
        _block(v, inner, out, f"{name}: ")


def dump_ast(node: object) -> str:
    """A stable, readable dump of an AST: class names and fields, indented, no spans.

    Comments of a `Document` are included (they take no part in AST equality,
    but the parser must still collect them).

    >>> from dealcheck.dsl.ast import Name, Truthy
    >>> print(dump_ast(Truthy(Name("consent"))), end="")
    Truthy(Name('consent'))
    """
    out: list[str] = []
    _block(node, 0, out, "")
    return "\n".join(out) + "\n"


def compare_golden(path: Path, actual: str) -> None:
    """Assert that `path` holds `actual`; rewrite it instead when DEALCHECK_UPDATE_GOLDEN=1."""
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden file {path}; run with {UPDATE_ENV}=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs; review, then run with {UPDATE_ENV}=1"


# ---------------------------------------------------------------- expected diagnostics


@dataclass(frozen=True)
class ExpectedRelated:
    line: int
    column: int
    message: str
    underline: str


@dataclass(frozen=True)
class ExpectedDiagnostic:
    """What one diagnostic must be: build it with `ExpectedDiagnostic.builder(code)`."""

    code: str
    message: str
    help: str | None
    line: int
    column: int
    underline: str
    multiline: bool = False
    severity: str = "error"
    related: tuple[ExpectedRelated, ...] = ()

    @staticmethod
    def builder(code: str) -> ExpectedDiagnosticBuilder:
        return ExpectedDiagnosticBuilder(code)

    def rendered(self, file: str, source: str | None) -> str:
        """What `render_text` must draw, built from the expectation alone."""
        out = [f"{file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"]
        if source is not None:
            out += _snippet(source, self.line, self.column, self.underline)
        for rel in self.related:
            out.append(f"  note: {file}:{rel.line}:{rel.column}: {rel.message}")
            if source is not None:
                out += _snippet(source, rel.line, rel.column, rel.underline)
        if self.help is not None:
            out.append(f"  help: {self.help}")
        return "\n".join(out) + "\n"


def _snippet(source: str, line: int, column: int, underline: str) -> list[str]:
    text = source.splitlines()[line - 1]
    gutter = f"{line:>4} | "
    width = max(1, len(underline.split("\n", 1)[0].rstrip("\r")))
    return [gutter + text, " " * (len(gutter) + column - 1) + "^" * width]


@dataclass
class ExpectedDiagnosticBuilder:
    """Fluent builder, after cedar's `ExpectedErrorMessageBuilder`."""

    code: str
    _message: str = ""
    _help: str | None = None
    _line: int = 0
    _column: int = 0
    _underline: str = ""
    _multiline: bool = False
    _severity: str = "error"
    _related: list[ExpectedRelated] = field(default_factory=list)

    def message(self, text: str) -> ExpectedDiagnosticBuilder:
        self._message = text
        return self

    def help(self, text: str | None) -> ExpectedDiagnosticBuilder:
        self._help = text
        return self

    def at(self, line: int, column: int) -> ExpectedDiagnosticBuilder:
        self._line, self._column = line, column
        return self

    def underline(self, text: str, multiline: bool = False) -> ExpectedDiagnosticBuilder:
        """The exact source text under the span ('' for a point).

        With `multiline`, the span starts with `text` and goes on past the line.
        """
        self._underline, self._multiline = text, multiline
        return self

    def warning(self) -> ExpectedDiagnosticBuilder:
        self._severity = "warning"
        return self

    def related(self, line: int, column: int, message: str,
                underline: str) -> ExpectedDiagnosticBuilder:
        self._related.append(ExpectedRelated(line, column, message, underline))
        return self

    def build(self) -> ExpectedDiagnostic:
        assert self._message and self._line, "an expected diagnostic needs a message and a place"
        return ExpectedDiagnostic(self.code, self._message, self._help, self._line,
                                  self._column, self._underline, self._multiline,
                                  self._severity, tuple(self._related))


def assert_diagnostic(actual: Diagnostic, expected: ExpectedDiagnostic, source: str | None,
                      ) -> None:
    """Compare one diagnostic with the expectation, field by field, then as rendered text."""
    span = actual.span
    assert (actual.code, str(actual.severity)) == (expected.code, expected.severity)
    assert actual.message == expected.message
    assert actual.help == expected.help
    assert (span.line, span.column) == (expected.line, expected.column)
    if source is not None:
        under = source[span.start:span.end]
        if expected.multiline:
            assert under.startswith(expected.underline) and "\n" in under, under
        else:
            assert under == expected.underline
    assert [(r.span.line, r.span.column, r.message) for r in actual.related] == [
        (r.line, r.column, r.message) for r in expected.related]
    sources = {} if source is None else {span.file: source}
    assert render_text([actual], sources) == expected.rendered(span.file, source)


def assert_diagnostics(actual: Sequence[Diagnostic], expected: Sequence[ExpectedDiagnostic],
                       source: str | None) -> None:
    """The diagnostics are exactly `expected`, in this order."""
    assert [d.code for d in actual] == [e.code for e in expected], [
        (d.code, d.message) for d in actual]
    for got, want in zip(actual, expected, strict=True):
        assert_diagnostic(got, want, source)


def reference_compiled(terms: object) -> object:
    """`terms` compiled for the reference evaluator alone (nothing generated)."""
    import pytest

    from dealcheck.checker.compile import EVALUATOR_ENV, compile_terms

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(EVALUATOR_ENV, "reference")
        compiled = compile_terms(terms)  # type: ignore[arg-type]
    assert compiled.reference
    return compiled


def grammar_keywords() -> set[str]:
    """Every word the grammar spells out (its string terminals that read as names).

    Read from the parser every test process already holds (`parse._parser`, loaded
    from its cache): building another from the grammar takes a second.
    """
    from dealcheck.dsl.parse import _parser

    return {str(t.pattern.value) for t in _parser().terminals
            if t.pattern.type == "str" and str(t.pattern.value).isidentifier()}


# ---------------------------------------------------------------- JSON Schema


def validate_json(document: object, schema: dict[str, Any]) -> None:
    """`jsonschema.validate(document, schema)`, the schema itself checked once a process
    (checking the report's schema against its draft takes longer than the validation)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(json_validator(schema).iter_errors(document))
    if error is not None:
        raise error


def json_validator(schema: dict[str, Any], formats: bool = False) -> Any:
    """The validator of `schema`'s draft for `schema`, checking formats if `formats`;
    the schema is checked against its draft (`check_schema`) once a process."""
    key = (json.dumps(schema, sort_keys=True), formats)
    if key not in _VALIDATORS:
        import jsonschema

        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATORS[key] = cls(schema, format_checker=cls.FORMAT_CHECKER if formats else None)
    return _VALIDATORS[key]


#: The validators `json_validator` made, by their schema's text and `formats`.
_VALIDATORS: dict[tuple[str, bool], Any] = {}
