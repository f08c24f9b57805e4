"""Wall time of one search run one trial at a time, and on Spark with --parallelism 2.

    python benchmarks/parallel.py                         # 20 trials x 3 epochs, demo data
    python benchmarks/parallel.py --trials 20 --max-epochs 3 --json benchmarks/results/parallel.json

Three runs of the same random search (same seed, so the same 20 params; pruning off, so the
same work; no registration), each the real command in a fresh folder with its own MLflow store:
in-process (the default), on Spark with one task at a time (``--spark-master local[1]``: what
Spark adds per trial), and on Spark two at a time (``--parallelism 2``). Wall time is measured
from the outside, start-up included.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import description, matmul_gflops

RUNS = {
    "in-process": [],
    "spark local[1]": ["--spark-master", "local[1]"],
    "spark --parallelism 2": ["--parallelism", "2"],
}


def run(flags: list[str], trials: int, epochs: int) -> dict:
    from jobsearch.search.state import load_state

    folder = Path(tempfile.mkdtemp(prefix="jobsearch-parallel-"))
    command = [
        sys.executable, "-m", "jobsearch.random", "--experiment", "bench", "--trials", str(trials),
        "--max-epochs", str(epochs), "--no-prune", "--no-register", *flags,
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    wall = time.perf_counter() - start
    state = load_state(folder / "mlruns" / "searches" / "bench" / "state.json")
    trial_seconds = sum(t.result["total_seconds"] for t in state.trials)
    return {
        "wall_seconds": round(wall, 1),
        "trials": len(state.trials),
        "sum_of_trial_seconds": round(trial_seconds, 1),
        "best_val_accuracy": round(-state.best["loss"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--max-epochs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    speed = [matmul_gflops()]
    results = {}
    for label, flags in RUNS.items():
        results[label] = run(flags, args.trials, args.max_epochs)
        print(label, results[label], flush=True)
    speed.append(matmul_gflops())
    one, spark1, two = (results[k]["wall_seconds"] for k in RUNS)
    summary = {
        "speedup_parallelism_2_vs_in_process": round(one / two, 2),
        "spark_overhead_seconds_per_trial": round((spark1 - one) / args.trials, 2),
    }
    print(summary)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d"),
                    "machine": description(),
                    "python": platform.python_version(),
                    "matmul_gflops_start_end": speed,
                    "trials": args.trials,
                    "max_epochs": args.max_epochs,
                    "runs": results,
                    **summary,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
