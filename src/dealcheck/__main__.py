"""`python -m dealcheck`: the same as the `dealcheck` command."""

import sys

from dealcheck.cli import main

sys.exit(main())
