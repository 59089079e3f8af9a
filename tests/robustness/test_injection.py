"""Reports and diagnostics cannot be turned against their reader.

Markdown: an id, a path or a message cannot close its code span and add live
links, remote images, HTML or headings to a pull-request comment. Terminal:
no input text reaches standard output or error with its control characters
(OSC 52 clipboard writes, OSC 8 links, OSC 0 titles, clear-screen, colours,
bidirectional overrides): they are shown escaped. Terms strings holding them
are refused (DC006).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from robustness_helpers import EXAMPLE_TERMS, ROOT, run_cli

import dealcheck
from dealcheck.checker.results import Report, SourceRef
from dealcheck.report.markdown import render_markdown
from dealcheck.report.text import render_text

REPORT_SAMPLES = ROOT / "tests" / "report"

#: The payload of the issue: a live link, a remote image, the end of the collapsed
#: section and a fake all-clear heading, behind backticks that close a code span.
MARKDOWN_PAYLOAD = ("d1`` [click me](http://evil.example/) ![x](http://evil.example/t.png) "
                    "</details> <img src=x onerror=alert(1)> **bold** "
                    "``\n\n## All deployments compliant\n")

#: Terminal sequences: clipboard write, hyperlink, window title, clear screen, colour,
#: a C1 control sequence introducer, and a right-to-left override.
TERMINAL_PAYLOADS = {
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc0": "\x1b]0;pwned\x07",
    "clear": "\x1b[2J\x1b[H",
    "colour": "\x1b[31mred\x1b[0m",
    "c1": "\x9b31m",
    "bidi": "\u202etxt.exe",
}
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _raw_controls(text: str) -> list[str]:
    return [c for c in RAW if c in text]


# ---------------------------------------------------------------- markdown


def _tokens(markdown: str) -> Iterator[Token]:
    parser = MarkdownIt("commonmark").enable("table")
    stack = list(reversed(parser.parse(markdown)))
    while stack:
        token = stack.pop()
        yield token
        stack.extend(reversed(token.children or []))


def _assert_inert(markdown: str) -> None:
    """Only the renderer's own structure is live: no link, image, injected HTML or heading."""
    tokens = list(_tokens(markdown))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "em_open", "s_open"}, kinds
    assert [t.type for t in tokens].count("strong_open") == 1  # the headline's counts
    html = [t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")]
    allowed = {"<br>", "<sub>", "</sub>", "<details>", "</details>"}
    assert all(h in allowed or h.startswith("<details>\n<summary>") for h in html), html
    assert sum(h.endswith("</details>") for h in html) <= 1
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert all(h.startswith(("dealcheck: ", "Deployments", "Aggregates")) for h in headings)
    assert markdown.count("\n## ") == 0  # one level-2 heading, the first line
    assert not _raw_controls(markdown)


def _sample_report() -> Report:
    import sys

    sys.path.insert(0, str(REPORT_SAMPLES))
    from report_samples import build_report

    report: Report = build_report()
    return report


def test_markdown_payload_in_every_input_text_stays_literal() -> None:
    report = _sample_report()
    bad, undetermined, compliant = report.deployments[0], report.deployments[1], \
        report.deployments[2]
    finding = dataclasses.replace(bad.findings[0], clause=MARKDOWN_PAYLOAD,
                                  message=f"`{MARKDOWN_PAYLOAD}` is bad: {MARKDOWN_PAYLOAD}",
                                  fix=MARKDOWN_PAYLOAD)
    report.deployments[0] = dataclasses.replace(bad, id=MARKDOWN_PAYLOAD, findings=(finding,))
    report.deployments[1] = dataclasses.replace(undetermined, id="`" + MARKDOWN_PAYLOAD)
    report.deployments[2] = dataclasses.replace(compliant, id=MARKDOWN_PAYLOAD + "`")
    report.terms = SourceRef("terms``[x](http://evil.example/)``.deal", "0" * 64)
    report.scenarios = (SourceRef("a` </details> ![i](http://e.example/i.png) `.yaml",
                                  "0" * 64),)
    report.aggregates[0] = dataclasses.replace(report.aggregates[0], clause=MARKDOWN_PAYLOAD,
                                               message=MARKDOWN_PAYLOAD)
    markdown = render_markdown(report)
    _assert_inert(markdown)
    code = [t.content for t in _tokens(markdown) if t.type == "code_inline"]
    # The id is still there to read, whole, in one code span.
    assert any("[click me](http://evil.example/)" in c and c.startswith("d1``") for c in code)
    assert "terms``[x](http://evil.example/)``.deal" in code


def test_markdown_of_a_real_check_with_a_hostile_id_and_path(tmp_path: Path) -> None:
    ident = MARKDOWN_PAYLOAD.replace("\n", " ")
    scenario = tmp_path / "plan`` [x](https:evil.example) ``.json"
    scenario.write_text(json.dumps({"deployments": [
        {"id": ident, "party": "OpenAI", "workload": "training", "provider": "AWS",
         "start": "2025-06-01"},
        {"id": ident + "-ok", "party": "OpenAI", "workload": "training", "provider": "Azure",
         "start": "2025-06-01"}]}))
    run = run_cli("check", str(EXAMPLE_TERMS), str(scenario), "--format", "markdown")
    assert run.code in (0, 1), run.stderr
    _assert_inert(run.stdout)
    assert ident in [t.content for t in _tokens(run.stdout) if t.type == "code_inline"]


# ---------------------------------------------------------------- terminal


@pytest.mark.parametrize("name", sorted(TERMINAL_PAYLOADS))
def test_an_id_with_terminal_codes_is_refused_and_shown_escaped(tmp_path: Path,
                                                                name: str) -> None:
    payload = TERMINAL_PAYLOADS[name]
    scenario = tmp_path / "plan.json"
    scenario.write_text(json.dumps({"deployments": [
        {"id": "d" + payload, "party": "OpenAI", "workload": "api", "provider": "Azure",
         "start": "2025-06-01"}]}, ensure_ascii=False))
    run = run_cli("check", str(EXAMPLE_TERMS), str(scenario))
    assert run.code == 2
    # The excerpt under the error shows the line of the file: escaped, not played.
    assert not _raw_controls(run.stderr), run.stderr
    assert "\\x1b" in run.stderr or "\\x9b" in run.stderr or "\\u202e" in run.stderr


@pytest.mark.parametrize("name", sorted(TERMINAL_PAYLOADS))
def test_file_names_with_terminal_codes_are_escaped(tmp_path: Path, name: str) -> None:
    payload = TERMINAL_PAYLOADS[name].replace("/", "_")
    good = tmp_path / f"plan{payload}.json"
    good.write_text(json.dumps({"deployments": [
        {"id": "d1", "party": "OpenAI", "workload": "api", "provider": "AWS",
         "start": "2025-06-01"}]}))
    terms = tmp_path / f"terms{payload}.deal"
    terms.write_text(EXAMPLE_TERMS.read_text())
    run = run_cli("check", str(terms), str(good))
    assert run.code == 1
    assert "scenarios:" in run.stdout and "terms:" in run.stdout
    assert not _raw_controls(run.stdout + run.stderr)
    bad = tmp_path / f"bad{payload}.json"
    bad.write_text('{"deployments": [{"id": "d1"}]}')
    run = run_cli("check", str(terms), str(bad))
    assert run.code == 2 and "error[" in run.stderr
    assert not _raw_controls(run.stdout + run.stderr)


def test_text_report_escapes_every_input_text() -> None:
    report = _sample_report()
    payload = "".join(TERMINAL_PAYLOADS.values())
    bad = report.deployments[0]
    finding = dataclasses.replace(bad.findings[0], clause="c" + payload, message=payload,
                                  fix=payload, missing_facts=(payload,),
                                  overridden_by=(payload,))
    report.deployments[0] = dataclasses.replace(bad, id=payload, findings=(finding,))
    report.aggregates[0] = dataclasses.replace(report.aggregates[0], clause=payload,
                                               message=payload, missing_quantity=(payload,))
    report.terms = SourceRef("t" + payload, "0" * 64)
    report.scenarios = (SourceRef("s" + payload, "0" * 64),)
    plain = render_text(report)
    assert not _raw_controls(plain)
    assert "\\x1b]52;c;" in plain and "\\u202etxt.exe" in plain
    coloured = render_text(report, color=True)
    # Colour comes only from the renderer's own styles, never from the input.
    assert "\x1b]" not in coloured and "\x9b" not in coloured and "\u202e" not in coloured


def test_explain_escapes_what_it_prints(tmp_path: Path) -> None:
    terms = tmp_path / "terms.deal"
    # A zero-width space is allowed in a title (it is not a control), and shown escaped.
    terms.write_text(EXAMPLE_TERMS.read_text().replace('agreement "', 'agreement "\u200b', 1))
    scenario = ROOT / "examples" / "microsoft-openai" / "deals.yaml"
    run = run_cli("explain", str(terms), str(scenario), "--id", "azure-supercomputers")
    assert run.code == 0, run.stderr
    assert '"\\u200b' in run.stdout and "\u200b" not in run.stdout
    run = run_cli("explain", str(terms), str(scenario), "--id", "x" + TERMINAL_PAYLOADS["osc52"])
    assert run.code == 2
    assert not _raw_controls(run.stderr) and "\\x1b]52" in run.stderr


# ---------------------------------------------------------------- terms strings (DC006)


TERMS_HEAD = """agreement "T" effective 2025-01-01
party Acme
provider Sky operated by Acme
workload api

clause c1 "L":
  source "S"
  Acme runs api only on Sky
"""


@pytest.mark.parametrize(("where", "kind"), [
    ('"T"', "the agreement's title"), ('"L"', "a clause label"), ('"S"', "a `source` text")])
@pytest.mark.parametrize(("char", "what"), [
    ("\x1b", "a control character `\\x1b`"),
    ("\u202e", "a bidirectional text control `\\u202e`"),
    ("\u2066", "a bidirectional text control `\\u2066`"),
    ("\x9b", "a control character `\\x9b`"),
])
def test_terms_strings_refuse_controls_and_bidi(where: str, kind: str, char: str,
                                                what: str) -> None:
    text = TERMS_HEAD.replace(where, where[0] + "ok" + char + "]0;x" + where[1:])
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.loads(text, "t.deal")
    [d] = caught.value.diagnostics
    assert (d.code, d.message) == ("DC006", f"{kind} holds {what}")
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1] == char
    rendered = caught.value.diagnostics and run_lint(text)
    assert not _raw_controls(rendered)


def run_lint(text: str) -> str:
    from dealcheck.dsl.diagnostics import render_text as render_diagnostics

    _, found = dealcheck.analyze(text, "t.deal")
    return render_diagnostics(found, {"t.deal": text})


def test_terms_strings_accept_tabs_and_joiners_and_comments_anything() -> None:
    text = TERMS_HEAD.replace('"S"', '"a\tb\u200dc"') + "# \x1b[2J in a comment\n"
    terms = dealcheck.loads(text)
    assert terms.title == "T"


def test_usage_errors_escape_the_file_name(tmp_path: Path) -> None:
    directory = tmp_path / ("dir" + TERMINAL_PAYLOADS["osc0"] + ".json")
    directory.mkdir()
    run = run_cli("check", str(EXAMPLE_TERMS), str(directory))
    assert run.code == 2 and "is a directory" in run.stderr
    assert not _raw_controls(run.stderr) and "\\x1b]0;pwned\\x07" in run.stderr


def test_fmt_check_shows_a_comment_escaped_and_keeps_tabs(tmp_path: Path) -> None:
    terms = tmp_path / "t.deal"
    terms.write_text('agreement "T" effective 2025-01-01\n'
                     "party   Acme # \x1b]0;pwned\x07 and\ta tab\n")
    run = run_cli("fmt", "--check", str(terms))
    assert run.code == 1
    assert not _raw_controls(run.stdout + run.stderr)
    assert "+party Acme  # \\x1b]0;pwned\\x07 and\ta tab" in run.stdout


def test_json_diagnostics_escape_invisible_characters_and_keep_the_data(tmp_path: Path) -> None:
    bad = tmp_path / "plan\u202e\x9b.json"
    bad.write_text('{"deployments": [{"id": "d1"}]}')
    run = run_cli("check", str(EXAMPLE_TERMS), str(bad), "--error-format", "json")
    assert run.code == 2
    assert not _raw_controls(run.stdout)
    assert "\\u202e\\u009b" in run.stdout
    assert {d["file"] for d in run.diagnostics()} == {str(bad)}
