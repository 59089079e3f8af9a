"""Help that leads somewhere: a diagnostic's suggested code, applied, fixes the file.

For every diagnostic code whose help shows code to write, a small terms file
that gets it (for the scenario codes DC3xx, a small YAML scenario). The test
takes the code out of the help line (the text between backticks), puts it
where the help says, and analyses the file again: the diagnostic must be
gone and nothing else may appear, error or warning.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import dealcheck
from dealcheck.analysis.findings import LINT_CODES
from dealcheck.dsl.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parents[2]

HEADER = """\
agreement "Demo" effective 2025-01-01
party Acme, Zed
provider Azure operated by Acme
provider AWS operated by Zed
workload api, training
region US, EU
region group west = US, EU
"""

#: Rewrites the file with the help's code (the text between backticks) applied.
Apply = Callable[[str, Diagnostic, list[str]], str]


def at_span(index: int = 0) -> Apply:
    """The code replaces the text under the diagnostic's span."""
    return lambda text, d, code: text[:d.span.start] + code[index] + text[d.span.end:]


def swap(old: str, index: int = 0, keep: str = "{}") -> Apply:
    """The code (placed in `keep`) replaces `old`, which must occur once."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, keep.format(code[index]))
    return apply


def declare(index: int = 0) -> Apply:
    """The code is a declaration: it goes on its own line after the agreement."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        first, rest = text.split("\n", 1)
        return f"{first}\n{code[index]}\n{rest}"
    return apply


def line_after(anchor: str, index: int = 0) -> Apply:
    """The code is a line of the block: it goes after the line ending in `anchor`."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        assert text.count(anchor + "\n") == 1, anchor
        return text.replace(anchor + "\n", f"{anchor}\n  {code[index]}\n")
    return apply


def move_to_header(word: str) -> Apply:
    """`word DATE` leaves the rule; the suggested header replaces the clause's header."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        line_start = text.rfind("\n", 0, d.span.start) + 1
        line_end = text.index("\n", d.span.start)
        line = text[line_start:line_end]
        rule = re.sub(rf"\s+{word}\s+\S+", "", line)
        text = text[:line_start] + rule + text[line_end:]
        header = re.findall(r"^\s*clause [^\n]*:$", text[:line_start], re.M)[-1]
        return text.replace(header, header[:len(header) - len(header.lstrip())] + code[0], 1)
    return apply


def number_only(index: int = 0) -> Apply:
    """The code replaces the number under the span and keeps its unit."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        number_end = text.index(" ", d.span.start)
        return text[:d.span.start] + code[index] + text[number_end:]
    return apply


def close_string(text: str, d: Diagnostic, code: list[str]) -> str:
    """The code (a quote) closes the string at the end of the span."""
    return text[:d.span.end] + code[0] + text[d.span.end:]


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    body: str
    apply: Apply
    header: bool = True


CASES = [
    # ---------------------------------------------------------------- syntax
    Case("DC001", "a misspelt keyword", "clause c1:\n  Acme runs api only onn Azure\n",
         at_span()),
    Case("DC001", "`is at least` on a total", "clause c1:\n"
         "  total value of deployments is at least 10 USD\n", swap("is at least")),
    Case("DC001", "`through` after the rule", "clause c1 \"5.3\":\n"
         "  Acme runs api only on Azure through 2025-06-30\n", move_to_header("through")),
    Case("DC001", "`from` after the rule, with a `through` in the header",
         "clause c1 through 2025-12-31:\n  Acme runs api only on Azure from 2025-06-01\n",
         move_to_header("from")),
    Case("DC001", "`through` after a rule in an amendment", "clause c0:\n"
         "  Acme runs api only on Azure\namendment a1 effective 2025-03-01:\n"
         "  clause c1 notwithstanding c0:\n    Acme may run api on AWS through 2025-06-30\n",
         move_to_header("through")),
    Case("DC002", "a unit glued to its number", "clause c1:\n"
         "  Acme runs api only if capacity >= 10GW\n", at_span()),
    Case("DC003", "an unterminated string", 'clause c1:\n  source "the quote\n'
         "  Acme runs api only on Azure\n", close_string),
    Case("DC004", "a look-alike letter", "clause c1:\n  Acme runs api only on \u0410zure\n",
         at_span()),
    # ---------------------------------------------------------------- resolution
    Case("DC101", "a misspelt provider", "clause c1:\n  Acme runs api only on Azur\n",
         at_span()),
    Case("DC101", "an undeclared provider", "clause c1:\n  Acme runs api only on Oracle\n",
         declare()),
    Case("DC101", "an undeclared fact", "clause c1:\n  Acme runs api only if rofr_declined\n",
         declare()),
    Case("DC101", "a misspelt clause in `revoke`", "clause c1:\n  Acme runs api only on Azure\n"
         "amendment a1 effective 2025-03-01:\n  revoke c2\n", at_span()),
    Case("DC103", "a clause defined again to renew it after it expired",
         "clause c1 through 2025-06-30:\n  Acme runs api only on Azure\n"
         "amendment a1 effective 2026-01-01:\n  clause c1:\n    Acme runs api only on Azure\n",
         swap("  clause c1:\n    Acme", keep="  {}:\n    Acme")),
    Case("DC103", "a clause defined again after it was revoked",
         "clause c1:\n  Acme runs api only on Azure\n"
         "amendment a1 effective 2025-03-01:\n  revoke c1\n"
         "amendment a2 effective 2026-01-01:\n  clause c1:\n    Acme runs api only on AWS\n",
         swap("  clause c1:\n    Acme runs api only on AWS",
              keep="  {}:\n    Acme runs api only on AWS")),
    Case("DC106", "power where money belongs", "clause c1:\n"
         "  total value of deployments reaches 10 GW\n", at_span()),
    Case("DC106", "power where a number of deployments belongs", "clause c1:\n"
         "  number of deployments is less than 3 GW\n", at_span()),
    Case("DC130", "a share of another measure", "clause c1:\n"
         "  total capacity of deployments on Azure is at least 50% of total value of "
         "deployments\n", at_span()),
    Case("DC131", "a share over 100%", "clause c1:\n"
         "  total value of deployments on Azure is at most 120% of total value of "
         "deployments\n", at_span()),
    Case("DC132", "a share per period", "clause c1:\n"
         "  total value of deployments on Azure per calendar year is at least 50% of "
         "total value of deployments\n", swap(" per calendar year", keep="")),
    Case("DC133", "`in addition to` a misspelt clause", "clause c1:\n"
         "  total capacity of deployments reaches 1 GW\nclause c2:\n"
         "  total capacity of deployments on Azure reaches 1 GW in addition to c3\n",
         at_span()),
    Case("DC136", "commitments in addition to each other", "clause c1:\n"
         "  total capacity of deployments reaches 1 GW in addition to c2\nclause c2:\n"
         "  total capacity of deployments on Azure reaches 1 GW in addition to c1\n",
         swap(" in addition to c2", keep="")),
    Case("DC107", "a misspelt unit", "clause c1:\n"
         "  total capacity of deployments reaches 10 Gw\n", at_span()),
    Case("DC107", "a currency dealcheck does not know", "clause c1:\n"
         "  total value of deployments reaches 10 EUR\n", at_span()),
    Case("DC107", "an undeclared unit in a fact", "fact price: number EUR\nclause c1:\n"
         "  Acme runs api only if price >= 3 EUR\n", declare()),
    Case("DC150", "a misspelt dimension of a unit", "unit EUR: mony\nclause c1:\n"
         "  total value of deployments reaches 10 EUR\n", at_span()),
    Case("DC151", "a fact in euros compared with dollars",
         "unit EUR: money\nfact price: number EUR\nclause c1:\n"
         "  Acme runs api only if price >= 3 USD\n", at_span()),
    Case("DC108", "a bool fact compared with a number", "fact consent: bool\nclause c1:\n"
         "  Acme runs api only if consent = 3\n", swap("consent = 3")),
    Case("DC108", "a money fact used as a bool", "fact rate: number USD\nclause c1:\n"
         "  Acme runs api only if rate\n", at_span()),
    Case("DC108", "a money fact compared with a bool", "fact rate: number USD\nclause c1:\n"
         "  Acme runs api only if rate = true\n", swap("rate = true")),
    Case("DC108", "a plain-number fact used as a bool", "fact sites: number\nclause c1:\n"
         "  Acme runs api only if sites\n", at_span()),
    Case("DC108", "a field used as a bool", "clause c1:\n  Acme runs api only if provider\n",
         at_span()),
    Case("DC108", "capacity used as a bool", "clause c1:\n  Acme runs api only if capacity\n",
         at_span()),
    Case("DC108", "a provider compared with a number", "clause c1:\n"
         "  Acme runs api only if provider = 3\n", swap("provider = 3")),
    Case("DC108", "a provider ordered", "clause c1:\n  Acme runs api only if provider < Azure\n",
         swap("<")),
    Case("DC108", "a group compared with `=`", "clause c1:\n"
         "  Acme runs api only if region = west\n", swap("region = west")),
    Case("DC108", "a misspelt value of an enumeration", "fact customer: one of commercial, "
         "government\nclause c1:\n  Acme runs api only if customer in commercal\n", at_span()),
    Case("DC108", "an enumeration compared with a number", "fact customer: one of commercial, "
         "government\nclause c1:\n  Acme runs api only if customer = 3\n", swap("customer = 3")),
    Case("DC108", "a date compared with a number", "clause c1:\n"
         "  Acme runs api only if start >= 3\n", swap("start >= 3")),
    Case("DC108", "a date fact used as a bool", "fact signed: date\nclause c1:\n"
         "  Acme runs api only if signed\n", at_span()),
    Case("DC111", "`notwithstanding` on a restriction", "clause c0:\n"
         "  Acme runs api only on Azure\nclause c1 notwithstanding c0:\n"
         "  Acme runs training only on AWS\n", swap(" notwithstanding c0", keep="")),
    Case("DC111", "a permission without `notwithstanding`", "clause c0:\n"
         "  Acme runs api only on Azure\nclause p1:\n  Acme may run api on AWS\n",
         swap("clause p1:", keep="clause p1 {}:")),
    Case("DC140", "an advisory permission", "clause c0:\n  Acme runs api only on Azure\n"
         "clause p1 notwithstanding c0 advisory:\n  Acme may run api on AWS\n",
         swap("clause p1 notwithstanding c0 advisory:", index=1)),
    Case("DC113", "a misspelt measure", "clause c1:\n  total valu of deployments reaches 10 USD\n",
         at_span()),
    Case("DC116", "an example without a deployment", 'example "x":\n  expect compliant\n',
         line_after('example "x":')),
    Case("DC116", "an example that expects nothing", 'example "x":\n'
         "  deployment d: Acme runs api on AWS starting 2025-05-01\n",
         line_after("starting 2025-05-01")),
    Case("DC116", "an expectation that does not say which deployment", 'example "x":\n'
         "  deployment d1: Acme runs api on AWS starting 2025-05-01\n"
         "  deployment d2: Acme runs api on Azure starting 2025-05-01\n  expect compliant\n",
         swap("expect compliant")),
    Case("DC116", "a verdict that is not one of a deployment", 'example "x":\n'
         "  deployment d: Acme runs api on AWS starting 2025-05-01\n  expect open\n",
         swap("open")),
    Case("DC116", "a misspelt deployment of the example", 'example "x":\n'
         "  deployment first: Acme runs api on AWS starting 2025-05-01\n"
         "  expect frist is compliant\n", at_span()),
    Case("DC120", "a clause with both `through` and `for`",
         "clause c1 through 2025-12-31 for 1 year:\n  Acme runs api only on Azure\n",
         swap(" for 1 year", keep="")),
    Case("DC121", "a duration that is not a whole number",
         "clause c1 for 1.5 years:\n  Acme runs api only on Azure\n", at_span()),
    Case("DC121", "a clause in force for no time",
         "clause c1 for 0 months:\n  Acme runs api only on Azure\n", at_span()),
    Case("DC122", "a quantity moved by a duration",
         "clause c1:\n  Acme runs api only if capacity + 3 days <= end\n", at_span()),
    Case("DC123", "a quantity compared with a quantity of another dimension",
         "clause c1:\n  Acme runs api only if value <= capacity\n", at_span()),
    Case("DC124", "parties put in order", "clause c1:\n  Acme runs api only if party < operator\n",
         at_span()),
    Case("DC125", "a comparison of two dates written out",
         "clause c1:\n  Acme runs api only if 2025-01-01 + 30 days < 2025-03-01\n", at_span()),
    Case("DC118", "a number too long to compute with", "clause c1:\n"
         f"  total value of deployments reaches {'9' * 1_000_001}T USD\n", number_only()),
    Case("DC160", "the state of a misspelt clause", "clause m1:\n"
         "  total capacity of deployments reaches 1 GW\n"
         "clause c1:\n  Acme runs api only on Azure when m2 is compliant\n", at_span()),
    Case("DC161", "a cap that is open", "clause k1:\n"
         "  total capacity of deployments is at most 1 GW\n"
         "clause c1:\n  Acme runs api only on Azure when k1 is open\n", at_span()),
    # ---------------------------------------------------------------- warnings
    Case("DC204", "a permission that does not name a restriction it meets", "clause c0:\n"
         "  Acme runs api only on Azure\nclause c2:\n  Acme runs api only in US\n"
         "clause p1 notwithstanding c0:\n  Acme may run api on AWS\n",
         swap("notwithstanding c0", index=1, keep="{} c0, c2")),
]

#: Codes whose help shows no code to write, and why.
NO_CODE = {
    "DC005": "names the blocks that may be indented",
    "DC102": "asks to remove or rename a declaration",
    "DC104": "asks to check the day and month",
    "DC105": "names the first date that would do",
    "DC109": "states both windows",
    "DC110": "says how the clause already ended",
    "DC112": "asks for another clause, or a chain that ends",
    "DC162": "asks to break the cycle",
    "DC114": "asks for dates in order",
    "DC115": "names the first date that would do",
    "DC117": "asks for a name of the other kind",
    "DC201": "asks to use or remove the declaration",
    "DC202": "says why the permission is idle",
    "DC203": "says when the clause would have been in force",
}


def _code_in(help_text: str | None) -> list[str]:
    return re.findall(r"`([^`]+)`", help_text or "")


def _analyze(text: str) -> list[Diagnostic]:
    """Every diagnostic but `dealcheck analyze`'s (DC230–DC234): what those say
    of a few-line file (a clause nothing can break, say) is not about its help."""
    return [d for d in dealcheck.analyze(text, "t.deal", warnings=True)[1]
            if d.code not in ANALYSIS_CODES]


ANALYSIS_CODES = frozenset(LINT_CODES.values())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code} {c.name}" for c in CASES])
def test_the_suggested_code_fixes_the_file(case: Case) -> None:
    text = (HEADER if case.header else "") + case.body
    before = _analyze(text)
    [found] = [d for d in before if d.code == case.code]
    assert [d.code for d in before] == [case.code], [(d.code, d.message) for d in before]
    code = _code_in(found.help)
    assert code, f"no code in the help: {found.help}"
    fixed = case.apply(text, found, code)
    after = _analyze(fixed)
    assert after == [], (found.help, fixed[-300:],
                         [(d.code, d.message, d.help) for d in after])


#: Help text that proposes code: "did you mean `…`", "write `…`", "e.g. `…`", ….
_PROPOSES = re.compile(r"\b(did you mean|write|e\.g\.|such as|use|add|declare|instead of|"
                       r"move it there|looks like|remove)\b[^`]{0,25}`")


def _codes_with_code_in_help() -> set[str]:
    """Diagnostic codes whose help literal, in the source, proposes code."""
    found: set[str] = set()
    for path in sorted((ROOT / "src" / "dealcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            codes = [a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str) and re.fullmatch(r"DC\d{3}", a.value)]
            if not codes:
                continue
            pieces = [s.value for a in [*node.args[2:], *(k.value for k in node.keywords)]
                      for s in ast.walk(a) if isinstance(s, ast.Constant)
                      and isinstance(s.value, str)]
            if _PROPOSES.search(" ".join(pieces)):
                found.add(codes[0])
    return found


def test_every_code_with_code_in_its_help_has_a_case() -> None:
    covered = {c.code for c in CASES}
    scanned = _codes_with_code_in_help()
    assert scanned, "the scan found no help at all"
    assert scanned - NO_CODE.keys() <= covered, sorted(scanned - NO_CODE.keys() - covered)
    assert not covered & NO_CODE.keys()


# ---------------------------------------------------------------- scenario files (DC3xx)

SCENARIO_TERMS = dealcheck.loads(HEADER + """\
fact consent: bool
fact customer: one of commercial, government
fact budget: number USD
clause c1:
  Acme runs api only on Azure
""", "t.deal")

#: One valid deployment; the cases below add to it or change one of its lines.
DEPLOYMENT = ("deployments:\n  - id: d\n    party: Acme\n    workload: api\n"
              "    provider: AWS\n    start: 2025-02-01\n")


def with_line(line: str) -> str:
    return DEPLOYMENT + f"    {line}\n"


def changed(old: str, new: str) -> str:
    assert DEPLOYMENT.count(old) == 1
    return DEPLOYMENT.replace(old, new)


def yaml_value(key: str, index: int = 0, keep: str = "{}") -> Apply:
    """The code (placed in `keep`) is the new value of `key`, on its line `key: …`."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        value = keep.format(code[index])
        return re.sub(rf"^(\s*){key}: .*$", lambda m: f"{m[1]}{key}: {value}", text,
                      count=1, flags=re.M)
    return apply


def whole_line(key: str, index: int = 0) -> Apply:
    """The code is a whole `key: …` line."""
    def apply(text: str, d: Diagnostic, code: list[str]) -> str:
        return re.sub(rf"^(\s*){key}: .*$", lambda m: m[1] + code[index], text, count=1,
                      flags=re.M)
    return apply


SCENARIO_CASES = [
    Case("DC301", "a misspelt field", with_line("regin: US"), at_span()),
    Case("DC303", "a misspelt provider", changed("provider: AWS", "provider: Azur"), at_span()),
    Case("DC303", "a misspelt fact", with_line("facts: {consnt: true}"), at_span()),
    Case("DC306", "a date and time", changed("start: 2025-02-01", "start: 2025-02-01 10:00:00"),
         yaml_value("start")),
    Case("DC306", "a date in another notation", changed("start: 2025-02-01", "start: 01/02/2025"),
         yaml_value("start")),
    Case("DC307", "a misspelt unit", with_line("capacity: 3 Gw"),
         yaml_value("capacity", keep="3 {}")),
    Case("DC308", "a misspelt value of an enumeration", with_line("facts: {customer: comercial}"),
         at_span()),
    Case("DC309", "power where money belongs", with_line("value: 3 GW"), yaml_value("value")),
    Case("DC311", "facts written as a list", with_line("facts: [consent]"), whole_line("facts")),
    Case("DC311", "a scenario name that is not text", "scenario: [a]\n" + DEPLOYMENT,
         whole_line("scenario")),
]


@pytest.mark.parametrize("case", SCENARIO_CASES,
                         ids=[f"{c.code} {c.name}" for c in SCENARIO_CASES])
def test_the_suggested_code_fixes_the_scenario(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(case.body, "utf-8")
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        dealcheck.load_scenario(path, SCENARIO_TERMS)
    before = caught.value.diagnostics
    assert [d.code for d in before] == [case.code], [(d.code, d.message) for d in before]
    [found] = before
    code = _code_in(found.help)
    assert code, f"no code in the help: {found.help}"
    path.write_text(case.apply(case.body, found, code), "utf-8")
    try:
        dealcheck.load_scenario(path, SCENARIO_TERMS)
    except dealcheck.DiagnosticsError as exc:  # pragma: no cover - the failure shown
        pytest.fail(f"{found.help}: {[(d.code, d.message) for d in exc.diagnostics]}\n"
                    + path.read_text("utf-8"))
