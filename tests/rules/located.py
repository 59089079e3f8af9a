"""Terms texts that fail to resolve, read back as (code, line, column, message) rows."""

from __future__ import annotations

import pytest

import dealcheck
from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError

#: The start of every terms text of the resolution tests: lines 1 to 5.
HEADER = """\
agreement "T" effective 2025-01-01
party Acme, Beta
provider Azure operated by Acme
workload api, training
region US, EU
"""


def errors(source: str) -> list[Diagnostic]:
    """The errors `dealcheck.loads` raises for `source` (failing the test if it loads)."""
    with pytest.raises(DiagnosticsError) as caught:
        dealcheck.loads(source, "t.deal")
    return caught.value.diagnostics


def located(source: str) -> list[tuple[str, int, int, str]]:
    """Each error of `source` as (code, line, column, message), in reported order."""
    return [(d.code, d.span.line, d.span.column, d.message) for d in errors(source)]
