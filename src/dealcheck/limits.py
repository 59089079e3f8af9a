"""Input limits: every bound dealcheck puts on what it reads, its default and how to change it.

Each limit is checked before the work it bounds is done (a file's size before
it is read, a line's length before it is kept, a condition's nesting before it
is parsed), so that no input can make dealcheck run out of memory or time.
Going over a limit is a located diagnostic and exit code 2, never a crash.

A limit is changed with its environment variable, or from Python with
`configured`:

>>> from dealcheck import limits
>>> limits.MAX_NESTING.value()
64
>>> with limits.configured(max_nesting=8):
...     limits.MAX_NESTING.value()
8

docs/limits.md lists the limits; `tests/robustness/test_limits.py` checks that
it lists exactly these.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from dealcheck.dsl.diagnostics import DiagnosticsError, error
from dealcheck.dsl.span import Span

__all__ = [
    "LIMITS",
    "MAX_DEPLOYMENTS",
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "MAX_NESTING",
    "MAX_QUANTITY",
    "Limit",
    "configured",
    "over_limit_help",
]

#: The code of the diagnostic for an environment variable that is not a valid limit.
INVALID_LIMIT = "DC909"

_NUMBER = re.compile(r"^\s*(?P<digits>[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE]\+?[0-9]+)?)\s*$")
_NO_OVERRIDES: Mapping[str, int] = MappingProxyType({})
_overrides: contextvars.ContextVar[Mapping[str, int]] = contextvars.ContextVar(
    "dealcheck_limits", default=_NO_OVERRIDES
)


@dataclass(frozen=True, slots=True)
class Limit:
    """One bound on the input: its name, environment variable, default and diagnostic code."""

    name: str
    env: str
    default: int
    unit: str
    applies_to: str
    code: str

    def value(self) -> int:
        """The limit in force: set by `configured`, else the environment variable, else the default.

        Raises:
            DiagnosticsError: (DC909) when the environment variable is not a whole number >= 1.
        """
        override = _overrides.get().get(self.name)
        if override is not None:
            return override
        raw = os.environ.get(self.env)
        if raw is None or not raw.strip():
            return self.default
        return _parse(self, raw)


MAX_FILE_BYTES = Limit(
    "max_file_bytes", "DEALCHECK_MAX_FILE_BYTES", 8 * 1024 * 1024, "bytes",
    "a file read whole: terms, YAML and JSON scenarios", "DC902",
)
MAX_LINE_BYTES = Limit(
    "max_line_bytes", "DEALCHECK_MAX_LINE_BYTES", 1024 * 1024, "bytes",
    "one line of a streamed CSV or JSON Lines scenario", "DC905",
)
MAX_NESTING = Limit(
    "max_nesting", "DEALCHECK_MAX_NESTING", 64, "levels",
    "parentheses and `not` in a terms condition; lists and mappings in a YAML or JSON "
    "scenario", "DC906",
)
MAX_DEPLOYMENTS = Limit(
    "max_deployments", "DEALCHECK_MAX_DEPLOYMENTS", 1_000_000, "deployments",
    "the deployments of one check, all scenario files together (and the items of any "
    "list in a YAML or JSON scenario)", "DC907",
)
MAX_QUANTITY = Limit(
    "max_quantity", "DEALCHECK_MAX_QUANTITY", 10**30, "base units (W, USD, GPU, …)",
    "any quantity, in the terms (DC118) or in a scenario (DC307)", "DC118, DC307",
)

#: Every limit, in the order docs/limits.md lists them.
LIMITS: tuple[Limit, ...] = (
    MAX_FILE_BYTES, MAX_LINE_BYTES, MAX_NESTING, MAX_DEPLOYMENTS, MAX_QUANTITY,
)
_BY_NAME = {limit.name: limit for limit in LIMITS}


@contextmanager
def configured(**values: int) -> Iterator[None]:
    """Set limits for the code run inside the `with` block (this thread or task only).

    Args:
        values: limits by name, e.g. ``max_nesting=8`` or ``max_file_bytes=2**20``.

    Raises:
        ValueError: for an unknown name or a value below 1.
    """
    for name, value in values.items():
        if name not in _BY_NAME:
            raise ValueError(f"unknown limit {name!r}; the limits are {', '.join(_BY_NAME)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limit {name!r} must be a whole number >= 1, not {value!r}")
    token = _overrides.set(MappingProxyType({**_overrides.get(), **values}))
    try:
        yield
    finally:
        _overrides.reset(token)


def over_limit_help(limit: Limit) -> str:
    """The help line of a diagnostic for going over `limit`."""
    return f"raise the limit with {limit.env} if this is intended"


def _parse(limit: Limit, raw: str) -> int:
    match = _NUMBER.match(raw)
    number: Decimal | None = None
    if match:
        try:
            number = Decimal(match["digits"].replace("_", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            number = None
    if (number is None or number.adjusted() > 100 or number != number.to_integral_value()
            or number < 1):
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        raise DiagnosticsError([error(
            INVALID_LIMIT, f"{limit.env} must be a whole number >= 1, found `{shown}`",
            Span.point("<environment>", 1, 1),
            f"unset it for the default ({limit.default}), or write e.g. "
            f"{limit.env}={limit.default}")])
    return int(number)
