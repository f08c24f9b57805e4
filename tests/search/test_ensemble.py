"""Greedy ensemble selection on validation predictions."""

from __future__ import annotations

import numpy as np
import pytest

from jobsearch.search.ensemble import blend, select


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


def test_blend_weights_by_times_chosen():
    p, q = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    np.testing.assert_allclose(blend({1: p, 2: q}, {1: 3, 2: 1}), [[0.75, 0.25]])
