"""Greedy and bagged ensemble selection on validation predictions."""

from __future__ import annotations

import numpy as np
import pytest

from jobsearch.search.ensemble import MIN_WEIGHT, blend, select, select_bagged


def _probs(right: np.ndarray, y: np.ndarray, n_classes: int = 3, confidence: float = 0.6):
    """Predictions that are right where ``right`` is true and say class (y + 1) elsewhere."""
    guess = np.where(right, y, (y + 1) % n_classes)
    probs = np.full((len(y), n_classes), (1 - confidence) / (n_classes - 1))
    probs[np.arange(len(y)), guess] = confidence
    return probs


def test_complementary_trials_are_combined():
    # three trials, each wrong on a different third: together they are right everywhere
    y, i = np.arange(9) % 3, np.arange(9)
    a = _probs(i >= 3, y, confidence=0.6)
    b = _probs((i < 3) | (i >= 6), y, confidence=0.62)
    c = _probs(i < 6, y, confidence=0.64)
    wrong = _probs(np.zeros(9, bool), y, confidence=0.9)
    members, loss = select({0: a, 1: b, 2: c, 3: wrong}, y)
    assert set(members) == {0, 1, 2}
    assert loss == pytest.approx(-1.0)  # each alone: -0.667
    mix = blend({0: a, 1: b, 2: c}, members)
    assert (mix.argmax(1) == y).all()


def test_a_dominant_trial_stands_alone_and_ties_keep_the_earlier_trial():
    y = np.array([0, 1, 2, 1])
    best = _probs(np.ones(4, bool), y)
    worse = _probs(np.array([True, False, False, True]), y)
    assert select({3: worse, 5: best}, y)[0] == {5: 1}
    assert select({7: best, 4: best.copy()}, y)[0] == {4: 1}


def test_bagged_selection_averages_the_bags_and_drops_slight_members():
    y, i = np.arange(90) % 3, np.arange(90)
    a = _probs(i >= 30, y, confidence=0.6)
    b = _probs((i < 30) | (i >= 60), y, confidence=0.62)
    c = _probs(i < 60, y, confidence=0.64)
    wrong = _probs(np.zeros(90, bool), y, confidence=0.9)
    val = {0: a, 1: b, 2: c, 3: wrong}
    members, loss = select_bagged(val, y)
    assert set(members) == {0, 1, 2} and sum(members.values()) == pytest.approx(1.0)
    assert min(members.values()) >= MIN_WEIGHT and loss == pytest.approx(-1.0)
    assert select_bagged(val, y) == (members, loss)  # the same bags every time
    # a trial right everywhere stands alone
    assert select_bagged({3: wrong, 5: _probs(np.ones(90, bool), y)}, y)[0] == {5: 1.0}


def test_blend_weights_by_times_chosen():
    p, q = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    np.testing.assert_allclose(blend({1: p, 2: q}, {1: 3, 2: 1}), [[0.75, 0.25]])


def _search_with(tmp_path, data, trials: dict[int, np.ndarray], baselines: dict[int, np.ndarray]):
    """The ensemble a finished search builds from kept trials with these validation
    probabilities (saved as a search saves them) and these baseline candidates."""
    from jobsearch.model.metrics import classification_metrics
    from jobsearch.search import DEFAULT_SPACE
    from jobsearch.search.callbacks import trial_probs, trial_weights
    from jobsearch.search.run import SearchConfig, _ensemble
    from jobsearch.search.space import load_space
    from jobsearch.search.state import SearchState, TrialRecord

    y, n_test = data.labels["val"], len(data.labels["test"])
    test = np.full((n_test, len(data.classes)), 1 / len(data.classes))  # reported, never used
    state = SearchState(parent_run_id="p", identity={})
    for tid, probs in trials.items():
        np.savez(trial_probs(tmp_path, tid), val=probs, test=test)
        trial_weights(tmp_path, tid).write_bytes(b"")
        metrics = classification_metrics(y, probs)
        result = {"status": "ok", "loss": -metrics["accuracy"], "val_loss": metrics["loss"]}
        state.trials.append(TrialRecord(tid, {}, {}, result))
    state.best = min((r.result for r in state.trials), key=lambda r: r["loss"])
    extra = {cid: (probs, test) for cid, probs in baselines.items()}
    cfg = SearchConfig(algo="random", space=load_space(DEFAULT_SPACE))
    return _ensemble(cfg, data, state, tmp_path, extra)


def test_a_baseline_joins_the_trials_it_complements(tmp_path, tiny_data):
    y, n = tiny_data.labels["val"], len(tiny_data.classes)
    third = np.arange(len(y)) * 3 // len(y)
    ensemble = _search_with(
        tmp_path,
        tiny_data,
        {0: _probs(third != 0, y, n, 0.6), 1: _probs(third != 1, y, n, 0.62)},
        {-1: _probs(third != 2, y, n, 0.64)},
    )
    assert set(ensemble["members"]) == {0, 1, -1}
    assert "LinearSVC" in ensemble["label"]
    assert ensemble["val_accuracy"] == pytest.approx(1.0)


def test_baselines_alone_are_chosen_again_from_the_best_trial(tmp_path, tiny_data):
    # the two baselines together are right everywhere and the trials add nothing (a first
    # search of two one-epoch trials): the served mix holds the best trial, slightly, rather
    # than serving that trial alone far behind the baselines it is compared with
    y, n = tiny_data.labels["val"], len(tiny_data.classes)
    rows, last = np.arange(len(y)), np.arange(len(y)) * 3 // len(y) == 2

    def leaning(right: np.ndarray) -> np.ndarray:
        """Sure where ``right`` (0.9 on y), else a near miss (0.5 on y + 1, 0.45 on y)."""
        probs = np.full((len(y), n), 0.0)
        probs[rows, y] = np.where(right, 0.9, 0.45)
        probs[rows, (y + 1) % n] = np.where(right, 0.1, 0.5)
        return probs

    wrong = np.zeros(len(y), bool)
    trials = {0: _probs(wrong, y, n, 0.9), 1: _probs(wrong, y, n, 0.8)}
    baselines = {-1: leaning(~last), -2: leaning(last)}
    members, _ = select({**trials, **baselines}, y)
    assert set(members) == {-1, -2}  # what greedy selection alone would choose
    ensemble = _search_with(tmp_path, tiny_data, trials, baselines)
    assert set(ensemble["members"]) == {0, -1, -2}
    assert ensemble["members"][0] < MIN_WEIGHT  # kept though slight: it started every bag
    assert ensemble["val_accuracy"] > 0.6  # trial 0 alone: 0.0


def test_an_ensemble_that_ties_the_best_trial_wins_on_cross_entropy(tmp_path, tiny_data):
    # two trials right everywhere, each unsure on a different half: their blend is as accurate
    # and surer, so it is registered rather than the first of them
    y, n = tiny_data.labels["val"], len(tiny_data.classes)
    rows, first = np.arange(len(y)), np.arange(len(y)) < len(y) // 2

    def sure_where(sure: np.ndarray) -> np.ndarray:
        probs = np.full((len(y), n), 0.0)
        probs[rows, y] = np.where(sure, 0.9, 0.5)
        probs[rows, (y + 1) % n] = np.where(sure, 0.1, 0.5 - 1e-3)
        return probs

    ensemble = _search_with(tmp_path, tiny_data, {0: sure_where(first), 1: sure_where(~first)}, {})
    assert set(ensemble["members"]) == {0, 1}
    assert ensemble["val_accuracy"] == pytest.approx(1.0)
