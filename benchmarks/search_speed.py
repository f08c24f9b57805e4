"""Time whole searches through the command line and break each trial's time down.

    python benchmarks/search_speed.py -- --trials 24 --max-epochs 6          # the README's main job
    python benchmarks/search_speed.py -- --trials 200                         # the 200-trial target
    python benchmarks/search_speed.py --compare-pruning -- --trials 40        # pruning on vs off

Each search runs in a fresh folder (its own MLflow store) so figures are independent. Per-trial
overhead is everything the driver spends outside training and the final evaluation: building
the model, all MLflow logging (per-epoch metrics included), hyperopt's suggestion and saving
the trials.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str], label: str) -> dict:
    from jobsearch.device import cpu_model
    from jobsearch.search.state import load_state

    folder = Path(tempfile.mkdtemp(prefix="jobsearch-bench-"))
    experiment = "bench"
    command = [
        sys.executable,
        "-m",
        "jobsearch.random",
        "--experiment",
        experiment,
        "--no-register",
        *args,
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    subprocess.run(
        command,
        cwd=folder,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    state = load_state(folder / "mlruns" / "searches" / experiment / "state.json")
    results = [t.result for t in state.trials]
    trial = [r["trial_seconds"] for r in results]
    # per-epoch MLflow logging happens inside fit(); count it as overhead
    work = [
        r.get("fit_seconds", 0) - r.get("epoch_logging_seconds", 0) + r.get("evaluate_seconds", 0)
        for r in results
    ]
    overhead = [t - w for t, w in zip(trial, work)]
    ok = [r for r in results if r["status"] == "ok"]
    figures = {
        "label": label,
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.machine()}",
        "command": "python -m jobsearch.random " + " ".join(args),
        "wall_seconds": wall,
        "trials": len(results),
        "pruned": sum(bool(r.get("pruned")) for r in results),
        "failed": len(results) - len(ok),
        "mean_trial_seconds": statistics.mean(trial),
        "overhead_fraction": sum(overhead) / sum(trial),
        "mean_overhead_seconds": statistics.mean(overhead),
        "best_val_accuracy": max(r["val_accuracy"] for r in ok),
        "best_objective": min(r["loss"] for r in ok),
    }
    for key, value in figures.items():
        print(
            f"{label:>10} {key:<22} {value:.4f}"
            if isinstance(value, float)
            else f"{label:>10} {key:<22} {value}",
            flush=True,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--compare-pruning",
        action="store_true",
        help="run the search twice, with and without --no-prune",
    )
    parser.add_argument(
        "search_args",
        nargs=argparse.REMAINDER,
        help="flags for python -m jobsearch.random (after --)",
    )
    args = parser.parse_args()
    search_args = [a for a in args.search_args if a != "--"]
    if args.compare_pruning:
        pruned = run(search_args, "pruning")
        full = run([*search_args, "--no-prune"], "no-prune")
        saved = 1 - pruned["wall_seconds"] / full["wall_seconds"]
        print(
            f"pruning saved {saved:.1%} of wall time; best objective "
            f"{pruned['best_objective']:+.4f} vs {full['best_objective']:+.4f} without"
        )
    else:
        run(search_args, "search")


if __name__ == "__main__":
    main()
