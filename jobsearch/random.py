"""``python -m jobsearch.random``: alias of ``jobsearch.cli.search --algo random``."""

from __future__ import annotations

import sys

from .cli.search import main as search_main


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return search_main(argv, algo="random")


if __name__ == "__main__":
    sys.exit(main())
