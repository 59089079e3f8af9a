"""Conditions that compare two operands: date expressions and facts against fields.

Run: python benchmarks/bench_relations.py [--records 20000] [--repeat 3]

Terms with a cure period (`start within 30 days after signed`), a notice in
business days (`notice + 10 business days <= start`) and a most-favoured price
(`value <= mfn_price`), checked on generated dict rows with the generated
evaluators and with the reference evaluator (`DEALCHECK_EVALUATOR=reference`).
A relation keys the generated evaluators' memo by the values of both its
sides, so the memo helps less than for comparisons with constants: the figure
shows by how much. Both runs must give the same report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from typing import Any

import dealcheck

TERMS = """\
agreement "Supply agreement" effective 2025-01-01
party Acme, Nimbus
provider Cloud operated by Nimbus
provider Own operated by Acme
workload api, training
fact signed: date
fact notice: date
fact mfn_price: number USD
clause cure:
  Acme runs training only if start within 30 days after signed
clause notice_period:
  Acme runs api only if notice + 10 business days <= start
clause mfn:
  Acme runs api on Cloud only if value <= mfn_price
"""


def rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    first = dt.date(2025, 1, 1)
    out: list[dict[str, Any]] = []
    for i in range(count):
        start = first + dt.timedelta(days=rng.randrange(365))
        facts: dict[str, object] = {}
        if rng.random() < 0.9:
            facts["signed"] = (start - dt.timedelta(days=rng.randrange(60))).isoformat()
        if rng.random() < 0.9:
            facts["notice"] = (start - dt.timedelta(days=rng.randrange(30))).isoformat()
        if rng.random() < 0.9:
            facts["mfn_price"] = f"{rng.randrange(1, 20)}M USD"
        out.append({"id": f"d{i}", "party": "Acme", "workload": rng.choice(("api", "training")),
                    "provider": rng.choice(("Cloud", "Own")), "start": start.isoformat(),
                    "value": f"{rng.randrange(1, 20)}M USD", "facts": facts})
    return out


def best(terms: dealcheck.Terms, records: list[dict[str, Any]], repeat: int
         ) -> tuple[float, str]:
    seconds, report = float("inf"), ""
    for _ in range(repeat):
        began = time.perf_counter()
        report = terms.check(records).to_json()
        seconds = min(seconds, time.perf_counter() - began)
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records = rows(args.records)
    generated, first = best(dealcheck.loads(TERMS, "supply.deal"), records, args.repeat)
    os.environ["DEALCHECK_EVALUATOR"] = "reference"
    reference, second = best(dealcheck.loads(TERMS, "supply.deal"), records, args.repeat)
    if first != second:
        raise SystemExit("the generated and the reference evaluators disagree")
    print(f"{args.records:,} dict rows, terms with 3 relations (best of {args.repeat})")
    print(f"  generated evaluators: {args.records / generated:>10,.0f} deployments/s")
    print(f"  reference evaluator:  {args.records / reference:>10,.0f} deployments/s")


if __name__ == "__main__":
    main()
