"""Parameter validation and the flattened keys logged to MLflow."""

from __future__ import annotations

import pytest

from jobsearch.params import ParamError, flatten_params, resolve_params


def test_unknown_and_bad_params_name_what_is_allowed():
    with pytest.raises(ParamError, match="unknown param 'lstm_unit'; known params: embedding_dim"):
        resolve_params({"lstm_unit": 3})
    with pytest.raises(ParamError, match=r"dropout=1.5 is invalid: must be a number in \[0, 1\)"):
        resolve_params({"dropout": 1.5})
    with pytest.raises(ParamError, match="lstm_output='avg' is invalid: must be one of 'last'"):
        resolve_params({"lstm_output": "avg"})
    with pytest.raises(ParamError, match="top_k=64 is invalid: must be at most batch_size=32"):
        resolve_params({"top_k": 64, "batch_size": 32})
    with pytest.raises(ParamError, match=r"dense_layers\[0\]\.unit: unknown layer field"):
        resolve_params({"dense_layers": [{"unit": 3}]})


def test_flattened_params_have_fixed_keys():
    a = flatten_params(resolve_params({}))
    b = flatten_params(resolve_params({"dense_layers": [{"units": 8}, {"units": 4}]}))
    assert a.keys() == b.keys()
    assert b["dense_layers.1.units"] == 4 and a["dense_layers.0.units"] is None
    assert b["n_dense_layers"] == 2


def test_max_len_takes_a_number_or_a_percentile():
    assert resolve_params({"max_len": "p95"})["max_len"] == "p95"
    assert resolve_params({"max_len": 64.0})["max_len"] == 64
    for bad in ("q95", "p0", "p101", "95%"):
        with pytest.raises(ParamError, match=r"or a percentile 'p1'\.\.'p100'"):
            resolve_params({"max_len": bad})
    with pytest.raises(ParamError, match="class_weight='auto' is invalid: must be one of 'none'"):
        resolve_params({"class_weight": "auto"})
    with pytest.raises(
        ParamError, match=r"top_k_weight=2 is invalid: must be a number in \[0, 1\]"
    ):
        resolve_params({"top_k_weight": 2})
