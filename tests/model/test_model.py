"""The top-k loss and the model builder (the question's models and the answer's baseline)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from jobsearch.params import resolve_params
from jobsearch.presets import PRESETS


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_top_k_loss_matches_numpy(k):
    from jobsearch.model.losses import training_loss

    rng = np.random.default_rng(k)
    logits = rng.normal(size=(5, 4))
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    y = rng.integers(0, 4, size=5)
    per_example = -np.log(probs[np.arange(5), y])
    expected = np.sort(per_example)[::-1][: min(k, 5)].mean()
    got = float(training_loss(k)(y, probs))
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


def test_class_weighted_blended_loss_matches_numpy():
    import keras

    from jobsearch.model.losses import balanced_class_weights, training_loss

    y = np.array([0, 0, 0, 1, 2, 2])
    weights = balanced_class_weights(y, 4)
    np.testing.assert_allclose(weights, [6 / 9, 6 / 3, 6 / 6, 0], rtol=1e-6)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4))
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    per = -np.log(probs[np.arange(6), y]) * weights[y]
    hardest = np.sort(per)[::-1][:2].mean()
    switch = keras.Variable(0.0, trainable=False)
    loss = training_loss(2, weights, switch)
    assert float(loss(y, probs)) == pytest.approx(per.mean(), rel=1e-5)  # warm-up: plain mean
    switch.assign(0.5)
    assert float(loss(y, probs)) == pytest.approx(0.5 * per.mean() + 0.5 * hardest, rel=1e-5)
    assert float(training_loss(None, weights)(y, probs)) == pytest.approx(per.mean(), rel=1e-5)


def test_ngram_branch_is_a_tfidf_weighted_bag_joined_to_the_lstm():
    from jobsearch.data.tokens import CHAR_BUCKETS, NgramTable
    from jobsearch.model.build import build_model

    base = {"ngrams": 2, "ngram_buckets": 50, "ngram_dim": 6, "max_len": 12, "ngram_width": 4}
    params = resolve_params({**base, "char_ngrams": False})
    # 150 bag ids (100 words + 50 bigram buckets); training saw 3, 70 and 120 only
    row = np.zeros(150, np.int32)
    row[[3, 70, 120]] = [1, 2, 3]
    idf = np.array([0.0, 1.5, 2.0, 3.0], np.float32)
    model = build_model(params, vocab_size=100, n_classes=5, ngram_table=NgramTable(4, row, idf))
    assert sorted(model.input) == ["ngram_counts", "ngram_ids", "token_ids"]
    assert model.get_layer("ngram_embedding").input_dim == 4  # the training n-grams, + unseen
    assert model.get_layer("lstm_and_ngrams").output.shape[-1] == 64 + 6
    assert not model.get_layer("ngram_idf").trainable
    assert not model.get_layer("ngram_row").trainable_weights
    # the bag is sum_i w_i * E[row(id_i)] with w = (1 + log tf) * idf, L2-normalised; padding
    # and n-grams unseen in training (id 9) weigh 0
    import keras

    bag = keras.Model(model.input, model.get_layer("ngram_tfidf").output)
    ids, counts = np.array([[3, 70, 120, 9, 0]]), np.array([[1.0, 4.0, 2.0, 5.0, 0.0]], np.float32)
    x = {"token_ids": np.ones((1, 12)), "ngram_ids": ids[:, :4], "ngram_counts": counts[:, :4]}
    out = bag(x)
    w = (1 + np.log(counts[0, :3])) * idf[1:]
    table = model.get_layer("ngram_embedding").get_weights()[0]
    expected = (w / np.linalg.norm(w)) @ table[1:]
    np.testing.assert_allclose(np.asarray(out)[0], expected, rtol=1e-5, atol=1e-6)
    # the row lookup is saved with the weights: a model rebuilt from the size alone matches
    path = Path(tempfile.mkdtemp()) / "m.weights.h5"
    model.save_weights(path)
    again = build_model(params, vocab_size=100, n_classes=5, ngram_table=NgramTable(4))
    again.load_weights(path)
    again_bag = keras.Model(again.input, again.get_layer("ngram_tfidf").output)
    np.testing.assert_allclose(np.asarray(again_bag(x)), np.asarray(out), rtol=1e-6)
    with_chars = build_model(
        resolve_params({**base, "char_ngrams": True}), 100, 5, None, NgramTable(7)
    )
    assert with_chars.get_layer("ngram_row").table.shape == (150 + CHAR_BUCKETS,)
    assert with_chars.get_layer("ngram_embedding").input_dim == 7
    chars_only = build_model(
        resolve_params({**base, "ngrams": 0, "char_ngrams": True}), 100, 5, None, NgramTable(7)
    )
    assert chars_only.get_layer("ngram_row").table.shape == (CHAR_BUCKETS,)
    plain = build_model(resolve_params({**base, "ngrams": 0, "char_ngrams": False}), 100, 5)
    assert sorted(plain.input) == ["token_ids"]
    # XLA cannot compile the sparse bag: asked for it, the model declines and trains without it
    with pytest.warns(UserWarning, match="jit_compile"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
    assert model.jit_compile is False
    assert np.isfinite(model.train_on_batch(x, np.array([2])))


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_training_batches_are_cut_to_their_longest_posting_without_changing_the_model(
    tiny_data, padding
):
    from jobsearch.model.build import build_model
    from jobsearch.model.train import LengthBatches, as_tf_dataset, predict_proba

    params = tiny_data.resolve_lengths(
        resolve_params({"max_len": 200, "padding": padding, "lstm_units": 8, "embedding_dim": 8})
    )
    inputs = tiny_data.inputs("train", params)
    n = len(inputs["token_ids"])
    # the "labels" are the row numbers, so each batch says which rows it holds
    source = LengthBatches(inputs, np.arange(n), 32, seed=0, pre_padded=padding == "pre")
    batches = as_tf_dataset(source)
    assert int(batches.cardinality()) == -(-n // 32)  # Keras knows an epoch's steps
    # no autotuning: tearing down its thread held up fit's return by seconds, now and then
    assert batches.options().autotune.enabled is False
    epochs = [[(x, rows.numpy()) for x, rows in batches] for _ in range(2)]
    for epoch in epochs:
        assert sorted(np.concatenate([rows for _, rows in epoch])) == list(range(n))
        assert len(epoch) == -(-n // 32)
    assert [rows.tolist() for _, rows in epochs[0]] != [rows.tolist() for _, rows in epochs[1]]
    widths = [x["token_ids"].shape[1] for x, _ in epochs[0]]
    assert max(widths) == 200 and min(widths) < 100  # short postings are batched together
    model = build_model(params, len(tiny_data.vocabulary), 5, None, tiny_data.ngram_table(params))
    for x, rows in sorted(epochs[0], key=lambda batch: batch[0]["token_ids"].shape[1])[:3]:
        tokens = inputs["token_ids"][rows]
        cut = x["token_ids"].numpy()
        assert cut.shape[1] < 200 and (cut[:, -1 if padding == "post" else 0] != 0).any()
        np.testing.assert_array_equal(
            cut, tokens[:, -cut.shape[1] :] if padding == "pre" else tokens[:, : cut.shape[1]]
        )
        assert x["ngram_ids"].shape[1] < inputs["ngram_ids"].shape[1]
        whole = {name: value[rows] for name, value in inputs.items()}
        np.testing.assert_allclose(model(x), model(whole), rtol=1e-4, atol=1e-6)
    # predictions come in batches of similar length, cut the same way, back in the rows' order
    np.testing.assert_allclose(
        predict_proba(model, inputs, params, batch_size=32),
        model.predict(inputs, verbose=0),
        rtol=1e-4,
        atol=1e-6,
    )
    unmasked = LengthBatches(inputs, np.arange(n), 32, seed=0, cut_tokens=False)
    assert {unmasked[i][0]["token_ids"].shape[1] for i in range(len(unmasked))} == {200}


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_a_trial_traces_its_training_step_once(tiny_data, optimizer):
    """The optimizer's slots exist before training, so tracing the step creates no variables
    and TensorFlow does not trace it a second time (about 0.6 s a trial on the demo); the
    epochs run on one repeated dataset, each of the right length."""
    from jobsearch.model.build import build_model, compile_model
    from jobsearch.model.train import fit

    params = tiny_data.resolve_lengths(
        resolve_params(
            {
                "lstm_units": 8,
                "embedding_dim": 8,
                "optimizer": optimizer,
                "top_k": 4,
                "max_epochs": 2,
                "patience": 5,
            }
        )
    )
    inputs = {part: tiny_data.inputs(part, params) for part in ("train", "val")}
    model = build_model(
        params,
        len(tiny_data.vocabulary),
        len(tiny_data.classes),
        None,
        tiny_data.ngram_table(params),
    )
    steps = -(-len(tiny_data.labels["train"]) // params["batch_size"])
    compile_model(model, params, steps_per_epoch=steps)
    traced, seen = [], []
    step = model.train_step
    model.train_step = lambda data: traced.append(1) or step(data)
    outcome = fit(model, inputs, tiny_data.labels, params, on_epoch=lambda e, m: seen.append(e))
    assert len(traced) == 1
    assert seen == [1, 2] and outcome.epochs == 2
    assert int(model.optimizer.iterations.numpy()) == 2 * steps


def test_macro_f1_is_scikit_learns_including_unknown_labels():
    from sklearn.metrics import f1_score

    from jobsearch.model.metrics import macro_f1

    rng = np.random.default_rng(0)
    for n, k in ((1, 2), (7, 3), (200, 12), (500, 40)):
        y = rng.integers(-1, k, n)  # -1: a class the model does not know
        pred = np.where(rng.random(n) < 0.6, y.clip(0), rng.integers(0, k, n))
        assert macro_f1(y, pred) == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-12)


def test_per_class_is_scikit_learns_weakest_first():
    from sklearn.metrics import precision_recall_fscore_support

    from jobsearch.model.metrics import macro_f1, per_class

    rng = np.random.default_rng(1)
    y = rng.integers(0, 8, 300)
    pred = np.where(rng.random(300) < 0.6, y, rng.integers(0, 9, 300))  # class 8: never true
    names = [f"c{i}" for i in range(10)]  # c9: neither true nor predicted, left out
    table = per_class(y, pred, names)
    assert [r["f1"] for r in table] == sorted(r["f1"] for r in table) and table[0]["rows"] == 0
    by_name = {r["industry"]: r for r in table}
    assert set(by_name) == {f"c{i}" for i in range(9)}
    labels = list(range(9))
    precision, recall, f1, rows = precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0
    )
    for c in labels:
        got = by_name[f"c{c}"]
        assert got["rows"] == rows[c]
        assert [got["precision"], got["recall"], got["f1"]] == pytest.approx(
            [precision[c], recall[c], f1[c]], abs=1e-12
        )
    assert np.mean([r["f1"] for r in table]) == pytest.approx(macro_f1(y, pred), abs=1e-12)
