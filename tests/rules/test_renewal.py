"""`replace` renews a clause that has expired or was revoked: in force again from the amendment."""

from __future__ import annotations

import pytest

import dealcheck

HEADER = """\
agreement "Demo" effective 2025-01-01
party Acme
provider Azure operated by Acme
provider AWS operated by Acme
workload api
"""

EXPIRED = HEADER + """\
clause api_exclusive through 2025-06-30:
  Acme runs api only on Azure
amendment renewal effective 2026-01-01:
  replace clause api_exclusive:
    Acme runs api only on Azure
"""

REVOKED = HEADER + """\
clause api_exclusive:
  Acme runs api only on Azure
amendment opening effective 2025-07-01:
  revoke api_exclusive
amendment renewal effective 2026-01-01:
  replace clause api_exclusive:
    Acme runs api only on Azure
"""


@pytest.mark.parametrize("source", [EXPIRED, REVOKED], ids=["expired", "revoked"])
@pytest.mark.parametrize(("start", "verdict"), [
    ("2025-03-01", "violation"),       # the first version
    ("2025-09-01", "compliant"),       # the gap: no clause in force (not covered)
    ("2026-01-01", "violation"),       # the renewal's first day
])
def test_a_renewed_clause_binds_again_after_the_gap(source: str, start: str,
                                                    verdict: str) -> None:
    terms = dealcheck.loads(source, "t.deal")
    report = terms.check([{"id": "d", "party": "Acme", "workload": "api", "provider": "AWS",
                           "start": start}])
    assert str(report.verdict_of("d")) == verdict
    [result] = report.deployments
    assert result.not_covered == (verdict == "compliant")


def test_the_renewal_is_listed_as_a_replacement_by_its_amendment() -> None:
    terms = dealcheck.loads(EXPIRED, "t.deal")
    [renewal] = terms.amendments
    assert renewal.replaced == ("api_exclusive",)
    windows = [(str(c.in_force_from), str(c.in_force_through)) for c in terms.clauses]
    assert windows == [("2025-01-01", "2025-06-30"), ("2026-01-01", "None")]
