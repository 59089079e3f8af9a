"""What the DuckDB engine spends in Python per distinct key: judging it, and its row's template.

Run: python benchmarks/bench_keys.py [--rows 1000000] [--repeat 5] [--keep DIR]
     python benchmarks/bench_keys.py --quick   # 2,000 rows, one run: checks that it works

The DuckDB engine judges one representative deployment per distinct key
(`CompiledTerms.evaluate`: a generated evaluator, whose miss runs the
reference evaluator, fixes included), then renders each outcome's row once
per file into a template (`engines.render.Template.of`, through the
report's `RowsRenderer.row`). Both run serially in Python, on the critical
path of ``dealcheck check --engine duckdb``.

The script writes an inventory of Microsoft–OpenAI deployments (the one of
`bench_engines.py`, reused from ``--keep``), checks it once with the DuckDB
engine (``--format jsonl``, `--jobs` threads), recording every
representative it judges and every stand-in row it renders, with the CPU
time of each step in the engine (the first judging also generates the
evaluators). Then, on those same inputs, best of `--repeat`, CPU time of
this thread:

- judging every representative with freshly compiled terms (as the engine does);
- the reference evaluator alone (`evaluate_reference`), with and without fixes;
- every template, for ``--format jsonl`` and for ``--format json``.

The outcomes judged again must be the engine's, and each template the same
each time; a difference fails the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_engines import inventory
from common import MSFT_OPENAI, Row, print_table, work_directory

import dealcheck
from dealcheck.checker.compile import CompiledTerms, compile_terms
from dealcheck.checker.evaluate import evaluate_reference
from dealcheck.checker.files import CheckRun, check_files_into
from dealcheck.checker.results import DeploymentResult, RowsRenderer
from dealcheck.engines.render import Template
from dealcheck.report.json import JsonRows
from dealcheck.report.jsonl import JsonlRows
from dealcheck.rules import model as m
from dealcheck.scenario.model import Deployment

#: A representative as the engine judged it: the deployment and the check's date.
Judged = tuple[Deployment, dt.date | None]


class _Recording(CompiledTerms):
    """Compiled terms that keep each deployment judged and the CPU time spent judging."""

    judged: list[Judged]
    seconds: float

    def evaluate(self, d: Deployment, as_of: dt.date | None = None) -> DeploymentResult:
        start = time.thread_time()
        result = super().evaluate(d, as_of)
        self.seconds += time.thread_time() - start
        self.judged.append((d, as_of))
        return result


class _Terms:
    """The loaded terms, compiled into `_Recording` (a `ReadyTerms` for the engine)."""

    def __init__(self, terms: dealcheck.Terms) -> None:
        self._terms = terms
        ct = terms.compiled()
        self.recording = _Recording(**{f.name: getattr(ct, f.name)
                                       for f in dataclasses.fields(ct)})
        self.recording.judged = []
        self.recording.seconds = 0.0
        self.path, self.sha256 = terms.path, terms.sha256
        self.vocabulary, self.clauses, self.examples = (terms.vocabulary, terms.clauses,
                                                        terms.examples)

    def compiled(self) -> CompiledTerms:
        return self.recording


class _Rows:
    """A report's `RowsRenderer` that keeps each stand-in row rendered and the CPU time."""

    def __init__(self, inner: RowsRenderer, seen: list[DeploymentResult],
                 seconds: list[float]) -> None:
        self.joiner = inner.joiner
        self._inner, self._seen, self._seconds = inner, seen, seconds

    def row(self, result: DeploymentResult) -> str:
        start = time.thread_time()
        text = self._inner.row(result)
        self._seconds[0] += time.thread_time() - start
        self._seen.append(result)
        return text


def _drain(run: CheckRun) -> None:
    for _ in run.results:
        pass
    run.aggregates()


def engine_run(terms: dealcheck.Terms, path: Path,
               jobs: int) -> tuple[list[Judged], list[DeploymentResult], float, float, float]:
    """One DuckDB check of `path`: the representatives judged, the stand-ins rendered,
    the CPU seconds of judging and of rendering, and the wall seconds of the check."""
    ready = _Terms(terms)
    seen: list[DeploymentResult] = []
    seconds = [0.0]
    wall = time.perf_counter()
    check_files_into(ready, [path], _drain, jobs=jobs, engine="duckdb",
                     rows=lambda: _Rows(JsonlRows(), seen, seconds))
    wall = time.perf_counter() - wall
    return ready.recording.judged, seen, ready.recording.seconds, seconds[0], wall


def best_cpu(run: Callable[[], object], repeat: int,
             before: Callable[[], object] = lambda: None) -> float:
    """The least CPU time of this thread over `repeat` runs of `run` (each after `before`)."""
    fastest = float("inf")
    for _ in range(repeat):
        before()
        gc.collect()
        start = time.thread_time()
        run()
        fastest = min(fastest, time.thread_time() - start)
    return fastest


def _outcomes(results: Sequence[DeploymentResult]) -> list[object]:
    return [(r.verdict, r.not_covered, r.findings) for r in results]


def measure(terms: m.Terms, judged: Sequence[Judged], stand_ins: Sequence[DeploymentResult],
            repeat: int) -> tuple[list[Row], bool]:
    """The isolated timings, and whether judging again gave the engine's outcomes."""
    fresh: list[CompiledTerms] = []

    def compile_fresh() -> None:
        fresh[:] = [compile_terms(terms)]

    results: list[DeploymentResult] = []

    def judge() -> None:
        ct = fresh[0]
        results[:] = [ct.evaluate(d, as_of) for d, as_of in judged]

    def reference(fixes: bool) -> Callable[[], object]:
        def run() -> None:
            ct = fresh[0]
            for d, as_of in judged:
                evaluate_reference(ct, d, as_of, fixes=fixes)
        return run

    keys = len(judged)
    judging = best_cpu(judge, repeat, compile_fresh)
    engine = _outcomes(results)
    with_fixes = best_cpu(reference(True), repeat, compile_fresh)
    without = best_cpu(reference(False), repeat, compile_fresh)
    compile_fresh()
    again = [evaluate_reference(fresh[0], d, as_of) for d, as_of in judged]
    same = engine == _outcomes(again)
    rows = [Row("representatives judged (distinct keys)", f"{keys:,}"),
            Row("judging them, terms compiled afresh",
                f"{judging:.3f} s ({judging / keys * 1e6:.0f} µs a key)"),
            Row("… the reference evaluator, fixes included",
                f"{with_fixes:.3f} s ({with_fixes / keys * 1e6:.0f} µs a key)"),
            Row("… the reference evaluator, no fixes",
                f"{without:.3f} s ({without / keys * 1e6:.0f} µs a key)"),
            Row("… so the fixes", f"{(with_fixes - without) / keys * 1e6:.0f} µs a key")]
    for name, renderer in (("jsonl", JsonlRows), ("json", JsonRows)):
        made: list[Template] = []

        def render(renderer: Callable[[], RowsRenderer] = renderer,
                   made: list[Template] = made) -> None:
            rows_of = renderer()
            made[:] = [Template.of(rows_of, stand_in) for stand_in in stand_ins]

        seconds = best_cpu(render, repeat)
        first = list(made)
        render()
        same = same and made == first
        rows.append(Row(f"templates, --format {name} ({len(stand_ins):,} rows)",
                        f"{seconds:.3f} s ({seconds / max(1, len(stand_ins)) * 1e6:.0f} µs a row)"))
    return rows, same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the inventory")
    parser.add_argument("--jobs", type=int, default=2, help="DuckDB's threads")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing; the best")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 rows, one run each: checks that the script works")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the inventory here (reused if present)")
    args = parser.parse_args(argv)
    count, repeat = (2000, 1) if args.quick else (args.rows, args.repeat)
    terms = dealcheck.load(MSFT_OPENAI)
    with work_directory(args.keep) as directory:
        path = inventory(directory, count)
        judged, stand_ins, judging, rendering, wall = engine_run(terms, path, args.jobs)
    keys = max(1, len(judged))
    rows = [Row("inventory", f"{count:,} rows, {path.name}"),
            Row("the check (--engine duckdb --format jsonl), wall", f"{wall:.2f} s"),
            Row("… judging the representatives, in the engine (CPU)",
                f"{judging:.3f} s ({judging / keys * 1e6:.0f} µs a key)"),
            Row("… rendering the templates, in the engine (CPU)",
                f"{rendering:.3f} s ({rendering / max(1, len(stand_ins)) * 1e6:.0f} µs a row)")]
    alone, same = measure(terms, judged, stand_ins, repeat)
    rows += alone
    rows.append(Row("outcomes judged again, templates rendered again",
                    "the engine's" if same else "DIFFERENT", "the engine's", same))
    print_table("Keys: judging each distinct key and rendering its row's template "
                f"(CPU time of one thread, best of {repeat})", rows)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
