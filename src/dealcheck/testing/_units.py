"""Units declared with a dimension in generated documents: a currency, a count of capacity."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

#: Units declared with a dimension (`unit EUR: money`), with it.
KINDED_UNIT_POOL = (("EUR", "money"), ("NPU", "count"))
#: Numbers written in these units, as `_pools.QUANTITY_POOL` has them for the others.
KINDED_QUANTITIES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "EUR": (("500M", "EUR"), ("2B", "EUR"), ("10B", "EUR")),
    "NPU": (("8", "NPU"), ("512", "NPU"), ("2k", "NPU")),
}


def kinded_units(draw: st.DrawFn, fact_units: Sequence[str | None]
                 ) -> tuple[tuple[str, str], ...]:
    """The units declared with a dimension: those a fact is in, and others at random."""
    return tuple((u, k) for u, k in KINDED_UNIT_POOL
                 if u in fact_units or draw(st.booleans()))


def dimensions_of(kinded: Sequence[tuple[str, str]], measure: str) -> tuple[str, ...]:
    """The dimensions a quantity compared with (or totalled as) `measure` may be in.

    >>> dimensions_of((("EUR", "money"),), "value")
    ('money', 'EUR')
    """
    kinds = ("money",) if measure == "value" else ("power", "count")
    return (*kinds, *(u for u, k in kinded if k in kinds))
