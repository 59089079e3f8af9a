"""Setup of the testing-toolkit tests: assertion rewriting in the shared oracle modules."""

import pytest

pytest.register_assert_rewrite("oracles", "reference_interpreter", "cedar_oracle")
