"""The training loss: cross-entropy, optionally class-weighted, optionally on the k hardest
examples of each batch (the top-k loss)."""

from __future__ import annotations

import numpy as np


def balanced_class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """``n / (classes * class size)`` per class, as scikit-learn's 'balanced' (0 if absent)."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_classes, dtype=np.float32)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights


def training_loss(k: int | None = None, class_weights: np.ndarray | None = None, switch=None):
    """Per-example sparse cross-entropy times its class weight, averaged over the batch or,
    with ``k``, over the k largest values (a batch smaller than k uses all its examples).

    ``switch`` (a variable in [0, 1]) blends the two means: 0 trains on the ordinary mean (the
    warm-up), 1 on the top-k mean alone. Without a switch the top-k mean is used alone.
    """
    import keras
    from keras import ops

    weights = None if class_weights is None else ops.convert_to_tensor(class_weights, "float32")

    def loss(y_true, y_pred):
        y = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        per_example = keras.losses.sparse_categorical_crossentropy(y, y_pred)
        if weights is not None:
            per_example = per_example * ops.take(weights, y)
        mean = ops.mean(per_example)
        if not k:
            return mean
        size = ops.shape(per_example)[0]  # a tensor in a TensorFlow graph, an int elsewhere
        n = min(k, size) if isinstance(size, int) else ops.minimum(k, size)
        hardest = ops.mean(ops.top_k(per_example, k=n)[0])
        if switch is None:
            return hardest
        on = ops.cast(switch, "float32")
        return on * hardest + (1.0 - on) * mean

    loss.__name__ = f"top_{k}_loss" if k else "cross_entropy"
    return loss
