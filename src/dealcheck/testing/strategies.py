"""Hypothesis strategies over terms and scenarios: deployments, scenarios, terms files.

Deployments are drawn from the terms' own vocabulary, with dates and
quantities chosen around what the terms mention (windows, amendment dates,
caps, thresholds), so that properties meet the edges of the terms rather than
random noise::

    from hypothesis import given
    from dealcheck.testing import deployments

    @given(deployments(terms, workload="api", provider="AWS"))
    def test_the_api_never_runs_on_aws(d):
        assert terms.check([d]).verdict_of(d.id) != "compliant"

Arguments are validated when the strategy is built, and a mistake raises
`hypothesis.errors.InvalidArgument` naming it, as `hypothesis.extra` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from dealcheck.dsl.diagnostics import did_you_mean
from dealcheck.rules import model as m
from dealcheck.rules.kinds import DEPLOYMENT_KINDS, KINDS
from dealcheck.rules.units import QUANTITY_RE, Quantity
from dealcheck.scenario.model import Deployment, FactValue
from dealcheck.testing import _documents
from dealcheck.testing._landmarks import (
    Landmarks,
    amounts_near,
    dates_near,
    landmarks_of,
    measures,
    plain,
    quantities_of,
    written,
)

__all__ = [
    "FIELDS",
    "deployments",
    "fact_values",
    "resolved_terms",
    "scenario_document",
    "scenarios",
    "terms_sources",
]

#: The fields of a deployment that `deployments(terms, **fixed)` can fix.
FIELDS = ("id", "party", "workload", "provider", "region", "start", "end", "capacity",
          "value", "facts")

T = TypeVar("T")

# ---------------------------------------------------------------- argument checks


def _check_terms(terms: object, where: str) -> m.Terms:
    if not isinstance(terms, m.Terms):
        raise InvalidArgument(
            f"{where} expects terms loaded with `dealcheck.load` or `dealcheck.loads`, "
            f"got {type(terms).__name__}: {terms!r:.60}")
    return terms


def _check_size(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be at least {minimum}")
    return value


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = did_you_mean(name, list(candidates))
    return f" (did you mean {close!r}?)" if close else ""


def _declared(kind: str, value: object, names: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in names:
        hint = _suggest(value, names) if isinstance(value, str) else ""
        listed = ", ".join(repr(n) for n in names) or "none"
        raise InvalidArgument(f"{kind}={value!r} is not a {kind} of the terms{hint}; "
                              f"declared: {listed}")
    return value


def _date(name: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise InvalidArgument(f"{name}={value!r} must be a date or an ISO date string")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidArgument(f"{name}={value!r} is not an ISO date (YYYY-MM-DD)") from None
    return value


def _quantity(terms: m.Terms, name: str, value: object, dimensions: Sequence[str]) -> Quantity:
    if isinstance(value, str):
        try:
            value = terms.vocabulary.units.parse(value)
        except ValueError as exc:
            raise InvalidArgument(f"{name}={value!r}: {exc}") from None
    if not isinstance(value, Quantity):
        raise InvalidArgument(f"{name}={value!r} must be a quantity such as '300 MW' "
                              "or a `Quantity`")
    if value.dimension not in dimensions or value.amount < 0:
        wanted = " or ".join(d or "a plain number" for d in dimensions)
        raise InvalidArgument(f"{name}={value!r} must be a non-negative quantity of {wanted}")
    return value


def _fact(terms: m.Terms, fact: m.Fact, value: object) -> FactValue:
    label = f"fact {fact.name!r}"
    kind = fact.type.kind
    if kind is m.FactKind.BOOL:
        if not isinstance(value, bool):
            raise InvalidArgument(f"{label}={value!r} must be True or False")
        return value
    if kind is m.FactKind.ENUM:
        if not isinstance(value, str) or value not in fact.type.values:
            raise InvalidArgument(f"{label}={value!r} must be one of "
                                  + ", ".join(repr(v) for v in fact.type.values))
        return value
    if kind is m.FactKind.DATE:
        return _date(label, value)
    # A number without a unit is in the fact's declared unit, as in scenario files.
    units = terms.vocabulary.units
    try:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            value = units.quantity(format(Decimal(str(value)), "f"), fact.type.unit)
        elif isinstance(value, str):
            match = QUANTITY_RE.match(value)
            if match and match["unit"] is None:
                value = units.quantity(match["num"] + match["mult"], fact.type.unit)
    except ValueError as exc:
        raise InvalidArgument(f"{label}={value!r}: {exc}") from None
    return _quantity(terms, label, value, (fact.type.dimension,))


class _Checked:
    """Checks each value a fixing strategy draws; a short repr keeps the terms out of
    Hypothesis' output."""

    def __init__(self, terms: m.Terms, what: Any, check: Callable[[m.Terms, Any, object], Any]
                 ) -> None:
        self.terms, self.what, self.check = terms, what, check

    def __call__(self, value: object) -> Any:
        return self.check(self.terms, self.what, value)

    def __repr__(self) -> str:
        name = self.what.name if isinstance(self.what, m.Fact) else self.what
        return f"check_{name}"


def _optional_fact(terms: m.Terms, fact: m.Fact, value: object) -> FactValue | None:
    return None if value is None else _fact(terms, fact, value)


def _facts(terms: m.Terms, value: object) -> dict[str, FactValue]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"facts={value!r} must be a mapping of fact names to values")
    declared = terms.vocabulary.facts
    out: dict[str, FactValue] = {}
    for name, item in value.items():
        if name not in declared:
            raise InvalidArgument(f"facts: {name!r} is not a fact of the terms"
                                  f"{_suggest(str(name), declared)}; declared: "
                                  + (", ".join(repr(f) for f in declared) or "none"))
        if item is not None:
            out[name] = _fact(terms, declared[name], item)
    return out


#: The deployment fields that name a declared name, with its kind.
_FIELD_KINDS = {kind.name: kind for kind in DEPLOYMENT_KINDS}


def _normalise(terms: m.Terms, name: str, value: object) -> object:
    """A fixed field's value, checked against the terms and in the deployment's own type."""
    vocab = terms.vocabulary
    if name == "id":
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgument(f"id={value!r} must be a non-empty string")
        return value
    kind = _FIELD_KINDS.get(name)
    if kind is not None:
        if value is None and name == "region":  # the one optional name field
            return None
        return _declared(name, value, list(kind.names_in(vocab)))
    if name == "start":
        return _date(name, value)
    if name == "end":
        return None if value is None else _date(name, value)
    if name == "capacity":
        return None if value is None else _quantity(
            terms, name, value, vocab.units.of_kinds(("power", "count")))
    if name == "value":
        return None if value is None else _quantity(terms, name, value,
                                                    vocab.units.of_kinds(("money",)))
    return _facts(terms, value)


def _fixed(terms: m.Terms, fixed: Mapping[str, object], allowed: Sequence[str],
           where: str) -> dict[str, st.SearchStrategy[Any]]:
    out: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in fixed.items():
        if name not in allowed:
            raise InvalidArgument(f"{where} got an unexpected keyword argument {name!r}"
                                  f"{_suggest(name, allowed)}; it fixes one of: "
                                  + ", ".join(allowed))
        if isinstance(value, st.SearchStrategy):
            out[name] = value.map(_Checked(terms, name, _normalise))
        else:
            out[name] = st.just(_normalise(terms, name, value))
    return out


# ---------------------------------------------------------------- facts


def _fact_strategy(fact: m.Fact, landmarks: Landmarks) -> st.SearchStrategy[FactValue]:
    t = fact.type
    if t.kind is m.FactKind.BOOL:
        return st.booleans()
    if t.kind is m.FactKind.ENUM:
        return st.sampled_from(t.values)
    if t.kind is m.FactKind.DATE:
        return dates_near(landmarks.fact_dates.get(fact.name, ()) or landmarks.dates)
    amounts = amounts_near(landmarks.fact_amounts.get(fact.name, ()), Decimal(1))
    return quantities_of(amounts, t.dimension)


def fact_values(terms: m.Terms, *, complete: bool = False,
                **fixed: object) -> st.SearchStrategy[dict[str, FactValue]]:
    """Facts of a deployment, drawn from the terms' fact declarations.

    Args:
        terms: the terms whose facts to draw.
        complete: give every declared fact a value; by default each fact is
            sometimes absent (unknown).
        **fixed: a fact's name fixes it to a value, to a strategy of values, or
            (``None``) to absent.

    Returns:
        A strategy of mappings from fact names to values (bool, enumeration
        member, `Quantity` or `datetime.date`), ready for ``Deployment(facts=…)``.

    >>> import dealcheck
    >>> t = dealcheck.loads('''agreement "x" effective 2025-01-01
    ... party A
    ... provider P operated by A
    ... workload w
    ... fact consent: bool''')
    >>> fact_values(t, consent=True).example()
    {'consent': True}
    """
    terms = _check_terms(terms, "fact_values()")
    if not isinstance(complete, bool):
        raise InvalidArgument(f"complete={complete!r} must be True or False")
    declared = terms.vocabulary.facts
    landmarks = landmarks_of(terms)
    parts: dict[str, st.SearchStrategy[FactValue | None]] = {}
    for name, value in fixed.items():
        if name not in declared:
            raise InvalidArgument(f"fact_values() got {name!r}, which is not a fact of the "
                                  f"terms{_suggest(name, declared)}; declared: "
                                  + (", ".join(repr(f) for f in declared) or "none"))
        fact = declared[name]
        if isinstance(value, st.SearchStrategy):
            parts[name] = value.map(_Checked(terms, fact, _optional_fact))
        else:
            parts[name] = st.just(None if value is None else _fact(terms, fact, value))
    for name, fact in declared.items():
        if name not in parts:
            drawn = _fact_strategy(fact, landmarks)
            parts[name] = drawn if complete else st.one_of(st.none(), drawn)
    return st.fixed_dictionaries(parts).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


# ---------------------------------------------------------------- deployments


def _mentioned(terms: m.Terms, kind: str) -> list[str]:
    """The names of one kind that some clause's scope or rule mentions, in declaration order."""
    seen: set[str] = set()
    for c in terms.clauses:
        scope = c.scope
        # A scope keeps each kind's names under the vocabulary's attribute name.
        names: frozenset[str] | None = getattr(scope, KINDS[kind].names)
        seen |= names or set()
        if isinstance(c.rule, m.Exclusivity) and c.rule.target == kind:
            seen |= c.rule.allowed
    return [n for n in terms.vocabulary.names_of(kind) if n in seen]


def _names(terms: m.Terms, kind: str) -> st.SearchStrategy[str]:
    """A declared name, half the time one that the clauses mention."""
    declared = terms.vocabulary.names_of(kind)
    mentioned = _mentioned(terms, kind)
    if mentioned and len(mentioned) < len(declared):
        return st.one_of(st.sampled_from(mentioned), st.sampled_from(declared))
    return st.sampled_from(declared)


def _defaults(terms: m.Terms, landmarks: Landmarks) -> dict[str, st.SearchStrategy[Any]]:
    """The strategy of each field that is not fixed (`end` is drawn after `start`)."""
    regions = terms.vocabulary.names_of("region")
    units = terms.vocabulary.units
    return {
        "id": st.integers(1, 999).map(lambda n: f"d{n}"),
        "party": _names(terms, "party"),
        "workload": _names(terms, "workload"),
        "provider": _names(terms, "provider"),
        "region": st.one_of(st.none(), _names(terms, "region")) if regions else st.none(),
        "start": dates_near(landmarks.dates),
        "capacity": st.none() | measures(landmarks, units.of_kinds(("power", "count"))),
        "value": st.none() | measures(landmarks, units.of_kinds(("money",))),
        "facts": fact_values(terms),
    }


_END_OFFSETS = st.sampled_from((0, 1, 30, 365))


def _deployment(strategies: dict[str, st.SearchStrategy[Any]], later: st.SearchStrategy[dt.date],
                fixed: frozenset[str]) -> st.SearchStrategy[Deployment]:
    # A closure, not arguments: Hypothesis shows a strategy's arguments in its repr.
    @st.composite
    def deployment(draw: st.DrawFn) -> Deployment:
        return _build(draw, strategies, later, fixed)
    return deployment()


def _build(draw: st.DrawFn, strategies: dict[str, st.SearchStrategy[Any]],
           later: st.SearchStrategy[dt.date], fixed: frozenset[str]) -> Deployment:
    end: dt.date | None
    if "end" in fixed:
        end = draw(strategies["end"])
        start: dt.date = draw(strategies["start"])
        if end is not None and end < start and "start" not in fixed:
            start = end  # a drawn start gives way to a fixed end
    else:
        start = draw(strategies["start"])
        shape = draw(st.integers(0, 2))
        if shape == 0:
            end = None
        elif shape == 1:
            end = start + dt.timedelta(days=draw(_END_OFFSETS))
        else:
            end = max(start, draw(later))
    if end is not None and end < start:
        raise InvalidArgument(f"end={end} is before start={start}: a deployment must not "
                              "end before it starts")
    return Deployment(
        id=draw(strategies["id"]), party=draw(strategies["party"]),
        workload=draw(strategies["workload"]), provider=draw(strategies["provider"]),
        start=start, region=draw(strategies["region"]), end=end,
        capacity=draw(strategies["capacity"]), value=draw(strategies["value"]),
        facts=draw(strategies["facts"]),
    )


def deployments(terms: m.Terms, **fixed: object) -> st.SearchStrategy[Deployment]:
    """Valid deployments drawn from the terms' own vocabulary.

    Parties, workloads, providers and regions are the declared ones; start and
    end dates fall on, just before or just after the dates the terms mention
    (the agreement, clause windows, amendments, aggregate windows and
    deadlines, dates in conditions), or anywhere around them; capacities and
    values are near the caps and thresholds the terms mention; each fact is
    sometimes absent (unknown), and so are region, end, capacity and value.

    Args:
        terms: the terms, as `dealcheck.load` returns them.
        **fixed: fix a field (one of `FIELDS`) to a value or to a strategy of
            values: ``party="OpenAI"``, ``provider=st.sampled_from(["AWS", "GCP"])``,
            ``start="2025-03-01"``, ``capacity="300 MW"``, ``region=None`` (absent),
            ``facts={"customer": "commercial"}`` (exactly these facts; see
            `fact_values` to fix some facts and draw the others).

    Returns:
        A strategy of `dealcheck.Deployment`.

    Raises:
        hypothesis.errors.InvalidArgument: at once for a wrong argument (a name the
            terms do not declare, a malformed date or quantity); when a value drawn
            from a fixing strategy is wrong, when it is drawn.
    """
    terms = _check_terms(terms, "deployments()")
    fixed_strategies = _fixed(terms, fixed, FIELDS, "deployments()")
    start, end = fixed.get("start"), fixed.get("end")
    if (start is not None and end is not None and not isinstance(start, st.SearchStrategy)
            and not isinstance(end, st.SearchStrategy)
            and _date("end", end) < _date("start", start)):
        raise InvalidArgument(f"end={end!r} is before start={start!r}")
    landmarks = landmarks_of(terms)
    strategies = {**_defaults(terms, landmarks), **fixed_strategies}
    return _deployment(strategies, dates_near(landmarks.dates), frozenset(fixed))


def scenarios(terms: m.Terms, *, min_size: int = 0, max_size: int = 8,
              **fixed: object) -> st.SearchStrategy[list[Deployment]]:
    """Valid scenarios: lists of deployments with unique ids (``d1``, ``d2``, …).

    Args:
        terms: the terms, as `dealcheck.load` returns them.
        min_size: the fewest deployments.
        max_size: the most deployments.
        **fixed: as for `deployments`, applied to every deployment (except `id`).

    Returns:
        A strategy of lists of `dealcheck.Deployment`, ready for ``terms.check``.
    """
    terms = _check_terms(terms, "scenarios()")
    low = _check_size("min_size", min_size)
    high = _check_size("max_size", max_size)
    if low > high:
        raise InvalidArgument(f"min_size={min_size} is larger than max_size={max_size}")
    if "id" in fixed:
        raise InvalidArgument("scenarios() assigns unique ids itself: do not fix `id`")
    one = deployments(terms, **fixed)

    def number(items: list[Deployment]) -> list[Deployment]:
        return [dataclasses.replace(d, id=f"d{i}") for i, d in enumerate(items, 1)]

    return st.lists(one, min_size=low, max_size=high).map(number)


def scenario_document(deployments: Iterable[Deployment],
                      name: str | None = None) -> dict[str, object]:
    """A scenario as the JSON or YAML scenario file would hold it (`dealcheck schema scenario`).

    Quantities are written exactly (``"1.2 GW"``, ``"11.9B USD"``), dates in ISO
    form; absent optional fields are left out.

    Args:
        deployments: the deployments, e.g. drawn from `scenarios`.
        name: the scenario's name, if any.

    Returns:
        A JSON-ready mapping: ``json.dump`` it to a ``.json`` scenario file.
    """
    entries: list[dict[str, object]] = []
    for d in deployments:
        entry: dict[str, object] = {"id": d.id, "party": d.party, "workload": d.workload,
                                    "provider": d.provider}
        if d.region is not None:
            entry["region"] = d.region
        if d.capacity is not None:
            entry["capacity"] = written(d.capacity)
        if d.value is not None:
            entry["value"] = written(d.value)
        entry["start"] = d.start.isoformat()
        if d.end is not None:
            entry["end"] = d.end.isoformat()
        if d.facts:
            entry["facts"] = {k: _fact_json(v) for k, v in d.facts.items()}
        entries.append(entry)
    document: dict[str, object] = {}
    if name is not None:
        document["scenario"] = name
    document["deployments"] = entries
    return document


def _fact_json(value: FactValue) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Quantity):
        return written(value) if value.dimension else plain(value.amount)
    return value


# ---------------------------------------------------------------- terms files


def _plan_arguments(min_clauses: object, max_clauses: object, max_amendments: object
                    ) -> tuple[int, int, int]:
    low = _check_size("min_clauses", min_clauses)
    high = _check_size("max_clauses", max_clauses)
    if low > high:
        raise InvalidArgument(f"min_clauses={min_clauses} is larger than "
                              f"max_clauses={max_clauses}")
    return low, high, _check_size("max_amendments", max_amendments)


def terms_sources(*, min_clauses: int = 1, max_clauses: int = 6,
                  max_amendments: int = 2, overlapping: bool = False) -> st.SearchStrategy[str]:
    """Valid terms files, as text in the canonical format.

    Each file declares a small vocabulary (parties, providers, workloads and
    regions with their groups, facts of every type, a unit of its own) and
    states clauses of every kind — exclusivities on providers and regions,
    requirements, prohibitions, permissions (with exceptions to exceptions),
    caps and commitments — with effective windows, nested conditions and
    amendments that add, revoke and replace clauses. Every file resolves
    without error (`dealcheck.loads` accepts it).

    Args:
        min_clauses: the fewest clauses of the base agreement.
        max_clauses: the most clauses of the base agreement.
        max_amendments: the most amendments (each adds, revokes or replaces 1–3 clauses).
        overlapping: make every clause speak of the same deployments: one
            party, one or two workloads, two or three providers, and
            conditions mostly over two to four shared facts, with
            restrictions and exceptions to them (and exceptions to those)
            the most common clauses. Then a deployment is judged by several
            clauses at once, and missing facts matter to more than one.

    Returns:
        A strategy of terms source text.
    """
    low, high, amendments = _plan_arguments(min_clauses, max_clauses, max_amendments)
    if not isinstance(overlapping, bool):
        raise InvalidArgument(f"overlapping={overlapping!r} must be True or False")
    from dealcheck.dsl.format import format_document

    return _documents.terms_plans(low, high, amendments, overlapping).map(
        lambda plan: format_document(plan.document()))


def resolved_terms(*, min_clauses: int = 1, max_clauses: int = 6,
                   max_amendments: int = 2, overlapping: bool = False
                   ) -> st.SearchStrategy[m.Terms]:
    """Valid terms, loaded: `terms_sources` passed through `dealcheck.loads`."""
    from dealcheck import loads

    return terms_sources(min_clauses=min_clauses, max_clauses=max_clauses,
                         max_amendments=max_amendments, overlapping=overlapping).map(
        lambda text: loads(text, "<generated>.deal"))
