"""In-process throughput: `Terms.check` against Cedar, ZEN and hand-written if-statements.

Run: python benchmarks/bench_check.py [--deployments 100000] [--repeat 5]

Every engine judges the same sample of Microsoft–OpenAI deployments, side by
side in one process; every engine's verdict is compared with dealcheck's on
every record it judged (a mismatch fails the run). Figures are the best of
`--repeat` runs. Cedar and ZEN are timed on their batch API alone (requests
built beforehand); `Terms.check` is timed end to end on `Deployment` objects
(verdicts, findings with messages and fixes, aggregates, report). The objects
are those `parse_deployments` made for the same vocabulary, which pass
through unchecked; with unrelated clauses added (another vocabulary), the
first check validates them and the later ones pass them through.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from common import MSFT_OPENAI, Row, Timing, measure, print_table, rate, sample_records
from engines import (
    cedar_policies,
    cedar_request,
    cedar_verdict,
    floor_verdict,
    unrelated_terms,
    zen_context,
    zen_decision,
)

import dealcheck
from dealcheck.scenario.read import parse_deployments


@dataclass(slots=True)
class Result:
    rows: list[Row]
    timings: list[Timing]
    mismatches: int


def run(deployments: int, repeat: int, cedar_sample: int, cedar_sample_unrelated: int,
        zen_sample: int, unrelated_counts: tuple[int, ...]) -> Result:
    source = MSFT_OPENAI.read_text("utf-8")
    base = dealcheck.loads(source, str(MSFT_OPENAI))
    records = sample_records(deployments)
    sample = parse_deployments(records, base.vocabulary)
    timings: list[Timing] = []
    mismatches = 0

    # dealcheck, cold then warm, with 0, 10, 100, 1000 unrelated clauses.
    expected: list[str] = []
    checked: dict[int, Timing] = {}
    cold: Timing | None = None
    for extra in (0, *unrelated_counts):
        terms = dealcheck.loads(source + unrelated_terms(extra), str(MSFT_OPENAI))
        label = f"Terms.check, {extra} unrelated clauses"
        if extra == 0:
            cold = measure("Terms.check, first call (compile, codegen)", len(sample),
                           lambda t=terms: t.check(sample), 1)
            report = terms.check(sample)
            expected = [str(r.verdict) for r in report.deployments]
        else:
            report = terms.check(sample)
            mismatches += _compare(label, expected, [str(r.verdict) for r in report.deployments])
        checked[extra] = measure(label, len(sample), lambda t=terms: t.check(sample), repeat)
    assert cold is not None
    timings += [cold, *checked.values()]

    # The floor: the same terms as hand-written if-statements.
    def floor() -> list[str]:
        return [floor_verdict(d.party, d.workload, d.provider, d.start, d.facts) for d in sample]

    mismatches += _compare("if-statements", expected, floor())
    timings.append(measure("hand-written if-statements", len(sample), floor, repeat))

    # Cedar (batch API), with and without 1,000 unrelated policies.
    cedar = _cedar(sample, expected, cedar_sample, cedar_sample_unrelated, repeat,
                   max(unrelated_counts, default=0))
    mismatches += cedar[1]
    timings += cedar[0]

    # ZEN (batch API).
    zen = _zen(sample, expected, zen_sample, repeat, max(unrelated_counts, default=0))
    mismatches += zen[1]
    timings += zen[0]

    dc = checked[0]
    rows = [Row(t.label, f"{rate(t.rate)} ({t.items:,} deployments, best {t.best:.3f} s)")
            for t in timings]
    rows.append(Row("Terms.check", rate(dc.rate), ">= 1M/s", dc.rate >= 1e6))
    by_label = {t.label: t for t in timings}
    zen_plain = by_label.get("ZEN decision table (batch)")
    cedar_plain = by_label.get("Cedar policies (batch)")
    floor_timing = by_label["hand-written if-statements"]
    if zen_plain:
        ratio = dc.rate / zen_plain.rate
        rows.append(Row("Terms.check / ZEN", f"{ratio:.1f}x", ">= 10x", ratio >= 10))
    if cedar_plain:
        ratio = dc.rate / cedar_plain.rate
        rows.append(Row("Terms.check / Cedar", f"{ratio:.1f}x", ">= 30x", ratio >= 30))
    ratio = floor_timing.rate / dc.rate
    rows.append(Row("if-statements / Terms.check", f"{ratio:.1f}x", "<= 3x", ratio <= 3))
    for extra in unrelated_counts:
        cost = checked[extra].best / dc.best - 1
        rows.append(Row(f"cost of {extra} unrelated clauses", f"{cost:+.0%}",
                        "< 20%" if extra == max(unrelated_counts) else "",
                        cost < 0.2 if extra == max(unrelated_counts) else None))
    cedar_many = by_label.get(f"Cedar, {max(unrelated_counts, default=0)} unrelated policies")
    if cedar_plain and cedar_many:
        rows.append(Row("Cedar: cost of unrelated policies",
                        f"{cedar_plain.rate / cedar_many.rate - 1:+.0%}"))
    rows.append(Row("verdict mismatches", str(mismatches), "0", mismatches == 0))
    return Result(rows, timings, mismatches)


def _compare(label: str, expected: list[str], got: list[str]) -> int:
    bad = [i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b]
    for i in bad[:5]:
        print(f"MISMATCH {label}: record {i}: dealcheck {expected[i]}, {label} {got[i]}",
              file=sys.stderr)
    return len(bad)


def _cedar(sample: list[dealcheck.Deployment], expected: list[str], size: int,
           size_unrelated: int, repeat: int, unrelated: int) -> tuple[list[Timing], int]:
    try:
        import cedarpy
    except ImportError:  # pragma: no cover - an optional comparison
        print("cedarpy is not installed: Cedar skipped", file=sys.stderr)
        return [], 0
    out: list[Timing] = []
    mismatches = 0
    entities = cedarpy.Entities.from_json_str("[]")
    for extra, count in ((0, size), (unrelated, size_unrelated)):
        if count <= 0 or (extra == unrelated and extra == 0 and out):
            continue
        policies = cedarpy.PolicySet.from_str(cedar_policies(extra))
        part = sample[:count]
        requests = [cedar_request(d.party, d.workload, d.provider, d.start, dict(d.facts))
                    for d in part]
        answers = cedarpy.is_authorized_batch(requests, policies, entities)
        got = [cedar_verdict(a.diagnostics.id_annotations_by_reason) for a in answers]
        label = "Cedar policies (batch)" if extra == 0 else f"Cedar, {extra} unrelated policies"
        mismatches += _compare(label, expected[:count], got)
        out.append(measure(label, count,
                           lambda r=requests, p=policies: cedarpy.is_authorized_batch(
                               r, p, entities), repeat if extra == 0 else 1))
    return out, mismatches


def _zen(sample: list[dealcheck.Deployment], expected: list[str], size: int, repeat: int,
         unrelated: int) -> tuple[list[Timing], int]:
    try:
        import zen
    except ImportError:  # pragma: no cover - an optional comparison
        print("zen-engine is not installed: ZEN skipped", file=sys.stderr)
        return [], 0
    out: list[Timing] = []
    mismatches = 0
    part = sample[:size]
    contexts = [zen_context(d.party, d.workload, d.provider, d.start, dict(d.facts))
                for d in part]
    for extra in (0, unrelated):
        if extra == unrelated and extra == 0 and out:
            continue
        content: dict[str, Any] = json.loads(zen_decision(extra))
        engine = zen.ZenEngine({"loader": {"type": "static", "content": {"terms": content}}})
        requests = [{"key": "terms", "context": c} for c in contexts]
        answers = engine.evaluate_batch(requests)
        got = [a["data"]["result"]["verdict"] if a.get("success") else f"error {a.get('error')}"
               for a in answers]
        label = "ZEN decision table (batch)" if extra == 0 else f"ZEN, {extra} unrelated rows"
        mismatches += _compare(label, expected[:size], got)
        out.append(measure(label, len(part),
                           lambda e=engine, r=requests: e.evaluate_batch(r), repeat))
    return out, mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cedar-sample", type=int, default=20_000,
                        help="deployments judged by Cedar (it is slow)")
    parser.add_argument("--cedar-sample-unrelated", type=int, default=2_000,
                        help="deployments judged by Cedar with the unrelated policies")
    parser.add_argument("--zen-sample", type=int, default=100_000)
    parser.add_argument("--unrelated", default="10,100,1000",
                        help="counts of unrelated clauses to add, comma-separated")
    args = parser.parse_args(argv)
    counts = tuple(int(c) for c in args.unrelated.split(",") if c)
    result = run(args.deployments, args.repeat, min(args.cedar_sample, args.deployments),
                 min(args.cedar_sample_unrelated, args.deployments),
                 min(args.zen_sample, args.deployments), counts)
    print_table("In-process throughput (Microsoft–OpenAI terms)", result.rows)
    return 1 if result.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
