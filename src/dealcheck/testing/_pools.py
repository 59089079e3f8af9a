"""The pools generated documents draw their names, facts and quantities from.

INVARIANT: no name below is a keyword of the language (tests check it against
the grammar), and the pools of different kinds never share a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from dealcheck.testing._units import KINDED_QUANTITIES

PARTY_POOL = ("Acme", "Nimbus", "Orbit", "Vega")
PROVIDER_POOL = ("Sky", "Vault", "Forge", "Harbor")
PROVIDER_GROUP_POOL = ("clouds", "rivals")
WORKLOAD_POOL = ("api", "chat", "train", "infer", "weights")
WORKLOAD_GROUP_POOL = ("serving", "heavy")
REGION_POOL = ("US", "EU", "UK", "JP")
REGION_GROUP_POOL = ("west", "east")
UNIT_POOL = ("TPU",)
ENUM_MEMBERS = ("commercial", "government", "defence")


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A fact declaration: `kind` is bool, enum, number or date."""

    name: str
    kind: str
    values: tuple[str, ...] = ()
    unit: str | None = None
    dimension: str = ""


FACT_POOL = (
    FactSpec("consent", "bool"),
    FactSpec("declined", "bool"),
    FactSpec("customer", "enum", ENUM_MEMBERS),
    FactSpec("tier", "enum", ("gold", "silver")),
    FactSpec("share", "number"),
    FactSpec("draw", "number", unit="MW", dimension="power"),
    FactSpec("pods", "number", unit="TPU", dimension="TPU"),
    FactSpec("signed", "date"),
    FactSpec("fee", "number", unit="EUR", dimension="EUR"),
    FactSpec("notice", "date"),
    FactSpec("price", "number", unit="USD", dimension="money"),
)

#: Numbers written in the terms, per dimension, with the units they are written in.
QUANTITY_POOL: dict[str, tuple[tuple[str, str | None], ...]] = {
    "power": (("1", "GW"), ("1.5", "GW"), ("0.5", "GW"), ("300", "MW"), ("750", "MW"),
              ("10", "GW"), ("200_000", "kW")),
    "count": (("4608", "GPU"), ("1_000", "GPUs"), ("10k", "GPU")),
    "money": (("1B", "USD"), ("11.9B", "USD"), ("38B", "USD"), ("100B", "USD"),
              ("250B", "USD"), ("500M", "USD")),
    "": (("0", None), ("1", None), ("2.5", None), ("10", None), ("100", None)),
    "TPU": (("16", "TPU"), ("64", "TPU"), ("4_096", "TPU")),
    **KINDED_QUANTITIES,
    #: Limits of ``number of deployments``: small, so that a scenario's few deployments cross them.
    "deployments": (("1", None), ("2", None), ("0", None), ("3", None), ("2", "GPU")),
}
