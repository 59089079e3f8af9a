"""Comments survive formatting, one test per place a comment can be."""

from __future__ import annotations

from textwrap import dedent
from typing import Any

import pytest

from dealcheck.dsl import ast
from dealcheck.dsl import format as fmt_module
from dealcheck.dsl.format import FormatError, format_document, format_source
from dealcheck.dsl.parse import parse

HEAD = 'agreement "T" effective 2025-01-01\n'


def fmt(body: str) -> str:
    """Format `HEAD + body` and check the result is stable and keeps every comment."""
    text = HEAD + dedent(body)
    out = format_source(text)
    assert format_source(out) == out
    assert [c.text.rstrip() for c in parse(out).comments] == [
        c.text.rstrip() for c in parse(text).comments
    ]
    return out.removeprefix(HEAD)


def test_before_a_top_level_item() -> None:
    assert (
        fmt("""\
        party A
            # about B, oddly indented
        party B
        """)
        == "\nparty A\n# about B, oddly indented\nparty B\n"
    )


def test_before_the_agreement() -> None:
    out = format_source("# licence\n\n# terms of 2025\n" + HEAD)
    assert out == "# licence\n\n# terms of 2025\n" + HEAD


def test_trailing() -> None:
    assert fmt("party A,B      # the parties   \n") == "\nparty A, B  # the parties\n"


def test_trailing_on_a_block_header() -> None:
    assert (
        fmt("""\
        clause c:    # header
            A runs x only on P
        """)
        == "\nclause c:  # header\n  A runs x only on P\n"
    )


def test_inside_a_clause_body() -> None:
    assert fmt("""\
        clause c:
              # before the source
            source "s"  # a source
        # before the rule, at column one
            A runs x only on P  # the rule
        """) == dedent("""
        clause c:
          # before the source
          source "s"  # a source
          # before the rule, at column one
          A runs x only on P  # the rule
        """)


def test_inside_an_amendment() -> None:
    assert fmt("""\
        amendment am effective 2025-02-01:
           # before revoke
           revoke a
           # before a clause
           clause c:
               # before its rule
               A runs x only on P
        """) == dedent("""
        amendment am effective 2025-02-01:
          # before revoke
          revoke a
          # before a clause
          clause c:
            # before its rule
            A runs x only on P
        """)


def test_inside_an_example() -> None:
    assert fmt("""\
        example "e":
            # before the deployment
            deployment d: A runs x on P starting 2025-01-01  # trailing
            # before the expectation
            expect d is compliant
        """) == dedent("""
        example "e":
          # before the deployment
          deployment d: A runs x on P starting 2025-01-01  # trailing
          # before the expectation
          expect d is compliant
        """)


@pytest.mark.parametrize(("indent", "depth"), [(0, 0), (1, 1), (4, 1), (5, 2), (8, 2)])
def test_end_of_a_block_follows_the_indentation(indent: int, depth: int) -> None:
    # After the last line of a nested block, a comment belongs to the deepest
    # block whose header it is indented past: the clause header is at column 5.
    out = fmt(f"""\
        amendment am effective 2025-02-01:
            clause c:
                A runs x only on P
        {" " * indent}# here
        party Z
        """)
    lines = out.splitlines()[1:]
    assert lines[:3] == [
        "amendment am effective 2025-02-01:",
        "  clause c:",
        "    A runs x only on P",
    ]
    if depth:
        assert lines[3:] == ["  " * depth + "# here", "", "party Z"]
    else:
        assert lines[3:] == ["", "# here", "party Z"]


def test_end_of_a_block_keeps_a_blank_line_before_it() -> None:
    assert (
        fmt("""\
        example "e":
            expect compliant

            # more to come
        """)
        == '\nexample "e":\n  expect compliant\n\n  # more to come\n'
    )


def test_end_of_file() -> None:
    assert (
        fmt("""\
        clause c:
            A runs x only on P
        # the end



        # really
        """)
        == "\nclause c:\n  A runs x only on P\n\n# the end\n\n# really\n"
    )


def test_end_of_file_after_a_declaration_without_newline() -> None:
    assert format_source(HEAD + "party A\n# done") == HEAD + "\nparty A\n# done\n"


def test_inside_a_condition_split_over_lines() -> None:
    assert fmt("""\
        clause c:
            A runs x only if (a  # first
                # second
                or b
                )  # third
        """) == dedent("""
        clause c:
          # first
          # second
          A runs x only if (a or b)  # third
        """)


def test_blank_lines_next_to_comments_collapse_to_one() -> None:
    assert fmt("""\
        amendment am effective 2025-02-01:
            revoke a


            # about b


            revoke b
        """) == dedent("""
        amendment am effective 2025-02-01:
          revoke a

          # about b

          revoke b
        """)


def test_hash_in_a_string_is_no_comment() -> None:
    assert fmt('clause c "#1 (a":\n  source "#2)"  # real\n  A runs x only on P\n') == (
        '\nclause c "#1 (a":\n  source "#2)"  # real\n  A runs x only on P\n'
    )


def test_crlf_tabs_and_bom() -> None:
    text = (
        "\ufeff" + HEAD.replace("\n", "\r\n") + "clause c:\r\n\t# tab\r\n\tA runs x only on P\r\n"
    )
    assert format_source(text) == HEAD + "\nclause c:\n  # tab\n  A runs x only on P\n"


def test_comments_without_source_text_use_spans() -> None:
    text = HEAD + "party A  # a\n\n# b\nclause c:\n    A runs x only on P\n    # end of c\n"
    assert format_document(parse(text)) == format_source(text)


def test_a_lost_comment_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a formatter bug that drops a comment: the soundness check catches it.
    render = fmt_module.render

    def lossy(*args: Any) -> str:
        return render(*args).replace("# keep me\n", "")

    monkeypatch.setattr(fmt_module, "render", lossy)
    with pytest.raises(FormatError, match="comments"):
        format_source(HEAD + "party A\n# keep me\nparty B\n")


def test_source_text_that_does_not_match_the_document_is_an_error() -> None:
    doc = parse(HEAD + "party A\nparty B\n")
    with pytest.raises(FormatError, match="logical lines"):
        format_document(doc, source=HEAD + "party A\n")


def test_an_ast_no_text_can_express_is_an_error() -> None:
    # `a and b` nested in `and` without a Group would print as a flat `and`.
    inner = ast.And((ast.Truthy(ast.Name("a")), ast.Truthy(ast.Name("b"))))
    cond = ast.And((inner, ast.Truthy(ast.Name("c"))))
    rule = ast.Restriction(
        ast.Pattern(ast.Selection((ast.Name("A"),)), ast.Selection(None)), ast.OnlyIf(cond)
    )
    doc = ast.Document(
        ast.Agreement("T", ast.DateLit("2025-01-01")),
        (ast.Clause(ast.Name("c"), None, None, None, (), (), rule),),
    )
    with pytest.raises(FormatError, match="meaning"):
        format_document(doc)


def test_a_string_that_cannot_be_written_is_an_error() -> None:
    doc = ast.Document(ast.Agreement("two\nlines", ast.DateLit("2025-01-01")), ())
    with pytest.raises(FormatError, match="does not parse"):
        format_document(doc)
