"""The YAML grammar, its validation errors, the shipped spaces and pruning decisions."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT
from hyperopt import rand, space_eval
from hyperopt.pyll.stochastic import sample

from jobsearch.params import resolve_params
from jobsearch.search.pruners import MedianPruner
from jobsearch.search.space import SpaceError, encode_point, load_space
from jobsearch.util import to_native

SPACES = ROOT / "search_spaces"


def _space(tmp_path, doc: dict | str):
    path = tmp_path / "space.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return load_space(path)


def test_every_distribution_samples_valid_params(tmp_path):
    space = _space(
        tmp_path,
        {
            "lstm_units": {"quniform": [8, 64, 8]},
            "embedding_dim": {"qloguniform": [8, 64, 8]},
            "max_len": {"randint": [16, 32]},
            "dropout": {"uniform": [0.0, 0.5]},
            "learning_rate": {"loguniform": [0.001, 0.1]},
            "spatial_dropout": {"normal": [0.2, 0.01]},
            "bidirectional": {"pchoice": [[0.3, True], [0.7, False]]},
            "top_k": {"choice": [None, 8]},
            "batch_size": 32,
            "dense_layers": {
                "choice": [
                    [],
                    [{"units": {"choice": [4, 8]}, "dropout": {"uniform": [0, 0.3]}}, {"units": 4}],
                ]
            },
        },
    )
    seen_layers = set()
    for seed in range(30):
        params = resolve_params(
            to_native(sample(space.expr, rng=__import__("numpy").random.default_rng(seed)))
        )
        assert params["lstm_units"] % 8 == 0 and 16 <= params["max_len"] < 32
        assert 0.001 <= params["learning_rate"] <= 0.1
        seen_layers.add(len(params["dense_layers"]))
    assert seen_layers == {0, 2}
    assert set(space.searched) >= {"lstm_units", "dense_layers", "top_k"}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"lstm_units": {"unifrom": [1, 2]}},
            "lstm_units: unknown distribution 'unifrom'; allowed: choice",
        ),
        ({"lstm_unit": 3}, "lstm_unit: unknown parameter; known parameters:"),
        ({"dropout": {"uniform": [0.5, 0.1]}}, "dropout: low (0.5) must be below high (0.1)"),
        (
            {"batch_size": {"choice": [16, 64]}, "top_k": {"choice": [None, 32]}},
            "top_k: can reach 32 but batch_size can be as small as 16",
        ),
        ({"lstm_units": {"choice": [32, "wide"]}}, "lstm_units/1: must be an integer"),
        (
            {"lstm_units": {"uniform": [8, 64]}},
            "lstm_units: uniform gives fractions but an integer",
        ),
        ({"dropout": {"uniform": [0, 2]}}, "dropout: must be a number in [0, 1)"),
        (
            {"dense_layers": {"choice": [[{"units": 4, "actvation": "relu"}]]}},
            "dense_layers/0/0/actvation: unknown layer field",
        ),
        ({"learning_rate": {"loguniform": [0, 1]}}, "loguniform needs low > 0"),
        ({"bidirectional": "yes"}, "bidirectional: must be true or false"),
        ({"objective": {"choice": ["accuracy", "loss"]}}, "objective: is a search setting"),
        ({"objective": "loss"}, "remove it and pass --objective"),
    ],
)
def test_validation_errors_name_file_and_path(tmp_path, doc, message):
    with pytest.raises(SpaceError) as info:
        _space(tmp_path, doc)
    text = str(info.value)
    assert text.startswith(str(tmp_path / "space.yaml") + ": ")
    assert message in text


def test_yaml_syntax_error_names_line(tmp_path):
    with pytest.raises(SpaceError, match=r"space.yaml: line 2: not valid YAML"):
        _space(tmp_path, "lstm_units: 3\ndropout: a: b\n")


@pytest.mark.parametrize("name", ["default.yaml", "seed.yaml", "smoke.yaml"])
def test_shipped_spaces_are_valid(name):
    space = load_space(SPACES / name)
    params = resolve_params(to_native(sample(space.expr)))
    assert params["recurrent_dropout"] == 0 or name == "seed.yaml"
    assert params["top_k"] is None or params["top_k"] <= params["batch_size"]


def test_seed_points_are_the_question_models():
    from jobsearch.presets import MODEL_2, MODEL_3

    space = load_space(SPACES / "seed.yaml")
    assert len(space.seed_points) == 4
    decoded = [
        to_native(space_eval(space.expr, encode_point(space.raw, p))) for p in space.seed_points
    ]
    m2, m3 = resolve_params(MODEL_2), resolve_params(MODEL_3)
    assert resolve_params(decoded[1])["dense_layers"] == m2["dense_layers"]
    assert resolve_params(decoded[2])["dense_layers"] == m3["dense_layers"]
    assert decoded[2]["recurrent_dropout"] == 0.4 and decoded[2]["embedding_trainable"] is False
    assert decoded[3]["top_k"] == 16 and decoded[3]["lstm_units"] == 32


def test_point_outside_space_is_rejected():
    space = load_space(SPACES / "smoke.yaml")
    with pytest.raises(SpaceError, match="lstm_units=999 is not in the space"):
        encode_point(space.raw, {"lstm_units": 999})


def test_random_suggestions_are_reproducible():
    from hyperopt import Domain, Trials

    space = load_space(SPACES / "default.yaml")
    domain = Domain(lambda _: None, space.expr)
    a = rand.suggest([0], domain, Trials(), 7)[0]["misc"]["vals"]
    b = rand.suggest([0], domain, Trials(), 7)[0]["misc"]["vals"]
    c = rand.suggest([0], domain, Trials(), 8)[0]["misc"]["vals"]
    assert a == b and a != c


def test_median_pruner_decisions():
    pruner = MedianPruner(warmup_trials=3, warmup_epochs=2)
    assert not pruner.should_prune(3, 0.0)  # no history yet
    for curve in ([-0.5, -0.6, -0.7], [-0.4, -0.5, -0.6], [-0.3, -0.35]):
        pruner.add_curve(curve)
    assert pruner.median_at(2) == -0.5
    assert pruner.median_at(3) == -0.6  # the short curve keeps its last value
    assert not pruner.should_prune(1, 0.0)  # warm-up epochs
    assert pruner.should_prune(2, -0.45)
    assert not pruner.should_prune(2, -0.55)
