"""``python -m jobsearch.report``: an alias of :mod:`jobsearch.cli.report`."""

import sys

from ..cli.report import main

sys.exit(main())
