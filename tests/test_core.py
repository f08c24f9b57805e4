"""Vectorizer cache, top-k loss, params, presets and the model builder."""

from __future__ import annotations

import numpy as np
import pytest

from jobsearch.params import ParamError, flatten_params, resolve_params
from jobsearch.presets import PRESETS
from jobsearch.vectorize import pad_ids, prepare_dataset


def test_token_cache_is_reused_and_keyed_by_settings(tiny_csv, tmp_path):
    first = prepare_dataset(tiny_csv, ["title", "description"], cache_dir=tmp_path)
    again = prepare_dataset(tiny_csv, ["title", "description"], cache_dir=tmp_path)
    assert not first.cache_hit and again.cache_hit
    assert first.fingerprint == again.fingerprint
    np.testing.assert_array_equal(first.tokens["train"][0], again.tokens["train"][0])
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1
    other = prepare_dataset(tiny_csv, ["title", "description"], vocab_size=50, cache_dir=tmp_path)
    assert not other.cache_hit and other.fingerprint != first.fingerprint
    assert len(other.vocabulary) == 50


def test_no_row_is_all_padding(tmp_path):
    import pandas as pd

    texts = [f"word{i} common text" for i in range(30)] + ["!!! ???", "... ---", "-- !!"] * 5
    path = tmp_path / "p.csv"
    pd.DataFrame({"text": texts, "industry": ["a", "b", "c"] * 15}).to_csv(path, index=False)
    data = prepare_dataset(path, min_class_size=3, cache_dir=tmp_path)
    for part in ("train", "val", "test"):
        for padding in ("post", "pre"):
            x = data.padded(part, 8, padding)
            assert (x != 0).any(axis=1).all()


def test_padding_keeps_first_or_last_tokens():
    flat = np.array([1, 2, 3, 4, 5, 6], dtype=np.int32)
    splits = np.array([0, 4, 6])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "post"), [[1, 2, 3], [5, 6, 0]])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "pre"), [[2, 3, 4], [0, 5, 6]])


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_top_k_loss_matches_numpy(k):
    from jobsearch.losses import top_k_loss

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


def test_unknown_and_bad_params_name_what_is_allowed():
    with pytest.raises(ParamError, match="unknown param 'lstm_unit'; known params: embedding_dim"):
        resolve_params({"lstm_unit": 3})
    with pytest.raises(ParamError, match=r"dropout=1.5 is invalid: must be a number in \[0, 1\)"):
        resolve_params({"dropout": 1.5})
    with pytest.raises(ParamError, match="lstm_output='avg' is invalid: must be one of 'last'"):
        resolve_params({"lstm_output": "avg"})
    with pytest.raises(ParamError, match="top_k=64 is invalid: must be at most batch_size=32"):
        resolve_params({"top_k": 64, "batch_size": 32})
    with pytest.raises(ParamError, match=r"dense_layers\[0\]: unknown field 'unit'"):
        resolve_params({"dense_layers": [{"unit": 3}]})


def test_flattened_params_have_fixed_keys():
    a = flatten_params(resolve_params({}))
    b = flatten_params(resolve_params({"dense_layers": [{"units": 8}, {"units": 4}]}))
    assert a.keys() == b.keys()
    assert b["dense_layers.1.units"] == 4 and a["dense_layers.0.units"] is None
    assert b["n_dense_layers"] == 2


def test_question_models_and_answer_baseline_are_expressible():
    from jobsearch.model import build_model, cudnn_compatible

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
