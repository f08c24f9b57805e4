"""Greedy ensemble selection (Caruana et al. 2004, as auto-sklearn does) over finished trials.

Rounds add, with replacement, the trial whose validation probabilities most improve the
objective of the weighted average; selection stops when no trial improves it. Validation only:
test probabilities are averaged with the chosen weights, never used to choose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from ..model.metrics import classification_metrics, objective_value

MAX_ROUNDS = 25


def blend(probs: Mapping[int, np.ndarray], members: Mapping[int, int]) -> np.ndarray:
    """The average of the members' probabilities, each counted as often as it was chosen."""
    total = sum(members.values())
    return sum(probs[tid] * (count / total) for tid, count in members.items())


def select(
    val_probs: Mapping[int, np.ndarray],
    y_val: np.ndarray,
    objective: str = "accuracy",
    rounds: int = MAX_ROUNDS,
) -> tuple[dict[int, int], float]:
    """Trial id -> times chosen, and the ensemble's validation objective (lower is better).

    Every round adds the trial that makes the best mix (ties broken by the mix's cross-entropy,
    then by the lower trial id); the answer is the best mix met over all rounds, so a round
    that only ties does not end the search for a better one.
    """
    picks: list[int] = []
    total = None
    best, best_at = (np.inf, np.inf), 0
    for _ in range(rounds):
        n = len(picks)
        scores = {}
        for tid, probs in sorted(val_probs.items()):
            mix = probs if total is None else (total * n + probs) / (n + 1)
            metrics = classification_metrics(y_val, mix)
            scores[tid] = (objective_value(objective, metrics), metrics["loss"])
        tid = min(scores, key=lambda t: (scores[t], t))
        picks.append(tid)
        total = val_probs[tid] if total is None else (total * n + val_probs[tid]) / (n + 1)
        if scores[tid] < best:
            best, best_at = scores[tid], len(picks)
    return dict(Counter(picks[:best_at])), float(best[0])
