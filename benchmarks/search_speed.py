"""Time whole searches from the outside, as a user waits for them, and watch their memory.

    python benchmarks/search_speed.py -- --trials 20 --max-epochs 6     # ./dev.sh demo, as is
    python benchmarks/search_speed.py -- --trials 100 --max-epochs 1    # overhead and memory
    python benchmarks/search_speed.py --compare-pruning -- --trials 40  # pruning on vs off

Each search is the real command (registration included unless you pass --no-register) in a
fresh folder with its own MLflow store. The script stamps each trial's line as it arrives on
the command's stdout and reads the process's resident memory (VmRSS) at that moment. Training
is the time inside ``model.fit`` (minus the per-epoch MLflow logging it calls) and the final
predictions; everything else the user waits for is overhead: start-up (imports, data, opening
the search), per trial (building the model, every MLflow call, saving weights and predictions,
the state, the trials table, the progress line, garbage collection, the sampler), and the end
(baselines, plots, ensemble, registration).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import commit, description, matmul_gflops

TRIAL_LINE = re.compile(r"^trial +(\d+)/")


def _rss_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else None


def run(args: list[str], label: str) -> dict:
    from jobsearch.search.state import load_state

    speed = [matmul_gflops()]
    folder = Path(tempfile.mkdtemp(prefix="jobsearch-bench-"))
    experiment = "bench"
    command = [sys.executable, "-m", "jobsearch.random", "--experiment", experiment, *args]
    start = time.perf_counter()
    errors = folder / "stderr.txt"  # the progress bar, and why a search failed
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        stamps, rss = [], []
        for line in process.stdout:
            if TRIAL_LINE.match(line):
                stamps.append(time.perf_counter() - start)
                rss.append(_rss_mb(process.pid))
    if process.wait() != 0:
        tail = errors.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(
            f"{label}: the search failed (exit {process.returncode}); the end of {errors}:\n"
            + "\n".join(tail)
        )
    wall = time.perf_counter() - start
    speed.append(matmul_gflops())
    state = load_state(folder / "mlruns" / "searches" / experiment / "state.json")
    results = [t.result for t in state.trials]
    training = [
        r.get("fit_seconds", 0) - r.get("epoch_logging_seconds", 0) + r.get("evaluate_seconds", 0)
        for r in results
    ]
    startup = stamps[0] - results[0]["trial_seconds"]
    trials_phase = stamps[-1] - startup
    finish = wall - stamps[-1]
    per_trial = (trials_phase - sum(training)) / len(results)
    ok = [r for r in results if r["status"] == "ok"]
    figures = {
        "label": label,
        "machine": description(),
        "matmul_gflops_start_end": speed,
        "date": time.strftime("%Y-%m-%d"),
        "commit": commit(),
        "command": "python -m jobsearch.random " + " ".join(args),
        "folder": str(folder),
        "wall_seconds": wall,
        "trials": len(results),
        "pruned": sum(bool(r.get("pruned")) for r in results),
        "failed": len(results) - len(ok),
        "training_seconds": sum(training),
        "overhead_seconds": wall - sum(training),
        "overhead_fraction": 1 - sum(training) / wall,
        "startup_seconds": startup,
        "per_trial_overhead_seconds": per_trial,
        "finish_seconds": finish,
        "mean_build_seconds": statistics.mean(r.get("build_seconds", 0) for r in results),
        "mean_epoch_logging_seconds": statistics.mean(
            r.get("epoch_logging_seconds", 0) for r in results
        ),
        "mean_save_seconds": statistics.mean(r.get("save_seconds", 0) for r in results),
        "rss_mb_after_trial": {str(i + 1): rss[i] for i in (0, 9, 49, 99) if i < len(rss)},
        "rss_growth_mb": rss[-1] - rss[0],
        "rss_growth_after_10_mb": rss[-1] - rss[9] if len(rss) > 10 else None,
        "best_val_accuracy": max(r["val_accuracy"] for r in ok),
        "trials_per_hour": len(results) / wall * 3600,
        "device": results[0].get("device"),
        "backend": results[0].get("backend"),
        "cudnn_trials": sum(str(r.get("cudnn")) == "True" for r in results),
        "mean_examples_per_second": statistics.mean(
            r.get("examples_per_second", 0) for r in results
        ),
    }
    for key, value in figures.items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"{label:>10} {key:<28} {shown}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--compare-pruning",
        action="store_true",
        help="run the search twice, with and without --no-prune",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "search_args",
        nargs=argparse.REMAINDER,
        help="flags for python -m jobsearch.random (after --)",
    )
    args = parser.parse_args()
    search_args = [a for a in args.search_args if a != "--"]
    if args.compare_pruning:
        runs = [run(search_args, "pruning"), run([*search_args, "--no-prune"], "no-prune")]
        saved = 1 - runs[0]["wall_seconds"] / runs[1]["wall_seconds"]
        print(
            f"pruning saved {saved:.1%} of wall time; best val accuracy "
            f"{runs[0]['best_val_accuracy']:.4f} vs {runs[1]['best_val_accuracy']:.4f} without"
        )
    else:
        runs = [run(search_args, "search")]
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
