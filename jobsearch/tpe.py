"""``python -m jobsearch.tpe``: TPE search; alias of ``jobsearch.cli.search --algo tpe``."""

from __future__ import annotations

import sys

from .cli.search import main as search_main


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return search_main(argv, algo="tpe")


if __name__ == "__main__":
    sys.exit(main())
