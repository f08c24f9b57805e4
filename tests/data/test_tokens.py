"""Token ids: the cache, padding, and no all-padding rows."""

from __future__ import annotations

import numpy as np

from jobsearch.data.tokens import pad_ids, prepare_dataset


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
