"""One test per diagnostic code: the exact message, help, position and rendered caret.

Each test feeds a minimal terms file to `dealcheck.analyze` (or reads a file,
for the DC9xx input errors) and compares every diagnostic with an
`ExpectedDiagnostic`: code, message, help, line and column, the text under
the span, and the lines `render_text` draws.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, render_text
from dealcheck.rules import lint, resolve
from dealcheck.scenario.world import parse_fact_options
from helpers import ExpectedDiagnostic, assert_diagnostic, assert_diagnostics, run_dealcheck

E = ExpectedDiagnostic.builder
FILE = "t.deal"

#: Eight lines of vocabulary: the body of a test starts on line 9.
HEADER = """\
agreement "Demo" effective 2025-01-01
party Acme, Zed
provider Azure operated by Acme
provider AWS operated by Zed
workload api, training
region US, EU
region group west = US, EU
fact consent: bool
"""

SYNTAX_CODES = ("DC001", "DC002", "DC003", "DC004", "DC005", "DC006")
INPUT_CODES = ("DC901", "DC902", "DC903", "DC904", "DC910", "DC950", "DC951", "DC955")
ALL_CODES = (*SYNTAX_CODES, *resolve.CODES, *lint.CODES, *INPUT_CODES)


def analyze(body: str, *, header: bool = True, warnings: bool = False,
            ) -> tuple[str, list[Diagnostic]]:
    text = HEADER + body if header else body
    _, diagnostics = dealcheck.analyze(text, FILE, warnings=warnings)
    return text, diagnostics


def check(body: str, *expected: ExpectedDiagnostic, header: bool = True,
          warnings: bool = False) -> None:
    """`body` (after HEADER) gives exactly the `expected` diagnostics, in order."""
    text, diagnostics = analyze(body, header=header, warnings=warnings)
    assert_diagnostics(diagnostics, expected, text)


def rendered(body: str) -> str:
    text, diagnostics = analyze(body)
    return render_text(diagnostics, {FILE: text})


# ================================================================ syntax: DC001–DC005


def test_dc001_unexpected_word_suggests_the_keyword() -> None:
    check("clause c1:\n  Acme runs api only onn Azure\n",
          E("DC001").message("unexpected `onn`")
          .help("did you mean `on`? (expected one of: `if`, `in`, `on`)")
          .at(10, 22).underline("onn").build())


def test_dc001_rendered_caret_is_under_the_word() -> None:
    assert rendered("clause c1:\n  Acme runs api only onn Azure\n") == (
        "t.deal:10:22: error[DC001]: unexpected `onn`\n"
        "  10 |   Acme runs api only onn Azure\n"
        "                            ^^^\n"
        "  help: did you mean `on`? (expected one of: `if`, `in`, `on`)\n"
    )


def test_dc001_unexpected_end_of_line_points_past_the_last_word() -> None:
    check("clause c1:\n  Acme runs api only on\n",
          E("DC001").message("unexpected end of line").help("expected a name")
          .at(10, 24).underline("").build())


def test_dc001_unexpected_end_of_line_before_a_trailing_comment() -> None:
    check("clause c1:\n  Acme runs api only on   # no provider\n",
          E("DC001").message("unexpected end of line").help("expected a name")
          .at(10, 24).underline("").build())


def test_dc001_unexpected_end_of_file() -> None:
    check("clause c1:\n",
          E("DC001").message("unexpected end of file").help("expected an indented block")
          .at(9, 11).underline("").build())


def test_dc001_empty_file_expects_the_agreement_header() -> None:
    _, diagnostics = analyze("", header=False)
    [d] = diagnostics
    assert (d.code, d.message, d.help) == ("DC001", "unexpected end of file",
                                           "expected `agreement`")
    assert (d.span.line, d.span.column) == (1, 1)


@pytest.mark.parametrize("lead", ["", "# The terms.\n# From public statements.\n\n"])
def test_dc001_a_broken_agreement_header_is_the_one_error(lead: str) -> None:
    # Without the header every item after it is unexpected: only the header is reported,
    # whether comments come before it or not.
    text = lead + HEADER.replace("effective", "efective")
    _, diagnostics = dealcheck.analyze(text, FILE, warnings=False)
    line = lead.count("\n") + 1
    assert_diagnostics(diagnostics, [
        E("DC001").message("unexpected `efective`")
        .help("did you mean `effective`? (expected `effective`)")
        .at(line, 18).underline("efective").build()], text)


@pytest.mark.parametrize("lead", ["", "# The terms.\n\n"])
def test_dc001_each_broken_item_after_the_header_is_reported(lead: str) -> None:
    body = ("clause c1:\n  Acme runs api only onn Azure\n"
            "clause c2:\n  Zed runs training only on AWS\n"
            "clause c3:\n  Acme runs training only in Mars Azure\n")
    text = lead + HEADER + body
    _, diagnostics = dealcheck.analyze(text, FILE, warnings=False)
    shift = lead.count("\n")
    assert [(d.code, d.span.line) for d in diagnostics] == [
        ("DC001", 10 + shift), ("DC001", 14 + shift)]


def test_dc001_unexpected_end_of_block() -> None:
    check('clause c1:\n  source "a quote but no rule"\nparty Other\n',
          E("DC001").message("unexpected end of block")
          .help("expected one of: `any`, `number`, `source`, `total`, a name")
          .at(11, 1).underline("").build())


def test_dc001_end_of_block_skips_blank_and_comment_lines() -> None:
    check('clause c1:\n  source "a quote but no rule"\n\n# next\nparty Other\n',
          E("DC001").message("unexpected end of block")
          .help("expected one of: `any`, `number`, `source`, `total`, a name")
          .at(13, 1).underline("").build())


def test_dc002_unexpected_character() -> None:
    check("clause c1:\n  Acme runs api only on Azure @\n",
          E("DC002").message("unexpected character `@`")
          .help("expected one of: `,`, `when`, end of line")
          .at(10, 31).underline("@").build())


def test_dc003_unterminated_string() -> None:
    check('clause c1 "2.1:\n  Acme runs api only on Azure\n',
          E("DC003").message("unterminated string")
          .help('close the string with `"` on the same line')
          .at(9, 11).underline('"2.1:').build())


def test_dc003_unterminated_string_at_end_of_file() -> None:
    check('clause c1 "2.1',
          E("DC003").message("unterminated string")
          .help('close the string with `"` on the same line')
          .at(9, 11).underline('"2.1').build())


def test_dc004_cyrillic_letter_in_a_keyword() -> None:
    # `clаuse` with U+0430 CYRILLIC SMALL LETTER A, pasted from a contract.
    check("cl\u0430use c1:\n  Acme runs api only on Azure\n",
          E("DC004").message("unexpected character `\u0430` (cyrillic small letter a)")
          .help("it looks like `a`: names and keywords use ASCII letters, digits and `_` only")
          .at(9, 3).underline("\u0430").build())


def test_dc004_cyrillic_letter_inside_a_name() -> None:
    check("clause c1:\n  Acme runs api only on Azur\u0435\n",
          E("DC004").message("unexpected character `\u0435` (cyrillic small letter ie)")
          .help("it looks like `e`: names and keywords use ASCII letters, digits and `_` only")
          .at(10, 29).underline("\u0435").build())


def test_dc004_typographic_quote() -> None:
    check("clause c1 \u201c2.1\u201d:\n  Acme runs api only on Azure\n",
          E("DC004").message("unexpected character `\u201c` (left double quotation mark)")
          .help('it looks like `"`: names and keywords use ASCII letters, digits and `_` only')
          .at(9, 11).underline("\u201c").build())


def test_dc004_en_dash_in_a_date() -> None:
    check("clause c1 from 2025\u201303\u201301:\n  Acme runs api only on Azure\n",
          E("DC004").message("unexpected character `\u2013` (en dash)")
          .help("it looks like `-`: names and keywords use ASCII letters, digits and `_` only")
          .at(9, 20).underline("\u2013").build())


def test_dc005_unexpected_indentation() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n   Acme runs api only on Azure\n",
          E("DC005").message("unexpected indentation")
          .help("only the body of a `clause`, `amendment` or `example` is indented")
          .at(11, 1).underline("   ").build())


def test_dc005_indented_declaration() -> None:
    check("  party Other\n",
          E("DC005").message("unexpected indentation")
          .help("only the body of a `clause`, `amendment` or `example` is indented")
          .at(9, 1).underline("  ").build())


def test_dc005_unindent_to_no_outer_level() -> None:
    check("clause c1:\n    Acme runs api only on Azure\n  Acme runs api only on Azure\n",
          E("DC005").message("unindent does not match any outer indentation level")
          .help("indent the line like the lines of the block it belongs to")
          .at(11, 1).underline("  ").build())


def test_dc006_control_character_in_a_string() -> None:
    # Not `check`: its expected excerpt is the raw line, and this one is shown escaped.
    text, [d] = analyze('clause c1 "2.1\x1b[2J":\n  Acme runs api only on Azure\n')
    want = (E("DC006").message("a clause label holds a control character `\\x1b`")
            .help("remove the character: strings are printed in reports and on terminals")
            .at(9, 15).underline("\x1b").build())
    assert (d.code, d.message, d.help) == (want.code, want.message, want.help)
    assert (d.span.line, d.span.column, text[d.span.start:d.span.end]) == (
        want.line, want.column, want.underline)
    assert render_text([d], {FILE: text}).splitlines()[1:3] == [
        '   9 | clause c1 "2.1\\x1b[2J":', " " * 21 + "^" * 4]


def test_tabs_indent_a_block() -> None:
    _, diagnostics = analyze("clause c1:\n\tAcme runs api only if consent\n")
    assert diagnostics == []


def test_syntax_errors_in_three_items_are_all_reported() -> None:
    check("clause c1:\n  Acme runs api only onn Azure\n"
          "clause c2:\n  Acme must nott run api\n"
          "party B C\n",
          E("DC001").message("unexpected `onn`")
          .help("did you mean `on`? (expected one of: `if`, `in`, `on`)")
          .at(10, 22).underline("onn").build(),
          E("DC001").message("unexpected `nott`").help("did you mean `not`? (expected `not`)")
          .at(12, 13).underline("nott").build(),
          E("DC001").message("unexpected `C`").help("expected one of: `,`, end of line")
          .at(13, 9).underline("C").build())


def test_broken_declaration_does_not_cascade_into_unknown_names() -> None:
    # `g` is declared on a line with a syntax error: no "unknown workload `g`" follows.
    check("workload group g = api,\nclause c1:\n  Acme runs g only on Azure\n",
          E("DC001").message("unexpected end of line").help("expected a name")
          .at(9, 24).underline("").build())


def test_broken_amendment_does_not_cascade_into_unknown_clauses() -> None:
    check("amendment a1 effective 2025-02-01:\n  clause c1:\n    Acme runs api only onn Azure\n"
          "amendment a2 effective 2025-03-01:\n  revoke c1\n",
          E("DC001").message("unexpected `onn`")
          .help("did you mean `on`? (expected one of: `if`, `in`, `on`)")
          .at(11, 24).underline("onn").build())


# ================================================================ resolution: DC101–DC118


def test_dc101_misspelt_provider_did_you_mean() -> None:
    check("clause c1:\n  Acme runs api only on Azur\n",
          E("DC101").message("unknown provider `Azur`").help("did you mean `Azure`?")
          .at(10, 25).underline("Azur").build())


def test_dc101_unknown_fact_in_a_condition() -> None:
    check("clause c1:\n  Acme runs api only if consnt\n",
          E("DC101").message("unknown fact or field `consnt`").help("did you mean `consent`?")
          .at(10, 25).underline("consnt").build())


def test_dc101_unknown_party_without_suggestion() -> None:
    check("clause c1:\n  Initech runs api only on Azure\n",
          E("DC101").message("unknown party `Initech`")
          .help("declare it first, e.g. `party Initech`")
          .at(10, 3).underline("Initech").build())


def test_dc101_revoke_of_an_unknown_clause() -> None:
    check("amendment a1 effective 2025-02-01:\n  revoke c9\n",
          E("DC101").message("unknown clause `c9`").help("only an existing clause can be revoked")
          .at(10, 10).underline("c9").build())


def test_dc101_unknown_provider_hint_is_a_valid_declaration() -> None:
    check("clause c1:\n  Acme runs api only on Oracle\n",
          E("DC101").message("unknown provider `Oracle`")
          .help("declare it first, e.g. `provider Oracle operated by Acme`")
          .at(10, 25).underline("Oracle").build())


def test_dc101_unknown_fact_hint_is_a_valid_declaration() -> None:
    check("example \"x\":\n  deployment d: Acme runs api on Azure starting 2025-02-01\n"
          "  expect compliant missing nofact\n",
          E("DC101").message("unknown fact `nofact`")
          .help("declare it first, e.g. `fact nofact: bool`")
          .at(11, 28).underline("nofact").build())


def test_dc101_transposed_letters_did_you_mean() -> None:
    check("clause c1:\n  Acme runs api only on Azuer\n",
          E("DC101").message("unknown provider `Azuer`").help("did you mean `Azure`?")
          .at(10, 25).underline("Azuer").build())


def test_region_group_may_name_a_group_declared_below() -> None:
    check("region group g = h\nregion group h = US\nclause c1:\n  Acme runs api only in g\n")


def test_dc102_party_declared_twice() -> None:
    check("party Acme\n",
          E("DC102").message("party `Acme` is declared twice")
          .help("remove one of the declarations")
          .at(9, 7).underline("Acme")
          .related(2, 7, "first declared here", "Acme").build())


def test_dc102_fact_named_like_a_deployment_field() -> None:
    check("fact start: date\n",
          E("DC102").message("fact `start` has the name of a deployment field")
          .help("choose another name: conditions read the field `start` by that name")
          .at(9, 6).underline("start").build())


def test_dc103_clause_defined_twice() -> None:
    check("clause c1:\n  Acme runs api only on Azure\nclause c1:\n  Acme runs api only on AWS\n",
          E("DC103").message("clause `c1` is defined twice")
          .help("give each clause its own id; to change a clause, use `replace clause c1` in "
                "an amendment")
          .at(11, 8).underline("c1")
          .related(9, 8, "first defined here", "c1").build())


def test_dc104_invalid_day_of_month() -> None:
    check("clause c1 from 2025-02-30:\n  Acme runs api only on Azure\n",
          E("DC104").message("invalid date `2025-02-30`: February 2025 has 28 days")
          .help("check the day and month").at(9, 16).underline("2025-02-30").build())


def test_dc104_invalid_month() -> None:
    check("clause c1 from 2025-13-01:\n  Acme runs api only on Azure\n",
          E("DC104").message("invalid date `2025-13-01`: there is no month 13")
          .help("check the day and month").at(9, 16).underline("2025-13-01").build())


def test_dc104_leap_day_of_a_common_year_in_the_header() -> None:
    check('agreement "x" effective 2025-02-29\nparty A\n',
          E("DC104").message("invalid date `2025-02-29`: February 2025 has 28 days")
          .help("check the day and month").at(1, 25).underline("2025-02-29").build(),
          header=False)


def test_dc104_leap_day_of_a_leap_year_is_valid() -> None:
    _, diagnostics = analyze("clause c1 from 2028-02-29:\n  Acme runs api only if consent\n")
    assert diagnostics == []


def test_dc105_clause_through_before_from() -> None:
    check("clause c1 from 2025-03-01 through 2025-02-01:\n  Acme runs api only on Azure\n",
          E("DC105").message("clause `c1` ends before it starts")
          .help("`through` must be on or after 2025-03-01")
          .at(9, 35).underline("2025-02-01").build())


def test_dc105_clause_through_before_the_agreement() -> None:
    check("clause c1 through 2024-12-31:\n  Acme runs api only on Azure\n",
          E("DC105").message("clause `c1` ends before it starts")
          .help("`through` must be on or after 2025-01-01")
          .at(9, 19).underline("2024-12-31").build())


def test_dc105_aggregate_window_through_before_from() -> None:
    check("clause c1:\n  total value of deployments starting from 2025-05-01 through 2025-04-01 "
          "reaches 10 USD\n",
          E("DC105").message("the window ends before it starts")
          .help("`through` must be on or after 2025-05-01")
          .at(10, 63).underline("2025-04-01").build())


def test_dc105_example_deployment_ends_before_it_starts() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS starting 2025-05-01 ending '
          "2025-04-01\n  expect compliant\n",
          E("DC105").message("the deployment ends before it starts")
          .help("use a date on or after 2025-05-01")
          .at(10, 65).underline("2025-04-01").build())


def test_dc106_unit_mismatch_gw_for_value() -> None:
    check("clause c1:\n  total value of deployments reaches 10 GW\n",
          E("DC106").message("`value` is money, but `10 GW` is power").help("write it in `USD`")
          .at(10, 41).underline("GW").build())


def test_dc106_plain_number_for_value() -> None:
    check("clause c1:\n  total value of deployments reaches 10\n",
          E("DC106").message("`value` is money, but `10` is a plain number")
          .help("write it in `USD`").at(10, 38).underline("10").build())


def test_dc106_capacity_compared_with_money() -> None:
    check("clause c1:\n  Acme runs api only if capacity >= 5 USD\n",
          E("DC106").message("`capacity` is power or a count, but `5 USD` is money")
          .help("write it in `W`, `kW`, `MW`, `GW`, `GPU`, `GPUs`")
          .at(10, 39).underline("USD").build())


def test_declared_unit_is_its_own_dimension() -> None:
    check("unit TPU\nfact pods: number TPU\nclause c1:\n  Acme runs api only if pods >= 4 GW\n",
          E("DC106").message("`pods` is a number of `TPU`, but `4 GW` is power")
          .help("write it in `TPU`").at(12, 35).underline("GW").build())


def test_dc150_unit_of_an_unknown_dimension() -> None:
    check("unit CHF: mony\n",
          E("DC150").message("unknown dimension `mony` for unit `CHF`")
          .help("did you mean `money`?").at(9, 11).underline("mony").build())


def test_dc150_unit_of_a_dimension_that_cannot_be_declared() -> None:
    check("unit kWh: energy\n",
          E("DC150").message("unknown dimension `energy` for unit `kWh`")
          .help("a unit is `unit kWh: money` or `unit kWh: count`, "
                "or a dimension of its own: `unit kWh`")
          .at(9, 11).underline("energy").build())


def test_dc151_fact_in_euros_compared_with_dollars() -> None:
    check("unit EUR: money\nfact price: number EUR\nclause c1:\n"
          "  Acme runs api only if price <= 5 USD\n",
          E("DC151").message("`price` is in EUR, but `5 USD` is in USD")
          .help("write it in `EUR`: amounts in different units are never converted")
          .at(12, 36).underline("USD").build())


def test_dc151_fact_in_dollars_compared_with_euros() -> None:
    check("unit EUR: money\nfact price: number USD\nclause c1:\n"
          "  Acme runs api only if price <= 5 EUR\n",
          E("DC151").message("`price` is in USD, but `5 EUR` is in EUR")
          .help("write it in `USD`: amounts in different units are never converted")
          .at(12, 36).underline("EUR").build())


def test_dc106_count_unit_as_a_limit_on_money() -> None:
    check("unit TPU: count\nclause c1:\n  total value of deployments is at most 5 TPU\n",
          E("DC106").message("`value` is money, but `5 TPU` is a count")
          .help("write it in `USD`").at(11, 43).underline("TPU").build())


def test_dc106_currency_as_a_capacity() -> None:
    check("unit EUR: money\nclause c1:\n  Acme runs api only if capacity >= 5 EUR\n",
          E("DC106").message("`capacity` is power or a count, but `5 EUR` is money")
          .help("write it in `W`, `kW`, `MW`, `GW`, `GPU`, `GPUs`")
          .at(11, 39).underline("EUR").build())


def test_declared_currency_and_count_where_money_and_capacity_go() -> None:
    _, diagnostics = analyze(
        "unit EUR: money\nunit TPU: count\nclause c1:\n"
        "  Acme runs api only if value <= 2M EUR and capacity >= 8 TPU\n"
        "clause c2:\n  total value of deployments is at most 5M EUR\n"
        "clause c3:\n  total capacity of deployments reaches 100 TPU\n")
    assert diagnostics == []


def test_gw_and_mw_convert() -> None:
    _, diagnostics = analyze("clause c1:\n  Acme runs api only if capacity <= 1500 MW\n"
                             "clause c2:\n  total capacity of deployments is at most 1.5 GW\n")
    assert diagnostics == []


def test_dc107_unknown_unit() -> None:
    check("clause c1:\n  total value of deployments reaches 10 EUR\n",
          E("DC107").message("unknown unit `EUR`")
          .help("write it in `USD`")
          .at(10, 41).underline("EUR").build())


def test_dc107_misspelt_unit_did_you_mean() -> None:
    check("clause c1:\n  total capacity of deployments reaches 10 Gw\n",
          E("DC107").message("unknown unit `Gw`").help("did you mean `GW`?")
          .at(10, 44).underline("Gw").build())


def test_dc108_bool_fact_compared_with_a_number() -> None:
    check("clause c1:\n  Acme runs api only if consent = 3\n",
          E("DC108").message("`consent` is a bool fact")
          .help("write `consent = true` or `consent = false`")
          .at(10, 35).underline("3").build())


def test_dc108_ordering_a_provider() -> None:
    check("clause c1:\n  Acme runs api only if provider < Azure\n",
          E("DC108").message("`<` does not apply to `provider`")
          .help("use `=`, `!=`, `in` or `not in`").at(10, 25).underline("provider").build())


def test_dc108_group_where_a_single_region_belongs() -> None:
    check("clause c1:\n  Acme runs api only if region = west\n",
          E("DC108").message("`west` is a group: `region` is one region")
          .help("write `region in west`").at(10, 34).underline("west").build())


def test_dc109_notwithstanding_a_clause_not_in_force_in_the_window() -> None:
    check("clause c1 through 2025-03-01:\n  Acme runs api only on Azure\n"
          "clause p1 from 2025-04-01 notwithstanding c1:\n  Acme may run api on AWS\n",
          E("DC109").message("clause `c1` is never in force while `p1` is")
          .help("`c1` is in force from 2025-01-01 through 2025-03-01; `p1` from 2025-04-01")
          .at(11, 43).underline("c1")
          .related(9, 8, "the clause is defined here", "c1").build())


def test_dc109_notwithstanding_a_clause_revoked_by_an_amendment() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          "amendment a1 effective 2025-03-01:\n  revoke c1\n"
          "  clause p1 notwithstanding c1:\n    Acme may run api on AWS when consent\n",
          E("DC109").message("clause `c1` is never in force while `p1` is")
          .help("`c1` is in force from 2025-01-01 through 2025-02-28; `p1` from 2025-03-01")
          .at(13, 29).underline("c1")
          .related(9, 8, "the clause is defined here", "c1").build())


def test_dc110_revoke_of_a_clause_already_revoked() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          "amendment a1 effective 2025-02-01:\n  revoke c1\n"
          "amendment a2 effective 2025-03-01:\n  revoke c1\n",
          E("DC110").message("clause `c1` is not in force on 2025-03-01")
          .help("it was revoked by `a1`").at(14, 10).underline("c1")
          .related(9, 8, "the clause is defined here", "c1").build())


def test_dc110_revoke_of_an_expired_clause() -> None:
    check("clause c1 through 2025-02-01:\n  Acme runs api only on Azure\n"
          "amendment a1 effective 2025-03-01:\n  revoke c1\n",
          E("DC110").message("clause `c1` is not in force on 2025-03-01")
          .help("it expired on 2025-02-01").at(12, 10).underline("c1")
          .related(9, 8, "the clause is defined here", "c1").build())


def test_replace_of_an_expired_clause_renews_it() -> None:
    check("clause c1 through 2025-02-01:\n  Acme runs api only on Azure\n"
          "amendment a1 effective 2025-03-01:\n  replace clause c1:\n"
          "    Acme runs api only on AWS\n")


def test_dc111_notwithstanding_on_a_restriction() -> None:
    check("clause c0:\n  Acme runs api only on Azure\n"
          "clause c1 notwithstanding c0:\n  Acme runs api only on AWS\n",
          E("DC111").message("clause `c1` is not a permission")
          .help("only a permission (`… may run …`) can be an exception: write the rule as "
                "`may run`, or remove `notwithstanding`")
          .at(11, 27).underline("c0").build())


def test_dc111_permission_without_notwithstanding() -> None:
    check("clause p1:\n  Acme may run api on AWS\n",
          E("DC111").message("permission `p1` does not say what it is an exception to")
          .help("add `notwithstanding` and the clause it lifts at the end of the header of "
                "`p1`: a permission binds only against the clauses it names")
          .at(9, 8).underline("p1").build())


def test_dc111_permission_over_an_aggregate() -> None:
    check("clause c1:\n  total value of deployments reaches 10 USD\n"
          "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n",
          E("DC111").message("`c1` is a commitment")
          .help("a permission can override a restriction or another permission, not an "
                "aggregate")
          .at(11, 27).underline("c1").build())


def test_dc112_cycle_of_exceptions() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          "clause p1 notwithstanding c1, p3:\n  Acme may run api on AWS\n"
          "clause p2 notwithstanding p1:\n  Acme may run api on AWS\n"
          "clause p3 notwithstanding p2:\n  Acme may run api on AWS\n",
          E("DC112").message("exceptions override each other in a cycle: `p1` → `p3` → `p2` → "
                             "`p1`")
          .help("an exception chain must end in a restriction")
          .at(11, 8).underline("p1").build())


def test_dc112_exception_to_itself() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          "clause p1 notwithstanding c1, p1:\n  Acme may run api on AWS\n",
          E("DC112").message("clause `p1` is an exception to itself").help("name another clause")
          .at(11, 31).underline("p1").build())


def test_dc140_an_advisory_permission() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          'clause p1 "7.2" notwithstanding c1 advisory:\n  Acme may run api on AWS\n',
          E("DC140").message("permission `p1` cannot be advisory")
          .help('a permission lifts the clauses it names and promises nothing: write the '
                'header without `advisory`, as `clause p1 "7.2" notwithstanding c1:`')
          .at(11, 8).underline("p1").build())


def test_advisory_restrictions_and_aggregates_resolve() -> None:
    check("clause c1 advisory:\n  Acme runs api only on Azure\n"
          "clause c2 from 2025-02-01 advisory:\n  total value of deployments reaches 10 USD\n")


def test_dc113_total_of_something_else() -> None:
    check("clause c1:\n  total power of deployments reaches 10 GW\n",
          E("DC113").message("cannot total `power`").help("total `value` or `capacity`")
          .at(10, 9).underline("power").build())


def test_dc113_misspelt_measure_did_you_mean() -> None:
    check("clause c1:\n  total valu of deployments reaches 10 USD\n",
          E("DC113").message("cannot total `valu`").help("did you mean `value`?")
          .at(10, 9).underline("valu").build())


def test_dc114_amendments_out_of_order() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n"
          "amendment a1 effective 2025-03-01:\n  revoke c1\n"
          "amendment a2 effective 2025-02-01:\n  clause c2:\n    Acme runs api only on AWS\n",
          E("DC114").message("amendment `a2` takes effect before the amendment above it")
          .help("list amendments in the order they take effect")
          .at(13, 24).underline("2025-02-01")
          .related(11, 24, "that one takes effect here", "2025-03-01").build())


def test_dc114_amendment_before_the_agreement() -> None:
    check("amendment a1 effective 2024-03-01:\n  clause c2:\n    Acme runs api only on AWS\n",
          E("DC114").message("amendment `a1` takes effect before the agreement")
          .help("use a date on or after 2025-01-01").at(9, 24).underline("2024-03-01").build())


def test_dc115_clause_before_its_amendment() -> None:
    check("amendment a1 effective 2025-03-01:\n  clause c2 from 2025-02-01:\n"
          "    Acme runs api only on AWS\n",
          E("DC115").message("clause `c2` takes effect before amendment `a1`")
          .help("use a date on or after 2025-03-01").at(10, 18).underline("2025-02-01").build())


def test_dc116_example_expects_nothing() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS starting 2025-01-01\n',
          E("DC116").message("example `x` expects nothing")
          .help("add a line such as `expect compliant`")
          .at(9, 1).underline('example "x":', multiline=True).build())


def test_dc116_aggregate_verdict_for_a_deployment() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS starting 2025-01-01\n'
          "  expect d is open\n",
          E("DC116").message("`open` is not a verdict of a deployment")
          .help("use one of: `compliant`, `violation`, `undetermined`, `not_covered`")
          .at(11, 3).underline("expect d is open").build())


def test_statement_span_ends_on_its_own_line() -> None:
    _, diagnostics = analyze('example "x":\n  deployment d: Acme runs api on AWS starting '
                             "2025-01-01\n  expect d is open\n\n  # a comment\n")
    [d] = diagnostics
    assert (d.span.line, d.span.column, d.span.end_line, d.span.end_column) == (11, 3, 11, 19)


def test_dc116_expectation_about_an_unknown_deployment() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS starting 2025-01-01\n'
          "  expect e is compliant\n",
          E("DC116").message("`e` is neither a deployment of this example nor an aggregate "
                             "clause")
          .help("did you mean `d`?").at(11, 10).underline("e").build())


def test_dc116_fact_given_twice() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS starting 2025-01-01 with '
          "consent = true, consent = false\n  expect compliant\n",
          E("DC116").message("fact `consent` is given twice").help("give each fact once")
          .at(10, 79).underline("consent").build())


def test_dc116_example_without_deployment_is_one_diagnostic() -> None:
    check('example "x":\n  expect compliant\n',
          E("DC116").message("example `x` has no deployment")
          .help("add a line such as `deployment d: Acme runs api on Azure starting 2025-01-01`")
          .at(9, 1).underline('example "x":', multiline=True).build())


def test_example_may_expect_the_region_to_be_missing() -> None:
    check("clause c1:\n  Acme runs api only in US\n"
          'example "x":\n  deployment d: Acme runs api on AWS starting 2025-01-01\n'
          "  expect undetermined of c1 missing region\n")


def test_dc117_region_where_a_provider_belongs() -> None:
    check("clause c1:\n  Acme runs api only on US\n",
          E("DC117").message("`US` is a region, not a provider").help("use a provider here")
          .at(10, 25).underline("US").build())


def test_dc117_group_where_a_single_region_belongs() -> None:
    check('example "x":\n  deployment d: Acme runs api on AWS in west starting 2025-01-01\n'
          "  expect compliant\n",
          E("DC117").message("`west` is a region group, not a region")
          .help("use a region here").at(10, 41).underline("west").build())


def test_dc117_group_where_a_single_workload_belongs() -> None:
    check("workload group serving = api\n"
          'example "x":\n  deployment d: Acme runs serving on AWS starting 2025-01-01\n'
          "  expect compliant\n",
          E("DC117").message("`serving` is a workload group, not a workload")
          .help("use a workload here").at(11, 27).underline("serving").build())


def test_dc118_number_too_large() -> None:
    number = "9" * 26 + "T"
    check(f"clause c1:\n  total value of deployments reaches {number} USD\n",
          E("DC118").message(f"`{number}` is too large")
          .help("quantities are limited to 1e+30 base units; raise the limit with "
                "DEALCHECK_MAX_QUANTITY if this is intended")
          .at(10, 38).underline(f"{number} USD").build())


# ================================================================ durations, operands: DC120–DC125


def test_dc120_through_and_for() -> None:
    check("clause c1 through 2025-12-31 for 1 year:\n  Acme runs api only on Azure\n",
          E("DC120").message("clause `c1` has both `through` and `for`")
          .help("keep one end: remove `for 1 year` or `through 2025-12-31`")
          .at(9, 34).underline("1 year").build())


def test_dc121_duration_not_whole() -> None:
    check("clause c1 for 2.5 months:\n  Acme runs api only on Azure\n",
          E("DC121").message("a duration counts whole months, not `2.5`")
          .help("write a whole number, e.g. `2 months`")
          .at(9, 15).underline("2.5 months").build())


def test_dc122_a_duration_added_to_a_quantity() -> None:
    check("clause c1:\n  Acme runs api only if value - 3 weeks <= start\n",
          E("DC122").message("only a date moves by a duration, and `value` is money")
          .help("move a date, e.g. `start - 3 weeks`")
          .at(10, 25).underline("value - 3 weeks").build())


def test_dc123_operands_of_two_types() -> None:
    check("clause c1:\n  Acme runs api only if start <= value\n",
          E("DC123").message("`start` is a date, but `value` is money")
          .help("compare values of one type, e.g. `start >= 2025-01-01`")
          .at(10, 25).underline("start <= value").build())


def test_dc124_names_put_in_order() -> None:
    check("clause c1:\n  Acme runs api only if operator >= party\n",
          E("DC124").message("`>=` does not apply to a party")
          .help("write an equality, e.g. `operator = party`")
          .at(10, 25).underline("operator >= party").build())


def test_dc125_a_comparison_of_constants() -> None:
    check("clause c1:\n  Acme runs api only if 2025-01-01 + 1 year > 2025-06-01\n",
          E("DC125").message("this comparison reads no field or fact: it is always true or "
                             "always false")
          .help("compare a field or a fact, e.g. `start >= 2025-01-01`")
          .at(10, 25).underline("2025-01-01 + 1 year > 2025-06-01").build())


def test_dc106_count_limit_in_power() -> None:
    check("clause c1:\n  number of deployments is less than 3 GW\n",
          E("DC106").message("a number of deployments is a plain number, but `3 GW` is power")
          .help("count deployments with a plain number: `3`")
          .at(10, 38).underline("3 GW").build())


def test_dc130_share_of_another_measure() -> None:
    check("clause c1:\n  total capacity of deployments on Azure is at least 50% of "
          "total value of deployments\n",
          E("DC130").message("a share compares two totals of one measure, but total "
                             "`capacity` is a share of total `value`")
          .help("write `total capacity` here too")
          .at(10, 61).underline("total value").build())


def test_dc130_share_of_a_count() -> None:
    check("clause c1:\n  number of deployments on Azure is at most 20% of "
          "total capacity of deployments\n",
          E("DC130").message("a share compares two totals of one measure, but the number "
                             "of deployments is a share of total `capacity`")
          .help("write `number` here too")
          .at(10, 52).underline("total capacity").build())


def test_dc131_share_over_a_hundred_percent() -> None:
    check("clause c1:\n  total value of deployments on Azure is at least 150% of "
          "total value of deployments\n",
          E("DC131").message("a share is a percentage from 0% to 100%, not `150%`")
          .help("a share of the whole is at most `100%`")
          .at(10, 51).underline("150%").build())


def test_dc132_share_per_period() -> None:
    check("clause c1:\n  total value of deployments on Azure per quarter is at least 50% of "
          "total value of deployments\n",
          E("DC132").message("a share is judged on the evaluation date, not per quarter")
          .help("remove `per quarter`, or bound a total per quarter")
          .at(10, 63).underline("50%").build())


_TRANCHE = "clause t1:\n  total capacity of deployments on Azure reaches 1 GW by 2026-12-31\n"


def test_dc133_in_addition_to_an_unknown_clause() -> None:
    check(_TRANCHE + "clause t2:\n  total capacity of deployments reaches 1 GW in addition to t3\n",
          E("DC133").message("unknown clause `t3`").help("did you mean `t1`?")
          .at(12, 61).underline("t3").build())


def test_dc134_in_addition_to_a_cap() -> None:
    check("clause t1:\n  total capacity of deployments is at most 1 GW\n"
          "clause t2:\n  total capacity of deployments reaches 1 GW in addition to t1\n",
          E("DC134").message("clause `t1` is not a commitment")
          .help("`in addition to` names a commitment (`… reaches …`) judged over its whole "
                "window")
          .at(12, 61).underline("t1").build())


def test_dc135_in_addition_to_a_commitment_of_money() -> None:
    check(_TRANCHE + "clause t2:\n  total value of deployments reaches 1B USD in addition to t1\n",
          E("DC135").message("`t2` and `t1` count different things")
          .help("a commitment is in addition to one of the same measure and unit dimension")
          .at(12, 60).underline("t1").build())


def test_dc136_commitments_in_addition_to_each_other() -> None:
    check("clause t1:\n  total capacity of deployments reaches 1 GW in addition to t2\n"
          "clause t2:\n  total capacity of deployments reaches 1 GW in addition to t1\n",
          E("DC136").message("commitments are in addition to each other in a cycle: "
                             "`t1` → `t2` → `t1`")
          .help("the first commitment of a chain stands on its own: remove its "
                "`in addition to`")
          .at(10, 61).underline("t2").build())


_MINIMUMS = "clause m1:\n  total capacity of deployments on Azure reaches 1 GW by 2026-12-31\n"


def test_dc160_state_of_an_unknown_clause() -> None:
    check(_MINIMUMS + "clause c1:\n  Acme runs api only on Azure when m2 is compliant\n",
          E("DC160").message("unknown clause `m2`").help("did you mean `m1`?")
          .at(12, 36).underline("m2").build())


def test_dc161_state_of_a_restriction() -> None:
    check("clause c0:\n  Acme runs training only on AWS\n"
          "clause c1:\n  Acme runs api only on Azure when c0 is violated\n",
          E("DC161").message("clause `c0` is an exclusivity: it has no state")
          .help("a state is the verdict of a cap, commitment or share; test the facts this "
                "clause reads instead")
          .at(12, 36).underline("c0").build())


def test_dc161_a_cap_is_never_open() -> None:
    check("clause k1:\n  total capacity of deployments is at most 1 GW\n"
          "clause c1:\n  Acme runs api only on Azure when k1 is open\n",
          E("DC161").message("clause `k1` is never open: a cap is `compliant` or `violated`")
          .help("write `k1 is compliant`, or `k1 is violated`")
          .at(12, 36).underline("k1 is open").build())


def test_dc162_aggregates_that_depend_on_each_other() -> None:
    check("clause m1:\n  total capacity of deployments reaches 1 GW when m2 is compliant\n"
          "clause m2:\n  total value of deployments is at most 5 USD when m1 is open\n",
          E("DC162").message("aggregates depend on each other's states in a cycle: "
                             "`m1` → `m2` → `m1`")
          .help("what `m1` counts cannot depend on its own verdict: break the cycle, so that "
                "one aggregate of it tests no state of another")
          .at(10, 51).underline("m2 is compliant").build())


def test_dc163_state_of_a_clause_named_like_a_fact() -> None:
    check("clause consent:\n  total capacity of deployments reaches 1 GW\n"
          "clause c1:\n  Acme runs api only on Azure when consent is compliant\n",
          E("DC163").message("`consent` is both a clause and a fact")
          .help("rename the fact `consent` (or the clause) so that `consent is …` reads one "
                "of them")
          .at(12, 36).underline("consent").build())


# ================================================================ warnings: DC201–DC204


def test_dc201_unused_fact() -> None:
    check("clause c1:\n  Acme runs api only on Azure\n",
          E("DC201").warning().message("fact `consent` is never read by a clause")
          .help("use it in a condition, or remove it").at(8, 6).underline("consent").build(),
          warnings=True)


def test_dc202_permission_that_overrides_nothing() -> None:
    check("clause c1:\n  Acme runs api only if consent\n"
          "clause p1 notwithstanding c1:\n  Acme may run training on AWS\n",
          E("DC202").warning().message("permission `p1` overrides nothing of `c1`")
          .help("no deployment in its scope is in the scope of `c1` while both are in force")
          .at(11, 8).underline("p1")
          .related(9, 8, "`c1` is defined here", "c1").build(),
          warnings=True)


def test_dc203_clause_revoked_before_it_takes_effect() -> None:
    check("clause c1 from 2025-03-01:\n  Acme runs api only if consent\n"
          "amendment a1 effective 2025-02-01:\n  revoke c1\n",
          E("DC203").warning().message("clause `c1` ends before it takes effect")
          .help("it would take effect on 2025-03-01 but is not in force after 2025-01-31: it "
                "never binds")
          .at(9, 8).underline("c1").build(),
          warnings=True)


def test_dc204_permission_that_does_not_name_an_applying_restriction() -> None:
    check("clause c1:\n  Acme runs api only if consent\n"
          "clause c2:\n  Acme must not run api on AWS\n"
          "clause p1 notwithstanding c1:\n  Acme may run api on AWS\n",
          E("DC204").warning().message("permission `p1` does not name `c2`, which applies to "
                                       "the same deployments")
          .help("`c2` still binds where both apply; add it to `notwithstanding` if the "
                "permission is meant to override it")
          .at(13, 8).underline("p1")
          .related(11, 8, "`c2` is defined here", "c2").build(),
          warnings=True)


def test_dc205_names_that_differ_only_by_case() -> None:
    check("party acme\nclause c1:\n  acme runs api only if consent\n",
          E("DC205").warning().message("party `acme` differs from party `Acme` only by case")
          .help("names are case-sensitive, so these are two parties: keep one spelling")
          .at(9, 7).underline("acme")
          .related(2, 7, "first declared here", "Acme").build(),
          warnings=True)


def test_dc220_a_fact_compared_with_itself() -> None:
    check("fact signed: date\nclause c1:\n  Acme runs api only if signed < signed + 1 day "
          "and consent\n",
          E("DC220").warning().message("this comparison reads `signed` on both sides: it is "
                                       "the same for every deployment")
          .help("compare it with another field or fact")
          .at(11, 25).underline("signed < signed + 1 day").build(),
          warnings=True)


# ================================================================ input: DC901–DC904, DC910


def _load_error(path: str) -> Diagnostic:
    with pytest.raises(DiagnosticsError) as info:
        dealcheck.load(path)
    [d] = info.value.diagnostics
    return d


def test_dc901_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_diagnostic(_load_error("missing.deal"),
                      E("DC901").message("cannot read `missing.deal`: no such file or directory")
                      .help("check the path").at(1, 1).build(), None)


def test_dc901_message_keeps_the_path_as_written(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = _load_error("Terms/OpenAI.deal")
    assert d.message == "cannot read `Terms/OpenAI.deal`: no such file or directory"


def test_dc902_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("big.deal").write_text(HEADER, encoding="utf-8")
    monkeypatch.setenv("DEALCHECK_MAX_FILE_BYTES", "100")
    size = len(HEADER.encode())
    assert_diagnostic(_load_error("big.deal"),
                      E("DC902").message(f"`big.deal` is {size} bytes, over the limit of 100")
                      .help("raise the limit with DEALCHECK_MAX_FILE_BYTES if this is intended")
                      .at(1, 1).build(), None)


def test_dc903_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("latin1.deal").write_bytes(b'agreement "x" effective 2025-01-01\nparty Caf\xe9\n')
    d = _load_error("latin1.deal")
    assert_diagnostic(d, E("DC903").message("`latin1.deal` is not UTF-8 text: byte 0xe9 at "
                                            "offset 44")
                      .help("save the file as UTF-8").at(2, 10).build(), None)
    assert (d.span.start, d.span.end) == (44, 45)


def test_dc904_a_file_that_cannot_be_written(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from dealcheck.io_text import write_atomic

    monkeypatch.chdir(tmp_path)
    with pytest.raises(DiagnosticsError) as info:
        write_atomic("reports/r.json", "{}")
    [d] = info.value.diagnostics
    assert_diagnostic(d, E("DC904").message("cannot write `reports/r.json`: no such file or "
                                            "directory")
                      .help("create the directory `reports` first, or write elsewhere")
                      .at(1, 1).build(), None)


def test_dc910_as_of_that_is_not_a_date() -> None:
    terms = dealcheck.loads(HEADER)
    with pytest.raises(DiagnosticsError) as info:
        terms.check([], as_of="2025-W01-1")
    [d] = info.value.diagnostics
    assert_diagnostic(d, E("DC910").message("malformed date `2025-W01-1` in `as_of`")
                      .help("write the date as YYYY-MM-DD, e.g. `2025-03-10`, or `today`").at(1, 1)
                      .underline("2025-W01-1").build(), "2025-W01-1")


def test_dc955_fact_argument_without_a_value() -> None:
    terms = dealcheck.loads(HEADER)
    with pytest.raises(DiagnosticsError) as info:
        parse_fact_options(["consent=true", "consent"], terms.vocabulary)
    [d] = info.value.diagnostics
    assert_diagnostic(d, E("DC955").message("`--fact` takes NAME=VALUE, found `consent`")
                      .help("e.g. `consent=true`").at(2, 1).underline("consent").build(),
                      "consent=true\nconsent")


def _together(*sources: str) -> Diagnostic:
    """The one diagnostic of checking `sources` (files a.deal, b.deal, …) together."""
    names = "abc"[:len(sources)]
    agreements = dealcheck.Agreements(tuple(
        dealcheck.loads(text, f"{name}.deal") for name, text in zip(names, sources, strict=True)))
    with pytest.raises(DiagnosticsError) as info:
        agreements.check([])
    [d] = info.value.diagnostics
    return d


def _assert_across_files(got: Diagnostic, want: ExpectedDiagnostic, file: str,
                         related: list[tuple[str, int, int, str]]) -> None:
    """`assert_diagnostic` for a diagnostic whose related span is in another file."""
    assert (got.code, str(got.severity), got.message, got.help) == (
        want.code, want.severity, want.message, want.help)
    assert (got.span.file, got.span.line, got.span.column) == (file, want.line, want.column)
    assert [(r.span.file, r.span.line, r.span.column, r.message) for r in got.related] == related


def test_dc950_a_fact_of_two_types_in_agreements_checked_together() -> None:
    base = HEADER.replace("fact consent: bool\n", "")
    other = base.replace('"Demo"', '"Other"') + "fact consent: one of yes, no\n"
    _assert_across_files(
        _together(base + "fact consent: bool\n", other),
        E("DC950").message("fact `consent` is `one of yes, no` here but `bool` in `a.deal`")
        .help("declare it alike in every agreement checked together: `fact consent: bool`")
        .at(8, 6).build(), "b.deal", [("a.deal", 8, 6, "declared here first")])


def test_dc951_two_agreements_with_one_title() -> None:
    _assert_across_files(
        _together(HEADER, HEADER),
        E("DC951").message("agreements `a.deal` and `b.deal` have the same title `Demo`")
        .help("findings name their agreement by its title: give each agreement checked "
              "together its own title").at(1, 1).build(),
        "b.deal", [("a.deal", 1, 1, "the first agreement with that title")])


# ================================================================ acceptance

ACCEPTANCE = """\
agreement "Acceptance" effective 2025-01-01
party OpenAI, Microsoft
provider Azure operated by Microsoft
workload api, training

clause api_exclusive:
  OpenAI runs api only onn Azure

clause training_home:
  OpenAI runs training only on Azur

clause cap:
  total value of deployments by OpenAI is at most 5 GW
"""

ACCEPTANCE_RENDERED = """\
terms.deal:7:24: error[DC001]: unexpected `onn`
   7 |   OpenAI runs api only onn Azure
                              ^^^
  help: did you mean `on`? (expected one of: `if`, `in`, `on`)

terms.deal:10:32: error[DC101]: unknown provider `Azur`
  10 |   OpenAI runs training only on Azur
                                      ^^^^
  help: did you mean `Azure`?

terms.deal:13:53: error[DC106]: `value` is money, but `5 GW` is power
  13 |   total value of deployments by OpenAI is at most 5 GW
                                                           ^^
  help: write it in `USD`
"""


def test_acceptance_three_mistakes_three_diagnostics() -> None:
    terms, diagnostics = dealcheck.analyze(ACCEPTANCE, "terms.deal")
    assert terms is None
    assert_diagnostics(diagnostics, [
        E("DC001").message("unexpected `onn`")
        .help("did you mean `on`? (expected one of: `if`, `in`, `on`)")
        .at(7, 24).underline("onn").build(),
        E("DC101").message("unknown provider `Azur`").help("did you mean `Azure`?")
        .at(10, 32).underline("Azur").build(),
        E("DC106").message("`value` is money, but `5 GW` is power").help("write it in `USD`")
        .at(13, 53).underline("GW").build(),
    ], ACCEPTANCE)
    assert render_text(diagnostics, {"terms.deal": ACCEPTANCE}) == ACCEPTANCE_RENDERED


def test_acceptance_load_raises_with_every_error() -> None:
    with pytest.raises(DiagnosticsError) as info:
        dealcheck.loads(ACCEPTANCE, "terms.deal")
    assert [d.code for d in info.value.diagnostics] == ["DC001", "DC101", "DC106"]
    assert str(info.value) == "terms.deal:7:24: unexpected `onn` (and 2 more)"


def test_acceptance_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "terms.deal").write_text(ACCEPTANCE, encoding="utf-8")
    monkeypatch.setenv("NO_COLOR", "1")
    run = run_dealcheck("lint", "terms.deal", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    headers = re.findall(r"^terms\.deal:\d+:\d+: error\[DC\d{3}\]", run.stderr, re.MULTILINE)
    assert headers == ["terms.deal:7:24: error[DC001]", "terms.deal:10:32: error[DC101]",
                       "terms.deal:13:53: error[DC106]"]
    assert run.stderr == ACCEPTANCE_RENDERED + "found 3 errors\n"
    assert run.stdout == ""


# ================================================================ every code is covered


def _codes_tested_here() -> set[str]:
    source = Path(__file__).read_text(encoding="utf-8")
    return set(re.findall(r'E\("(DC\d{3})"\)', source))


def test_every_diagnostic_code_has_a_test() -> None:
    assert set(ALL_CODES) - _codes_tested_here() == set()


def test_every_diagnostic_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text("utf-8")
    documented = set(re.findall(r"^\| (DC\d{3}) \|", doc, re.MULTILINE))
    assert documented == set(ALL_CODES)
