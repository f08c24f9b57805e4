"""Classification metrics and the objective to minimise (numpy and scikit-learn; no Keras)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

OBJECTIVES = ("accuracy", "macro_f1", "loss")


def classification_metrics(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Cross-entropy, accuracy and macro-F1 over the classes present in ``y`` or predicted.

    A label of -1 (a class the model does not know) counts as wrong and as probability 0.
    """
    from sklearn.metrics import f1_score

    y = np.asarray(y)
    known = y >= 0
    p = np.full(len(y), 1e-7)
    p[known] = probs[np.flatnonzero(known), y[known]]
    pred = probs.argmax(axis=1)
    return {
        "loss": float(-np.log(np.clip(p, 1e-7, 1.0)).mean()),
        "accuracy": float((pred == y).mean()),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
    }


def objective_value(objective: str, metrics: Mapping[str, float]) -> float:
    """The number to minimise: minus accuracy, minus macro-F1, or the loss."""
    return metrics["loss"] if objective == "loss" else -metrics[objective]


def score(objective: str, loss: float) -> float:
    """The objective as people read it: validation accuracy or macro-F1 (higher is better),
    or validation loss (lower is better); ``loss`` is the minimised value."""
    return loss if objective == "loss" else -loss


def score_label(objective: str) -> str:
    """``val accuracy (higher is better)`` style axis and column label."""
    better = "lower" if objective == "loss" else "higher"
    return f"val {objective.replace('_', '-')} ({better} is better)"


def full_probs(probs: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over all classes from a model that saw only ``seen`` (others get 0)."""
    full = np.zeros((len(probs), n_classes), dtype=np.float32)
    full[:, seen] = probs
    return full
