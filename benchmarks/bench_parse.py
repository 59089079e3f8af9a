"""Parse + resolve + compile of a generated terms file with many clauses.

Run: python benchmarks/bench_parse.py [--clauses 10000] [--repeat 3]
Prints the best time of each stage and clauses per second.
"""

from __future__ import annotations

import argparse
import time


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
            lines.append(f"  {party} runs serving off {provider} only if consent or tier = high")
        elif kind == 2:
            lines.append(f"  {party} must not run w{i % 10} in EU when not consent")
        else:
            lines.append(f"  total value of deployments by {party} on {provider} "
                         f"starting from 2021-01-01 is at most {i + 1}B USD")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clauses", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from dealcheck.checker.compile import compile_terms
    from dealcheck.dsl.parse import _parser, parse
    from dealcheck.rules.resolve import resolve

    source = generate(args.clauses)
    _parser()  # grammar construction is a one-off per process; measured separately below
    t0 = time.perf_counter()
    from lark import Lark

    from dealcheck.dsl.parse import grammar_text
    Lark(grammar_text(), parser="lalr")
    grammar_s = time.perf_counter() - t0
    best = {"parse": float("inf"), "resolve": float("inf"), "compile": float("inf")}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        doc = parse(source, "bench.deal")
        t1 = time.perf_counter()
        resolution = resolve(doc, "bench.deal", source)
        t2 = time.perf_counter()
        assert resolution.terms is not None and not resolution.diagnostics, resolution.diagnostics[:3]
        compile_terms(resolution.terms)
        t3 = time.perf_counter()
        best["parse"] = min(best["parse"], t1 - t0)
        best["resolve"] = min(best["resolve"], t2 - t1)
        best["compile"] = min(best["compile"], t3 - t2)
    total = best["parse"] + best["resolve"]
    print(f"clauses:                 {args.clauses}")
    print(f"source size:             {len(source) / 1e6:.2f} MB")
    print(f"grammar load (once):     {grammar_s * 1000:.0f} ms")
    print(f"parse:                   {best['parse']:.3f} s")
    print(f"resolve:                 {best['resolve']:.3f} s")
    print(f"compile:                 {best['compile']:.3f} s")
    print(f"parse + resolve:         {total:.3f} s  ({args.clauses / total:,.0f} clauses/s)")
    print(f"parse + resolve + compile: {total + best['compile']:.3f} s")


if __name__ == "__main__":
    main()
