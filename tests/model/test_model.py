"""The top-k loss and the model builder (the question's models and the answer's baseline)."""

from __future__ import annotations

import numpy as np
import pytest

from jobsearch.params import resolve_params
from jobsearch.presets import PRESETS


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_top_k_loss_matches_numpy(k):
    from jobsearch.model.losses import top_k_loss

    rng = np.random.default_rng(k)
    logits = rng.normal(size=(5, 4))
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    y = rng.integers(0, 4, size=5)
    per_example = -np.log(probs[np.arange(5), y])
    expected = np.sort(per_example)[::-1][: min(k, 5)].mean()
    got = float(top_k_loss(k)(y, probs))
    assert got == pytest.approx(expected, rel=1e-5)
    if k < 5:
        assert got > per_example.mean()


def test_question_models_and_answer_baseline_are_expressible():
    from jobsearch.model.build import build_model, cudnn_compatible

    shapes = {}
    for name, preset in PRESETS.items():
        params = resolve_params(preset)
        model = build_model(params, vocab_size=500, n_classes=33)
        kinds = [type(layer).__name__ for layer in model.layers]
        shapes[name] = kinds
        assert model.output_shape == (None, 33)
        assert model.layers[-1].dtype_policy.compute_dtype == "float32"
    assert shapes["model_1"] == ["InputLayer", "Embedding", "SpatialDropout1D", "LSTM", "Dense"]
    assert shapes["model_2"].count("Dropout") == 3 and shapes["model_2"].count("Dense") == 3
    assert shapes["model_3"].count("BatchNormalization") == 3
    assert shapes["answer_baseline"] == ["InputLayer", "Embedding", "LSTM", "Dense"]
    m1 = resolve_params(PRESETS["model_1"])
    assert m1["max_len"] == 3000 and m1["padding"] == "pre" and m1["recurrent_dropout"] == 0.2
    assert not cudnn_compatible(m1) and cudnn_compatible(resolve_params({}))
