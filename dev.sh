#!/usr/bin/env bash
# One script for what a newcomer does: `./dev.sh demo`, `./dev.sh test` and `./dev.sh lint`.
# Each creates .venv (Python 3.10-3.13) and installs the project into it if needed.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    py=""
    for candidate in python3.11 python3.12 python3.13 python3.10 python3; do
      if command -v "$candidate" >/dev/null 2>&1; then py=$candidate; break; fi
    done
    [ -n "$py" ] || { echo "dev.sh: Python 3.10-3.13 is required" >&2; exit 2; }
    "$py" -m venv "$VENV"
  fi
  if ! "$VENV/bin/python" -c "import jobsearch, pytest" >/dev/null 2>&1 \
     || [ pyproject.toml -nt "$VENV/.installed" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
    touch "$VENV/.installed"
  fi
}

export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
case "${1:-}" in
  demo)
    shift; setup
    "$VENV/bin/python" -m jobsearch.random --trials 20 --max-epochs 6 "$@"
    ;;
  test)
    shift; setup
    "$VENV/bin/python" -m pytest -q "$@"
    ;;
  lint)
    shift; setup
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    ;;
  *)
    echo "usage: ./dev.sh demo [search flags] | ./dev.sh test [pytest args] | ./dev.sh lint" >&2
    exit 2
    ;;
esac
