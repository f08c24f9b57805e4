"""The search loop: a sampler proposes, an evaluator scores, callbacks record.

Nothing here trains a model or calls MLflow: the evaluator and the callbacks do, so the loop's
ordering, stop rules, pruning feedback and resume are testable with a fake evaluator.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from ..trial import TrialResult
from .pruners import Pruner
from .samplers import Sampler
from .state import SearchState, TrialRecord


class Evaluator(Protocol):
    """Runs one trial: ``evaluate(tid, params, pruner) -> TrialResult`` (never raises)."""

    def __call__(self, tid: int, params: dict[str, Any], pruner: Pruner | None) -> TrialResult: ...


class Callback:
    """Hooks the loop calls; override what you need (Optuna-style callbacks)."""

    def on_trial_start(self, loop: SearchLoop, tid: int, params: dict[str, Any]) -> None:
        """Before a trial is evaluated."""

    def on_trial_end(
        self, loop: SearchLoop, record: TrialRecord, result: TrialResult, improved: bool
    ) -> None:
        """After a trial is appended to the state (and the best updated)."""

    def on_interrupt(self, loop: SearchLoop) -> None:
        """Ctrl-C or SIGTERM while the loop runs; the loop re-raises after the callbacks."""


def summarize_result(result: TrialResult) -> dict[str, Any]:
    """What the state keeps of a trial: everything but params, traceback and predictions."""
    skip = ("params", "traceback")
    return {k: v for k, v in result.as_hyperopt().items() if k not in skip}


class SearchLoop:
    """Runs trials until ``trials`` are done, a timeout, or ``stop_after`` without improvement."""

    def __init__(
        self,
        sampler: Sampler,
        evaluate: Evaluator,
        state: SearchState,
        *,
        trials: int,
        timeout: float | None = None,
        stop_after: int | None = None,
        pruner: Pruner | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        self.sampler, self.evaluate, self.state = sampler, evaluate, state
        self.trials, self.timeout, self.stop_after = trials, timeout, stop_after
        self.pruner, self.callbacks = pruner, list(callbacks)
        if pruner is not None:
            for record in state.trials:
                if record.result.get("curve"):
                    pruner.add_curve(record.result["curve"], bool(record.result.get("pruned")))

    def _stop_reason(self, started: float, since_best: int) -> str | None:
        if len(self.state.trials) >= self.trials:
            return "all trials done"
        if self.timeout is not None and time.time() - started >= self.timeout:
            return f"--timeout {self.timeout:g}s reached"
        if self.stop_after is not None and since_best >= self.stop_after:
            return f"no improvement in {self.stop_after} trials"
        return None

    def _add(self, tid: int, vals: dict[str, Any], result: TrialResult):
        params = result.params  # complete (defaults filled in), as the trial ran
        record = TrialRecord(tid, params, vals, summarize_result(result))
        best = self.state.best
        improved = result.ok and (best is None or result.loss < best["loss"])
        if improved:
            self.state.best = {
                "tid": tid,
                **record.result,
                "params": params,
                "test_predictions": result.test_predictions,
            }
        self.state.trials.append(record)
        if self.pruner is not None and result.curve:
            self.pruner.add_curve(result.curve, result.pruned)
        return record, improved

    def run(self) -> str:
        """Run trials; return why the loop stopped. Ctrl-C is re-raised after the callbacks."""
        started = last = time.time()
        since_best = 0
        try:
            while (reason := self._stop_reason(started, since_best)) is None:
                tid = len(self.state.trials)
                trial_start = time.perf_counter()
                proposal = self.sampler.ask(tid, self.state.trials)
                for cb in self.callbacks:
                    cb.on_trial_start(self, tid, proposal.params)
                result = self.evaluate(tid, proposal.params, self.pruner)
                record, improved = self._add(tid, proposal.vals, result)
                record.result["trial_seconds"] = time.perf_counter() - trial_start
                since_best = 0 if improved else since_best + 1
                self.state.wall_seconds += time.time() - last
                last = time.time()
                for cb in self.callbacks:
                    cb.on_trial_end(self, record, result, improved)
        except KeyboardInterrupt:
            self.state.wall_seconds += time.time() - last
            for cb in self.callbacks:
                cb.on_interrupt(self)
            raise
        return reason
