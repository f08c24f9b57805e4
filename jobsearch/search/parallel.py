"""Trials in parallel on Spark, through hyperopt's ``SparkTrials``.

hyperopt's ``fmin`` drives SparkTrials from a background thread; each trial is one Spark task
running a picklable evaluator. The sampler stays ours: the ``algo`` handed to ``fmin`` asks it,
with every finished trial as history, and returns ``[]`` once a stop rule fires (hyperopt then
waits for the trials in flight). The main thread records finished trials as they land, in the
order they finish, through the same callbacks as the one-at-a-time loop; so state, MLflow and
progress are written by one thread only.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..trial import TrialResult
from ..util import first_line
from .callbacks import KEEP, kept_trials, trial_weights
from .loop import SearchLoop
from .samplers import Proposal

TID_LABEL = "jobsearch.tid"  # a hidden label in the space handed to fmin: the trial's id
POLL_SECONDS = 0.5


SPARK_MISSING = (
    "--parallelism runs trials on Spark, which is not installed: pip install 'jobsearch[spark]'"
)


class SparkUnavailable(RuntimeError):
    """pyspark is not installed or Spark (Java) does not start (one line for the user)."""


def spark_session(master: str, app_name: str = "jobsearch"):
    """A SparkSession on ``master`` (``local[N]`` or ``spark://HOST:PORT``) whose Python workers
    run this interpreter; a failed trial is not retried (it would fail the same way)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(SPARK_MISSING) from None
    # pyspark's notices about pandas 3 and thread tags say nothing a user can act on
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", message="Spark session is not provided")
    for name in ("hyperopt", "hyperopt-spark"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # pyspark starts its Python workers with $PYSPARK_PYTHON (else whatever `python3` is on the
    # PATH, often not the environment jobsearch is installed in); spark.pyspark.python is read by
    # spark-submit only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = (
            SparkSession.builder.master(master)
            .appName(app_name)
            .config("spark.task.maxFailures", "1")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.python.worker.reuse", "true")
            .config("spark.python.daemon.module", "jobsearch.search.spark_daemon")
            .getOrCreate()
        )
    except Exception as exc:  # Java missing, master unreachable...
        raise SparkUnavailable(
            f"Spark did not start on {master} (it needs Java 17+): {first_line(exc)}"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def gpu_profile(gpus: float):
    """A stage-level resource profile: each trial's task asks the cluster for ``gpus`` GPUs
    (and one CPU). Workers must announce their GPUs (Spark's GPU discovery script)."""
    from pyspark.resource import ResourceProfileBuilder, TaskResourceRequests

    return (
        ResourceProfileBuilder().require(TaskResourceRequests().cpus(1).resource("gpu", gpus)).build
    )


class RemoteTrial:
    """The function hyperopt runs in a Spark task: the evaluator on one proposal.

    Spark pickles it when it submits a trial, so each trial sees the pruner's curves and the
    keep threshold as they were when it started.
    """

    def __init__(self, evaluator, seed: int, pruner) -> None:
        self.evaluator, self.seed, self.pruner = evaluator, seed, pruner
        self.keep_below: float | None = None

    def __call__(self, point: dict[str, Any]) -> dict[str, Any]:
        tid, params = int(point["tid"]), dict(point["params"])
        params.setdefault("seed", self.seed)
        result = self.evaluator.remote(tid, params, self.pruner, self.keep_below)
        status = "ok" if result.ok else "fail"
        return {"status": status, "loss": result.loss, "jobsearch.result": result}


class SparkSearchLoop(SearchLoop):
    """The search loop with up to ``parallelism`` trials at once, each a Spark task.

    ``evaluate`` must have a ``remote(tid, params, pruner, keep_below) -> TrialResult`` method
    that runs in another process and leaves the weights where the one-at-a-time loop does, or
    with the trial's run: then ``fetch_weights(run_id, path)`` brings those of kept trials.
    """

    def __init__(
        self,
        *args: Any,
        spark,
        parallelism: int,
        workdir: Path,
        fetch_weights: Callable[[str, Path], bool] | None = None,
        gpus_per_trial: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spark, self.parallelism, self.workdir = spark, parallelism, workdir
        self.resource_profile = gpu_profile(gpus_per_trial) if gpus_per_trial else None
        self.fetch_weights = fetch_weights
        self._remote: RemoteTrial | None = None
        self._lock = threading.Lock()
        self._finished: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        self._in_flight: dict[int, Proposal] = {}
        self._stop = threading.Event()
        self._reason: str | None = None

    def _next_tid(self) -> int:
        """The smallest id not finished nor in flight (fills the gaps a kill left)."""
        used = {r.tid for r in self.state.trials} | set(self._in_flight)
        return next(i for i in range(len(used) + 1) if i not in used)

    def _algo(self, new_ids, domain, trials, seed):
        """hyperopt's ``algo``: the sampler's proposals, or ``[]`` to stop proposing."""
        with self._lock:
            done = len(self.state.trials) + len(self._in_flight)
            if self._stop.is_set() or done >= self.trials:
                return []
            docs = []
            for new_id in new_ids:
                tid = self._next_tid()
                proposal = self.sampler.ask(tid, self.state.trials)
                vals = {**proposal.vals, TID_LABEL: tid}
                misc = {
                    "tid": new_id,
                    "cmd": domain.cmd,
                    "workdir": None,
                    "idxs": {k: [new_id] if k in vals else [] for k in domain.params},
                    "vals": {k: [vals[k]] if k in vals else [] for k in domain.params},
                }
                docs.extend(trials.new_trial_docs([new_id], [None], [{"status": "new"}], [misc]))
                self._in_flight[tid] = proposal
                for cb in self.callbacks:
                    cb.on_trial_start(self, tid, proposal.params)
            return docs

    def _collect(self, trials, states: tuple[str, ...] = ("done", "error")) -> None:
        """Move trials that finished on Spark into ``_finished``; their results leave hyperopt's
        docs (weights are large, and a long search would keep every trial's)."""
        from hyperopt import JOB_STATE_DONE, JOB_STATE_ERROR

        wanted = {"done": JOB_STATE_DONE, "error": JOB_STATE_ERROR}
        for doc in list(trials._dynamic_trials):
            if doc.get("collected") or doc["state"] not in {wanted[s] for s in states}:
                continue
            doc["collected"] = True
            outcome = doc["result"]
            doc["result"] = {"status": outcome.get("status"), "loss": outcome.get("loss")}
            tid = int(doc["misc"]["vals"][TID_LABEL][0])
            self._finished.append((tid, outcome, doc["misc"]))

    def _record(self, tid: int, outcome: dict[str, Any], misc: dict[str, Any]) -> None:
        with self._lock:
            proposal = self._in_flight.pop(tid)
        result = outcome.get("jobsearch.result")
        if result is None:  # the task itself died (out of memory, say): a failed trial
            error = (misc.get("error") or ("", ""))[-1] or "the Spark task failed"
            result = TrialResult(params=proposal.params, status="fail", error=first_line(error))
        record, improved = self._add(tid, proposal.vals, result)
        kept = kept_trials(self.state.trials)
        if self.fetch_weights is not None and result.run_id and tid in kept:
            self.fetch_weights(result.run_id, trial_weights(self.workdir, tid))
        if len(kept) >= KEEP:  # later trials need not store weights that cannot be kept
            self._remote.keep_below = max(r.loss for r in self.state.trials if r.tid in kept)
        record.result["trial_seconds"] = result.total_seconds
        with self._lock:
            self._since_best = 0 if improved else self._since_best + 1
        for cb in self.callbacks:
            cb.on_trial_end(self, record, result, improved)

    def run(self) -> str:
        """Run trials, ``parallelism`` at a time; return why the loop stopped."""
        from hyperopt import fmin, hp
        from hyperopt.spark import SparkTrials

        started = last = time.time()
        self._since_best = 0
        trials = SparkTrials(
            parallelism=self.parallelism,
            spark_session=self.spark,
            resource_profile=self.resource_profile,
        )
        space = {"params": self.sampler.space.expr, "tid": hp.randint(TID_LABEL, 2**31 - 1)}
        remote = self._remote = RemoteTrial(self.evaluate, self.sampler.seed, self.pruner)
        errors: list[BaseException] = []

        def drive() -> None:
            try:
                fmin(
                    remote,
                    space,
                    algo=self._algo,
                    max_evals=self.trials,
                    trials=trials,
                    show_progressbar=False,
                )
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        driver = threading.Thread(target=drive, name="jobsearch-fmin", daemon=True)
        driver.start()
        try:
            while driver.is_alive() or self._finished or self._pending(trials):
                self._collect(trials)
                while self._finished:
                    self._record(*self._finished.pop(0))
                    self.state.wall_seconds += time.time() - last
                    last = time.time()
                with self._lock:
                    if not self._stop.is_set():
                        self._reason = self._stop_reason(started, self._since_best)
                        if self._reason is not None and self._reason != "all trials done":
                            self._stop.set()
                driver.join(POLL_SECONDS)
        except KeyboardInterrupt:
            self._stop.set()
            self.spark.sparkContext.cancelAllJobs()
            self._collect(trials, ("done",))  # finished ones are kept; cancelled ones rerun
            while self._finished:
                self._record(*self._finished.pop(0))
            self.state.wall_seconds += time.time() - last
            for cb in self.callbacks:
                cb.on_interrupt(self)
            raise
        if errors and not isinstance(errors[0], Exception):
            raise errors[0]
        if errors:
            raise RuntimeError(f"Spark search failed: {first_line(errors[0])}") from errors[0]
        return self._reason or "all trials done"

    def _pending(self, trials) -> bool:
        """Finished trials not yet collected (fmin can return before the loop sees them)."""
        from hyperopt import JOB_STATE_DONE, JOB_STATE_ERROR

        return any(
            d["state"] in (JOB_STATE_DONE, JOB_STATE_ERROR) and not d.get("collected")
            for d in list(trials._dynamic_trials)
        )
