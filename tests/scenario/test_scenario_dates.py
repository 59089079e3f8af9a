"""One reading of dates for terms, scenarios and `--as-of`: the same text, the same answer."""

from __future__ import annotations

import datetime as dt

import pytest

import dealcheck
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.rules.dates import read_date
from dealcheck.rules.resolve import parse_as_of

TERMS = """\
agreement "Dates" effective 2025-01-01
party Acme
provider Cloud operated by Acme
workload api
"""


def _scenario_date(text: str) -> dt.date | list[str]:
    row = {"id": "d", "party": "Acme", "workload": "api", "provider": "Cloud", "start": text}
    try:
        report = dealcheck.loads(TERMS).check([row])
    except DiagnosticsError as exc:
        return [f"{d.code}: {d.message}" for d in exc.diagnostics]
    return report.deployments[0].evaluated_on


@pytest.mark.parametrize("text", [
    "2025-03-10", "2024-02-29", "\u0662\u0660\u0662\u0665-\u0660\u0663-\u0661\u0660",
    "２０２５-03-10", "2025-02-29", "2025-13-01", "0000-01-01", "2025-3-10", "10/03/2025",
])
def test_terms_scenarios_and_as_of_read_a_date_alike(text: str) -> None:
    found = read_date(text)
    scenario = _scenario_date(text)
    terms_text = TERMS.replace("2025-01-01", text)
    try:
        terms_date: object = dealcheck.loads(terms_text).effective
    except DiagnosticsError:
        terms_date = None
    try:
        as_of: object = parse_as_of(text)
    except DiagnosticsError:
        as_of = None
    if isinstance(found, dt.date):
        assert scenario == terms_date == as_of == found
    else:
        assert terms_date is None and as_of is None
        assert isinstance(scenario, list) and scenario
        assert all(line.startswith("DC") for line in scenario)


def test_digits_of_other_scripts_are_no_date() -> None:
    """`٢٠٢٥-٠٣-١٠` prints like a date to some readers; it is not one to dealcheck."""
    problem = read_date("\u0662\u0660\u0662\u0665-\u0660\u0663-\u0661\u0660")
    assert not isinstance(problem, dt.date) and problem.malformed
    assert _scenario_date("\u0662\u0660\u0662\u0665-\u0660\u0663-\u0661\u0660") == [
        "DC306: malformed date `\u0662\u0660\u0662\u0665-\u0660\u0663-\u0661\u0660` in `start`"]
