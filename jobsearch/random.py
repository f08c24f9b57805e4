"""``python -m jobsearch.random``: random search over a YAML search space."""

from __future__ import annotations

import sys

from .cli import run_search_cli


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return run_search_cli("random", argv)


if __name__ == "__main__":
    sys.exit(main())
