"""Embedding dealcheck: dict rows in batches and single decisions, against ZEN, Cedar, the floor.

Run: python benchmarks/bench_decide.py [--records 100000] [--repeat 3] [--quick]

One run, one terms file (the Microsoft–OpenAI terms) and ONE list of plain
dict rows (`common.sample_records`), as a program embedding dealcheck holds
them. Side by side:

* `Terms.check(rows)` on the dicts: validation, evaluation, aggregates and
  the report, end to end (its results built when read); the same with every
  result read; its two stages apart (checking the dicts, one pass per row;
  judging the checked dicts as they are); the same rows as the `Deployment`
  objects `validate_deployments` made (passed through, not checked again),
  and the check stage alone on them;
* ZEN (`zen-engine`): `evaluate_batch` over every row, and `evaluate` one
  row at a time;
* Cedar (`cedarpy`): `is_authorized_batch` (on `--cedar-sample` rows: it is slow);
* a hand-written Python function on the dict rows (`engines.floor_verdict`,
  the start date parsed per row);
* one decision: `terms.decide(row)` against ZEN's single `evaluate`, per call.

ZEN contexts and Cedar requests are built from the dicts beforehand and not
timed (their engines' own input format); dealcheck and the floor are timed
from the dicts. Every engine's verdict is compared with dealcheck's on every
record it judged; a mismatch fails the run. Figures are CPU time (of every
thread: ZEN's batch may use several), the best of `--repeat` runs.

Each timed run of dealcheck on the dicts gets them anew: new dicts of the
same values under new ids (`renamed`), as a program checks new deployments
as they come. The values repeat (names, days), the ids never do, so nothing
dealcheck remembers of an earlier batch's ids speeds up a later one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from common import MSFT_OPENAI, Row, Timing, measure, print_table, rate, sample_records
from engines import (
    cedar_policies,
    cedar_request,
    cedar_verdict,
    floor_verdict,
    zen_context,
    zen_decision,
)

import dealcheck
from dealcheck.checker.check import check
from dealcheck.checker.codegen import decide as decide_validated
from dealcheck.terms import deployments_to_judge, validate_deployments

Record = dict[str, Any]


def _compare(label: str, expected: list[str], got: list[str]) -> int:
    bad = [i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
    for i in bad[:5]:
        print(f"MISMATCH {label}: record {i}: dealcheck {expected[i]}, {label} {got[i]}",
              file=sys.stderr)
    return len(bad)


def renamed(records: list[Record], number: int) -> list[Record]:
    """The records as new dicts under new ids (``d7`` becomes ``d7.2`` for `number` 2)."""
    return [{**r, "id": f"{r['id']}.{number}"} for r in records]


def _parts(record: Record) -> tuple[str, str, str, dt.date, dict[str, object]]:
    return (record["party"], record["workload"], record["provider"],
            dt.date.fromisoformat(record["start"]), dict(record.get("facts", {})))


def floor(records: list[Record]) -> list[str]:
    """The hand-written function over the dict rows, as an embedding program would call it."""
    fromisoformat, empty = dt.date.fromisoformat, {}
    return [floor_verdict(r["party"], r["workload"], r["provider"], fromisoformat(r["start"]),
                          r.get("facts", empty)) for r in records]


class Bench:
    def __init__(self, records: int, repeat: int, cedar_sample: int, single: int) -> None:
        self.terms = dealcheck.load(MSFT_OPENAI)
        self.records = sample_records(records)
        self.repeat = repeat
        self.cedar_sample = min(cedar_sample, records)
        self.single = min(single, records)
        self.timings: dict[str, Timing] = {}
        self.mismatches = 0
        report = self.terms.check(self.records)  # compiles, generates, fills the memos
        self.expected = [str(r.verdict) for r in report.deployments]

    def time(self, label: str, items: int, run: Callable[[], object]) -> Timing:
        timing = self.timings[label] = measure(label, items, run, self.repeat,
                                               clock=time.process_time)
        return timing

    def fresh(self) -> Callable[[], list[Record]]:
        """A new batch of the records for each call (`renamed`), made before any is timed."""
        batches = iter([renamed(self.records, n) for n in range(self.repeat)])
        return lambda: next(batches)

    def dealcheck(self) -> None:
        terms, records = self.terms, self.records
        batch = self.fresh()
        self.time("Terms.check on the dicts", len(records), lambda: terms.check(batch()))
        batch = self.fresh()
        self.time("  the same, every result read", len(records),
                  lambda: [r.verdict for r in terms.check(batch()).deployments])
        # Its two stages: the dicts checked (one pass per row), then judged as they are.
        vocabulary, compiled = terms.vocabulary, terms.compiled()
        batch = self.fresh()
        self.time("  checking the dicts (one pass per row, not judged)", len(records),
                  lambda: deployments_to_judge(vocabulary, batch()))
        rows = deployments_to_judge(vocabulary, records)
        self.mismatches += _compare("judging the dicts", self.expected,
                                    [str(r.verdict) for r in check(compiled, rows).deployments])
        self.time("  judging the checked dicts: evaluation, aggregates, report", len(rows),
                  lambda: check(compiled, rows))
        ready = validate_deployments(vocabulary, records)
        self.mismatches += _compare("Terms.check on Deployment objects", self.expected,
                                    [str(r.verdict) for r in terms.check(ready).deployments])
        self.time("Terms.check on Deployment objects (from validate_deployments)", len(ready),
                  lambda: terms.check(ready))
        batch = self.fresh()
        self.time("validate_deployments: the dicts into Deployment objects", len(records),
                  lambda: validate_deployments(vocabulary, batch()))
        # What is left once validation costs nothing: the check stage alone.
        self.time("judging alone: evaluation, aggregates, report (no validation)", len(ready),
                  lambda: check(compiled, ready))
        self.mismatches += _compare("hand-written function", self.expected, floor(records))
        self.time("hand-written function on the dicts", len(records), lambda: floor(records))
        sample = records[:self.single]
        decided = [str(terms.decide(r).verdict) for r in sample]
        self.mismatches += _compare("Terms.decide", self.expected[:len(sample)], decided)
        decide = terms.decide
        self.time("Terms.decide(row), one call per row", len(sample),
                  lambda: [decide(r) for r in sample])
        # What a decision costs once its row is validated: what `decide` does after
        # `validate_deployment` (the compiled evaluator of the row's key).
        validated = ready[:len(sample)]
        self.time("a decision after validation (what decide adds)", len(validated),
                  lambda: [decide_validated(compiled, d, None) for d in validated])

    def zen(self) -> None:
        try:
            import zen
        except ImportError:  # pragma: no cover - an optional comparison
            print("zen-engine is not installed: ZEN skipped", file=sys.stderr)
            return
        content = json.loads(zen_decision(0))
        engine = zen.ZenEngine({"loader": {"type": "static", "content": {"terms": content}}})
        contexts = [zen_context(*_parts(r)) for r in self.records]
        requests = [{"key": "terms", "context": c} for c in contexts]
        answers = engine.evaluate_batch(requests)
        self.mismatches += _compare(
            "ZEN batch", self.expected,
            [a["data"]["result"]["verdict"] if a.get("success") else f"error {a.get('error')}"
             for a in answers])
        self.time("ZEN evaluate_batch", len(requests), lambda: engine.evaluate_batch(requests))
        sample = contexts[:self.single]
        evaluate = engine.evaluate
        single = [evaluate("terms", c)["result"]["verdict"] for c in sample]
        self.mismatches += _compare("ZEN evaluate", self.expected[:len(sample)], single)
        self.time("ZEN evaluate(context), one call per row", len(sample),
                  lambda: [evaluate("terms", c) for c in sample])

    def cedar(self) -> None:
        try:
            import cedarpy
        except ImportError:  # pragma: no cover - an optional comparison
            print("cedarpy is not installed: Cedar skipped", file=sys.stderr)
            return
        entities = cedarpy.Entities.from_json_str("[]")
        policies = cedarpy.PolicySet.from_str(cedar_policies(0))
        requests = [cedar_request(*_parts(r)) for r in self.records[:self.cedar_sample]]
        answers = cedarpy.is_authorized_batch(requests, policies, entities)
        self.mismatches += _compare(
            "Cedar batch", self.expected[:len(requests)],
            [cedar_verdict(a.diagnostics.id_annotations_by_reason) for a in answers])
        self.time("Cedar is_authorized_batch", len(requests),
                  lambda: cedarpy.is_authorized_batch(requests, policies, entities))

    def rows(self) -> list[Row]:
        t = self.timings
        out = [Row(x.label, f"{rate(x.rate)} ({x.items:,} rows, best {x.best:.3f} s; "
                            f"{x.best / x.items * 1e6:.2f} µs each)") for x in t.values()]
        dicts = t["Terms.check on the dicts"]
        ready = t["Terms.check on Deployment objects (from validate_deployments)"]
        floor_timing = t["hand-written function on the dicts"]
        decide = t["Terms.decide(row), one call per row"]
        judging = t["judging alone: evaluation, aggregates, report (no validation)"]
        for name, basis in (("Terms.check on the dicts", dicts),
                            ("Terms.check on Deployment objects", ready),
                            ("judging alone", judging)):
            cedar = t.get("Cedar is_authorized_batch")
            if cedar:
                ratio = basis.rate / cedar.rate
                out.append(Row(f"{name} / Cedar batch", f"{ratio:.1f}x", ">= 10x",
                               ratio >= 10))
            zen_batch = t.get("ZEN evaluate_batch")
            if zen_batch:
                ratio = basis.rate / zen_batch.rate
                out.append(Row(f"{name} / ZEN batch", f"{ratio:.1f}x", ">= 3x",
                               ratio >= 3))
            ratio = floor_timing.rate / basis.rate
            out.append(Row(f"hand-written function / {name}", f"{ratio:.1f}x",
                           "<= 6x", ratio <= 6))
        read = t["  the same, every result read"]
        out.append(Row("hand-written function / Terms.check on the dicts, every result read",
                       f"{floor_timing.rate / read.rate:.1f}x"))
        zen_single = t.get("ZEN evaluate(context), one call per row")
        if zen_single:
            theirs = zen_single.best / zen_single.items
            mine = decide.best / decide.items
            out.append(Row("Terms.decide / ZEN evaluate, time per call",
                           f"{mine * 1e6:.1f} µs / {theirs * 1e6:.1f} µs "
                           f"({theirs / mine:.2f}x as fast)", "faster than ZEN",
                           mine < theirs))
            after = t["a decision after validation (what decide adds)"]
            rest = after.best / after.items
            out.append(Row("  … of which after validation / ZEN evaluate",
                           f"{rest * 1e6:.1f} µs / {theirs * 1e6:.1f} µs "
                           f"({theirs / rest:.1f}x as fast)"))
        out.append(Row("verdict mismatches (every record of every engine)", str(self.mismatches),
                       "0", self.mismatches == 0))
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cedar-sample", type=int, default=20_000,
                        help="rows judged by Cedar (it is slow)")
    parser.add_argument("--single", type=int, default=10_000,
                        help="rows judged one call at a time (decide, ZEN evaluate)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny inputs, one run: only checks that the script works")
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.repeat, args.cedar_sample, args.single = 500, 1, 100, 100
    started = time.perf_counter()
    bench = Bench(args.records, args.repeat, args.cedar_sample, args.single)
    bench.dealcheck()
    bench.zen()
    bench.cedar()
    print_table(f"Embedding: dict rows and single decisions (Microsoft–OpenAI terms, "
                f"{args.records:,} rows; {time.perf_counter() - started:.0f} s)", bench.rows())
    return 1 if bench.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
