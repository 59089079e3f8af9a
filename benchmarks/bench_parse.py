"""Parse + resolve + compile of a generated terms file with many clauses.

Run: python benchmarks/bench_parse.py [--clauses 10000] [--repeat 3]
Prints the best time of each stage and clauses per second. A figure, not a
target: no real terms file has thousands of clauses (editor-speed `lint` of
real files is `bench_lint.py`). Compilation is lazy past the epoch index:
each (party, workload) evaluator is generated the first time a deployment
needs it (see `checker.codegen`).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from common import Row, print_table


def generate(clauses: int) -> str:
    """A terms file of `clauses` clauses over a small vocabulary (plus amendments)."""
    lines = [
        'agreement "Benchmark terms" effective 2020-01-01',
        "party " + ", ".join(f"P{i}" for i in range(20)),
        *(f"provider C{i} operated by P{i % 20}" for i in range(20)),
        "workload " + ", ".join(f"w{i}" for i in range(10)),
        "workload group serving = w0, w1, w2",
        "region US, EU, UK",
        "fact consent: bool",
        "fact tier: one of low, high",
        "",
    ]
    for i in range(clauses):
        party, provider = f"P{i % 20}", f"C{i % 20}"
        kind = i % 4
        lines.append(f'clause c{i} "{i}":')
        lines.append(f'  source "clause number {i}"')
        if kind == 0:
            lines.append(f"  {party} runs w{i % 10} only on {provider}, C{(i + 1) % 20}")
        elif kind == 1:
            lines.append(f"  {party} runs serving off {provider} only if (consent or tier = high)")
        elif kind == 2:
            lines.append(f"  {party} must not run w{i % 10} in EU when not consent")
        else:
            lines.append(f"  total value of deployments by {party} on {provider} "
                         f"starting from 2021-01-01 is at most {i + 1}B USD")
        lines.append("")
    return "\n".join(lines)


def run(clauses: int, repeat: int) -> list[Row]:
    """Best times of each stage on a generated file of `clauses` clauses."""
    from lark import Lark

    import dealcheck
    from dealcheck.checker.compile import compile_terms
    from dealcheck.dsl.parse import _parser, grammar_text, parse
    from dealcheck.rules.resolve import resolve

    source = generate(clauses)
    _parser()  # grammar construction is a one-off per process; measured separately below
    t0 = time.perf_counter()
    Lark(grammar_text(), parser="lalr")
    grammar_s = time.perf_counter() - t0
    best = {"parse": float("inf"), "resolve": float("inf"), "compile": float("inf")}
    public = float("inf")
    # Each run starts from the same state, with no terms held: as a process
    # that loads one terms file.
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        doc = parse(source, "bench.deal")
        t1 = time.perf_counter()
        resolution = resolve(doc, "bench.deal", source)
        t2 = time.perf_counter()
        # The syntax tree is dropped once resolved, as `dealcheck.loads` drops it:
        # kept alive, the cycle collector would scan its objects again while compiling.
        del doc
        assert resolution.terms is not None and not resolution.diagnostics, \
            resolution.diagnostics[:3]
        compile_terms(resolution.terms)
        t3 = time.perf_counter()
        if t3 - t0 < sum(best.values()):  # the stages of the fastest whole run
            best = {"parse": t1 - t0, "resolve": t2 - t1, "compile": t3 - t2}
        del resolution
        # The same through the public API (parsing with error recovery, then resolving).
        gc.collect()
        t0 = time.perf_counter()
        dealcheck.loads(source, "bench.deal").compiled()
        public = min(public, time.perf_counter() - t0)
    total = best["parse"] + best["resolve"] + best["compile"]
    # Evaluators are generated lazily, the first time a deployment of a key is checked:
    # here, every (party, workload) key of the last epoch, to show what that costs.
    from dealcheck.checker.codegen import evaluator_for

    terms = dealcheck.loads(source, "bench.deal")
    compiled = compile_terms(terms)
    vocabulary = terms.vocabulary
    day = compiled.starts[-1]
    t0 = time.perf_counter()
    for party in vocabulary.parties:
        for workload in vocabulary.workloads:
            evaluator_for(compiled, day, party, workload)
    keys = len(vocabulary.parties) * len(vocabulary.workloads)
    lazy = time.perf_counter() - t0
    return [
        Row("terms file", f"{clauses:,} clauses, {len(source) / 1e6:.2f} MB"),
        Row("parser built from the grammar (once, then kept in the user's cache)",
            f"{grammar_s * 1000:.0f} ms"),
        Row("parse", f"{best['parse']:.3f} s"),
        Row("resolve", f"{best['resolve']:.3f} s"),
        Row("compile", f"{best['compile']:.3f} s"),
        Row("parse + resolve", f"{best['parse'] + best['resolve']:.3f} s"),
        Row("parse + resolve + compile", f"{total:.3f} s ({clauses / total:,.0f} clauses/s)"),
        Row("dealcheck.loads(text).compiled()", f"{public:.3f} s"),
        Row(f"then generating all {keys} evaluators (lazy: on first use)", f"{lazy:.3f} s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clauses", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print_table("Terms: parse + resolve + compile", run(args.clauses, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
