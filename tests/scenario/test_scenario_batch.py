"""A batch of deployments (`Terms.check`, `parse_deployments`) against the same items one by one.

The batch path validates a list in one call of the generated validator, and
passes through the `Deployment` objects it validated before; the per-item
path (`validate._parse_each`) checks every item on its own with every
diagnostic. Both must give the same deployments, or the same diagnostics, for
any mix of valid and invalid dicts and objects; and the report of a batch
must be the reference evaluator's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealcheck
from dealcheck.checker.batch import Results
from dealcheck.checker.check import check
from dealcheck.checker.compile import CompiledTerms
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario import validate
from dealcheck.scenario.generated import RowValidator, cached
from dealcheck.scenario.model import Deployment
from dealcheck.scenario.validate import parse_deployment, parse_deployments
from dealcheck.terms import validate_deployments
from helpers import reference_compiled
from hypothesis_profiles import examples

TERMS = """\
agreement "Batches" effective 2020-01-01
party OpenAI, Microsoft, Amazon
provider Azure operated by Microsoft
provider AWS operated by Amazon
workload api, training
region US, EU
fact consent: bool
fact customer: one of commercial, government
fact budget: number USD
clause only_azure:
  OpenAI runs any workload only on Azure
clause consented notwithstanding only_azure:
  OpenAI may run training on any provider when consent
clause government_api:
  OpenAI runs api only if customer = government or budget <= 5M USD
clause azure_cap:
  total value of deployments by OpenAI on Azure is at most 10M USD
"""

BASE: dict[str, object] = {
    "id": "d", "party": "OpenAI", "workload": "api", "provider": "Azure", "start": "2025-03-10",
}


@pytest.fixture(scope="module")
def terms() -> dealcheck.Terms:
    return dealcheck.loads(TERMS)


@pytest.fixture(scope="module")
def reference(terms: dealcheck.Terms) -> CompiledTerms:
    return reference_compiled(terms)  # type: ignore[return-value]


@pytest.fixture
def no_object_validation(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the `Deployment` objects the generated validator is asked to check again."""
    checked: list[int] = []
    objects = RowValidator.objects

    def counting(self: RowValidator, items: list[Deployment]) -> list[Deployment]:
        checked.append(len(items))
        return objects(self, items)

    monkeypatch.setattr(RowValidator, "objects", counting)
    yield checked


def _rows(count: int) -> list[dict[str, object]]:
    return [{**BASE, "id": f"d{n}", "provider": ("Azure", "AWS")[n % 2],
             "workload": ("api", "training")[n % 3 % 2], "value": f"{n + 1}M USD",
             "facts": {"consent": n % 4 == 0}} for n in range(count)]


def _problems(diagnostics: list[Diagnostic]) -> list[tuple[object, ...]]:
    return [(d.code, d.span.file, d.span.line, d.span.column, d.message, d.help,
             [(r.span.file, r.span.line, r.message) for r in d.related]) for d in diagnostics]


# -- objects validated before are not validated again ---------------------------------------


def test_objects_the_validator_made_are_not_checked_again(
        terms: dealcheck.Terms, no_object_validation: list[int]) -> None:
    rows = _rows(40)
    ready = validate_deployments(terms.vocabulary, rows)
    assert parse_deployments(ready, terms.vocabulary) == ready
    assert all(a is b for a, b in zip(parse_deployments(ready[5:20], terms.vocabulary),
                                      ready[5:20], strict=True))
    assert terms.check(ready) == terms.check(rows)
    assert terms.decide(ready[3]) == terms.decide(rows[3])
    assert no_object_validation == []


def test_objects_made_for_an_equal_vocabulary_are_trusted_too(
        terms: dealcheck.Terms, no_object_validation: list[int]) -> None:
    ready = validate_deployments(terms.vocabulary, _rows(5))
    again = dealcheck.loads(TERMS)  # the same terms read again: an equal vocabulary
    assert again.vocabulary is not terms.vocabulary
    assert again.check(ready) == terms.check(ready)
    assert no_object_validation == []


def test_objects_are_checked_against_another_vocabulary(terms: dealcheck.Terms) -> None:
    ready = validate_deployments(terms.vocabulary, _rows(4))
    narrower = dealcheck.loads(TERMS.replace("provider AWS operated by Amazon\n", ""))
    with pytest.raises(DiagnosticsError) as caught:
        narrower.check(ready)
    assert [(d.code, d.span.file, d.message) for d in caught.value.diagnostics] == [
        ("DC303", "deployments[1]", "undeclared provider `AWS`"),
        ("DC303", "deployments[3]", "undeclared provider `AWS`"),
    ]


def test_a_validated_object_given_twice_is_a_duplicate(terms: dealcheck.Terms) -> None:
    ready = validate_deployments(terms.vocabulary, _rows(4))
    with pytest.raises(DiagnosticsError) as caught:
        terms.check([*ready, ready[2]])
    assert _problems(caught.value.diagnostics) == [
        ("DC304", "deployments[4]", 1, 1, "duplicate deployment id `d2`",
         "give each deployment its own id", [("deployments[2]", 1, "first used here")]),
    ]


def test_an_object_made_by_hand_among_validated_ones_is_checked(
        terms: dealcheck.Terms, no_object_validation: list[int]) -> None:
    ready = validate_deployments(terms.vocabulary, _rows(3))
    typo = Deployment(id="typo", party="OpenAI", workload="api", provider="Azur",
                      start=dt.date(2025, 1, 1))
    with pytest.raises(DiagnosticsError) as caught:
        terms.check([*ready, typo])
    assert [(d.code, d.span.file, d.message) for d in caught.value.diagnostics] == [
        ("DC303", "deployments[3]", "undeclared provider `Azur`")]
    assert no_object_validation == [4]


def test_a_refused_batch_vouches_for_nothing(terms: dealcheck.Terms,
                                             no_object_validation: list[int]) -> None:
    held = validate_deployments(terms.vocabulary, _rows(3))
    backwards = {**BASE, "id": "late", "end": "2025-01-01"}
    with pytest.raises(DiagnosticsError):
        validate_deployments(terms.vocabulary, [{**BASE, "id": "fine"}, backwards])
    assert parse_deployments(held, terms.vocabulary) == held
    assert no_object_validation == []
    one = parse_deployment(BASE, terms.vocabulary)  # made one at a time: checked as given
    assert parse_deployments([one], terms.vocabulary) == [one]
    assert no_object_validation == [1]


# -- valid dicts are judged as rows, validated column by column -----------------------------


def test_valid_dicts_are_judged_as_rows_validated_column_by_column(
        terms: dealcheck.Terms, reference: CompiledTerms,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [*_rows(30), {**BASE, "id": "dated", "start": dt.date(2025, 5, 1), "region": None,
                         "end": "2030-01-01", "facts": None}]
    one_by_one = [validate._parse_each([row], terms.vocabulary)[0] for row in rows]

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("valid dicts left the column-by-column path")

    monkeypatch.setattr(RowValidator, "rows", refused)
    monkeypatch.setattr(validate, "_parse_each", refused)
    found = cached(terms.vocabulary).table(rows)
    assert found is not None
    assert [row.deployment() for row in found] == one_by_one
    assert all(row.source is None for row in found)
    report = terms.check(rows)
    # Judged as rows, their results built when read (`checker.batch`), unless the
    # reference evaluator judges everything.
    assert isinstance(report.deployments, Results) is not terms.compiled().reference
    assert report == check(reference, one_by_one)
    assert report == check(reference, found)  # the reference judges a row's deployment
    assert list(report.deployments) == check(reference, one_by_one).deployments
    assert terms.check(rows, as_of="2025-06-01") == check(reference, one_by_one,
                                                          dt.date(2025, 6, 1))


@pytest.mark.parametrize("change", [
    {"facts": {"consent": None}},          # a null fact: unknown, which rows() drops
    {"facts": {"budget": 4}},              # a number fact becomes a `Quantity`
    {"facts": {"consent": 1}},             # not a boolean (though equal to True)
    {"facts": {"customer": "retail"}},
    {"facts": [("consent", True)]},
    {"start": dt.datetime(2025, 3, 10)},   # a datetime is not a date
    {"start": "2025-3-10"},
    {"value": 5},
    {"region": ["US"]},                    # not hashable
    {"end": "2025-01-01"},                 # before its start
    {"id": "d0"},                          # the id of the row before
    {"id": ""},
    {"regoin": "US"},
    {"party": None},
])
def test_rows_are_given_up_for_anything_the_columns_do_not_vouch_for(
        terms: dealcheck.Terms, reference: CompiledTerms, change: dict[str, object]) -> None:
    rows = [{**BASE, "id": "d0"}, {**BASE, "id": "d1", **change}]
    assert cached(terms.vocabulary).table(rows) is None
    assert _outcome(parse_deployments, rows, terms.vocabulary) == _outcome(
        validate._parse_each, rows, terms.vocabulary)


def test_a_row_missing_a_required_field_is_given_up(terms: dealcheck.Terms) -> None:
    rows: list[dict[str, object]] = [{**BASE, "id": "d0"}, {**BASE, "id": "d1"}]
    del rows[1]["start"]
    assert cached(terms.vocabulary).table(rows) is None
    assert cached(terms.vocabulary).table([]) == []


# -- the batch and the items one by one: the same deployments, diagnostics and report -------

_VALID: dict[str, st.SearchStrategy[object]] = {
    "party": st.sampled_from(["OpenAI", "Microsoft"]),
    "workload": st.sampled_from(["api", "training"]),
    "provider": st.sampled_from(["Azure", "AWS"]),
    "start": st.sampled_from(["2024-12-31", "2025-03-10", "2026-01-01"])
    | st.just(dt.date(2025, 6, 1)),
    "region": st.sampled_from(["US", "EU", None]),
    "end": st.sampled_from(["2027-01-01", None]),
    "value": st.sampled_from(["1M USD", "6M USD", "2,500k USD", None]),
}
_INVALID: dict[str, st.SearchStrategy[object]] = {
    "party": st.sampled_from(["OpenAl", "", 3, None]),
    "provider": st.sampled_from(["Azur", ["Azure"]]),
    "start": st.sampled_from(["2025-02-30", "10/03/2025", dt.datetime(2025, 1, 1)]),
    "end": st.sampled_from(["2020-01-01", "never"]),
    "value": st.sampled_from(["5 GW", "lots", 5]),
    "region": st.sampled_from(["Mars", True]),
    "facts": st.sampled_from([{"consent": "yes"}, {"mood": True}, {"budget": "5 GW"}, []]),
    "regoin": st.just("US"),
}
_FACTS = st.fixed_dictionaries({}, optional={
    "consent": st.booleans() | st.none(),
    "customer": st.sampled_from(["commercial", "government"]),
    "budget": st.sampled_from(["2M USD", "9M USD", 4]),
})


@st.composite
def _item(draw: st.DrawFn, number: int) -> dict[str, object]:
    row: dict[str, object] = {"id": draw(st.sampled_from([f"d{number}", "d0", " padded "]))}
    for name, values in _VALID.items():
        value = draw(values)
        if value is not None or draw(st.booleans()):
            row[name] = value  # an optional field given as null, or left out
    if draw(st.booleans()):
        row["facts"] = draw(_FACTS)
    if draw(st.integers(0, 5)) == 0:
        name = draw(st.sampled_from(sorted(_INVALID)))
        row[name] = draw(_INVALID[name])
    if draw(st.integers(0, 9)) == 0:
        del row[draw(st.sampled_from(["id", "party", "start"]))]
    return row


@st.composite
def _batch(draw: st.DrawFn, terms: dealcheck.Terms) -> list[Any]:
    size = draw(st.integers(0, 8))
    items: list[Any] = [draw(_item(n)) for n in range(size)]
    for n, item in enumerate(items):
        if draw(st.integers(0, 3)) == 0:
            with contextlib.suppress(DiagnosticsError):  # the same one given as an object
                items[n] = parse_deployment(item, terms.vocabulary)
    return items


def _outcome(parse: Any, items: list[Any], vocabulary: Vocabulary) -> tuple[str, object]:
    try:
        found = parse(items, vocabulary)
    except DiagnosticsError as refused:
        return "refused", _problems(refused.diagnostics)
    return "valid", [(d, d.source) for d in found]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_batch_gives_what_its_items_give_one_by_one(
        terms: dealcheck.Terms, reference: CompiledTerms, data: st.DataObject) -> None:
    items = data.draw(_batch(terms))
    vocabulary = terms.vocabulary
    batch = _outcome(parse_deployments, items, vocabulary)
    assert batch == _outcome(validate._parse_each, items, vocabulary)
    if batch[0] == "refused":
        return
    found = parse_deployments(items, vocabulary)
    assert parse_deployments(found, vocabulary) == found  # validated: passed through
    as_of = data.draw(st.sampled_from([None, "2025-06-01"]))
    report = terms.check(items, as_of=as_of)
    when = None if as_of is None else dt.date.fromisoformat(as_of)
    one_by_one = [validate._parse_each([item], vocabulary)[0] for item in items]
    assert report == check(reference, one_by_one, when)
    assert terms.check(found, as_of=as_of) == report
