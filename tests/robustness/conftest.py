"""The robustness tests import their helpers from this directory.

The corpus holds broken terms files on purpose: the dealcheck pytest plugin,
which collects the examples of every `*.deal` file, must not collect them.
"""

import pytest

pytest.register_assert_rewrite("robustness_helpers")

collect_ignore_glob = ["corpus/*"]
