"""The question's three models and the answer's minimal baseline, as run_experiment params.

The question's models were written for sequences of 3000 tokens padded at the front
(Keras ``pad_sequences`` defaults) without masking; they are reproduced exactly here.
"""

from __future__ import annotations

# What the question's code did that our defaults do not: no n-gram branch, no clipping.
_PLAIN = {"ngrams": 0, "char_ngrams": False, "clipnorm": 0.0}
_AS_WRITTEN = {
    **_PLAIN,
    "max_len": 3000,
    "padding": "pre",
    "mask_padding": False,
    "lstm_output": "last",
}

MODEL_1 = {
    **_AS_WRITTEN,
    "embedding_dim": 80,
    "spatial_dropout": 0.2,
    "lstm_units": 100,
    "dropout": 0.2,
    "recurrent_dropout": 0.2,
    "dense_layers": [],
    "batch_size": 100,
    "max_epochs": 50,
    "learning_rate": 0.001,
}

MODEL_2 = {
    **_AS_WRITTEN,
    "embedding_dim": 80,
    "lstm_units": 100,
    "dense_layers": [
        {"units": 128, "activation": "relu", "dropout": 0.5, "initializer": "he_uniform"},
        {"units": 64, "activation": "relu", "dropout": 0.5, "initializer": "he_uniform"},
    ],
    "output_dropout": 0.5,
    "batch_size": 100,
    "max_epochs": 50,
    "learning_rate": 0.001,
}

MODEL_3 = {
    **_AS_WRITTEN,
    "embedding_dim": 80,
    "embedding_trainable": False,
    "spatial_dropout": 0.4,
    "lstm_units": 100,
    "dropout": 0.4,
    "recurrent_dropout": 0.4,
    "dense_layers": [
        {
            "units": 128,
            "activation": "sigmoid",
            "batch_norm": True,
            "initializer": {"name": "random_normal", "mean": 0.0, "stddev": 0.039},
        },
        {
            "units": 64,
            "activation": "sigmoid",
            "batch_norm": True,
            "initializer": {"name": "random_normal", "mean": 0.0, "stddev": 0.55},
        },
        {
            "units": 32,
            "activation": "sigmoid",
            "batch_norm": True,
            "initializer": {"name": "random_normal", "mean": 0.0, "stddev": 0.55},
        },
    ],
    "batch_size": 100,
    "max_epochs": 50,
    "learning_rate": 0.001,
}

# The answer: a small LSTM straight into the softmax, the pure top-k loss from the first step,
# batch of 128-512.
ANSWER_BASELINE = {
    **_PLAIN,
    "top_k_weight": 1.0,
    "top_k_warmup": 0,
    "embedding_dim": 64,
    "lstm_units": 32,
    "lstm_output": "last",
    "dense_layers": [],
    "batch_size": 256,
    "top_k": 16,
    "max_epochs": 100,
}

PRESETS = {
    "model_1": MODEL_1,
    "model_2": MODEL_2,
    "model_3": MODEL_3,
    "answer_baseline": ANSWER_BASELINE,
}
