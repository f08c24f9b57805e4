"""The linear baselines: how their settings are chosen."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.sparse import csr_matrix

from jobsearch.baseline import _cross_validated


def test_linear_svc_c_is_chosen_on_out_of_fold_accuracy_of_the_training_rows():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    x = rng.normal(size=(120, 20))
    x[np.arange(120), y] += 3.0
    weak = csr_matrix(x * 0.01)  # the signal is there, but C=0.01 is too strong a penalty
    strong = csr_matrix(x)  # every C separates it: the first (most regularised) is kept
    with ThreadPoolExecutor(2) as pool:
        assert _cross_validated(pool, "linear_svc", weak, y, (0.01, 10.0)) == 10.0
        assert _cross_validated(pool, "linear_svc", strong, y, (0.3, 10.0)) == 0.3
