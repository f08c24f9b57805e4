"""Token ids: the cache, padding, and no all-padding rows."""

from __future__ import annotations

import itertools

import numpy as np

from jobsearch.data.load import load_split
from jobsearch.data.tokens import Tokenizer, pad_ids, prepare_dataset
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


def test_the_tokenizer_matches_keras_text_vectorization():
    """The project's tokenizer gives TextVectorization's vocabulary and ids (what every model
    trained before it learned from), on the demo postings and on awkward text."""
    import keras
    import tensorflow as tf

    awkward = [
        "Café MANAGER – Zürich\u00a0 ÉCOLE école İstanbul ß",
        "a\tb\nc\x0bd\x0ce\rf tab\x1cfs \x85nel \u2003em",
        "don't-stop x_y [UNK] 日本語 emoji 🚀🚀 rocket",
    ]
    texts = load_split(None).texts["train"][:800] + awkward
    for vocab_size in (20000, 300):  # 300 cuts through ties in the counts
        layer = keras.layers.TextVectorization(
            max_tokens=vocab_size, standardize="lower_and_strip_punctuation", ragged=True
        )
        layer.adapt(tf.constant(texts))
        tokenizer = Tokenizer.adapt(texts, vocab_size)
        assert tokenizer.vocabulary == [str(w) for w in layer.get_vocabulary()]
        expected = layer(tf.constant(texts))
        flat, splits = tokenizer(texts)
        np.testing.assert_array_equal(flat, expected.flat_values.numpy())
        np.testing.assert_array_equal(splits, expected.row_splits.numpy())
    assert Tokenizer(["", "[UNK]", "chef"])(["Chef!", "!!!", "cook"])[0].tolist() == [2, 1, 1]


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


def test_character_ngrams_are_shared_by_inflections_and_stable():
    from jobsearch.data.tokens import CHAR_BUCKETS, char_ngram_ids

    flat, splits = char_ngram_ids(["Manager", "managers!", ""])
    rows = [set(flat[a:b].tolist()) for a, b in itertools.pairwise(splits)]
    assert len(rows[0]) > 10 and rows[2] == set()
    assert len(rows[0] & rows[1]) == len(rows[0]) - 4  # only the 4 word-end grams differ
    assert flat.max() < CHAR_BUCKETS
    # CRC-32, not Python's salted hash: the same ids in every process
    assert char_ngram_ids(["Manager"])[0].tolist() == flat[: splits[1]].tolist()
    assert flat[0] == __import__("zlib").crc32(b" m") % CHAR_BUCKETS


def test_bag_counts_each_distinct_ngram_once_and_keeps_words_first():
    from jobsearch.data.tokens import bag_inputs, distinct_ngrams

    flat = np.array([5, 6, 5, 6, 7], dtype=np.int32)  # "a b a b" and "c"
    splits = np.array([0, 4, 5])
    chars = (np.array([2, 2, 9], dtype=np.int32), np.array([0, 2, 3]))
    params = resolve_params({"ngrams": 2, "ngram_buckets": 10, "char_ngrams": True})
    bag = distinct_ngrams(flat, splits, chars, params, vocab_size=20)
    first = dict(zip(bag.ids[: bag.splits[1]].tolist(), bag.counts[: bag.splits[1]].tolist()))
    bigram = lambda a, b: 20 + (a * 1_000_003 + b) % 10  # noqa: E731
    char = 30 + 2
    assert first[5] == 2 and first[6] == 2 and first[char] == 2
    assert first[bigram(5, 6)] == 2 and first[bigram(6, 5)] == 1
    x = bag_inputs(bag, width=2)
    assert x["ngram_ids"].tolist() == [[5, 6], [7, 30 + 9]]
    assert x["ngram_counts"].tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_bag_width_and_idf_from_the_training_split(tiny_data):
    params = resolve_params({"ngram_width": "p100"})
    bag = tiny_data.bag("train", params)
    counts = np.diff(bag.splits)
    assert tiny_data.bag_width(params) == counts.max()
    assert tiny_data.resolve_lengths({**params, "ngram_width": 7})["ngram_width"] == 7
    table = tiny_data.ngram_table(params)
    n = len(counts)
    df = np.bincount(bag.ids, minlength=len(table.row))
    seen = df > 0
    # one row per n-gram of the training split, in id order; row 0 for the others
    assert table.size == seen.sum() + 1 == len(table.idf)
    assert table.row[seen].tolist() == list(range(1, table.size))
    assert not table.row[~seen].any() and table.idf[0] == 0
    idf = table.idf[table.row]
    assert np.allclose(idf[df == n], 1.0)  # smoothed: log((1+n)/(1+n)) + 1
    assert np.allclose(idf[df == 1], np.log((1 + n) / 2) + 1)
    x = tiny_data.inputs("val", params)
    assert (
        x["ngram_ids"].shape
        == x["ngram_counts"].shape
        == (len(tiny_data.labels["val"]), counts.max())
    )
