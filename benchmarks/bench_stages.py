"""Where the time of a check goes: the cost per deployment of each stage, measured alone.

Run: python benchmarks/bench_stages.py [--deployments 100000] [--rows 200000] [--repeat 3]

Two tables, each stage timed on its own (best of `--repeat`, the cycle
collector paused as the checks pause it), so that they add up to the whole:

* `Terms.check` on ready-made `Deployment` objects: validating them against
  the vocabulary, then judging them (evaluation, aggregates, the report);
  and on plain dict rows (the library's usual input), validated by the
  pydantic-core schema generated from the terms.
* The bulk reading path of ``dealcheck check`` on JSON Lines rows held in
  memory, each stage including the ones before it: reading the lines,
  decoding each as JSON (beside it, `json.loads` alone: the baseline of the
  CLI benchmark), validating and building the deployments, judging them and
  making their JSON text. What the CLI adds on top (summary, spool, writing
  the report) is the difference from `bench_cli.py`'s wall time.

These call dealcheck's internal stages directly (`scenario.stream`,
`checker.codegen`): they explain the end-to-end figures, they are not an API.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
import time
from collections.abc import Callable, Iterable

from common import MSFT_OPENAI, Row, print_table, sample_records

import dealcheck
from dealcheck.checker.aggregate import AggregateBook
from dealcheck.checker.check import check
from dealcheck.checker.codegen import evaluate_stream
from dealcheck.report.json import DeploymentText
from dealcheck.scenario import stream
from dealcheck.scenario.read import parse_deployments
from dealcheck.scenario.read_tabular import Row as InventoryRow
from dealcheck.scenario.validate import IdDigests


def best_per_item(run: Callable[[], object], items: int, repeat: int) -> float:
    """Microseconds per item of the fastest of `repeat` runs, the collector paused."""
    fastest = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            run()
            fastest = min(fastest, time.perf_counter() - start)
        finally:
            gc.enable()
    return fastest / items * 1e6


def _drain(items: Iterable[object]) -> None:
    for _ in items:
        pass


def check_stages(terms: dealcheck.Terms, count: int, repeat: int) -> list[Row]:
    records = sample_records(count)
    sample = parse_deployments(records, terms.vocabulary)
    compiled = terms.compiled()
    terms.check(sample)  # evaluators generated, memos filled
    validate = best_per_item(lambda: parse_deployments(sample, terms.vocabulary), count, repeat)
    judge = best_per_item(lambda: check(compiled, sample), count, repeat)
    whole = best_per_item(lambda: terms.check(sample), count, repeat)
    dicts = best_per_item(lambda: parse_deployments(records, terms.vocabulary), count, repeat)
    whole_dicts = best_per_item(lambda: terms.check(records), count, repeat)
    return [
        Row("deployments", f"{count:,} Deployment objects, and as many dict rows"),
        Row("validating objects against the vocabulary", f"{validate:.2f} µs"),
        Row("judging: evaluation, aggregates, report", f"{judge:.2f} µs"),
        Row("Terms.check on objects, all of it", f"{whole:.2f} µs ({1 / whole:.2f}M/s)"),
        Row("validating dict rows (generated schema)",
            f"{dicts:.2f} µs ({1e3 / dicts:.0f}k/s)"),
        Row("Terms.check on dict rows, all of it",
            f"{whole_dicts:.2f} µs ({1e3 / whole_dicts:.0f}k/s)"),
    ]


def reading_stages(terms: dealcheck.Terms, count: int, repeat: int) -> list[Row]:
    vocabulary, compiled = terms.vocabulary, terms.compiled()
    records = sample_records(count)
    for number, record in enumerate(records):
        record["id"] = f"d{number}"
    data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()
    lines = data.splitlines()

    def parse_only() -> None:
        loads = json.loads
        for line in lines:
            loads(line)

    def read_lines() -> Iterable[bytes]:
        return stream.bounded_lines(io.BytesIO(data), "inventory.jsonl")

    def rows() -> Iterable[InventoryRow]:
        return stream.parse_rows("jsonl", read_lines(), "inventory.jsonl", vocabulary)

    def validated() -> Iterable[dealcheck.Deployment]:
        checked = stream.checked_rows(rows(), vocabulary, IdDigests())
        return (d for d, _ in checked if d is not None)

    def judged() -> Iterable[dealcheck.DeploymentResult]:
        book = AggregateBook(compiled)
        return evaluate_stream(compiled, validated(), None, book.add if book.tallies else None)

    def rendered() -> None:
        text = DeploymentText("    ")
        for result in judged():
            text(result)

    _drain(judged())  # evaluators generated
    figures = {
        "json.loads of each line (the CLI benchmark's baseline)":
            best_per_item(parse_only, count, repeat),
        "reading the lines": best_per_item(lambda: _drain(read_lines()), count, repeat),
        "+ decoding each (JSON, duplicate keys checked)":
            best_per_item(lambda: _drain(rows()), count, repeat),
        "+ validating and building the deployment":
            best_per_item(lambda: _drain(validated()), count, repeat),
        "+ judging (evaluation, aggregates)":
            best_per_item(lambda: _drain(judged()), count, repeat),
        "+ the JSON text of each result": best_per_item(rendered, count, repeat),
    }
    out = [Row("rows", f"{count:,} JSON Lines rows, {len(data) / 1e6:.0f} MB, in memory")]
    out += [Row(name, f"{value:.2f} µs") for name, value in figures.items()]
    whole = figures["+ the JSON text of each result"]
    baseline = figures["json.loads of each line (the CLI benchmark's baseline)"]
    out.append(Row("all stages / json.loads", f"{whole / baseline:.1f}x"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=100_000,
                        help="Deployment objects for the Terms.check table")
    parser.add_argument("--rows", type=int, default=200_000,
                        help="JSON Lines rows for the reading table")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    terms = dealcheck.load(MSFT_OPENAI)
    print_table("Where the time goes: Terms.check, per deployment",
                check_stages(terms, args.deployments, args.repeat))
    print()
    print_table("Where the time goes: reading a JSON Lines inventory, per row (cumulative)",
                reading_stages(terms, args.rows, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
