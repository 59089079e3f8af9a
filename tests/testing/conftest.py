"""Setup of the testing-toolkit tests: assertion rewriting in the shared oracle modules.

The differential tests run a modest number of cases by default. For a long
run, set ``DEALCHECK_DIFFERENTIAL_CASES`` to the number of cases each
differential test draws (read by `oracles.differential_settings`)::

    DEALCHECK_DIFFERENTIAL_CASES=10000 .venv/bin/python -m pytest -q \\
        tests/testing/test_reference_differential.py -k overlapping
"""

import pytest

pytest.register_assert_rewrite("oracles", "reference_interpreter", "cedar_oracle")
