"""The loop's standard callbacks: checkpoint (state + best weights), tracking, progress."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..model.metrics import score
from ..report.summary import trial_line, trials_table
from ..trial import TrialResult
from ..util import atomic_write, fault_point
from .loop import Callback, SearchLoop
from .state import TrialRecord, save_state

TABLE_EVERY = 10  # trials between refreshes of the parent's trials.csv
KEEP = 10  # trials whose weights and predictions are kept, as ensemble candidates
WEIGHTS_SUFFIX = ".weights.h5"
PROBS_SUFFIX = ".probs.npz"


def trial_weights(workdir: Path, tid: int) -> Path:
    """Where trial ``tid`` saves its weights."""
    return workdir / f"trial-{tid + 1:03d}{WEIGHTS_SUFFIX}"


def trial_of(path: Path) -> int:
    """The trial id a weights or predictions file belongs to (see :func:`trial_weights`)."""
    return int(path.name[len("trial-") :].split(".")[0]) - 1


def trial_probs(workdir: Path, tid: int) -> Path:
    """Where trial ``tid``'s validation and test probabilities are saved."""
    return workdir / f"trial-{tid + 1:03d}{PROBS_SUFFIX}"


def kept_trials(records: list[TrialRecord], keep: int = KEEP) -> list[int]:
    """The ids of the ``keep`` best finished trials, best first."""
    ok = sorted((r for r in records if r.loss is not None), key=lambda r: (r.loss, r.tid))
    return [r.tid for r in ok[:keep]]


class Checkpoint(Callback):
    """Saves the state after every trial; keeps the weights and predictions of the best trials.

    Each trial's files are its own (named by trial), deleted only after a state that no longer
    counts it among the best is on disk: a kill at any point never pairs one trial's weights
    with another's params.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.workdir = path, path.parent

    def prune_files(self, records: list[TrialRecord], finished_only: bool = False) -> None:
        """Delete the weights and predictions of trials no longer among the best; with
        ``finished_only``, only of trials in ``records`` (others may still be running)."""
        kept = set(kept_trials(records))
        finished = {r.tid for r in records}
        for suffix in (WEIGHTS_SUFFIX, PROBS_SUFFIX):
            for stale in self.workdir.glob(f"trial-*{suffix}"):
                tid = trial_of(stale)
                if tid not in kept and (tid in finished or not finished_only):
                    stale.unlink(missing_ok=True)

    def on_trial_end(self, loop, record, result, improved) -> None:
        fault_point("checkpoint")  # the trial's weights are on disk, the state not yet
        if result.probabilities and record.tid in kept_trials(loop.state.trials):
            probs = result.probabilities
            atomic_write(
                trial_probs(self.workdir, record.tid),
                lambda tmp: np.savez(tmp, val=probs["val"], test=probs["test"]),
            )
        save_state(self.path, loop.state)
        self.prune_files(loop.state.trials, finished_only=True)

    def on_interrupt(self, loop: SearchLoop) -> None:
        save_state(self.path, loop.state)


class Tracking(Callback):
    """With the parent run: best-so-far metrics and tags, the trials table every few trials,
    the saved state; with each kept trial's run: its weights and predictions."""

    def __init__(self, search_run, path: Path, objective: str) -> None:
        self.run, self.path, self.workdir = search_run, path, path.parent
        self.objective = objective

    def log_table(self, records: list[TrialRecord]):
        table = trials_table(records, self.objective)
        path = self.workdir / "trials.csv"
        table.to_csv(path, index=False)
        self.run.log_file(path)
        return table

    def on_trial_end(self, loop, record, result, improved) -> None:
        if result.run_id and record.tid in kept_trials(loop.state.trials):
            files = [trial_weights(self.workdir, record.tid), trial_probs(self.workdir, record.tid)]
            self.run.save_trial_files(result.run_id, [f for f in files if f.is_file()])
        self.run.save_state(self.path)  # after Checkpoint wrote it: resumable from anywhere
        n_done = len(loop.state.trials)
        if n_done % TABLE_EVERY == 0:
            self.log_table(loop.state.trials)
        if loop.state.best is not None:
            self.run.log_best(loop.state.best, n_done, self.objective)

    def on_interrupt(self, loop: SearchLoop) -> None:
        self.run.kill()


class Progress(Callback):
    """A progress bar on stderr and one line per trial on stdout."""

    def __init__(
        self, algo: str, total: int, done: int, objective: str, enabled: bool = True
    ) -> None:
        from tqdm import tqdm

        self.total, self.objective = total, objective
        self.bar = tqdm(
            total=total,
            initial=min(done, total),
            desc=f"{algo} search",
            unit="trial",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def on_trial_end(self, loop, record, result: TrialResult, improved: bool) -> None:
        self.bar.write(trial_line(record.tid, self.total, result, improved), file=sys.stdout)
        self.bar.update(1)
        if loop.state.best:
            best = score(self.objective, loop.state.best["loss"])
            self.bar.set_postfix({f"best val {self.objective}": f"{best:.4f}"})

    def close(self) -> None:
        self.bar.close()
