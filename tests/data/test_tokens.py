"""Token ids: the cache, padding, and no all-padding rows."""

from __future__ import annotations

import numpy as np

from jobsearch.data.tokens import pad_ids, prepare_dataset
from jobsearch.params import resolve_params


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
        for padding, truncate in (("post", "head"), ("pre", "tail"), ("post", "head_tail")):
            params = {"max_len": 8, "padding": padding, "truncate": truncate, "ngrams": 2}
            for name, x in data.inputs(part, resolve_params(params)).items():
                assert (x != 0).any(axis=1).all(), (name, padding, truncate)


def test_padding_keeps_first_or_last_tokens():
    flat = np.array([1, 2, 3, 4, 5, 6], dtype=np.int32)
    splits = np.array([0, 4, 6])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "post"), [[1, 2, 3], [5, 6, 0]])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "pre"), [[2, 3, 4], [0, 5, 6]])


def test_truncation_keeps_head_tail_or_both():
    flat = np.arange(1, 8, dtype=np.int32)  # one row of 5 tokens, one of 2
    splits = np.array([0, 5, 7])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "post", "head"), [[1, 2, 3], [6, 7, 0]])
    np.testing.assert_array_equal(pad_ids(flat, splits, 3, "post", "tail"), [[3, 4, 5], [6, 7, 0]])
    np.testing.assert_array_equal(
        pad_ids(flat, splits, 3, "post", "head_tail"), [[1, 2, 5], [6, 7, 0]]
    )
    np.testing.assert_array_equal(
        pad_ids(flat, splits, 4, "pre", "head_tail"), [[1, 2, 4, 5], [0, 0, 6, 7]]
    )


def test_ngram_ids_hash_bigrams_after_the_vocabulary():
    from jobsearch.data.tokens import ngram_ids

    flat = np.array([3, 4, 5, 6], dtype=np.int32)
    splits = np.array([0, 3, 4])
    grams, gsplits = ngram_ids(flat, splits, vocab_size=10, order=2, buckets=7)
    bigram = lambda a, b: 10 + (a * 1_000_003 + b) % 7  # noqa: E731
    assert grams.tolist() == [3, bigram(3, 4), 4, bigram(4, 5), 5, 6]
    assert gsplits.tolist() == [0, 5, 6]  # no bigram across rows
    same, _ = ngram_ids(flat, splits, vocab_size=10, order=1, buckets=7)
    assert same.tolist() == flat.tolist()


def test_max_len_percentile_of_training_lengths(tiny_data):
    lengths = np.diff(tiny_data.tokens["train"][1])
    assert tiny_data.length_at("p100") == lengths.max()
    assert tiny_data.length_at("p50") == int(np.ceil(np.percentile(lengths, 50)))
    assert tiny_data.length_at(37) == 37
