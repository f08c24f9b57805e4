"""Classification metrics and the objective to minimise (numpy; no Keras)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

OBJECTIVES = ("accuracy", "macro_f1", "loss")


def classification_metrics(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Cross-entropy, accuracy and macro-F1 over the classes present in ``y`` or predicted.

    A label of -1 (a class the model does not know) counts as wrong and as probability 0.
    """
    y = np.asarray(y)
    known = y >= 0
    p = np.full(len(y), 1e-7)
    p[known] = probs[np.flatnonzero(known), y[known]]
    pred = probs.argmax(axis=1)
    return {
        "loss": float(-np.log(np.clip(p, 1e-7, 1.0)).mean()),
        "accuracy": float((pred == y).mean()),
        "macro_f1": macro_f1(y, pred),
    }


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """scikit-learn's ``f1_score(y, pred, average="macro")`` over the labels in either, in
    numpy (ensemble selection scores thousands of mixes)."""
    if not len(y):
        return 0.0
    labels, index = np.unique(np.concatenate([y, pred]), return_inverse=True)
    truth, guess = index[: len(y)], index[len(y) :]
    k = len(labels)
    hits = np.bincount(truth[truth == guess], minlength=k)
    return float(
        np.mean(2 * hits / (np.bincount(truth, minlength=k) + np.bincount(guess, minlength=k)))
    )


def per_class(y: np.ndarray, pred: np.ndarray, classes: list[str]) -> list[dict[str, Any]]:
    """Each class's row count, precision, recall and F1 (rows: its true rows), for the classes
    in ``y`` or ``pred`` (the mean of their F1 is :func:`macro_f1`), weakest F1 first."""
    y, pred = np.asarray(y), np.asarray(pred)
    k = len(classes)
    hits = np.bincount(y[y == pred], minlength=k)
    rows, guessed = np.bincount(y, minlength=k), np.bincount(pred, minlength=k)
    table = [
        {
            "industry": classes[c],
            "rows": int(rows[c]),
            "precision": float(hits[c] / guessed[c]) if guessed[c] else 0.0,
            "recall": float(hits[c] / rows[c]) if rows[c] else 0.0,
            "f1": float(2 * hits[c] / (rows[c] + guessed[c])),
        }
        for c in range(k)
        if rows[c] or guessed[c]
    ]
    return sorted(table, key=lambda r: (r["f1"], -r["rows"]))


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
