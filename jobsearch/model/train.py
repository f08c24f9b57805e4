"""Fit one compiled model with early stopping, optional pruning and NaN detection."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from .metrics import classification_metrics, objective_value

if TYPE_CHECKING:
    import tensorflow as tf

EpochHook = Callable[[int, dict[str, float]], None]
PruneHook = Callable[[int, float], bool]


@dataclass
class FitOutcome:
    """What happened during ``fit``; ``curve`` is the best objective after each epoch,
    ``curve_seconds`` the seconds into the fit at which each epoch's validation ended, and
    ``val_probabilities`` the validation predictions of the best epoch (the weights kept)."""

    history: list[dict[str, float]] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)
    curve_seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0
    val_probabilities: np.ndarray | None = None
    pruned: bool = False
    fit_seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.history)

    @property
    def best_objective(self) -> float:
        return self.curve[-1] if self.curve else math.inf


class _Rows:
    """Cuts rows of model inputs to their longest posting and widest n-gram bag. Under JAX,
    which compiles a step for every new input shape, a cut is rounded up to a power of two
    (a few shapes per trial instead of one per length)."""

    def __init__(self, inputs: dict[str, np.ndarray], cut_tokens: bool, pre_padded: bool):
        self.inputs, self.cut_tokens, self.pre_padded = inputs, cut_tokens, pre_padded
        self.lengths = np.maximum((inputs["token_ids"] != 0).sum(axis=1), 1)
        counts = inputs.get("ngram_counts")
        self.widths = None if counts is None else (counts > 0).sum(axis=1)
        self.round_up = keras.backend.backend() == "jax"

    def _size(self, needed: int, limit: int) -> int:
        return min(limit, 1 << (needed - 1).bit_length()) if self.round_up else needed

    def cut(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        tokens = self.inputs["token_ids"]
        size = tokens.shape[1]
        if self.cut_tokens:
            size = self._size(int(self.lengths[rows].max()), size)
        x = {"token_ids": tokens[rows, -size:] if self.pre_padded else tokens[rows, :size]}
        if self.widths is not None:
            limit = self.inputs["ngram_ids"].shape[1]
            width = self._size(max(1, int(self.widths[rows].max())), limit)
            for name in ("ngram_ids", "ngram_counts"):
                x[name] = self.inputs[name][rows, :width]
        return x


def _cuts(params: dict[str, Any] | None) -> dict[str, bool]:
    """How ``params``' inputs may be cut: token ids only under a masked LSTM (an unmasked one
    reads its padding); the n-gram columns always (their empty slots weigh nothing)."""
    if params is None:
        return {"cut_tokens": False, "pre_padded": False}
    return {"cut_tokens": params["mask_padding"], "pre_padded": params["padding"] == "pre"}


def _batch_rows(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """One epoch's batches of row numbers: the rows of a shuffled chunk of 16 batches are
    sorted by length before they are batched, and the batches come in a random order."""
    n, chunk = len(lengths), batch_size * 16
    order = rng.permutation(n)
    for start in range(0, n, chunk):
        part = order[start : start + chunk]
        order[start : start + chunk] = part[np.argsort(lengths[part], kind="stable")]
    rows = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return [rows[b] for b in rng.permutation(len(rows))]


class LengthBatches(keras.utils.PyDataset):
    """Training batches, reshuffled every epoch, each cut to its longest posting, so a batch
    pads to about its own length instead of ``max_len`` (a masked LSTM computes the same thing
    on fewer steps). ``cut_tokens`` False keeps the token ids whole (an unmasked LSTM reads its
    padding); the n-gram columns are always cut (their empty slots weigh nothing). The next
    epoch's batches are drawn at the end of each epoch. Keras feeds it to JAX and PyTorch as
    it is; TensorFlow gets it through :func:`as_tf_dataset`."""

    def __init__(
        self,
        inputs: dict[str, np.ndarray],
        labels: np.ndarray,
        batch_size: int,
        seed: int,
        cut_tokens: bool = True,
        pre_padded: bool = False,
    ) -> None:
        super().__init__()
        self.inputs, self.labels, self.batch_size = inputs, labels, batch_size
        self.rows_of = _Rows(inputs, cut_tokens, pre_padded)
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        rows = self.rows[index]
        return self.rows_of.cut(rows), self.labels[rows]

    def on_epoch_end(self) -> None:
        self.rows = _batch_rows(self.rows_of.lengths, self.batch_size, self.rng)


def as_tf_dataset(batches: LengthBatches) -> tf.data.Dataset:
    """``batches`` as a tf.data pipeline, one epoch per pass (``.repeat()`` for many).
    tf.data's autotuning is off: the batches are cheap, and tearing down its model thread made
    ``model.fit`` wait 2 to 20 s before returning, in about one trial in four."""
    import tensorflow as tf

    def epoch():
        for index in range(len(batches)):
            yield batches[index]
        batches.on_epoch_end()

    spec = (
        {
            k: tf.TensorSpec((None, None), tf.as_dtype(v.dtype), name=k)
            for k, v in batches.inputs.items()
        },
        tf.TensorSpec((None,), tf.as_dtype(batches.labels.dtype)),
    )
    dataset = tf.data.Dataset.from_generator(epoch, output_signature=spec)
    options = tf.data.Options()
    options.autotune.enabled = False
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return dataset.prefetch(2).with_options(options)


def predict_proba(
    model,
    x: dict[str, np.ndarray],
    params: dict[str, Any] | None = None,
    batch_size: int = 512,
) -> np.ndarray:
    """Class probabilities, float32, in the rows' order: the rows are predicted in batches of
    similar length, each cut as ``params`` allow (see ``LengthBatches``), one compiled call
    a batch (``model.predict`` costs a new dataset and iterator each time)."""
    rows_of = _Rows(x, **_cuts(params))
    order = np.argsort(rows_of.lengths, kind="stable")
    out = np.empty((len(order), model.output_shape[-1]), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        out[rows] = np.asarray(model.predict_on_batch(rows_of.cut(rows)), dtype=np.float32)
    return out


class _EpochMonitor(keras.callbacks.Callback):
    """Validation metrics, early stopping with best weights, pruning and NaN detection."""

    def __init__(self, x_val, y_val, params, objective, outcome, on_epoch, should_prune, switch):
        super().__init__()
        self.x_val, self.y_val, self.hp, self.outcome = x_val, y_val, params, outcome
        self.objective, self.switch = objective, switch
        self.on_epoch, self.should_prune = on_epoch, should_prune
        self.best_weights = None
        self.wait = 0
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.switch is not None:
            warm = epoch >= self.hp["top_k_warmup"]
            self.switch.assign(self.hp["top_k_weight"] if warm else 0.0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        metrics = {
            "train_loss": float(logs.get("ce", math.nan)),
            "train_accuracy": float(logs.get("accuracy", math.nan)),
        }
        if self.x_val is None:  # a refit: every epoch is kept, none is judged
            self._check(metrics, epoch)
            self.outcome.best_epoch = epoch + 1
            self.outcome.history.append(metrics)
            return
        probs = predict_proba(self.model, self.x_val, self.hp)
        val = classification_metrics(self.y_val, probs)
        metrics.update({f"val_{k}": v for k, v in val.items()})
        self._check(metrics, epoch)
        value = objective_value(self.objective, val)
        out = self.outcome
        if value < out.best_objective:
            out.best_epoch, self.wait = epoch + 1, 0
            self.best_weights = self.model.get_weights()
            out.val_probabilities = probs
        else:
            self.wait += 1
        out.curve.append(min(value, out.best_objective))
        out.curve_seconds.append(time.perf_counter() - self.started)
        out.history.append(metrics)
        if self.on_epoch:
            self.on_epoch(epoch + 1, metrics)
        if self.wait >= max(1, self.hp["patience"]):
            self.model.stop_training = True
        elif self.should_prune and self.should_prune(epoch + 1, out.best_objective):
            out.pruned = True
            self.model.stop_training = True

    @staticmethod
    def _check(metrics: dict[str, float], epoch: int) -> None:
        if not all(math.isfinite(v) for v in metrics.values()):
            raise FloatingPointError(f"training diverged: NaN or inf loss at epoch {epoch + 1}")


def fit(
    model,
    inputs: dict[str, dict[str, np.ndarray]],
    labels: dict[str, np.ndarray],
    params: dict[str, Any],
    objective: str = "accuracy",
    on_epoch: EpochHook | None = None,
    should_prune: PruneHook | None = None,
    top_k_switch=None,
    epochs: int | None = None,
) -> FitOutcome:
    """Train on the train split's ``inputs`` and ``labels``; restore the weights of the best
    validation epoch. ``top_k_switch`` (from ``compile_model``) is turned on after
    ``top_k_warmup`` epochs. Without a "val" split (a refit) it trains ``epochs`` epochs
    (default ``max_epochs``) and keeps the last.
    """
    outcome = FitOutcome()
    monitor = _EpochMonitor(
        inputs.get("val"),
        labels.get("val"),
        params,
        objective,
        outcome,
        on_epoch,
        should_prune,
        top_k_switch,
    )
    batches = LengthBatches(
        inputs["train"], labels["train"], params["batch_size"], params["seed"], **_cuts(params)
    )
    start = monitor.started = time.perf_counter()
    feed = {"x": batches}
    if keras.backend.backend() == "tensorflow":
        # one iterator for the whole fit: a new one each epoch cost up to 1 s at the epoch's
        # first step (about a quarter of a demo epoch); the generator still reshuffles
        feed = {"x": as_tf_dataset(batches).repeat(), "steps_per_epoch": len(batches)}
    model.fit(
        **feed,
        epochs=epochs or params["max_epochs"],
        shuffle=False,
        verbose=0,
        callbacks=[monitor],
    )
    outcome.fit_seconds = time.perf_counter() - start
    if monitor.best_weights is not None:
        model.set_weights(monitor.best_weights)
    return outcome
