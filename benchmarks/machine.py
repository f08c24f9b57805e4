"""The machine a benchmark runs on, and how fast it is that day.

This machine's speed varies several-fold from one day to the next (its float32 matmul has
measured 437.6 GFLOP/s one day and 89 another), so a wall time compares with another only
beside the matmul figure taken with it. Each timing benchmark records ``matmul_gflops`` at its
start and its end, measured while nothing else of the benchmark runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float | None:
    """float32 matmul GFLOP/s with TensorFlow on this machine, now (None without TensorFlow,
    as on the GPU machine, where the figure would be the GPU's anyway)."""
    try:
        import tensorflow as tf
    except ImportError:
        return None

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.linalg.matmul(a, b)
    c.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def commit() -> str:
    """The checkout's short commit hash (what the figures were measured at): ``BENCH_COMMIT``
    where the tree is a copy without git (the GPU machine), else git's."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    root = Path(__file__).resolve().parents[1]
    try:
        run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True)
    except OSError:
        return "unknown"
    return run.stdout.decode().strip() or "unknown"


def description() -> str:
    """``AMD EPYC, 2 cores, x86_64``: the CPU, its cores and the architecture."""
    from jobsearch.device import cpu_model

    return f"{cpu_model()}, {os.cpu_count()} cores, {platform.machine()}"
