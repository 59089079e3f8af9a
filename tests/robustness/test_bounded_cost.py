"""Inputs within the documented limits cost bounded time and memory.

No timing is asserted: an input that used to hang runs in a child process
with a generous timeout, memory is bounded with `tracemalloc`, and the
work of `lint` by what it reports. `benchmarks/bench_bounds.py` prints the
figures at full size.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc

import dealcheck
from dealcheck.scenario.model import Deployment

AMENDED_HEAD = """\
agreement "Amended" effective 2019-01-01
party OpenAI, Microsoft
provider Azure operated by Microsoft
workload api, training
"""
FIRST_DAY = dt.date(2019, 1, 2)


def _amended(count: int) -> str:
    """Terms amended `count` times, each amendment adding a clause on one day of its own."""
    return AMENDED_HEAD + "".join(
        f"\namendment a{i} effective {FIRST_DAY + dt.timedelta(days=i)}:\n"
        f"  clause c{i}:\n    Microsoft runs training only on Azure\n"
        for i in range(count))


def test_memory_does_not_grow_with_amendments_times_dates() -> None:
    # Each day starts a new epoch, in force with every clause added so far:
    # an epoch that holds a plan of each clause in force costs amendments x dates.
    count = 400
    terms = dealcheck.loads(_amended(count))
    ct = terms.compiled()
    deployments = [Deployment(id=f"d{i}", party="OpenAI", workload="api", provider="Azure",
                              start=FIRST_DAY + dt.timedelta(days=i)) for i in range(count)]
    tracemalloc.start()
    try:
        results = [ct.evaluate(d) for d in deployments]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert {r.verdict for r in results} == {dealcheck.Verdict.COMPLIANT}
    # About 1 KiB a deployment (its result, its epoch); a plan of each clause
    # in force in each epoch was 14 MB here.
    assert peak < 2 * 1024 * 1024, peak
