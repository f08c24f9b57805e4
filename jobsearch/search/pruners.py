"""Pruners stop hopeless trials early (hyperopt has none)."""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from collections.abc import Sequence


class Pruner(ABC):
    """Decides after each epoch whether a trial should stop; learns from finished curves."""

    @abstractmethod
    def add_curve(self, curve: Sequence[float]) -> None:
        """Record a finished (or pruned) trial's best-objective-after-each-epoch curve."""

    @abstractmethod
    def should_prune(self, epoch: int, best_so_far: float) -> bool:
        """True when the trial, at ``epoch`` (1-based) with this best objective, should stop."""


class MedianPruner(Pruner):
    """Stop a trial whose best objective at an epoch is worse than the median of earlier trials.

    Curves are the best objective (lower is better) after each epoch of finished trials; a
    trial that stopped early keeps its final value for later epochs. Nothing is pruned before
    ``warmup_trials`` curves exist or before epoch ``warmup_epochs``.
    """

    def __init__(self, warmup_trials: int = 5, warmup_epochs: int = 2) -> None:
        self.warmup_trials = warmup_trials
        self.warmup_epochs = warmup_epochs
        self.curves: list[list[float]] = []

    def add_curve(self, curve: Sequence[float]) -> None:
        if len(curve):
            self.curves.append(list(curve))

    def median_at(self, epoch: int) -> float | None:
        """Median best objective of recorded trials after ``epoch`` (1-based) epochs."""
        if len(self.curves) < self.warmup_trials:
            return None
        return statistics.median(c[min(epoch, len(c)) - 1] for c in self.curves)

    def should_prune(self, epoch: int, best_so_far: float) -> bool:
        if epoch < self.warmup_epochs:
            return False
        median = self.median_at(epoch)
        return median is not None and best_so_far > median
