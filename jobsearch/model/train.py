"""Fit one compiled model with early stopping, optional pruning and NaN detection."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from .metrics import classification_metrics, objective_value

EpochHook = Callable[[int, dict[str, float]], None]
PruneHook = Callable[[int, float], bool]


@dataclass
class FitOutcome:
    """What happened during ``fit``; ``curve`` is the best objective after each epoch."""

    history: list[dict[str, float]] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)
    best_epoch: int = 0
    pruned: bool = False
    fit_seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.history)

    @property
    def best_objective(self) -> float:
        return self.curve[-1] if self.curve else math.inf


def predict_proba(model, x: dict[str, np.ndarray], batch_size: int = 512) -> np.ndarray:
    """Class probabilities, float32."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)


class _EpochMonitor(keras.callbacks.Callback):
    """Validation metrics, early stopping with best weights, pruning and NaN detection."""

    def __init__(self, x_val, y_val, params, objective, outcome, on_epoch, should_prune, switch):
        super().__init__()
        self.x_val, self.y_val, self.hp, self.outcome = x_val, y_val, params, outcome
        self.objective, self.switch = objective, switch
        self.on_epoch, self.should_prune = on_epoch, should_prune
        self.best_weights = None
        self.wait = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.switch is not None:
            warm = epoch >= self.hp["top_k_warmup"]
            self.switch.assign(self.hp["top_k_weight"] if warm else 0.0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        val = classification_metrics(self.y_val, predict_proba(self.model, self.x_val))
        metrics = {
            "train_loss": float(logs.get("ce", math.nan)),
            "train_accuracy": float(logs.get("accuracy", math.nan)),
            **{f"val_{k}": v for k, v in val.items()},
        }
        if not all(math.isfinite(v) for v in metrics.values()):
            raise FloatingPointError(f"training diverged: NaN or inf loss at epoch {epoch + 1}")
        value = objective_value(self.objective, val)
        out = self.outcome
        if value < out.best_objective:
            out.best_epoch, self.wait = epoch + 1, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
        out.curve.append(min(value, out.best_objective))
        out.history.append(metrics)
        if self.on_epoch:
            self.on_epoch(epoch + 1, metrics)
        if self.wait >= max(1, self.hp["patience"]):
            self.model.stop_training = True
        elif self.should_prune and self.should_prune(epoch + 1, out.best_objective):
            out.pruned = True
            self.model.stop_training = True


def fit(
    model,
    inputs: dict[str, dict[str, np.ndarray]],
    labels: dict[str, np.ndarray],
    params: dict[str, Any],
    objective: str = "accuracy",
    on_epoch: EpochHook | None = None,
    should_prune: PruneHook | None = None,
    top_k_switch=None,
) -> FitOutcome:
    """Train on the train split's ``inputs`` and ``labels``; restore the weights of the best
    validation epoch. ``top_k_switch`` (from ``compile_model``) is turned on after
    ``top_k_warmup`` epochs.
    """
    outcome = FitOutcome()
    monitor = _EpochMonitor(
        inputs["val"],
        labels["val"],
        params,
        objective,
        outcome,
        on_epoch,
        should_prune,
        top_k_switch,
    )
    start = time.perf_counter()
    model.fit(
        inputs["train"],
        labels["train"],
        batch_size=params["batch_size"],
        epochs=params["max_epochs"],
        shuffle=True,
        verbose=0,
        callbacks=[monitor],
    )
    outcome.fit_seconds = time.perf_counter() - start
    if monitor.best_weights is not None:
        model.set_weights(monitor.best_weights)
    return outcome
