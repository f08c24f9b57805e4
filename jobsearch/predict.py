"""``python -m jobsearch.predict``: an alias of :mod:`jobsearch.cli.predict`."""

from __future__ import annotations

import sys

from .cli.predict import main

if __name__ == "__main__":
    sys.exit(main())
