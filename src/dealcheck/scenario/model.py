"""The deployment record the checker evaluates: plain, slotted and cheap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dealcheck._speed import slot_builder
from dealcheck.rules.units import Quantity

#: A fact's value on a deployment: bool, enumeration member, quantity or date.
FactValue = bool | str | Quantity | dt.date

_NO_FACTS: Mapping[str, FactValue] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a deployment was written: the scenario file and its line."""

    file: str
    line: int
    column: int = 1


@dataclass(frozen=True, slots=True)
class Deployment:
    """One proposed deployment, validated against the terms' vocabulary.

    A fact absent from `facts` is *unknown* (three-valued logic).
    """

    id: str
    party: str
    workload: str
    provider: str
    start: dt.date
    region: str | None = None
    end: dt.date | None = None
    capacity: Quantity | None = None
    value: Quantity | None = None
    facts: Mapping[str, FactValue] = field(default_factory=lambda: _NO_FACTS)
    source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Scenario:
    """The deployments read from one scenario file."""

    path: str
    name: str | None
    deployments: tuple[Deployment, ...]
    sha256: str = ""
    #: The facts of the whole scenario (its top-level `facts:`), which every deployment
    #: that does not give its own value already holds.
    facts: Mapping[str, FactValue] = field(default_factory=lambda: _NO_FACTS)


#: `Deployment(...)` with every field given in order, twice as fast (`slot_builder`).
new_deployment = slot_builder(Deployment)


def with_scenario_facts(d: Deployment, facts: Mapping[str, FactValue]) -> Deployment:
    """`d` holding the facts of the whole scenario that it does not give itself.

    A deployment's own value of a fact wins over the scenario's (`facts:` at
    the top of a scenario file, ``--fact`` on the command line).
    """
    if not facts or facts.keys() <= d.facts.keys():
        return d
    return new_deployment(d.id, d.party, d.workload, d.provider, d.start, d.region, d.end,
                          d.capacity, d.value, {**facts, **d.facts}, d.source)


def written_facts(facts: Mapping[str, FactValue]) -> dict[str, str | bool]:
    """Facts as a report writes them: a bool as itself, any other value as its text.

    >>> written_facts({"ipo": True, "notice": dt.date(2025, 3, 1)})
    {'ipo': True, 'notice': '2025-03-01'}
    """
    return {name: value if isinstance(value, bool)
            else value.isoformat() if isinstance(value, dt.date) else str(value)
            for name, value in facts.items()}
