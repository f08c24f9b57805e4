"""The search loop: hyperopt proposes params, ``run_experiment`` scores them, MLflow records.

One parent MLflow run per search with every trial nested under it. The hyperopt Trials are
saved after every finished trial, so a search that is stopped, killed or crashes continues
where it was, rerunning only the trial that was in flight.
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .spaces import SearchSpace, encode_point

TABLE_EVERY = 10  # trials between refreshes of the parent's trials.csv
RESULT_KEYS = (
    "loss",
    "status",
    "val_accuracy",
    "val_macro_f1",
    "val_loss",
    "test_accuracy",
    "test_macro_f1",
    "epochs",
    "pruned",
    "curve",
    "total_seconds",
    "fit_seconds",
    "evaluate_seconds",
    "build_seconds",
    "epoch_logging_seconds",
    "run_id",
    "error",
    "params",
)


class SearchError(ValueError):
    """The search cannot start as asked (one line for the user)."""


@dataclass
class SearchConfig:
    """Everything a search needs; the CLI builds one from its flags."""

    algo: str
    space: SearchSpace
    trials: int = 20
    experiment: str = "jobsearch"
    tracking_uri: str | None = None
    seed: int = 0
    timeout: float | None = None
    stop_after: int | None = None
    resume: bool = False
    prune: bool = True
    startup_trials: int = 20
    state_dir: Path = Path("mlruns") / "searches"
    model_name: str | None = None
    register: bool = True
    show_progress: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchState:
    """What is saved after every trial."""

    trials: Any
    parent_run_id: str
    identity: dict[str, Any]
    best: dict[str, Any] | None = None
    wall_seconds: float = 0.0
    registered_trial: int | None = None


def to_native(value: Any) -> Any:
    """numpy scalars and tuples inside sampled params become plain Python values."""
    if isinstance(value, dict):
        return {k: to_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_native(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def state_path(state_dir: Path, experiment: str) -> Path:
    """Where the search of ``experiment`` is saved."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in experiment)
    return Path(state_dir) / safe / "state.pkl"


def save_state(path: Path, state: SearchState) -> None:
    """Write atomically: a crash mid-write leaves the previous state intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_state(path: Path) -> SearchState | None:
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _suggest(cfg: SearchConfig):
    from functools import partial

    from hyperopt import rand, tpe

    if cfg.algo == "random":
        return rand.suggest
    return partial(tpe.suggest, n_startup_jobs=cfg.startup_trials)


def _seed_doc(trials, domain, tid: int, vals: dict[str, Any]) -> dict[str, Any]:
    """A trial document for a fixed point, in hyperopt's encoding (as points_to_evaluate)."""
    misc = {
        "tid": tid,
        "cmd": domain.cmd,
        "workdir": None,
        "idxs": {label: ([tid] if label in vals else []) for label in domain.params},
        "vals": {label: ([vals[label]] if label in vals else []) for label in domain.params},
    }
    return trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc])[0]


def _active_vals(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v[0] for k, v in doc["misc"]["vals"].items() if v}


class Search:
    """Runs one search as configured; ``run()`` returns the summary dict."""

    def __init__(self, cfg: SearchConfig, data) -> None:
        from hyperopt import Domain

        from .pruning import MedianPruner
        from .tracking import get_client, resolve_tracking_uri

        self.cfg = cfg
        self.data = data
        self.uri = resolve_tracking_uri(cfg.tracking_uri)
        self.client = get_client(self.uri)
        self.domain = Domain(lambda _: None, cfg.space.expr)
        self.path = state_path(cfg.state_dir, cfg.experiment)
        self.workdir = self.path.parent
        self.pruner = MedianPruner() if cfg.prune else None
        self.identity = {
            "algo": cfg.algo,
            "space": cfg.space.text,
            "overrides": cfg.settings.get("overrides"),
            "data": data.fingerprint,
            "seed": cfg.seed,
        }
        self.state = self._open_state()
        for trial in self.state.trials.trials:
            if self.pruner is not None and trial["result"].get("curve"):
                self.pruner.add_curve(trial["result"]["curve"])

    # -- state and the parent run -------------------------------------------------------
    def _open_state(self) -> SearchState:
        from hyperopt import Trials

        from .tracking import RunRecorder

        state = load_state(self.path)
        if state is None:
            if self.cfg.resume:
                raise SearchError(
                    f"--resume: no saved search for experiment {self.cfg.experiment!r} "
                    f"(looked for {self.path})"
                )
            parent = RunRecorder(
                self.client,
                self.cfg.experiment,
                run_name=f"{self.cfg.algo}-search",
                tags={"jobsearch.kind": "search", "data.fingerprint": self.data.fingerprint},
            )
            parent.log(
                params={
                    "algo": self.cfg.algo,
                    "trials": self.cfg.trials,
                    "seed": self.cfg.seed,
                    "space_file": str(self.cfg.space.path),
                    "prune": self.cfg.prune,
                    **(
                        {"startup_trials": self.cfg.startup_trials}
                        if self.cfg.algo == "tpe"
                        else {}
                    ),
                    **{k: v for k, v in self.cfg.settings.items() if k != "overrides"},
                }
            )
            parent.log_artifact(self.cfg.space.path, "search_space")
            parent.log_dict(self.data.summary, "dataset_summary.json")
            state = SearchState(Trials(), parent.run_id, self.identity)
            save_state(self.path, state)
            return state
        if state.identity != self.identity:
            changed = [k for k in self.identity if state.identity.get(k) != self.identity[k]]
            raise SearchError(
                f"experiment {self.cfg.experiment!r} already holds a search with a different "
                f"{', '.join(changed)}; resume it unchanged or pass a new --experiment"
            )
        self.client.update_run(state.parent_run_id, status="RUNNING")
        self._kill_stale_children(state.parent_run_id)
        return state

    def _kill_stale_children(self, parent_run_id: str) -> None:
        """Trials left RUNNING by a crash are marked KILLED; they are rerun."""
        runs = self.client.search_runs(
            [self.client.get_run(parent_run_id).info.experiment_id],
            filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
        )
        for run in runs:
            if run.info.status == "RUNNING":
                self.client.set_tag(run.info.run_id, "jobsearch.status", "killed")
                self.client.set_terminated(run.info.run_id, "KILLED")

    # -- the loop -----------------------------------------------------------------------
    def _next_doc(self, tid: int) -> dict[str, Any]:
        points = self.cfg.space.seed_points
        if tid < len(points):
            vals = encode_point(self.cfg.space.raw, points[tid], str(self.cfg.space.path))
            return _seed_doc(self.state.trials, self.domain, tid, vals)
        seed = int(np.random.default_rng([self.cfg.seed, tid]).integers(2**31 - 1))
        return _suggest(self.cfg)([tid], self.domain, self.state.trials, seed)[0]

    def _params_of(self, doc: dict[str, Any]) -> dict[str, Any]:
        from hyperopt import space_eval

        params = to_native(space_eval(self.cfg.space.expr, _active_vals(doc)))
        params.setdefault("seed", self.cfg.seed)
        return params

    def _evaluate(self, tid: int, params: dict[str, Any]) -> dict[str, Any]:
        from .experiment import run_experiment

        weights = self.workdir / "trial.weights.h5"
        result = run_experiment(
            params,
            data=self.data,
            tracking_uri=self.uri,
            experiment=self.cfg.experiment,
            parent_run_id=self.state.parent_run_id,
            run_name=f"trial-{tid + 1:03d}",
            pruner=self.pruner,
            weights_path=weights,
        )
        best = self.state.best
        if result["status"] == "ok" and (best is None or result["loss"] < best["loss"]):
            if weights.exists():
                os.replace(weights, self.workdir / "best.weights.h5")
            self.state.best = {
                "tid": tid,
                **{k: result.get(k) for k in RESULT_KEYS},
                "test_predictions": result.get("test_predictions"),
            }
        elif weights.exists():
            weights.unlink()
        return result

    def _record(self, doc: dict[str, Any], result: dict[str, Any]) -> None:
        from hyperopt import JOB_STATE_DONE

        doc["result"] = {k: result[k] for k in RESULT_KEYS if k in result}
        doc["state"] = JOB_STATE_DONE
        doc["refresh_time"] = doc["book_time"] = None
        self.state.trials.insert_trial_docs([doc])
        self.state.trials.refresh()
        if self.pruner is not None and result.get("curve"):
            self.pruner.add_curve(result["curve"])

    def _log_progress(self, n_done: int) -> None:
        from .params import flatten_params
        from .tracking import RunRecorder

        parent = RunRecorder(self.client, self.cfg.experiment, run_id=self.state.parent_run_id)
        if n_done % TABLE_EVERY == 0:
            from .reporting import log_trials_table

            log_trials_table(self, parent)
        best = self.state.best
        if best is None:
            return
        parent.log(
            metrics={
                "best_objective": best["loss"],
                "best_val_accuracy": best["val_accuracy"],
                "best_val_macro_f1": best["val_macro_f1"],
                "best_test_accuracy": best["test_accuracy"],
                "best_test_macro_f1": best["test_macro_f1"],
                "trials_done": n_done,
            },
            tags={
                "best.trial": best["tid"] + 1,
                "best.run_id": best["run_id"],
                **{f"best.{k}": v for k, v in flatten_params(best["params"]).items()},
            },
            step=n_done,
        )

    def run(self) -> dict[str, Any]:
        """Run trials until ``--trials`` are done (or timeout / stop-after); return a summary."""
        from tqdm import tqdm

        from .reporting import finalize, trial_line

        cfg = self.cfg
        trials = self.state.trials
        started = run_start = time.time()
        bar = tqdm(
            total=cfg.trials,
            initial=min(len(trials.trials), cfg.trials),
            desc=f"{cfg.algo} search",
            unit="trial",
            disable=not cfg.show_progress,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        since_best = 0
        stop_reason = "all trials done"
        interrupted = False
        try:
            while len(trials.trials) < cfg.trials:
                if cfg.timeout is not None and time.time() - run_start >= cfg.timeout:
                    stop_reason = f"--timeout {cfg.timeout:g}s reached"
                    break
                if cfg.stop_after is not None and since_best >= cfg.stop_after:
                    stop_reason = f"no improvement in {cfg.stop_after} trials"
                    break
                tid = len(trials.trials)
                trial_start = time.perf_counter()
                doc = self._next_doc(tid)
                params = self._params_of(doc)
                before = self.state.best["loss"] if self.state.best else math.inf
                result = self._evaluate(tid, params)
                self._record(doc, result)
                self.state.wall_seconds += time.time() - started
                started = time.time()
                save_state(self.path, self.state)
                doc["result"]["trial_seconds"] = time.perf_counter() - trial_start
                improved = self.state.best is not None and self.state.best["loss"] < before
                since_best = 0 if improved else since_best + 1
                self._log_progress(len(trials.trials))
                bar.write(trial_line(tid, cfg.trials, result, improved), file=sys.stdout)
                bar.update(1)
                if self.state.best:
                    bar.set_postfix(best=f"{self.state.best['loss']:.4f}")
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
            self.state.wall_seconds += time.time() - started
            save_state(self.path, self.state)
        if interrupted:
            self.client.set_terminated(self.state.parent_run_id, "KILLED")
            raise KeyboardInterrupt
        return finalize(self, stop_reason)


def run_search(cfg: SearchConfig, data) -> dict[str, Any]:
    """Run (or resume) a search; Ctrl-C saves, marks the trial KILLED and re-raises."""
    previous = signal.getsignal(signal.SIGTERM)

    def _term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        return Search(cfg, data).run()
    finally:
        signal.signal(signal.SIGTERM, previous)
