"""Greedy ensemble selection (Caruana et al. 2004, as auto-sklearn does) over finished trials.

Rounds add, with replacement, the trial whose validation probabilities most improve the
objective of the weighted average; selection stops when no trial improves it. Validation only:
test probabilities are averaged with the chosen weights, never used to choose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from ..model.metrics import classification_metrics, objective_value

MAX_ROUNDS = 25
BAGS = 20
MIN_WEIGHT = 0.05


def blend(probs: Mapping[int, np.ndarray], members: Mapping[int, float]) -> np.ndarray:
    """The average of the members' probabilities, each by its weight (or times chosen)."""
    total = sum(members.values())
    return sum(probs[tid] * (count / total) for tid, count in members.items())


def select(
    val_probs: Mapping[int, np.ndarray],
    y_val: np.ndarray,
    objective: str = "accuracy",
    rounds: int = MAX_ROUNDS,
    start: Sequence[int] = (),
) -> tuple[dict[int, int], float]:
    """Trial id -> times chosen, and the ensemble's validation objective (lower is better).

    Every round adds the trial that makes the best mix (ties broken by the mix's cross-entropy,
    then by the lower trial id); the answer is the best mix met over all rounds, so a round
    that only ties does not end the search for a better one. The mix starts from the ``start``
    trials, each chosen once (Caruana et al. 2004's initialisation), and always holds them.
    """
    picks = list(start)
    total = np.mean([val_probs[t] for t in picks], axis=0) if picks else None
    best, best_at = (np.inf, np.inf), len(picks)
    if picks:
        metrics = classification_metrics(y_val, total)
        best = (objective_value(objective, metrics), metrics["loss"])
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


def select_bagged(
    val_probs: Mapping[int, np.ndarray],
    y_val: np.ndarray,
    objective: str = "accuracy",
    bags: int = BAGS,
    min_weight: float = MIN_WEIGHT,
    seed: int = 0,
    start: Sequence[int] = (),
) -> tuple[dict[int, float], float]:
    """Trial id -> weight (summing to 1), and the mix's validation objective (lower is better).

    Bagged ensemble selection (Caruana et al. 2006, bagging the validation rows): :func:`select`
    on ``bags`` bootstrap samples of the validation rows, the weights it gives averaged, those
    under ``min_weight`` dropped (each member costs a refit) and the rest rescaled, the ``start``
    trials kept whatever their weight. One greedy pass over a few hundred validation rows fits
    their noise; the average of many does less.
    """
    rng = np.random.default_rng(seed)
    y_val = np.asarray(y_val)
    weights: Counter = Counter()
    for _ in range(bags):
        rows = rng.integers(0, len(y_val), len(y_val))
        bag = {t: p[rows] for t, p in val_probs.items()}
        members, _ = select(bag, y_val[rows], objective, start=start)
        total = sum(members.values())
        for tid, n in members.items():
            weights[tid] += n / total / bags
    kept = {t: w for t, w in weights.items() if w >= min_weight or t in start}
    kept = kept or dict(weights.most_common(1))
    total = sum(kept.values())
    mix = {t: w / total for t, w in sorted(kept.items())}
    metrics = classification_metrics(y_val, blend(val_probs, mix))
    return mix, objective_value(objective, metrics)
