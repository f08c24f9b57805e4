"""One search from start to finish: open or resume it, run the loop, report and register.

One parent MLflow run per search with every trial nested under it. The state is saved after
every finished trial, so a search that is stopped, killed or crashes continues where it was,
rerunning only the trial that was in flight.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import Dataset
from ..model.metrics import OBJECTIVES, per_class, score
from ..report.summary import COLUMNS, searched_columns, trailing_hint, weakest
from ..tracking.registry import Member
from ..trial import TrialResult, run_experiment
from . import owner
from .callbacks import Checkpoint, Progress, Tracking, kept_trials, trial_probs, trial_weights
from .loop import SearchLoop
from .pruners import PRUNERS, Pruner, make_pruner
from .refit import REFIT_ROWS
from .samplers import make_sampler
from .space import SearchSpace
from .state import SearchState, TrialRecord, load_state, save_state, state_path

DEFAULT_STATE_DIR = Path("mlruns") / "searches"


class SearchError(ValueError):
    """The search cannot start as asked (one line for the user)."""


@dataclass
class SearchConfig:
    """Everything a search needs; the CLI builds one from its flags."""

    algo: str
    space: SearchSpace
    trials: int = 20
    objective: str = "accuracy"
    experiment: str = "jobsearch"
    tracking_uri: str | None = None
    seed: int = 0
    timeout: float | None = None
    stop_after: int | None = None
    resume: bool = False
    pruner: str = "median"
    min_epochs: int = 1
    eta: int = 3
    sampler_options: dict[str, Any] = field(default_factory=dict)
    state_dir: Path = DEFAULT_STATE_DIR
    model_name: str | None = None
    register: bool = True
    show_progress: bool = True
    data_source: str = "demo"
    overrides: dict[str, Any] = field(default_factory=dict)
    parallelism: int = 1
    spark_master: str | None = None
    gpus_per_trial: float | None = None
    refit: str = "all"

    @property
    def on_spark(self) -> bool:
        """Trials run as Spark tasks (several at once, or on a cluster)."""
        return self.parallelism > 1 or self.spark_master is not None

    @property
    def on_cluster(self) -> bool:
        """Trials run on a Spark cluster, not on this machine's ``local[N]``."""
        return not (self.spark_master or "local").startswith("local")

    def identity(self, data: Dataset) -> dict[str, Any]:
        """What must match for a saved search to be resumed by this config."""
        return {
            "algo": self.algo,
            "space": self.space.text,
            "overrides": self.overrides,
            "objective": self.objective,
            "data": data.fingerprint,
            "seed": self.seed,
        }

    def run_params(self) -> dict[str, Any]:
        """The settings logged as the parent run's params."""
        return {
            "algo": self.algo,
            "trials": self.trials,
            "seed": self.seed,
            "space_file": str(self.space.path),
            "pruner": self.pruner,
            **({"min_epochs": self.min_epochs, "eta": self.eta} if self.pruner == "asha" else {}),
            "parallelism": self.parallelism,
            **self.sampler_options,
            "objective": self.objective,
            "data": self.data_source,
            "refit": self.refit,
        }


class InProcessEvaluator:
    """Runs each trial with ``run_experiment`` in this process, nested under the search run."""

    def __init__(self, cfg: SearchConfig, data: Dataset, search_run, uri: str, workdir: Path):
        self.cfg, self.data, self.search_run, self.uri = cfg, data, search_run, uri
        self.workdir = workdir

    def __call__(self, tid: int, params: dict[str, Any], pruner: Pruner | None) -> TrialResult:
        return run_experiment(
            params,
            self.data,
            objective=self.cfg.objective,
            recorder=self.search_run.trial_recorder(self.uri, f"trial-{tid + 1:03d}"),
            pruner=pruner,
            weights_path=trial_weights(self.workdir, tid),
        )


class SparkEvaluator:
    """Runs a trial in a Spark task: the data from a broadcast (tokenized once, by the driver)
    and its own MLflow client, nested under the search.

    On ``local[N]`` the executors share the driver's disk and write the weights where the
    one-at-a-time loop does. On a cluster (``workdir`` None) a trial that can still be among the
    kept ones stores its weights with its own run, and the driver fetches them if it is kept.
    """

    def __init__(
        self,
        cfg: SearchConfig,
        data_broadcast,
        search_run,
        uri: str,
        workdir: Path | None,
        threads: int | None = None,
    ) -> None:
        self.objective, self.data = cfg.objective, data_broadcast
        self.uri, self.workdir = uri, workdir
        self.experiment, self.parent_run_id = search_run.experiment, search_run.run_id
        # MLflow credentials and retry settings travel with the task to other machines
        self.env = {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}
        self.threads = threads

    def remote(
        self, tid: int, params: dict[str, Any], pruner: Pruner | None, keep_below: float | None
    ) -> TrialResult:
        """Run trial ``tid`` on an executor; ``keep_below`` is the loss a trial must beat to
        be kept (None: any finished trial may be)."""
        from ..tracking.mlflow import TRIAL_FILES, MlflowTrialRecorder

        for key, value in self.env.items():
            os.environ.setdefault(key, value)
        if self.threads:  # N trials on one machine's cores: each takes its share, not all
            from ..device import limit_threads

            limit_threads(self.threads)
        recorder = MlflowTrialRecorder(
            self.uri,
            self.experiment,
            run_name=f"trial-{tid + 1:03d}",
            parent_run_id=self.parent_run_id,
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = trial_weights(self.workdir or Path(tmp), tid)
            result = run_experiment(
                params,
                self.data.value,
                objective=self.objective,
                recorder=recorder,
                pruner=pruner,
                weights_path=path,
            )
            keep = result.ok and (keep_below is None or result.loss < keep_below)
            if self.workdir is None and keep and path.is_file():
                recorder.client.log_artifact(result.run_id, str(path), TRIAL_FILES)
        return result


def _open(cfg: SearchConfig, data: Dataset, client, path: Path):
    """The saved state and parent run of this search, or new ones."""
    from ..tracking.mlflow import SearchRun

    identity = cfg.identity(data)
    key = hashlib.sha1(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]
    state = load_state(path)
    if state is None:  # saved with the parent run, by this or another machine?
        found = SearchRun.find(client, cfg.experiment, key)
        if found is not None and found.fetch_state(path):
            state = load_state(path)
    if state is None:
        if cfg.resume:
            raise SearchError(
                f"--resume: no saved search for experiment {cfg.experiment!r} (looked for {path} "
                "and on the tracking server)"
            )
        run = SearchRun.create(
            client,
            cfg.experiment,
            algo=cfg.algo,
            params=cfg.run_params(),
            space_file=cfg.space.path,
            data=data,
            key=key,
            owner=owner.me(),
        )
        owner.settle_race(run, SearchRun.running(client, cfg.experiment, key))
        state = SearchState(run.run_id, identity)
        save_state(path, state)
        return state, run
    if state.identity != identity:
        changed = [k for k in identity if state.identity.get(k) != identity[k]]
        raise SearchError(
            f"experiment {cfg.experiment!r} already holds a search with a different "
            f"{', '.join(changed)}; resume it unchanged or pass a new --experiment"
        )
    run = SearchRun(client, cfg.experiment, state.parent_run_id)
    owner.claim(run)
    run.reopen({r.result.get("run_id") for r in state.trials})
    runs = {r.tid: r.result.get("run_id") for r in state.trials}
    for tid in kept_trials(state.trials):  # finished on another machine: fetch its files
        for file in (trial_weights(path.parent, tid), trial_probs(path.parent, tid)):
            if not file.is_file() and runs[tid]:
                run.fetch_trial_file(runs[tid], file)
    return state, run


# Ensemble candidates beside the trials: the fitted TF-IDF baselines, by negative id.
CANDIDATES = {-1: ("linear_svc", "LinearSVC"), -2: ("logistic_regression", "logistic regression")}


def baseline_file(workdir: Path, cid: int) -> Path:
    """Where the baseline of candidate id ``cid`` is kept for the ensemble."""
    from ..baseline import model_file

    return workdir / model_file(CANDIDATES[cid][0])


def _baseline_candidates(data: Dataset, workdir: Path) -> dict:
    """The fitted baselines' validation and test probabilities, by candidate id."""
    import pickle

    found = {}
    for cid in CANDIDATES:
        fitted = pickle.loads(baseline_file(workdir, cid).read_bytes())
        found[cid] = tuple(fitted.predict_proba(data.split.texts[p]) for p in ("val", "test"))
    return found


def _baselines(run, data: Dataset, uri: str, experiment: str, workdir: Path) -> dict:
    """The TF-IDF baselines on this data, by display name, their fitted models in ``workdir``
    (:func:`baseline_file`): the logged ones, else (none logged, or logged without a model by
    an older jobsearch) fitted and logged now."""
    from ..baseline import NAMES, run_baselines

    found = run.latest_baselines(data.fingerprint)
    complete = set(found) == set(NAMES) and all(
        run.fetch_baseline_model(found[model]["run_id"], baseline_file(workdir, cid))
        for cid, (model, _) in CANDIDATES.items()
    )
    if not complete:
        found = {b.model: b.metrics for b in run_baselines(data, uri, experiment, workdir)}
    return {NAMES[model]: found[model] for model in NAMES}


def _label(members: dict[int, float]) -> str:
    """``3 40%, 7 20% + LinearSVC 40%``: the trials chosen, then the baselines, with their
    weights."""
    named = {
        t: f"{CANDIDATES[t][1] if t < 0 else t + 1} {w:.0%}"
        for t, w in sorted(members.items(), key=lambda m: -m[1])
    }
    parts = (
        ", ".join(v for t, v in named.items() if t >= 0),
        ", ".join(v for t, v in named.items() if t < 0),
    )
    return " + ".join(p for p in parts if p)


def _ensemble(cfg: SearchConfig, data: Dataset, state: SearchState, workdir: Path, extra: dict):
    """Bagged ensemble selection over the kept trials and the ``extra`` candidates (the
    baselines); None when the mix is one trial. A mix of baselines alone is chosen again from
    the best trial (every bag starts from it), so the served model holds a trial yet is not
    held to a trial far behind the baselines. The mix is not held to beat the best trial's
    validation figure: that figure is the best of many trials on the same rows, so it flatters
    the trial (``benchmarks/RESULTS.md``, "Ensemble rules")."""
    import numpy as np

    from ..model.metrics import classification_metrics
    from .ensemble import blend, select_bagged

    val, test = {}, {}
    for tid in kept_trials(state.trials):
        if trial_probs(workdir, tid).is_file() and trial_weights(workdir, tid).is_file():
            with np.load(trial_probs(workdir, tid)) as z:
                val[tid], test[tid] = z["val"], z["test"]
    if not val:
        return None
    best = next(iter(val))
    for cid, (val_probs, test_probs) in extra.items():
        val[cid], test[cid] = val_probs, test_probs
    members, loss = select_bagged(val, data.labels["val"], cfg.objective)
    if not any(tid >= 0 for tid in members):
        members, loss = select_bagged(val, data.labels["val"], cfg.objective, start=(best,))
    if len(members) < 2:
        return None
    scores = {
        f"{part}_{k}": v
        for part, probs in (("val", val), ("test", test))
        for k, v in classification_metrics(data.labels[part], blend(probs, members)).items()
    }
    label = _label(members)
    pred = blend(test, members).argmax(axis=1)
    return {"members": members, "loss": loss, "label": label, **scores, "test_predictions": pred}


def chosen_members(
    state: SearchState, workdir: Path, chosen: dict[int, float]
) -> tuple[list[Member], list[int]]:
    """The members ``chosen`` (candidate id -> weight: trials, baselines below 0) as saved in
    ``workdir``, and the epochs each LSTM's weights were kept at (0 for a baseline)."""
    trials = {r.tid: r for r in state.trials}
    members, epochs = [], []
    for tid, weight in chosen.items():
        if tid < 0:
            members.append((None, weight, baseline_file(workdir, tid)))
            epochs.append(0)
        else:
            r = trials[tid]
            members.append((r.params, weight, trial_weights(workdir, tid)))
            epochs.append(r.result.get("best_epoch") or r.params["max_epochs"])
    return members, epochs


def _register(cfg, data, state, run, uri: str, ensemble: dict | None, workdir: Path):
    """Refit (``cfg.refit``), log and register the ensemble (when there is one) or the best
    trial's model; a line for the user and the refit (None without one), or None when the
    weights are gone."""
    from tqdm import tqdm

    from ..tracking.registry import log_and_register
    from .refit import refit

    best = state.best
    chosen = ensemble["members"] if ensemble else {best["tid"]: 1}
    scores = ensemble or best
    members, epochs = chosen_members(state, workdir, chosen)
    if not all(weights.is_file() for _, _, weights in members):
        return None
    runs = {r.tid: r.result.get("run_id") for r in state.trials}
    tags = {
        "search_run_id": state.parent_run_id,
        "served_model": served_label(best, ensemble),
        "best_trial_run_id": best["run_id"],
        "trial_run_ids": ",".join(runs[tid] for tid in chosen if tid >= 0),
        **{k: scores[k] for k in COLUMNS},
    }
    with tempfile.TemporaryDirectory() as tmp:
        refitted = None
        if cfg.refit != "none":
            bar = tqdm(
                total=len(members),
                desc=f"refit on {cfg.refit} rows",
                unit="model",
                disable=not cfg.show_progress,
                file=sys.stderr,
                dynamic_ncols=True,
            )
            with bar:
                refitted = refit(
                    members,
                    epochs,
                    data,
                    cfg.refit,
                    Path(tmp),
                    lambda: bar.update(1),
                )
            members = refitted.members
        rows = refitted.data if refitted else data
        tags["learned_from"] = learned_from(refitted, data)
        tags["test_figures"] = TEST_FIGURES if refitted else "this model on the test split"
        line = log_and_register(
            run.client,
            uri,
            cfg.model_name or cfg.experiment,
            state.parent_run_id,
            members,
            cfg.objective,
            scores["loss"],
            data,
            tags,
            learned_from=rows,
        )
    return line, refitted


def served_label(best: dict, ensemble: dict | None) -> str:
    """What the search serves, in words: ``trial 7`` or ``ensemble of trials 7 40%, ...``."""
    return f"ensemble of trials {ensemble['label']}" if ensemble else f"trial {best['tid'] + 1}"


TEST_FIGURES = (
    "the same recipe before the refit, learning from the training split and scored on the test "
    "split, which chose nothing: the estimate for this model"
)


def learned_from(refitted, data: Dataset) -> str:
    """The rows the served model learned from, in words (the training split without a refit)."""
    return refitted.learned_from if refitted else f"train ({len(data.labels['train']):,} rows)"


def _finish(cfg, data, state, run, tracking, path: Path, uri: str, reason: str) -> dict:
    """Trials table, plots, baseline, best model: logged to the parent run; the summary."""
    from ..report import plots
    from ..tracking.mlflow import run_url, runs_url, shown, ui_command
    from ..tracking.outcome import HINT_TAG, SERVED, publish

    workdir = path.parent
    table = tracking.log_table(state.trials)
    searched = searched_columns(cfg.space)
    figures = []
    if len(table):
        figures += [
            plots.best_so_far(table, workdir / "best_so_far.png", cfg.objective),
            plots.param_effects(table, searched, workdir / "score_vs_params.png", cfg.objective),
            plots.importance(table, searched, workdir / "param_importance.png"),
        ]
    best = state.best
    for fig in figures:
        if fig is not None:
            run.log_file(fig, "plots")
    counts = table["status"].value_counts() if len(table) else {}
    summary: dict[str, Any] = {
        "experiment": cfg.experiment,
        "parent_run_id": state.parent_run_id,
        "stop_reason": reason,
        "trials_ok": int(counts.get("ok", 0)),
        "trials_pruned": int(counts.get("pruned", 0)),
        "trials_failed": int(counts.get("fail", 0)),
        "most_common_failure": most_common_failure(state.trials),
        "wall_seconds": state.wall_seconds,
        "tracking_uri": shown(uri),
        "ui_command": ui_command(uri),
        "runs_url": runs_url(uri, run.experiment_id),
        "search_url": run_url(uri, run.experiment_id, state.parent_run_id),
        "best": best and {k: v for k, v in best.items() if k != "test_predictions"},
        "baselines": _baselines(run, data, uri, cfg.experiment, workdir),
        "model_version": None,
    }
    if best is not None:
        run.log_json(best["params"], "best_params.json")
        extra = _baseline_candidates(data, workdir)
        summary["ensemble"] = _ensemble(cfg, data, state, workdir, extra)
        served, label = summary["ensemble"] or best, served_label(best, summary["ensemble"])
        summary["per_class"] = _per_class(run, data, best, summary["ensemble"], workdir)
        hint = trailing_hint(best, summary["baselines"] or {}, len(data.labels["val"]))
        summary["hint"] = hint
        run.log(  # the parent's row in the runs table is the served model's
            metrics={k: served[k] for k in COLUMNS}
            | {"score": score(cfg.objective, served["loss"])},
            tags={SERVED: label, HINT_TAG: hint or ""},  # "": a resumed search caught up
        )
        if cfg.register and state.registered != label:  # a resumed search may serve another
            registered = _register(cfg, data, state, run, uri, summary["ensemble"], workdir)
            if registered is not None:
                summary["model_version"], refitted = registered
                learned = learned_from(refitted, data)
                run.log({}, {"learned_from": learned})
                if refitted is not None:
                    state.wall_seconds += refitted.seconds
                    summary["wall_seconds"] = state.wall_seconds
                    summary["refit"] = {"learned_from": learned, "seconds": refitted.seconds}
                    run.log({"refit_seconds": refitted.seconds}, {})
            state.registered = label
            save_state(path, state)
            run.save_state(path)
    publish(run.client, cfg.experiment, state.parent_run_id, cfg.objective, searched)
    run.finish(state.wall_seconds, reason)
    return summary


def _per_class(run, data: Dataset, best: dict, ensemble: dict | None, workdir: Path):
    """The served model's figures per industry on the test split, logged as ``per_class.csv``
    beside its confusion matrix (``plots/``); weakest first, or None without predictions."""
    import pandas as pd

    from ..report import plots
    from ..tracking.outcome import WEAKEST_TAG

    pred = ensemble.pop("test_predictions") if ensemble else best.get("test_predictions")
    if pred is None:
        return None
    table = per_class(data.labels["test"], pred, data.classes)
    pd.DataFrame(table).to_csv(workdir / "per_class.csv", index=False, float_format="%.4f")
    run.log_file(workdir / "per_class.csv")
    run.log({}, {WEAKEST_TAG: weakest(table)})
    figure = plots.confusion(
        data.labels["test"],
        pred,
        data.classes,
        workdir / "confusion_matrix.png",
        f"Served model ({served_label(best, ensemble)}) on the test split",
    )
    run.log_file(figure, "plots")
    return table


def check_config(cfg: SearchConfig) -> None:
    """Refuse settings that cannot work together (SearchError), before any data is prepared;
    a saved state that is damaged raises StateError."""
    from ..tracking.mlflow import resolve_tracking_uri, shown, sqlite_path

    if cfg.objective not in OBJECTIVES:
        raise SearchError(
            f"objective={cfg.objective!r} is invalid: must be one of {', '.join(OBJECTIVES)}"
        )
    if cfg.pruner not in PRUNERS:
        raise SearchError(f"pruner={cfg.pruner!r} is invalid: must be one of {', '.join(PRUNERS)}")
    if cfg.refit not in REFIT_ROWS:
        raise SearchError(f"refit={cfg.refit!r} is invalid: must be one of {', '.join(REFIT_ROWS)}")
    uri = resolve_tracking_uri(cfg.tracking_uri)
    if cfg.on_cluster and sqlite_path(uri):
        raise SearchError(
            f"--spark-master {cfg.spark_master}: executors on other machines cannot write to "
            f"the local store {shown(uri)}; pass --tracking-uri http://HOST:5000 (a shared server)"
        )
    if cfg.gpus_per_trial and not cfg.on_cluster:
        raise SearchError(
            "--gpus-per-trial needs a Spark cluster (--spark-master spark://HOST:7077): "
            "Spark's local mode cannot give a task its own GPU"
        )
    if cfg.on_spark and importlib.util.find_spec("pyspark") is None:
        from .parallel import SPARK_MISSING

        raise SearchError(SPARK_MISSING)
    load_state(state_path(cfg.state_dir, cfg.experiment))


def most_common_failure(trials: list[TrialRecord]) -> str | None:
    """``"ERROR (k of n trials)"`` for the commonest error of the failed trials, else None."""
    errors = Counter(
        t.result.get("error") or "unknown error" for t in trials if t.result.get("status") == "fail"
    )
    if not errors:
        return None
    error, count = errors.most_common(1)[0]
    return f"{error} ({count} of {len(trials)} trials)"


def execute(cfg: SearchConfig, data: Dataset) -> dict[str, Any]:
    """Run (or resume) a search; return its summary. Ctrl-C or SIGTERM saves the state,
    marks the trial in flight and the parent KILLED, and re-raises KeyboardInterrupt."""
    from ..tracking.mlflow import get_client, resolve_tracking_uri

    check_config(cfg)
    uri = resolve_tracking_uri(cfg.tracking_uri)
    client = get_client(uri)
    spark = None
    if cfg.on_spark:  # started first: a failure writes nothing
        from .parallel import SparkUnavailable, spark_session

        try:
            spark = spark_session(cfg.spark_master or f"local[{cfg.parallelism}]")
        except SparkUnavailable as exc:
            raise SearchError(str(exc)) from None
    path = state_path(cfg.state_dir, cfg.experiment)
    with owner.folder_lock(path.parent):
        state, run = _open(cfg, data, client, path)
        with owner.Heartbeat(run):
            return _run(cfg, data, state, run, path, uri, spark)


def _run(cfg: SearchConfig, data: Dataset, state, run, path: Path, uri: str, spark) -> dict:
    """The loop and the end of an opened search (the caller holds its lock and lease)."""
    checkpoint = Checkpoint(path)
    checkpoint.prune_files(state.trials)
    tracking = Tracking(run, path, cfg.objective)
    progress = Progress(cfg.algo, cfg.trials, len(state.trials), cfg.objective, cfg.show_progress)
    sampler = make_sampler(cfg.algo, cfg.space, cfg.seed, **cfg.sampler_options)
    options = {
        "trials": cfg.trials,
        "timeout": cfg.timeout,
        "stop_after": cfg.stop_after,
        "pruner": make_pruner(cfg.pruner, cfg.min_epochs, cfg.eta),
        "callbacks": [checkpoint, tracking, progress],
    }
    if spark is not None:
        from .parallel import SparkSearchLoop

        workdir = None if cfg.on_cluster else path.parent.resolve()
        threads = None if cfg.on_cluster else max(1, (os.cpu_count() or 1) // cfg.parallelism)
        evaluator = SparkEvaluator(
            cfg, spark.sparkContext.broadcast(data), run, uri, workdir, threads
        )
        loop: SearchLoop = SparkSearchLoop(
            sampler,
            evaluator,
            state,
            spark=spark,
            parallelism=cfg.parallelism,
            workdir=path.parent,
            gpus_per_trial=cfg.gpus_per_trial,
            fetch_weights=run.fetch_trial_file if cfg.on_cluster else None,
            **options,
        )
    else:
        evaluator = InProcessEvaluator(cfg, data, run, uri, path.parent)
        loop = SearchLoop(sampler, evaluator, state, **options)
    previous = signal.getsignal(signal.SIGTERM)

    def _term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        reason = loop.run()
    finally:
        progress.close()
        signal.signal(signal.SIGTERM, previous)
    try:
        return _finish(cfg, data, state, run, tracking, path, uri, reason)
    except BaseException:
        with contextlib.suppress(Exception):
            run.kill()
        raise
