"""The top-k loss: train only on the k hardest examples of each batch."""

from __future__ import annotations


def top_k_loss(k: int):
    """Mean of the k largest per-example sparse categorical cross-entropies in each batch.

    A batch smaller than k (the last one of an epoch) uses all its examples.
    """
    import keras
    import tensorflow as tf

    def loss(y_true, y_pred):
        per_example = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
        n = tf.minimum(k, tf.shape(per_example)[0])
        return tf.reduce_mean(tf.math.top_k(per_example, k=n).values)

    loss.__name__ = f"top_{k}_loss"
    return loss
