"""The search loop with a fake evaluator: ordering, stop rules, pruning feedback, resume.

No TensorFlow and no MLflow: the evaluator returns made-up results from the params.
"""

from __future__ import annotations

import sys
import time

import pytest
from conftest import SMOKE

from jobsearch.search.callbacks import Checkpoint
from jobsearch.search.loop import Callback, SearchLoop
from jobsearch.search.pruners import MedianPruner
from jobsearch.search.samplers import SAMPLERS, Proposal, Sampler, make_sampler
from jobsearch.search.space import load_space
from jobsearch.search.state import SearchState, load_state
from jobsearch.trial import TrialResult


class FakeEvaluator:
    """Scores params without training: wider LSTMs and lower dropout are better."""

    def __init__(self, fail_at=(), interrupt_at=None, sleep=0.0):
        self.calls: list[int] = []
        self.curves_seen: list[int] = []
        self.fail_at, self.interrupt_at, self.sleep = set(fail_at), interrupt_at, sleep

    def __call__(self, tid, params, pruner):
        self.calls.append(tid)
        self.curves_seen.append(len(pruner.curves) if pruner is not None else -1)
        if tid == self.interrupt_at:
            raise KeyboardInterrupt
        time.sleep(self.sleep)
        if tid in self.fail_at:
            return TrialResult(params=params, status="fail", error="ValueError: boom")
        loss = -params["lstm_units"] / 10 + params["dropout"]
        return TrialResult(
            params=params,
            loss=loss,
            val_accuracy=-loss,
            val_macro_f1=-loss,
            epochs=2,
            curve=[loss + 0.1, loss],
        )


class Recorder(Callback):
    def __init__(self):
        self.ended: list[tuple[int, bool]] = []
        self.interrupted = False

    def on_trial_end(self, loop, record, result, improved):
        self.ended.append((record.tid, improved))

    def on_interrupt(self, loop):
        self.interrupted = True


def _loop(evaluator, trials=6, algo="random", state=None, **kw):
    space = load_space(SMOKE)
    state = state or SearchState("parent", {})
    callbacks = kw.pop("callbacks", [])
    sampler = make_sampler(algo, space, seed=3)
    return SearchLoop(sampler, evaluator, state, trials=trials, callbacks=callbacks, **kw)


def test_trials_run_in_order_and_the_best_is_the_lowest_loss(tmp_path):
    evaluator, seen = FakeEvaluator(fail_at={2}), Recorder()
    loop = _loop(evaluator, callbacks=[seen])
    assert loop.run() == "all trials done"
    assert evaluator.calls == [0, 1, 2, 3, 4, 5]
    assert [r.tid for r in loop.state.trials] == [0, 1, 2, 3, 4, 5]
    assert loop.state.trials[2].result["status"] == "fail" and loop.state.trials[2].loss is None
    ok = [r for r in loop.state.trials if r.loss is not None]
    assert loop.state.best["loss"] == min(r.loss for r in ok)
    assert loop.state.best["tid"] == min(ok, key=lambda r: r.loss).tid
    # "improved" is reported exactly when the running best drops
    best, expected = float("inf"), []
    for r in loop.state.trials:
        expected.append((r.tid, r.loss is not None and r.loss < best))
        best = min(best, r.loss if r.loss is not None else best)
    assert seen.ended == expected


def test_stop_after_and_timeout(tmp_path):
    class Worse(FakeEvaluator):
        def __call__(self, tid, params, pruner):
            result = super().__call__(tid, params, pruner)
            result.loss = float(tid)  # every trial worse than the first
            return result

    loop = _loop(Worse(), trials=50, stop_after=3)
    assert loop.run() == "no improvement in 3 trials"
    assert len(loop.state.trials) == 4
    loop = _loop(FakeEvaluator(sleep=0.2), trials=50, timeout=0.5)
    assert loop.run() == "--timeout 0.5s reached"
    assert 1 <= len(loop.state.trials) <= 4


def test_pruner_learns_from_every_finished_trial_and_from_a_resumed_state(tmp_path):
    evaluator, pruner = FakeEvaluator(fail_at={1}), MedianPruner()
    _loop(evaluator, trials=4, pruner=pruner).run()
    # each trial sees the curves of the finished, non-failed trials before it
    assert evaluator.curves_seen == [0, 1, 1, 2]
    assert len(pruner.curves) == 3
    # a resumed loop primes a fresh pruner with the saved trials' curves
    first = _loop(FakeEvaluator(), trials=3)
    first.run()
    again = FakeEvaluator()
    _loop(again, trials=5, state=first.state, pruner=MedianPruner()).run()
    assert again.curves_seen == [3, 4]


@pytest.mark.parametrize("algo", sorted(SAMPLERS))
def test_resume_from_saved_state_continues_the_same_sequence(tmp_path, algo):
    path = tmp_path / algo / "state.json"
    straight = _loop(FakeEvaluator(), trials=8, algo=algo)
    straight.run()
    first = FakeEvaluator(interrupt_at=5)
    loop = _loop(first, trials=8, algo=algo, callbacks=[Checkpoint(path)])
    with pytest.raises(KeyboardInterrupt):
        loop.run()
    saved = load_state(path)
    assert [r.tid for r in saved.trials] == [0, 1, 2, 3, 4]  # the trial in flight is not kept
    second = FakeEvaluator()
    resumed = _loop(second, trials=8, algo=algo, state=saved)
    resumed.run()
    assert second.calls == [5, 6, 7]
    assert [r.params for r in resumed.state.trials] == [r.params for r in straight.state.trials]
    assert resumed.state.best["tid"] == straight.state.best["tid"]


def test_interrupt_runs_callbacks_and_reraises(tmp_path):
    seen = Recorder()
    loop = _loop(FakeEvaluator(interrupt_at=2), callbacks=[seen])
    with pytest.raises(KeyboardInterrupt):
        loop.run()
    assert seen.interrupted and [t for t, _ in seen.ended] == [0, 1]
    assert len(loop.state.trials) == 2


def test_a_new_sampler_plugs_into_the_loop(tmp_path):
    class Widest(Sampler):
        def ask(self, tid, history):
            return Proposal({"lstm_units": 8 * (tid + 1), "dropout": 0.0}, {"tid": tid})

    loop = SearchLoop(Widest(load_space(SMOKE)), FakeEvaluator(), SearchState("p", {}), trials=3)
    loop.run()
    assert [r.params["lstm_units"] for r in loop.state.trials] == [8, 16, 24]
    assert loop.state.best["tid"] == 2
    with pytest.raises(ValueError, match="algo='grid' is invalid: must be one of random, tpe"):
        make_sampler("grid", load_space(SMOKE))


def test_the_loop_needs_no_tensorflow():
    import subprocess

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, jobsearch.search.loop, jobsearch.search.samplers.tpe;"
            "print('tensorflow' in sys.modules, 'mlflow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "False False", probe.stderr
