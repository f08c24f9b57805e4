"""``python -m jobsearch.baseline``: an alias of :mod:`jobsearch.cli.baseline`."""

import sys

from ..cli.baseline import main

sys.exit(main())
