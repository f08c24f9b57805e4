"""Pruners stop hopeless trials early (hyperopt has none)."""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from collections.abc import Sequence

PRUNERS = ("median", "asha", "none")


class Pruner(ABC):
    """Decides after each epoch whether a trial should stop; learns from finished curves."""

    @abstractmethod
    def add_curve(self, curve: Sequence[float], pruned: bool = False) -> None:
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

    def add_curve(self, curve: Sequence[float], pruned: bool = False) -> None:
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


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (ASHA, Li et al. 2020) as a pruner.

    Rungs sit at ``min_epochs * eta**k`` epochs. A trial reaching a rung continues only if its
    best objective is among the best ``1/eta`` of the trials that reached that rung before it
    (itself included; at least one continues; a tie with the last place continues). A trial
    that stopped on its own (patience, or its last epoch) before a rung counts there with its
    final value, which more epochs would not have changed; a pruned trial counts only at the
    rungs it reached. Nothing is pruned at a rung fewer than ``warmup_trials`` trials reached.
    Asynchronous: a trial is judged against the trials finished so far, never waits.
    """

    def __init__(self, min_epochs: int = 1, eta: int = 3, warmup_trials: int | None = None):
        if min_epochs < 1 or eta < 2:
            raise ValueError(f"min_epochs={min_epochs}, eta={eta}: need min_epochs >= 1, eta >= 2")
        self.min_epochs, self.eta = min_epochs, eta
        self.warmup_trials = eta if warmup_trials is None else warmup_trials
        self.curves: list[tuple[list[float], bool]] = []

    def is_rung(self, epoch: int) -> bool:
        """Whether ``epoch`` (1-based) is a rung: ``min_epochs * eta**k``."""
        rung = self.min_epochs
        while rung < epoch:
            rung *= self.eta
        return rung == epoch

    def add_curve(self, curve: Sequence[float], pruned: bool = False) -> None:
        if len(curve):
            self.curves.append((list(curve), pruned))

    def at_rung(self, epoch: int) -> list[float]:
        """The recorded trials' best objectives at rung ``epoch``."""
        return [
            curve[min(epoch, len(curve)) - 1]
            for curve, pruned in self.curves
            if len(curve) >= epoch or not pruned
        ]

    def should_prune(self, epoch: int, best_so_far: float) -> bool:
        if not self.is_rung(epoch):
            return False
        earlier = self.at_rung(epoch)
        if len(earlier) < self.warmup_trials:
            return False
        competing = sorted([*earlier, best_so_far])
        kept = max(1, len(competing) // self.eta)
        return best_so_far > competing[kept - 1]


def make_pruner(name: str, min_epochs: int = 1, eta: int = 3) -> Pruner | None:
    """The pruner ``--pruner NAME`` asks for, one of PRUNERS (None for ``none``)."""
    if name == "asha":
        return SuccessiveHalvingPruner(min_epochs, eta)
    return MedianPruner() if name == "median" else None
