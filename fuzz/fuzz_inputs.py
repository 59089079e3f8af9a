"""atheris harness: the terms parser and the scenario loader on mutated inputs (long runs).

The first byte of each input picks the target (terms, YAML, JSON, CSV, JSON
Lines), the rest is the file; see `targets.py` for what counts as a bug and
README.md for how to run it.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["dealcheck", "targets"]):
    import targets


def test_one_input(data: bytes) -> None:
    targets.check_input(data)


def main() -> None:
    targets.vocabulary()  # load once, before the clock starts
    atexit.register(targets.cleanup)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
