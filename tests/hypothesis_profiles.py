"""The Hypothesis profiles of the suite, chosen with ``DEALCHECK_HYPOTHESIS``.

- ``ci``, the default (every run, CI's too): each property draws a quarter of the
  examples it is written for (`examples`), and a property that names none draws 25;
- ``long``, for a long search: ten times as many
  (``DEALCHECK_HYPOTHESIS=long pytest -m slow tests/testing``).

Neither has a deadline: the machine running the suite may be shared and slow at
times. Searches that must find something (`hypothesis.find`, the mutation tests)
keep their own counts.
"""

from __future__ import annotations

import os

from hypothesis import settings

ENV = "DEALCHECK_HYPOTHESIS"
SCALE = {"ci": 0.25, "long": 10.0}


def profile() -> str:
    """This run's profile; a name that is not one is an error naming the profiles."""
    name = os.environ.get(ENV, "ci")
    if name not in SCALE:
        raise ValueError(f"{ENV}={name}: expected one of {', '.join(SCALE)}")
    return name


def examples(written: int) -> int:
    """The examples a property written for `written` of them draws in this run."""
    return max(10, round(written * SCALE[profile()]))


def load() -> None:
    """Register both profiles and load this run's (from the test-wide conftest)."""
    for name, scale in SCALE.items():
        settings.register_profile(name, deadline=None, max_examples=round(100 * scale))
    settings.load_profile(profile())
