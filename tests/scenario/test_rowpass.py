"""`scenario.rowpass`: plain dicts checked, and judged, in one pass per row.

The pass remembers the values each field's schema found valid; these tests
make sure a remembered value never lets an equal value of another type
through, that `Terms.check` judges each row in the pass itself, and that its
memos can start again without losing a batch already read.
"""

from __future__ import annotations

import datetime as dt

import pytest

import dealcheck
from dealcheck.checker import batch as batch_module
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.batch import DictJudge
from dealcheck.checker.check import check
from dealcheck.checker.codegen import NOT_COVERED
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.scenario import rowpass
from dealcheck.scenario.columns import check_dicts
from dealcheck.scenario.generated import cached
from dealcheck.scenario.rowpass import RowPass
from dealcheck.terms import deployments_to_judge, validate_deployments
from helpers import reference_compiled

TERMS = """\
agreement "Rows" effective 2020-01-01
party Acme, Other
provider Azure operated by Other
provider AWS operated by Other
workload api, batch
region US, EU
fact consent: bool
fact tier: one of gold, silver
clause only_azure:
  Acme runs api only on Azure
clause consented:
  Acme runs batch only if consent
clause azure_cap:
  total value of deployments by Acme on Azure is at most 20M USD
"""


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS)


def _rows(count: int, **extra: object) -> list[dict[str, object]]:
    return [{"id": f"d{n}", "party": ("Acme", "Other")[n % 2],
             "workload": ("api", "batch")[n % 3 % 2], "provider": ("Azure", "AWS")[n % 5 % 2],
             "start": f"2024-01-{1 + n % 28:02d}", "value": f"{1 + n % 9}M USD",
             "facts": {"consent": n % 4 != 0, "tier": "gold"}, **extra}
            for n in range(count)]


def _refusal(terms: dealcheck.Terms, rows: list[dict[str, object]]) -> object:
    with pytest.raises(DiagnosticsError) as caught:
        terms.check(rows)
    return [(d.code, d.message, d.span.file, d.span.line, d.span.column)
            for d in caught.value.diagnostics]


@pytest.mark.parametrize(("name", "remembered", "other"), [
    ("facts", {"consent": True}, {"consent": 1}),     # equal to True, not a boolean
    ("facts", {"consent": False}, {"consent": 0.0}),
    ("facts", {"tier": "gold"}, {"tier": ["gold"]}),  # not hashable
    ("start", "2024-01-02", dt.datetime(2024, 1, 2)),
    ("region", "US", "us"),
])
def test_a_remembered_value_lets_no_other_value_through(
        terms: dealcheck.Terms, name: str, remembered: object, other: object) -> None:
    valid = [{**row, name: remembered} for row in _rows(4)]
    assert cached(terms.vocabulary).table(valid) is not None  # remembered now
    bad = [*valid, {**_rows(5)[4], name: other}]
    assert cached(terms.vocabulary).table(bad) is None
    # Given up, the batch gets the diagnostics the items get one by one.
    _assert_diagnosed_as_one_by_one(terms, bad)


def _assert_diagnosed_as_one_by_one(terms: dealcheck.Terms, bad: list[dict[str, object]]) -> None:
    """The batch, given up, gets the diagnostics its items get one by one."""
    with pytest.raises(DiagnosticsError) as one_by_one:
        validate_deployments(terms.vocabulary, bad)
    assert _refusal(terms, bad) == [
        (d.code, d.message, d.span.file, d.span.line, d.span.column)
        for d in one_by_one.value.diagnostics]


def test_terms_check_judges_each_row_as_the_pass_reads_it(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(60)
    want = check(reference_compiled(terms),  # type: ignore[arg-type]
                 validate_deployments(terms.vocabulary, rows))

    def second_loop(*args: object) -> object:
        raise AssertionError("the dicts were judged in a loop of their own")

    monkeypatch.setattr(batch_module, "_outcomes", second_loop)
    monkeypatch.setattr(AggregateBook, "add_dicts", second_loop)  # the tallies too
    assert want.aggregates[0].contributors  # the cap counts some of the rows
    assert terms.check(rows) == want
    found = deployments_to_judge(terms.vocabulary, rows, DictJudge(terms.compiled(), None))
    outcomes = found.outcomes  # type: ignore[union-attr]
    assert outcomes is not None and NOT_COVERED in outcomes  # Other's keys: no call made
    assert [o[0] for o in outcomes] == [r.verdict for r in want.deployments]


def test_a_batch_judged_for_another_day_is_judged_again(terms: dealcheck.Terms) -> None:
    rows = _rows(20)
    found = deployments_to_judge(terms.vocabulary, rows, DictJudge(terms.compiled(), None))
    day = dt.date(2019, 1, 1)  # before the agreement: nothing covered
    report = check(terms.compiled(), found, day)
    assert [r.not_covered for r in report.deployments] == [True] * len(rows)


def test_an_aggregate_without_a_condition_observes_the_dicts(terms: dealcheck.Terms) -> None:
    epoch = terms.compiled().epoch(dt.date(2024, 1, 1))
    assert epoch is not None
    (plan,) = epoch.aggregates
    assert plan.tests.dict_observer is not None
    rows = _rows(40)
    want = check(reference_compiled(terms),  # type: ignore[arg-type]
                 validate_deployments(terms.vocabulary, rows))
    assert terms.check(rows).aggregates == want.aggregates


def test_memos_start_again_without_losing_a_batch_read(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rowpass, "_MEMO_LIMIT", 3)
    first = cached(terms.vocabulary).dicts(_rows(30))
    # Values never seen before, remembered in the memos the new batch reads its rows with.
    second = cached(terms.vocabulary).dicts(_rows(30, region="EU", value="77M USD"))
    assert first is not None and second is not None
    assert first.memos is not second.memos
    assert len({row.value for row in first}) == 9  # 1M USD to 9M USD, still readable
    assert {row.region for row in second} == {"EU"}
    assert {row.value for row in second} == {second[0].value}
    assert second[0].value is not None and second[0].value.amount == 77_000_000


class _Dict(dict):  # type: ignore[type-arg]
    """A dict of another type: the pass reads exactly dicts."""


def test_an_item_not_exactly_a_dict_gives_the_batch_up(terms: dealcheck.Terms) -> None:
    from types import MappingProxyType

    rows = _rows(6)
    for other in (_Dict(rows[5]), MappingProxyType(rows[5])):
        mixed: list[object] = [*rows[:5], other]
        assert cached(terms.vocabulary).table(mixed) is None  # type: ignore[arg-type]
        assert terms.check(mixed) == terms.check(  # type: ignore[arg-type]
            validate_deployments(terms.vocabulary, mixed))  # type: ignore[arg-type]


@pytest.mark.parametrize("other", ["", " ", "tab\there", ["d1"]])
def test_the_ids_of_a_batch_checked_again_let_no_other_id_through(
        terms: dealcheck.Terms, monkeypatch: pytest.MonkeyPatch, other: object) -> None:
    rows = _rows(8)
    assert cached(terms.vocabulary).table(rows) is not None  # its ids remembered now
    schema = cached(terms.vocabulary).row_pass()._columns["id"]
    checked: list[list[object]] = []

    class Spy:
        def validate_python(self, ids: list[object]) -> object:
            checked.append(ids)
            return schema.validate_python(ids)

    monkeypatch.setitem(cached(terms.vocabulary).row_pass()._columns, "id",  # type: ignore[arg-type]
                        Spy())
    assert cached(terms.vocabulary).table(rows) is not None
    assert cached(terms.vocabulary).table(rows[:5]) is not None
    assert checked == []  # the same ids: none checked again
    twice = [*rows, {**rows[0]}]  # an id given twice
    assert cached(terms.vocabulary).table(twice) is None
    bad = [*rows, {**_rows(9)[8], "id": other}]
    assert cached(terms.vocabulary).table(bad) is None
    # A new id: the batch's ids are checked (one that cannot be a key is refused before).
    assert checked == ([] if isinstance(other, list) else [[row["id"] for row in bad]])
    _assert_diagnosed_as_one_by_one(terms, bad)


def test_a_field_first_given_late_has_the_pass_read_the_batch_again(
        terms: dealcheck.Terms) -> None:
    fresh = RowPass(cached(terms.vocabulary)._column_schemas())  # reads no optional field yet
    rows = [{k: v for k, v in row.items() if k not in ("value", "facts")} for row in _rows(30)]
    rows[-1] = {**rows[-1], "party": "Acme", "provider": "Azure", "value": "9M USD",
                "region": None, "end": "2030-01-01"}
    want = check(reference_compiled(terms),  # type: ignore[arg-type]
                 validate_deployments(terms.vocabulary, rows))
    judge = DictJudge(terms.compiled(), None)
    batch = check_dicts(fresh, rows, judge)
    assert batch is not None and batch.outcomes is not None  # read again, not given up
    assert fresh._shape == {"value", "region", "end"}
    assert len(batch.outcomes) == len(rows) and len(batch.ids) == len(rows)
    report = check(terms.compiled(), batch)
    assert report == want  # the tallies too: those of the first reading forgotten
    assert want.aggregates[0].contributors[-1] == rows[-1]["id"]


@pytest.mark.parametrize("extra", [{"regoin": "US"}, {1: "US"}, {"facts": None}])
def test_a_field_no_deployment_has_gives_the_batch_up(
        terms: dealcheck.Terms, extra: dict[object, object]) -> None:
    rows = [*_rows(10), {**_rows(11)[10], **extra}]
    fine = extra == {"facts": None}  # a field given as null: as if left out
    assert (cached(terms.vocabulary).table(rows) is not None) is fine  # type: ignore[arg-type]
    if not fine:
        with pytest.raises(DiagnosticsError) as one_by_one:
            validate_deployments(terms.vocabulary, rows)  # type: ignore[arg-type]
        assert _refusal(terms, rows) == [  # type: ignore[arg-type]
            (d.code, d.message, d.span.file, d.span.line, d.span.column)
            for d in one_by_one.value.diagnostics]
