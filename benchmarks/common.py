"""Shared pieces of the benchmarks: the sample deployments, the timer, the printed table."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MSFT_OPENAI = ROOT / "examples" / "microsoft-openai" / "terms.deal"

#: Facts of the Microsoft–OpenAI terms and the values a sample may give them.
FACTS: dict[str, tuple[object, ...]] = {
    "microsoft_consent": (True, False),
    "rofr_declined": (True, False),
    "customer": ("commercial", "us_national_security", "us_government_civilian"),
    "meets_capability_criteria": (True, False),
    "shipped_first_on_azure": (True, False),
    "azure_can_support": (True, False),
}
PARTIES = ("OpenAI",) * 6 + ("Microsoft", "Oracle", "SoftBank", "CoreWeave")
WORKLOADS = ("api", "api_partner", "chatgpt", "training", "research", "open_weights")
PROVIDERS = ("Azure",) * 3 + ("OCI", "AWS", "GCP", "CoreWeave", "Cerebras", "Nscale", "Stargate")
REGIONS = ("US", "EU", "UK", "NO", "AE", "JP")
FIRST_DAY = dt.date(2019, 1, 1)
DAYS = 3000  # to 2027: before the agreement and through every amendment


def sample_records(count: int, seed: int = 20251028) -> list[dict[str, Any]]:
    """Scenario-style deployments over the Microsoft–OpenAI vocabulary, deterministic."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for i in range(count):
        record: dict[str, Any] = {
            "id": f"d{i}",
            "party": rng.choice(PARTIES),
            "workload": rng.choice(WORKLOADS),
            "provider": rng.choice(PROVIDERS),
            "region": rng.choice(REGIONS),
            "start": (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))).isoformat(),
        }
        if rng.random() < 0.3:
            record["value"] = f"{rng.randrange(1, 900)}M USD"
        facts = {name: rng.choice(values) for name, values in FACTS.items()
                 if rng.random() < 0.5}
        if facts:
            record["facts"] = facts
        records.append(record)
    return records


@dataclass(slots=True)
class Timing:
    """The best of several runs (the least disturbed by other work on the machine)."""

    label: str
    items: int
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def rate(self) -> float:
        return self.items / self.best


def measure(label: str, items: int, run: Callable[[], object], repeat: int,
            clock: Callable[[], float] = time.perf_counter) -> Timing:
    """Time `run` `repeat` times (after a collection, so garbage of earlier runs is not billed).

    `clock` is wall time by default; `time.process_time` gives CPU time (every
    thread of the process), steadier on a busy machine.
    """
    timing = Timing(label, items)
    for _ in range(repeat):
        gc.collect()
        start = clock()
        run()
        timing.seconds.append(clock() - start)
    return timing


def rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M/s"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k/s"
    return f"{value:.0f}/s"


@dataclass(slots=True)
class Row:
    """One line of a results table: a figure, its target and whether it is met."""

    name: str
    figure: str
    target: str = ""
    met: bool | None = None

    def cells(self) -> tuple[str, str, str, str]:
        status = "" if self.met is None else ("met" if self.met else "NOT met")
        return self.name, self.figure, self.target, status


def table(rows: list[Row]) -> Iterator[str]:
    header = ("measure", "figure", "target", "")
    cells = [header, *(row.cells() for row in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    for number, line in enumerate(cells):
        yield "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        if number == 0:
            yield "  ".join("-" * w for w in widths)


def print_table(title: str, rows: list[Row]) -> None:
    """A benchmark's titled table, on standard output."""
    print(title)
    for line in table(rows):
        print(line)


@contextlib.contextmanager
def work_directory(keep: str | None) -> Iterator[Path]:
    """Where a benchmark writes its inputs: `keep` (kept, reused next time), or a temporary one."""
    if keep:
        directory = Path(keep)
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="dealcheck-bench-") as temp:
        yield Path(temp)
