"""Build and compile one Keras LSTM classifier from resolved params (no tracking, no search)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.tokens import NgramTable, bag_rows, has_bag
from .losses import training_loss


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


def _tfidf_bag(table):
    import keras
    from keras import ops

    sparse = keras.backend.backend() == "tensorflow"

    class TfidfBag(keras.layers.Layer):
        """The posting's bag: the sum of its n-grams' rows of ``table`` (an Embedding layer
        that owns them) weighted by TF-IDF (sublinear tf x idf, L2-normalised). On TensorFlow
        it is one sparse x dense matmul over the non-zero weights, so padding costs nothing and
        no (batch, width, dim) tensor is built; XLA cannot compile sparse tensors, so there a
        model with the bag is never jit-compiled. Other backends gather the rows and sum them
        (jit-compiled). The looked-up vectors it receives are unused (the compiled graph drops
        their gather); the layers stay as they were, so older weight files load."""

        def __init__(self, **kwargs):
            super().__init__(autocast=False, **kwargs)
            self.supports_jit = not sparse

        def call(self, inputs):
            _, idf, counts, rows = inputs
            weight = (1.0 + ops.log(ops.maximum(counts, 1.0))) * ops.cast(idf[..., 0], "float32")
            weight = weight * ops.cast(counts > 0, "float32")
            norm = ops.sqrt(ops.sum(weight * weight, axis=1, keepdims=True))
            weight = weight / ops.maximum(norm, 1e-6)
            vectors = ops.cast(table.embeddings, "float32")
            if sparse:
                out = _sparse_bag(weight, rows, vectors)
            else:
                out = ops.einsum("bw,bwd->bd", weight, ops.take(vectors, rows, axis=0))
            return ops.cast(out, self.compute_dtype)

    return TfidfBag(name="ngram_tfidf")


def _sparse_bag(weight, rows, vectors):
    """``sum_w weight[b, w] * vectors[rows[b, w]]`` over the non-zero weights (TensorFlow)."""
    import tensorflow as tf

    nonzero = tf.where(weight > 0)
    columns = tf.cast(tf.gather_nd(rows, nonzero), "int64")
    shape = tf.stack([tf.shape(rows, out_type="int64")[0], tf.shape(vectors, out_type="int64")[0]])
    bag = tf.SparseTensor(
        tf.stack([nonzero[:, 0], columns], axis=1), tf.gather_nd(weight, nonzero), shape
    )
    return tf.sparse.sparse_dense_matmul(bag, vectors)


def _ngram_rows(full_size: int, row: np.ndarray | None):
    import keras
    from keras import ops

    class NgramRows(keras.layers.Layer):
        """Bag ids to rows of the trained n-gram tables (a frozen int lookup, saved with the
        weights, so the served model reads the same raw ids as training)."""

        def build(self, input_shape):
            init = keras.initializers.Constant(row) if row is not None else "zeros"
            self.table = self.add_weight(
                shape=(full_size,), dtype="int32", initializer=init, trainable=False, name="row"
            )

        def call(self, ids):
            return ops.take(self.table, ops.cast(ids, "int32"), axis=0)

    return NgramRows(name="ngram_row")


def _ngram_branch(
    params: dict[str, Any], vocab_size: int, inputs: dict[str, Any], table: NgramTable
):
    """The posting's n-grams as one vector: their embeddings weighted by TF-IDF, so the branch
    starts where a linear model on TF-IDF features does. The row lookup and the idf (from the
    training split) are frozen tables, saved with the weights."""
    import keras
    from keras import layers

    ids = inputs["ngram_ids"] = keras.Input(shape=(None,), dtype="int32", name="ngram_ids")
    counts = inputs["ngram_counts"] = keras.Input(
        shape=(None,), dtype="float32", name="ngram_counts"
    )
    rows = _ngram_rows(bag_rows(params, vocab_size), table.row)(ids)
    init = keras.initializers.Constant(table.idf[:, None]) if table.idf is not None else "zeros"
    weights = layers.Embedding(
        table.size, 1, trainable=False, embeddings_initializer=init, name="ngram_idf"
    )(rows)
    embedding = layers.Embedding(table.size, params["ngram_dim"], name="ngram_embedding")
    vectors = embedding(rows)
    return _tfidf_bag(embedding)([vectors, weights, counts, rows])


def build_model(
    params: dict[str, Any],
    vocab_size: int,
    n_classes: int,
    embedding_matrix: np.ndarray | None = None,
    ngram_table: NgramTable | None = None,
):
    """The classifier described by ``params`` (see jobsearch.params), uncompiled. A model with
    the n-gram branch needs its ``ngram_table`` (only its size for one whose weights are loaded
    next)."""
    import keras
    from keras import layers

    inputs = {"token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids")}
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
    )(inputs["token_ids"])
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
    if has_bag(params):
        if ngram_table is None:
            raise ValueError("a model with the n-gram branch needs its ngram_table")
        x = layers.Concatenate(name="lstm_and_ngrams")(
            [x, _ngram_branch(params, vocab_size, inputs, ngram_table)]
        )
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


def compile_model(
    model,
    params: dict[str, Any],
    steps_per_epoch: int = 1,
    class_weights: np.ndarray | None = None,
):
    """Compile with the training loss and the ordinary metrics; return the top-k switch.

    The loss is the top-k loss when ``top_k`` is set (ordinary cross-entropy otherwise), each
    example weighted by ``class_weights``. The returned variable (None without top-k) is the
    top-k share of the loss: 0 during the ``top_k_warmup`` epochs, then ``top_k_weight``.
    """
    import keras

    optimizers = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
        "nadam": keras.optimizers.Nadam,
    }
    k = params["top_k"]
    switch = None
    if k:
        switch = keras.Variable(
            0.0 if params["top_k_warmup"] else params["top_k_weight"], trainable=False
        )
    rate = params["learning_rate"]
    if params["lr_schedule"] == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=max(1, steps_per_epoch * (params["max_epochs"] - 1)),
            warmup_target=params["learning_rate"],
            warmup_steps=steps_per_epoch,
        )
    clip = {"clipnorm": params["clipnorm"]} if params["clipnorm"] > 0 else {}
    model.compile(
        optimizer=optimizers[params["optimizer"]](learning_rate=rate, **clip),
        loss=training_loss(k, class_weights, switch),
        metrics=[
            keras.metrics.SparseCategoricalCrossentropy(name="ce"),
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        ],
    )
    model.optimizer.build(model.trainable_variables)
    return switch
