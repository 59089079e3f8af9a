"""`dealcheck diff` and `dealcheck analyze` on generated terms with 200 clauses (CPU time).

The terms are made of the shipped examples' clause shapes: exclusivities,
requirements over facts, prohibitions and permissions naming them, over 3
parties, 12 workloads, 8 providers and 4 regions, with windows and amendments.
The new version moves 5 prohibitions to another provider. Also the shipped Microsoft–OpenAI
terms: an edited amendment, and the terms one day apart; and a relation that never
holds (`start - 30 days = end + 10 business days`, the end being never before the
start) beside a fact of 12 values that multiplies its leaves. Figures, not targets:
`python benchmarks/bench_analysis.py [--quick]`.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dealcheck

ROOT = Path(__file__).resolve().parents[1]
#: A relation that never holds, read beside a fact of 12 values, revoked on 2025-06-01.
NEVER = ('agreement "R" effective 2025-01-01\nparty A, B\nprovider P operated by A\n'
         "workload w, v\nregion US, EU\nfact tier: one of "
         + ", ".join(f"t{n}" for n in range(12)) + "\nfact audited: bool\n"
         "clause c:\n  any party runs any workload only if tier = t0 or audited or "
         "start - 30 days = end + 10 business days\n"
         "clause d from 2025-03-01:\n  A must not run v in EU when party != operator\n"
         "amendment a effective 2025-06-01:\n  revoke c\n")


def terms_text(clauses: int, seed: int = 7, edited: int = 0) -> str:
    rng = random.Random(seed)
    workloads = [f"w{i}" for i in range(12)]
    providers = [f"P{i}" for i in range(8)]
    lines = ['agreement "Bench" effective 2024-01-01', "party Acme, Beta, Gamma"]
    lines += [f"provider {p} operated by Acme" for p in providers]
    lines += ["workload " + ", ".join(workloads), "region US, EU, UK, JP",
              "fact consent: bool", "fact declined: bool", "fact audited: bool",
              "fact customer: one of commercial, government, defence", ""]
    restrictions: list[str] = []
    for n in range(clauses):
        party = rng.choice(["Acme", "Beta", "Gamma"])
        workload = rng.choice(workloads)
        shape = rng.randrange(5)
        month = rng.randrange(1, 13)
        window = f" from 2025-{month:02d}-01" if rng.random() < 0.3 else ""
        ident = f"c{n}"
        if shape == 0:
            body = f"{party} runs {workload} only on {rng.choice(providers)}"
        elif shape == 1:
            fact = rng.choice(["consent", "declined", "audited"])
            body = f"{party} runs {workload} off {rng.choice(providers)} only if {fact}"
        elif shape == 2:
            body = (f"{party} runs {workload} only in {rng.choice(['US', 'EU'])} "
                    f"when customer = {rng.choice(['government', 'defence'])}")
        elif shape == 3 and restrictions:
            target = rng.choice(restrictions)
            lines += [f"clause {ident} notwithstanding {target}:",
                      f"  {party} may run {workload} on any provider when consent", ""]
            continue
        else:
            body = f"{party} must not run {workload} on {rng.choice(providers)}"
        if edited and "must not" in body and not body.endswith("P7"):
            body = body.rsplit(" on ", 1)[0] + " on P7"
            edited -= 1
        restrictions.append(ident)
        lines += [f"clause {ident}{window}:", f"  {body}", ""]
    return "\n".join(lines)


def best(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    quick = "--quick" in sys.argv
    size = 20 if quick else 200
    runs = 1 if quick else 3
    print(f"## diff and analyze ({size} clauses; CPU seconds, best of {runs})")
    old = dealcheck.loads(terms_text(size), "old.deal")
    new = dealcheck.loads(terms_text(size, edited=5), "new.deal")
    example = dealcheck.load(ROOT / "examples" / "microsoft-openai" / "terms.deal")
    edited = dealcheck.load(ROOT / "examples" / "microsoft-openai" / "terms-civilian.deal")
    never = dealcheck.loads(NEVER, "never.deal")
    rows = [
        (f"diff, {size} clauses, 5 edited", lambda: dealcheck.diff(old, new)),
        (f"diff, {size} clauses, as of two dates",
         lambda: dealcheck.diff(old, old, old_as_of="2025-03-31", new_as_of="2025-04-01")),
        (f"analyze, {size} clauses", lambda: old.analyze()),
        ("diff, Microsoft–OpenAI edited amendment", lambda: dealcheck.diff(example, edited)),
        ("diff, Microsoft–OpenAI 2025-10-27 vs 2025-10-28",
         lambda: dealcheck.diff(example, example, old_as_of="2025-10-27",
                                new_as_of="2025-10-28")),
        ("analyze, Microsoft–OpenAI", lambda: example.analyze()),
        ("diff, a relation that never holds, as of two dates",
         lambda: dealcheck.diff(never, never, old_as_of="2025-06-01", new_as_of="2025-01-01")),
    ]
    for label, action in rows:
        print(f"{label:<52} {best(action, runs):8.3f} s")
    changes = len(dealcheck.diff(old, new).changes)
    print(f"{'regions in the 5-edit diff':<52} {changes:8d}")
    print(f"{'analyze findings':<52} {len(old.analyze().findings):8d}")


if __name__ == "__main__":
    main()
