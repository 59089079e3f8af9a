"""Editor-speed `lint` of real terms files, warm, and the start-up a fresh process pays.

Run: python benchmarks/bench_lint.py [--lines 1000] [--repeat 20]

Prints, best of `--repeat` runs in one warm process: `lint` (parse, resolve
and the warning passes, as `dealcheck lint` runs them) of a terms file of about
`--lines` lines made from the clause shapes of the shipped examples, and the
loading (`dealcheck.loads`) of each shipped example. Then what a new process
pays for the parser: building it from the grammar, or loading it from the
user's cache directory where the first process saved it; and `dealcheck lint`
of the shipped examples in a fresh process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from common import ROOT, Row, measure, print_table

EXAMPLES = sorted((ROOT / "examples").glob("*/terms.deal"))

_HEADER = """\
# Generated from the clause shapes of the shipped examples.
agreement "Cloud partnership, {parties} parties" effective 2019-07-22

party {party_list}

{provider_lines}

workload api, api_partner, chatgpt, training, research, open_weights
workload group api_products = api, api_partner
workload group non_api = chatgpt, training, research, open_weights

region US, EU, UK, NO, AE, JP
region group united_states = US

fact consent: bool  # the partner approved this deployment in writing
fact rofr_declined: bool
fact customer: one of commercial, national_security, civilian
fact shipped_first: bool
"""

# One block per party: clauses, an amendment and examples as the shipped terms write them.
_BLOCK = """\
# Terms with {p}, as announced.
clause {p}_exclusive "{p} announcement":
  source "{p} will become the exclusive cloud provider of its models"
  {p} runs api_products only on {c}

clause {p}_consent notwithstanding {p}_exclusive:
  source "capacity elsewhere with the partner's consent"
  {p} may run api_products off {c} when consent

clause {p}_residency:
  source "hosted in the United States"
  {p} runs any workload on {c} only in united_states

clause {p}_commitment:
  source "an incremental purchase commitment"
  total value of deployments by {p} on {c} starting from 2025-10-28 reaches 25B USD

clause {p}_cap:
  source "at most ten billion over four years"
  total value of deployments on {c} starting from 2025-01-21 through 2029-01-20 is at most 10B USD

amendment {p}_revision "{p} revision" effective 2025-01-21:
  clause {p}_rofr:
    source "a right of first refusal on new capacity"
    {p} runs non_api off {c} only if rofr_declined or customer = national_security
  clause {p}_first:
    source "products ship first on the partner's cloud"
    {p} runs chatgpt off {c} only if shipped_first

example "{p} serves its API on {c}":
  deployment {p}_api: {p} runs api on {c} in US starting 2024-02-01 value 1B USD
  expect compliant of {p}_exclusive

example "{p} serves its API elsewhere without consent":
  deployment {p}_elsewhere: {p} runs api on {o} in EU starting 2024-03-01 with consent = false
  expect violation of {p}_exclusive

example "{p} trains off {c} with the refusal not known":
  deployment {p}_train: {p} runs training on {o} in US starting 2025-06-01
  expect undetermined of {p}_rofr missing rofr_declined, customer
"""


def generate(lines: int) -> str:
    """Realistic terms of about `lines` lines: one block of clauses per party."""
    block_lines = _BLOCK.count("\n") + 1
    parties = max(1, (lines - _HEADER.count("\n") - 12) // block_lines)
    names = [f"P{i}" for i in range(parties)]
    text = _HEADER.format(
        parties=parties, party_list=", ".join(names),
        provider_lines="\n".join(f"provider C{i} operated by P{i}" for i in range(parties)))
    for i, name in enumerate(names):
        other = f"C{(i + 1) % parties}" if parties > 1 else "C0"
        text += "\n" + _BLOCK.format(p=name, c=f"C{i}", o=other)
    return text


def _warm_best(run: Callable[[], object], repeat: int) -> float:
    run()  # warm: the parser built, every module imported
    return measure("", 1, run, repeat).best


def _lint(text: str, file: str) -> Callable[[], object]:
    import dealcheck
    from dealcheck.dsl.diagnostics import Severity

    def run() -> object:
        _, found = dealcheck.analyze(text, file, warnings=True)
        errors = [d for d in found if d.severity is Severity.ERROR]
        assert not errors, errors[:3]
        return found

    return run


def _fresh(code: str, env_cache: str) -> float:
    """Wall time of `code` in a fresh interpreter whose user cache directory is `env_cache`."""
    import os

    env = dict(os.environ, XDG_CACHE_HOME=env_cache)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run(lines: int, repeat: int) -> list[Row]:
    import dealcheck
    from dealcheck.dsl import parse as parse_module
    from dealcheck.dsl.transform import ToAst

    source = generate(lines)
    count = source.count("\n") + 1
    big = _warm_best(_lint(source, "generated.deal"), repeat)
    # Where the time of `lint` goes: Lark's parse (lexing, LALR, the tree with its
    # positions), the typed AST built from the tree, then resolving and the warnings.
    lark_parser = parse_module._parser()
    tree = lark_parser.parse(source)
    with parse_module.paused_gc():
        lark_s = _warm_best(lambda: lark_parser.parse(source), repeat)
        ast_s = _warm_best(lambda: ToAst("generated.deal", source).transform(tree), repeat)
    parse_s = _warm_best(lambda: parse_module.parse(source, "generated.deal"), repeat)
    rows = [
        Row(f"lint, {count:,}-line terms file (warm)", f"{big * 1000:.1f} ms", "< 100 ms",
            big < 0.1),
        Row("… of which parsing (Lark's tree / typed AST)",
            f"{parse_s * 1000:.1f} ms ({lark_s * 1000:.1f} / {ast_s * 1000:.1f} ms)"),
    ]
    for path in EXAMPLES:
        text = path.read_text("utf-8")
        name = f"{path.parent.name}/{path.name}"
        loaded = _warm_best(lambda text=text, name=name: dealcheck.loads(text, name), repeat)
        linted = _warm_best(_lint(text, name), repeat)
        rows.append(Row(f"load {name}, {text.count(chr(10))} lines (warm)",
                        f"{loaded * 1000:.1f} ms (lint {linted * 1000:.1f} ms)",
                        "< 30 ms", loaded < 0.03))
    # Building the parser: once per process, from Lark's grammar cache when it is there.
    with tempfile.TemporaryDirectory(prefix="dealcheck-bench-cache-") as cache:
        build = "from dealcheck.dsl.parse import _parser; _parser()"
        bare = "import dealcheck.dsl.parse"
        first = _fresh(build, cache)
        cached = min(_fresh(build, cache) for _ in range(3))
        imports = min(_fresh(bare, cache) for _ in range(3))
        lint_cmd = ("import sys; from dealcheck.cli import cli; sys.argv = ['dealcheck', 'lint', "
                    + ", ".join(repr(str(p)) for p in EXAMPLES)
                    + "]\ntry:\n    cli()\nexcept SystemExit as e:\n    assert not e.code\n")
        fresh_lint = min(_fresh(lint_cmd, cache) for _ in range(3))
    rows += [
        Row("parser built from the grammar (first process, fresh process)",
            f"{(first - imports) * 1000:.0f} ms"),
        Row("parser loaded from the user's cache (fresh process)",
            f"{(cached - imports) * 1000:.0f} ms"),
        Row("`dealcheck lint` of the shipped examples, fresh process",
            f"{fresh_lint * 1000:.0f} ms"),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    print_table("Terms: editor-speed lint of real files", run(args.lines, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
