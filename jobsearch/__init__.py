"""jobsearch: hyperparameter search for LSTM job-posting industry classifiers, tracked in MLflow.

Heavy libraries (TensorFlow, MLflow) load only when a name that needs them is used.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = [
    "DataError",
    "ParamError",
    "TrialResult",
    "prepare_dataset",
    "resolve_params",
    "run_experiment",
    "run_search",
]
__version__ = "0.1.0"

_LAZY = {
    "run_experiment": "jobsearch.trial",
    "TrialResult": "jobsearch.trial",
    "run_search": "jobsearch.search",
    "prepare_dataset": "jobsearch.data",
    "resolve_params": "jobsearch.params",
    "ParamError": "jobsearch.params",
    "DataError": "jobsearch.data",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobsearch' has no attribute {name!r}")
