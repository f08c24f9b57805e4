"""How long the search's linear baselines take to fit, and what they choose and score.

    python benchmarks/baselines.py --set demo|reed|adzuna [--repeat 3]

Runs ``fit_baselines`` (the C of each model, the calibration, every split's metrics) on the
set's stratified 70/15/15 split (seed 0, as ``benchmarks/quality.py``), ``--repeat`` times,
and prints each model's C, its validation and test accuracy / macro-F1, the fit seconds of
the chosen C and the whole call's wall time, with the machine's matmul speed before and after.
"""

from __future__ import annotations

import argparse
import time

from machine import commit, description, matmul_gflops
from quality import SETS  # also quiets TensorFlow (TF_CPP_MIN_LOG_LEVEL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), required=True)
    parser.add_argument("--repeat", type=int, default=3, help="calls to time (default: 3)")
    args = parser.parse_args()

    from jobsearch import prepare_dataset
    from jobsearch.baseline import fit_baselines

    spec = SETS[args.set]
    data = prepare_dataset(
        spec["path"], ["text"], "industry", min_class_size=spec["min_class_size"]
    )
    print(f"{args.set}: {data.summary['splits']}, {len(data.classes)} classes; {description()}")
    print(f"commit {commit()}, matmul {matmul_gflops():.0f} GFLOP/s")
    for _ in range(args.repeat):
        start = time.perf_counter()
        baselines = fit_baselines(data)
        wall = time.perf_counter() - start
        cells = [
            f"{b.name} C={b.settings['C']:g} val {b.metrics['val_accuracy']:.4f} / "
            f"{b.metrics['val_macro_f1']:.4f} test {b.metrics['test_accuracy']:.4f} / "
            f"{b.metrics['test_macro_f1']:.4f} fit {b.metrics['fit_seconds']:.1f} s"
            for b in baselines
        ]
        print(f"fit_baselines {wall:.1f} s: " + "; ".join(cells), flush=True)
    print(f"matmul {matmul_gflops():.0f} GFLOP/s")


if __name__ == "__main__":
    main()
