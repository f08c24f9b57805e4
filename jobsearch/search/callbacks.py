"""The loop's standard callbacks: checkpoint (state + best weights), tracking, progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..report.summary import trial_line, trials_table
from ..trial import TrialResult
from .loop import Callback, SearchLoop
from .state import TrialRecord, save_state

TABLE_EVERY = 10  # trials between refreshes of the parent's trials.csv
WEIGHTS_SUFFIX = ".weights.h5"


def trial_weights(workdir: Path, tid: int) -> Path:
    """Where trial ``tid`` saves its weights."""
    return workdir / f"trial-{tid + 1:03d}{WEIGHTS_SUFFIX}"


def best_weights(workdir: Path, best: dict[str, Any] | None) -> Path | None:
    """The weights file of the best trial, when it exists."""
    if best is None:
        return None
    path = trial_weights(workdir, best["tid"])
    return path if path.is_file() else None


class Checkpoint(Callback):
    """Saves the state after every trial; keeps only the best trial's weights.

    The state names the best trial and its weights are a file of that trial's own, deleted only
    after a state naming another trial is on disk: a kill at any point never pairs one trial's
    weights with another's params.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.workdir = path, path.parent

    def prune_weights(self, keep: Path | None) -> None:
        for stale in self.workdir.glob(f"*{WEIGHTS_SUFFIX}"):
            if stale != keep:
                stale.unlink(missing_ok=True)

    def on_trial_end(self, loop, record, result, improved) -> None:
        save_state(self.path, loop.state)
        self.prune_weights(best_weights(self.workdir, loop.state.best))

    def on_interrupt(self, loop: SearchLoop) -> None:
        save_state(self.path, loop.state)


class Tracking(Callback):
    """Best-so-far metrics and tags on the parent run; the trials table every few trials."""

    def __init__(self, search_run, workdir: Path) -> None:
        self.run, self.workdir = search_run, workdir

    def log_table(self, records: list[TrialRecord]):
        table = trials_table(records)
        path = self.workdir / "trials.csv"
        table.to_csv(path, index=False)
        self.run.log_file(path)
        return table

    def on_trial_end(self, loop, record, result, improved) -> None:
        n_done = len(loop.state.trials)
        if n_done % TABLE_EVERY == 0:
            self.log_table(loop.state.trials)
        if loop.state.best is not None:
            self.run.log_best(loop.state.best, n_done)

    def on_interrupt(self, loop: SearchLoop) -> None:
        self.run.kill()


class Progress(Callback):
    """A progress bar on stderr and one line per trial on stdout."""

    def __init__(self, algo: str, total: int, done: int, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.total = total
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
            self.bar.set_postfix(best=f"{loop.state.best['loss']:.4f}")

    def close(self) -> None:
        self.bar.close()
