"""Write the seed corpus for `fuzz_inputs.py`: the repository's own terms and scenario files.

Each seed is the file's bytes behind one selector byte (0 terms, 1 YAML,
2 JSON, 3 CSV, 4 JSON Lines), as `targets.check_input` reads them.

    python fuzz/seeds.py fuzz/corpus
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELECTORS = {".deal": 0, ".yaml": 1, ".yml": 1, ".json": 2, ".csv": 3, ".jsonl": 4}
SOURCES = ("examples", "tests/dsl/parse_cases", "tests/dsl/format/cases", "tests/scenario/fixtures",
           "tests/robustness/corpus")
#: Seeds are kept small: libFuzzer mutates short inputs faster and as well.
MAX_SEED_BYTES = 8192


def seeds() -> list[bytes]:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            selector = SELECTORS.get(path.suffix)
            if selector is None or not path.is_file():
                continue
            data = path.read_bytes()[:MAX_SEED_BYTES]
            found.append(bytes([selector]) + data)
    return found


def main(target: str) -> None:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for seed in seeds():
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{len(seeds())} seeds in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent / "corpus"))
