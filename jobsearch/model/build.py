"""Build and compile one Keras LSTM classifier from resolved params (no tracking, no search)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .losses import top_k_loss


def cudnn_compatible(params: dict[str, Any]) -> bool:
    """Whether Keras can run this LSTM on the fused cuDNN kernel (on a GPU)."""
    right_padded = params["padding"] == "post" or not params["mask_padding"]
    return params["recurrent_dropout"] == 0 and right_padded


def _initializer(spec: Any):
    import keras

    if isinstance(spec, dict):
        spec = dict(spec)
        return keras.initializers.get({"class_name": spec.pop("name"), "config": spec})
    return keras.initializers.get(spec)


def _masked_pooling(mode: str):
    import keras
    from keras import ops

    class MaskedPooling(keras.layers.Layer):
        """Max or mean over time that ignores padded steps."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is None:
                return ops.max(inputs, axis=1) if mode == "max" else ops.mean(inputs, axis=1)
            m = ops.cast(ops.expand_dims(mask, -1), inputs.dtype)
            if mode == "max":
                return ops.max(inputs - (1.0 - m) * 1e4, axis=1)
            return ops.sum(inputs * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

        def compute_mask(self, inputs, mask=None):
            return None

    return MaskedPooling(name=f"{mode}_pool")


def build_model(
    params: dict[str, Any],
    vocab_size: int,
    n_classes: int,
    embedding_matrix: np.ndarray | None = None,
):
    """The classifier described by ``params`` (see jobsearch.params), uncompiled."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(params["max_len"],), dtype="int32", name="token_ids")
    embed_kwargs: dict[str, Any] = {}
    if embedding_matrix is not None:
        embed_kwargs["embeddings_initializer"] = keras.initializers.Constant(embedding_matrix)
    x = layers.Embedding(
        vocab_size,
        params["embedding_dim"],
        mask_zero=params["mask_padding"],
        trainable=params["embedding_trainable"],
        name="embedding",
        **embed_kwargs,
    )(inputs)
    if params["spatial_dropout"] > 0:
        x = layers.SpatialDropout1D(params["spatial_dropout"])(x)
    lstm = layers.LSTM(
        params["lstm_units"],
        dropout=params["dropout"],
        recurrent_dropout=params["recurrent_dropout"],
        return_sequences=params["lstm_output"] != "last",
        name="lstm",
    )
    x = layers.Bidirectional(lstm, name="bilstm")(x) if params["bidirectional"] else lstm(x)
    if params["lstm_output"] != "last":
        x = _masked_pooling(params["lstm_output"])(x)
    for i, layer in enumerate(params["dense_layers"]):
        if layer["dropout"] > 0:
            x = layers.Dropout(layer["dropout"])(x)
        x = layers.Dense(
            layer["units"],
            activation=layer["activation"],
            kernel_initializer=_initializer(layer["initializer"]),
            name=f"dense_{i}",
        )(x)
        if layer["batch_norm"]:
            x = layers.BatchNormalization()(x)
    if params["output_dropout"] > 0:
        x = layers.Dropout(params["output_dropout"])(x)
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name="industry")(x)
    return keras.Model(inputs, outputs, name="lstm_classifier")


def compile_model(model, params: dict[str, Any]) -> None:
    """Compile with the top-k loss (or the ordinary one) and the ordinary metrics."""
    import keras

    optimizers = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
        "nadam": keras.optimizers.Nadam,
    }
    k = params["top_k"]
    model.compile(
        optimizer=optimizers[params["optimizer"]](learning_rate=params["learning_rate"]),
        loss=top_k_loss(k) if k else "sparse_categorical_crossentropy",
        metrics=[
            keras.metrics.SparseCategoricalCrossentropy(name="ce"),
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        ],
    )
