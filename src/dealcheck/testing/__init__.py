"""Testing toolkit: Hypothesis strategies over terms and scenarios, and a pytest plugin.

The strategies live in `dealcheck.testing.strategies` and are re-exported
here; they import Hypothesis, so they are loaded only when first used
(``import dealcheck`` and ``import dealcheck.testing`` never import it).
The pytest plugin (`dealcheck.testing.plugin`) is registered through the
``pytest11`` entry point: installing dealcheck makes ``pytest`` collect the
examples written in ``*.deal`` files.

>>> from dealcheck.testing import deployments, scenarios, terms_sources  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealcheck.testing.strategies import (
        FIELDS,
        deployments,
        fact_values,
        resolved_terms,
        scenario_document,
        scenarios,
        terms_sources,
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


def __getattr__(name: str) -> Any:
    # Lazy: Hypothesis is imported on first use of a strategy, not with the package.
    if name in __all__:
        from dealcheck.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
