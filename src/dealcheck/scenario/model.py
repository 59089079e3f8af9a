"""The deployment record the checker evaluates: plain, slotted and cheap."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

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


_T = TypeVar("_T")


def slot_builder(cls: type[_T]) -> Callable[..., _T]:
    """``cls(*values)`` for a frozen slotted dataclass, built without its `__init__`.

    A frozen dataclass's `__init__` sets each field through
    ``object.__setattr__``; bulk readers build a deployment per row, and
    setting the slots directly builds the identical object in half the time.
    Takes every field, positionally, in declaration order. Falls back to the
    class itself when it has a `__post_init__` or is not slotted.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or getattr(cls, "__slots__", None) != names:
        return cls  # pragma: no cover - the class changed shape
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
    body = "".join(f"    set_{n}(self, {n})\n" for n in names)
    source = (f"def build({', '.join(names)}):\n    self = new(cls)\n{body}    return self\n")
    exec(compile(source, f"<dealcheck builder of {cls.__name__}>", "exec"), namespace)
    built: Callable[..., _T] = namespace["build"]
    return built


@dataclass(frozen=True, slots=True)
class Scenario:
    """The deployments read from one scenario file."""

    path: str
    name: str | None
    deployments: tuple[Deployment, ...]
    sha256: str = ""


#: `Deployment(...)` with every field given in order, twice as fast (`slot_builder`).
new_deployment = slot_builder(Deployment)
#: `SourceLocation(file, line, column)`, faster (`slot_builder`).
new_source_location = slot_builder(SourceLocation)
