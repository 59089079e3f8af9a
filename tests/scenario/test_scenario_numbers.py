"""Numbers read exactly: commas only between groups of three digits, no binary floats.

The same text must give the same amount, and so the same verdict, in every
scenario format.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scenario_helpers import Expected, check, write

import dealcheck
from dealcheck.rules.model import Vocabulary
from dealcheck.rules.units import CommaError, UnitTable
from dealcheck.scenario.read import load_scenario

CSV_HEADER = "id,party,workload,provider,region,capacity,value,start,end"

#: `x` just over 2**53: a binary float cannot tell it from 2**53.
TERMS = dealcheck.loads("""\
agreement "Exact" effective 2025-01-01
party Acme
provider Cloud operated by Acme
workload api
fact x: number
clause small:
  Acme runs api only if x <= 9007199254740992
""")
BIG = "9007199254740993.0"
ROW = '"id": "d", "party": "Acme", "workload": "api", "provider": "Cloud", "start": "2025-02-01"'
BIG_IN_EVERY_FORMAT = {
    "s.json": f'{{"deployments": [{{{ROW}, "facts": {{"x": {BIG}}}}}]}}\n',
    "s.jsonl": f'{{{ROW}, "facts": {{"x": {BIG}}}}}\n',
    "s.yaml": "deployments:\n  - {id: d, party: Acme, workload: api, provider: Cloud, "
    f"start: 2025-02-01, facts: {{x: {BIG}}}}}\n",
    "s.csv": f"id,party,workload,provider,start,facts.x\nd,Acme,api,Cloud,2025-02-01,{BIG}\n",
}


@pytest.mark.parametrize("name", sorted(BIG_IN_EVERY_FORMAT))
def test_a_number_past_float_precision_is_read_exactly(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, BIG_IN_EVERY_FORMAT[name])
    (deployment,) = load_scenario(path, TERMS.vocabulary).deployments
    x = deployment.facts["x"]
    assert isinstance(x, dealcheck.rules.units.Quantity)
    assert x.amount == Decimal(BIG)
    assert TERMS.check([deployment]).verdict_of("d") is dealcheck.Verdict.VIOLATION


def test_json_lines_quick_path_reads_the_number_exactly(tmp_path: Path) -> None:
    # Many rows: the JSON Lines reader takes its quick path for plain rows.
    rows = "".join(
        f'{{{ROW.replace(chr(34) + "d" + chr(34), f"{chr(34)}d{n}{chr(34)}")}, '
        f'"facts": {{"x": {BIG}}}}}\n' for n in range(50)
    )
    path = write(tmp_path, "many.jsonl", rows)
    deployments = load_scenario(path, TERMS.vocabulary).deployments
    assert {d.facts["x"].amount for d in deployments} == {Decimal(BIG)}  # type: ignore[union-attr]


def test_the_library_reads_decimals_exactly() -> None:
    row = {"id": "d", "party": "Acme", "workload": "api", "provider": "Cloud",
           "start": "2025-02-01", "facts": {"x": Decimal(BIG)}}
    assert TERMS.check([row]).verdict_of("d") is dealcheck.Verdict.VIOLATION


@pytest.mark.parametrize(
    ("cell", "amount", "dimension"),
    [
        ("1,500 MW", Decimal("1500e6"), "power"),
        ("4,608 GPU", Decimal(4608), "count"),
    ],
)
def test_commas_between_groups_of_three_are_thousands(
    tmp_path: Path, vocabulary: Vocabulary, cell: str, amount: Decimal, dimension: str
) -> None:
    row = f'a,OpenAI,api,AWS,,"{cell}","11,900,000 USD",2025-01-01,'
    path = write(tmp_path, "s.csv", f"{CSV_HEADER}\n{row}\n")
    (deployment,) = load_scenario(path, vocabulary).deployments
    assert deployment.capacity is not None and deployment.value is not None
    assert (deployment.capacity.amount, deployment.capacity.dimension) == (amount, dimension)
    assert deployment.value.amount == Decimal(11_900_000)


def test_a_decimal_comma_is_refused_with_the_fix(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.csv",
        f'{CSV_HEADER}\na,OpenAI,api,AWS,,"1,5 GW","11,9B USD",2025-01-01,\n',
        Expected(
            "DC307", 2, 19,
            "malformed number `1,5` in `capacity`: a comma only separates thousands, "
            "in groups of three digits",
            help="for a decimal, write a point: `1.5 GW`",
        ),
        Expected(
            "DC307", 2, 28,
            "malformed number `11,9B` in `value`: a comma only separates thousands, "
            "in groups of three digits",
            help="for a decimal, write a point: `11.9B USD`",
        ),
    )
    # The help, applied, reads.
    path = write(tmp_path, "fixed.csv", f"{CSV_HEADER}\na,OpenAI,api,AWS,,1.5 GW,11.9B USD,"
                 "2025-01-01,\n")
    (deployment,) = load_scenario(path, vocabulary).deployments
    assert deployment.capacity is not None and deployment.value is not None
    assert deployment.capacity.amount == Decimal("1.5e9")
    assert deployment.value.amount == Decimal("11.9e9")


@pytest.mark.parametrize("cell", ["1,,,2 GW", "1,5,0 GW", "12,34.5 MW", ",500 MW", "1,500, MW"])
def test_other_commas_are_refused(tmp_path: Path, vocabulary: Vocabulary, cell: str) -> None:
    path = write(tmp_path, "s.csv", f'{CSV_HEADER}\na,OpenAI,api,AWS,,"{cell}",,2025-01-01,\n')
    found = check_codes(path, vocabulary)
    assert found == [("DC307", 2, 19)]


def test_a_comma_in_a_number_fact(tmp_path: Path, vocabulary: Vocabulary) -> None:
    check(
        tmp_path,
        vocabulary,
        "s.yaml",
        "deployments:\n  - {id: a, party: OpenAI, workload: api, provider: AWS, "
        'start: 2025-01-01, facts: {budget: "2,5B"}}\n',
        Expected(
            "DC307", 2, 93,
            "malformed number `2,5B` in fact `budget`: a comma only separates thousands, "
            "in groups of three digits",
            help="for a decimal, write a point: `2.5B`",
        ),
    )


def check_codes(path: Path, vocabulary: Vocabulary) -> list[tuple[str, int, int]]:
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        load_scenario(path, vocabulary)
    return [(d.code, d.span.line, d.span.column) for d in caught.value.diagnostics]


@given(st.from_regex(r"[0-9][0-9_,]{0,8}(\.[0-9]{1,3})?[kMB]?", fullmatch=True))
@example("1,5")
@example("11,9B")
@example("1,500_000")
@example("1_000,5")
def test_the_decimal_point_help_always_reads(number: str) -> None:
    """The help's spelling (`1.5 GW` for `1,5 GW`), when offered, is a quantity."""
    units = UnitTable()
    try:
        units.parse(f"{number} GW")
    except CommaError as comma:
        if comma.decimal is not None:
            assert units.parse(f"{comma.decimal} GW").dimension == "power"
    except ValueError:
        pass
