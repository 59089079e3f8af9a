"""Clause states as conditions: what judging the aggregates first costs a check.

Run: python benchmarks/bench_states.py [--records 5000] [--repeat 3]

Terms whose exclusivity holds "while the minimums are met" (`when minimums is
compliant`) are checked on generated dict rows, beside the same terms without
the state test. A check whose terms read a state first judges the aggregate on
every evaluation date its deployments have (`checker.states`), each time over
the deployments given: the figures show that cost for deployments judged on
their start dates (up to 365 distinct days) and on one `--as-of` date. CPU
time, best of `--repeat`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from typing import Any

import dealcheck

TERMS = """\
agreement "Distribution" effective 2025-01-01
party Maker, Dist
provider DistCloud operated by Dist
provider Other operated by Maker
workload resale, support
clause minimums:
  total value of deployments by Dist reaches 500M USD by 2025-12-31
clause exclusive:
  Maker runs resale only on DistCloud when minimums is compliant
"""


def rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    first = dt.date(2025, 1, 1)
    return [{"id": f"d{i}", "party": rng.choice(("Maker", "Dist")),
             "workload": rng.choice(("resale", "support")),
             "provider": rng.choice(("DistCloud", "Other")),
             "start": (first + dt.timedelta(days=rng.randrange(365))).isoformat(),
             "value": f"{rng.randrange(1, 20)}M USD"} for i in range(count)]


def best(terms: dealcheck.Terms, records: list[dict[str, Any]], as_of: str | None,
         repeat: int) -> float:
    seconds = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        terms.check(records, as_of)
        seconds = min(seconds, time.process_time() - began)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records = rows(args.records)
    with_states = dealcheck.loads(TERMS, "states.deal")
    without = dealcheck.loads(TERMS.replace(" when minimums is compliant", ""), "plain.deal")
    days = len({r["start"] for r in records})
    print(f"Clause states: {args.records} deployments, {days} distinct start days "
          f"(CPU seconds, best of {args.repeat})")
    for label, as_of in (("each on its start", None), ("one --as-of date", "2025-12-31")):
        plain = best(without, records, as_of, args.repeat)
        stated = best(with_states, records, as_of, args.repeat)
        print(f"  {label:<18}  without a state {plain:7.3f}  with a state {stated:7.3f}  "
              f"x{stated / plain:.1f}")


if __name__ == "__main__":
    main()
