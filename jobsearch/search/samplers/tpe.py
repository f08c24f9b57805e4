"""TPE (Tree-structured Parzen Estimator, hyperopt's ``tpe``): random for the first
``startup_trials``, then proposals modelled on the good and bad trials so far."""

from __future__ import annotations

from functools import partial

from ..space import SearchSpace
from .base import HyperoptSampler

DEFAULT_STARTUP_TRIALS = 10


def startup_trials_for(parallelism: int) -> int:
    """The random warm-up for ``parallelism`` trials at once: each of N trials in flight is
    proposed without the others' results, so TPE waits for 2N trials (at least the default)."""
    return max(DEFAULT_STARTUP_TRIALS, 2 * parallelism)


class TPESampler(HyperoptSampler):
    def __init__(
        self, space: SearchSpace, seed: int = 0, startup_trials: int = DEFAULT_STARTUP_TRIALS
    ) -> None:
        super().__init__(space, seed)
        self.startup_trials = startup_trials

    def suggest(self):
        from hyperopt import tpe

        return partial(tpe.suggest, n_startup_jobs=self.startup_trials)
