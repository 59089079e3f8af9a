"""The long differential run: dealcheck against the reference interpreter and against Cedar.

Draws random terms files and scenarios with `dealcheck.testing` (as the test
suite does, with many more cases), judges each case with dealcheck and with
an oracle, and counts cases, deployments, aggregates and mismatches. Every
mismatch is classified and the first few are printed in full; the exit
status is 1 when there is any.

    python fuzz/differential.py                          # 10,000 cases per oracle
    python fuzz/differential.py --oracle cedar --cases 20000 --seed 7
    python fuzz/differential.py --oracle reference --overlapping   # clauses overlap

A case is one drawn terms file with a scenario of 1–8 deployments and an
optional as-of date. Against Cedar, deployments carry every fact, and only
decided verdicts (compliant, violation) are compared (see
`tests/testing/cedar_oracle.py`).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests" / "testing"
sys.path.insert(0, str(TESTS))

import cedar_oracle  # noqa: E402
import oracles  # noqa: E402
import reference_interpreter as ref  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import dealcheck  # noqa: E402
from dealcheck.testing import fact_values, scenarios, terms_sources  # noqa: E402

Case = tuple[str, list[dealcheck.Deployment], dt.date | None]
NOT_COMPARED = "deployments not compared (undetermined, or lacking a region, value or fact)"


@st.composite
def cases(draw: st.DrawFn, complete: bool, overlapping: bool = False) -> Case:
    text = draw(terms_sources(min_clauses=1 + overlapping, overlapping=overlapping))
    terms = dealcheck.loads(text, "drawn.deal")
    facts = fact_values(terms, complete=True) if complete else fact_values(terms)
    ds = draw(scenarios(terms, min_size=1, max_size=8, facts=facts))
    marks = {d.start for d in ds} | {terms.effective}
    for c in terms.clauses:
        marks.add(c.in_force_from)
        if c.in_force_through is not None:
            marks.add(c.in_force_through + dt.timedelta(days=1))
    as_of = draw(st.none() | st.sampled_from(sorted(marks)))
    return text, ds, as_of


def classify_reference(terms: dealcheck.Terms, ds: list[dealcheck.Deployment],
                       as_of: dt.date | None) -> list[str]:
    """What differs, per deployment and aggregate: verdict, finding outcome, missing facts…"""
    want = ref.judge(terms, ds, as_of)
    got = oracles.outcome_of(terms.check(ds, as_of))
    kinds: list[str] = []
    got_d = dict(got.deployments)
    for ident, w in want.deployments:
        g = got_d[ident]
        if w.verdict != g.verdict:
            kinds.append("deployment verdict")
        if w.not_covered != g.not_covered:
            kinds.append("not_covered")
        wf, gf = dict(w.findings), dict(g.findings)
        if set(wf) != set(gf):
            kinds.append("which clauses scope it")
        for clause in set(wf) & set(gf):
            if wf[clause].outcome != gf[clause].outcome:
                kinds.append("finding outcome")
            elif wf[clause].missing != gf[clause].missing:
                kinds.append("missing facts")
            elif wf[clause].overridden_by != gf[clause].overridden_by:
                kinds.append("overridden_by")
    got_a = dict(got.aggregates)
    for clause, w in want.aggregates:
        g = got_a.get(clause)
        if g is None or w.verdict != g.verdict:
            kinds.append("aggregate verdict")
        elif w != g:
            kinds.append("aggregate total or contributors")
    if set(got_a) - {c for c, _ in want.aggregates}:
        kinds.append("aggregate not in force")
    return sorted(set(kinds))


def run(oracle: str, count: int, seed_value: int, show: int, overlapping: bool = False) -> bool:
    stats: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    shown = 0

    def report(text: str, ds: list[dealcheck.Deployment], as_of: dt.date | None,
               lines: list[str]) -> None:
        nonlocal shown
        if shown < show:
            shown += 1
            print(f"--- mismatch {shown} ({oracle})\n{text}\ndeployments: {ds}\n"
                  f"as of: {as_of}\n" + "\n".join(lines), flush=True)

    def one(case: Case) -> None:
        text, ds, as_of = case
        terms = dealcheck.loads(text, "drawn.deal")
        stats["cases"] += 1
        stats["deployments"] += len(ds)
        if oracle == "reference":
            try:
                lines = oracles.reference_differences(terms, ds, as_of)
            except ref.TooManyCompletions:
                stats["cases with too many completions (skipped)"] += 1
                return
            stats["aggregates"] += len(ref.judge(terms, ds, as_of).aggregates)
            if lines:
                stats["mismatching cases"] += 1
                kinds.update(classify_reference(terms, ds, as_of))
                report(text, ds, as_of, lines)
        else:
            lines, compared = cedar_oracle.cedar_differences(terms, ds, as_of)
            stats["deployments compared (decided)"] += compared
            stats[NOT_COMPARED] += len(ds) - compared
            if lines:
                stats["mismatching cases"] += 1
                kinds.update(line.split(":")[1].strip().split(",")[0] for line in lines)
                report(text, ds, as_of, lines)
        if stats["cases"] % 1000 == 0:
            print(f"  {oracle}: {stats['cases']} cases…", file=sys.stderr, flush=True)

    test: Callable[[], None] = seed(seed_value)(settings(
        max_examples=count, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(given(cases(complete=oracle == "cedar", overlapping=overlapping))(one)))
    started = time.perf_counter()
    test()
    elapsed = time.perf_counter() - started
    print(f"{oracle}: {stats['cases']} cases in {elapsed:.0f} s (seed {seed_value})")
    for key in ("deployments", "aggregates", "cases with too many completions (skipped)",
                "deployments compared (decided)",
                NOT_COMPARED, "mismatching cases"):
        if key in stats or key == "mismatching cases":
            print(f"  {key}: {stats[key]}")
    for kind, n in kinds.most_common():
        print(f"    {kind}: {n}")
    return stats["mismatching cases"] == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", choices=("reference", "cedar", "both"), default="both")
    parser.add_argument("--cases", type=int, default=10_000, help="cases per oracle")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=3, help="mismatches printed in full")
    parser.add_argument("--overlapping", action="store_true",
                        help="terms whose clauses and exceptions speak of the same deployments")
    args = parser.parse_args(argv)
    oracles_to_run = ("reference", "cedar") if args.oracle == "both" else (args.oracle,)
    ok = [run(o, args.cases, args.seed, args.show, args.overlapping) for o in oracles_to_run]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
