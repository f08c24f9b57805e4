"""Successive halving on synthetic curves (best objective after each epoch; lower is better)."""

from __future__ import annotations

import pytest

from jobsearch.search.pruners import SuccessiveHalvingPruner, make_pruner


def test_rungs_sit_at_min_epochs_times_powers_of_eta():
    pruner = SuccessiveHalvingPruner(min_epochs=2, eta=3)
    assert [e for e in range(1, 30) if pruner.is_rung(e)] == [2, 6, 18]


def test_only_the_best_third_at_a_rung_goes_on_ties_included():
    pruner = SuccessiveHalvingPruner(min_epochs=1, eta=3)
    for value in (-0.5, -0.6, -0.7, -0.8, -0.9):
        pruner.add_curve([value, value - 0.01])
    assert not pruner.should_prune(2, -0.1)  # not a rung
    # six at rung 1 with this one: the best two go on
    assert not pruner.should_prune(1, -0.95)
    assert not pruner.should_prune(1, -0.8)  # ties the second best: goes on
    assert pruner.should_prune(1, -0.75)
    # at rung 3 the five earlier trials stopped on their own at epoch 2: their final values
    assert pruner.at_rung(3) == [-0.51, -0.61, -0.71, -0.81, -0.91]
    assert pruner.should_prune(3, -0.7) and not pruner.should_prune(3, -0.85)


def test_a_pruned_trial_counts_only_at_the_rungs_it_reached():
    pruner = SuccessiveHalvingPruner(min_epochs=1, eta=2, warmup_trials=1)
    pruner.add_curve([-0.9], pruned=True)  # stopped by the pruner at rung 1
    pruner.add_curve([-0.2, -0.3, -0.4])
    assert pruner.at_rung(1) == [-0.9, -0.2] and pruner.at_rung(2) == [-0.3]
    assert not pruner.should_prune(2, -0.35)  # only the finished trial competes at rung 2


def test_nothing_is_pruned_before_warmup_trials_reached_the_rung():
    pruner = SuccessiveHalvingPruner(min_epochs=1, eta=3)
    pruner.add_curve([-0.9])
    pruner.add_curve([-0.8])
    assert not pruner.should_prune(1, 0.0)  # two earlier trials < eta
    pruner.add_curve([-0.7])
    assert pruner.should_prune(1, 0.0)


def test_pruner_names_and_bad_settings():
    assert make_pruner("none") is None
    assert type(make_pruner("asha", 2, 4)).__name__ == "SuccessiveHalvingPruner"
    with pytest.raises(ValueError, match="eta=1"):
        SuccessiveHalvingPruner(eta=1)
