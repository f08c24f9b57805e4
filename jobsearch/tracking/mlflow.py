"""Every MLflow tracking call: where runs go, trial runs, the search's parent run, baselines.

Runs are written with ``MlflowClient.log_batch`` (one call per epoch, not one per value).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.metrics import score
from ..params import flatten_params
from ..util import fault_point, first_line, redact, safe_name

if TYPE_CHECKING:
    from ..data import Dataset
    from ..trial import TrialResult

MLRUNS_DIR = "mlruns"
# Tag names, in one place.
KIND = "jobsearch.kind"
STATUS = "jobsearch.status"
PARENT = "mlflow.parentRunId"
FINGERPRINT = "data.fingerprint"
BASELINE_MODEL = "baseline.model"
SEARCH_KEY = "jobsearch.search_key"
STATE_FOLDER = "search_state"
OWNER = "jobsearch.owner"  # JSON: host, pid, folder of the process running the search
HEARTBEAT = "jobsearch.heartbeat"  # unix seconds, renewed while the search runs
TRIAL_FILES = "trial_files"
# The MLflow UI opens a "model training" experiment on its runs table, not the GenAI overview.
EXPERIMENT_KIND = "mlflow.experimentKind"
MODEL_TRAINING = "custom_model_development"
LOCAL_UI = "http://127.0.0.1:5000"
# The UI shows a page in Model training mode (not GenAI) when its link says so: MLflow 3 takes
# the mode from the link, else from the browser's last choice (GenAI in a new browser).
ML_MODE = "workflowType=machine_learning"
VIEW_KEY = "jobsearch"  # the saved runs view of an experiment (tag mlflow.sharedViewState.KEY)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (None for any other store)."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :]) if uri.startswith(prefix) else None


def default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, else a SQLite store in ``./mlruns/mlflow.db``."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{Path(MLRUNS_DIR).resolve() / 'mlflow.db'}"


def resolve_tracking_uri(uri: str | None = None) -> str:
    """An explicit URI wins over the environment and the local default."""
    return uri or default_tracking_uri()


# A server that stops answering is retried for about a minute (5 tries, backoff 2-32 s, 30 s per
# request), then the search stops with one line; the user's own MLFLOW_HTTP_* settings win.
HTTP_RETRY_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "5",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
LOCAL_SCHEMES = ("", "file", "sqlite")
DATABASE_SCHEMES = ("postgresql", "mysql", "mssql")


class TrackingError(RuntimeError):
    """The tracking store cannot be used (one line for the user)."""


def shown(uri: str) -> str:
    """``uri`` as it may be printed or logged: any password in it masked."""
    return redact(uri)


def _health(uri: str, timeout: float) -> None:
    """GET the server's /health; credentials in the URI go in a Basic auth header (urllib
    would take ``user:password@host`` for the host name)."""
    import base64
    from urllib.parse import unquote, urlsplit
    from urllib.request import Request, urlopen

    parts = urlsplit(uri)
    url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl().rstrip("/")
    request = Request(url + "/health")
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    with urlopen(request, timeout=timeout):
        pass


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_sqlite(uri: str) -> None:
    """A ``sqlite:///`` store must be an SQLite file, or not exist yet in a folder that can hold
    it (nothing is created here)."""
    db = sqlite_path(uri)
    if db is None:
        return
    db = Path(os.path.abspath(db))  # "a/../b" as SQLite will open it
    if db.exists():
        if not db.is_file():
            raise TrackingError(f"tracking URI {shown(uri)}: {db} is not a regular file")
        with db.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
        if head and head != SQLITE_HEADER:
            raise TrackingError(f"tracking URI {shown(uri)}: {db} is not an SQLite database")
        return
    folder = db.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise TrackingError(
            f"tracking URI {shown(uri)}: cannot create {db} ({folder} is not a writable folder)"
        )


def check_tracking_uri(uri: str, timeout: float = 5.0) -> None:
    """Fail in one line, within seconds and before anything is written, when ``uri`` has a
    scheme MLflow cannot use or names a server or database that does not answer. No message
    shows a password."""
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(uri)
        scheme, password = parts.scheme.lower(), parts.password
    except ValueError as exc:
        raise TrackingError(f"tracking URI {shown(uri)!r}: {first_line(exc)}") from None

    def _hide(text: str) -> str:
        text = redact(text)
        return text.replace(password, "***") if password else text

    if scheme in ("", "file"):
        if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in ("1", "true"):
            return
        raise TrackingError(
            f"tracking URI {shown(uri)!r}: MLflow 3 no longer writes folder (file) stores; use "
            "sqlite:///PATH/mlflow.db, a server http(s)://HOST:PORT, or set "
            "MLFLOW_ALLOW_FILE_STORE=true"
        )
    if scheme == "sqlite":
        _check_sqlite(uri)
        return
    if scheme in ("http", "https"):
        try:
            _health(uri, timeout)
        except HTTPError as exc:
            if exc.code not in (401, 403):
                raise TrackingError(
                    f"tracking server {shown(uri)} answered HTTP {exc.code}"
                ) from None
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TrackingError(
                f"tracking server {shown(uri)} does not answer ({_hide(str(reason))}); start it "
                "or pass another --tracking-uri"
            ) from None
    elif scheme.split("+")[0] not in DATABASE_SCHEMES and scheme != "databricks":
        raise TrackingError(
            f"tracking URI {shown(uri)!r}: unknown scheme {scheme + '://'!r}; use "
            "http(s)://HOST:PORT, sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    try:
        get_client(uri).search_experiments(max_results=1)
    except Exception as exc:  # any failure to talk to the store is the user's to fix
        text = _hide(first_line(exc))
        if "401" in text or "403" in text:
            raise TrackingError(
                f"tracking server {shown(uri)} refused the request "
                f"({'401' if '401' in text else '403'}): set MLFLOW_TRACKING_USERNAME and "
                "MLFLOW_TRACKING_PASSWORD to your account"
            ) from None
        raise TrackingError(f"tracking URI {shown(uri)}: {text}") from None


def tracking_failure(exc: BaseException) -> bool:
    """True when ``exc`` comes from talking to the tracking store (after MLflow's retries)."""
    from mlflow.exceptions import MlflowException
    from requests.exceptions import RequestException

    return isinstance(exc, (MlflowException, RequestException, ConnectionError))


def quiet_logs() -> None:
    """Silence MLflow's and alembic's INFO chatter and download progress bars."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # "View run ..."
    for name, value in HTTP_RETRY_DEFAULTS.items():
        os.environ.setdefault(name, value)
    for name in ("mlflow", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)


def import_mlflow() -> None:
    """Import MLflow's client now (Spark's daemon does, so every worker it forks has it)."""
    import mlflow.tracking  # noqa: F401


def get_client(uri: str | None = None):
    """An MlflowClient on ``uri`` (default store if None), creating a local store's folder.
    A new SQLite store is created by one process at a time (two searches started at once
    would both run its migrations, and one would fail)."""
    from mlflow import MlflowClient

    quiet_logs()
    uri = resolve_tracking_uri(uri)
    db = sqlite_path(uri)
    if db is None:
        return MlflowClient(tracking_uri=uri)
    db.parent.mkdir(parents=True, exist_ok=True)
    if db.is_file() and db.stat().st_size > 0:
        return MlflowClient(tracking_uri=uri)
    from filelock import FileLock

    with FileLock(str(db.with_name(db.name + ".lock"))):
        client = MlflowClient(tracking_uri=uri)
        client.search_experiments(max_results=1)  # creates and migrates the store
    return client


def experiment_id(client, name: str) -> str:
    """The id of experiment ``name``, created (artifacts beside a local SQLite store) if needed."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        if EXPERIMENT_KIND not in found.tags:
            client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND, MODEL_TRAINING)
        return found.experiment_id
    db = sqlite_path(client.tracking_uri)
    location = (db.parent / "artifacts" / safe_name(name)).resolve().as_uri() if db else None
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(
            name, artifact_location=location, tags={EXPERIMENT_KIND: MODEL_TRAINING}
        )
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        # another process created it between our lookup and create: use theirs
        return client.get_experiment_by_name(name).experiment_id


def ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on this store."""
    db = sqlite_path(uri)
    if db is None:
        return f"open {shown(uri)} in a browser (tracking server)"
    shown_db = db.relative_to(Path.cwd()) if db.is_relative_to(Path.cwd()) else db
    return f"mlflow ui --backend-store-uri sqlite:///{shown_db}"


def ui_base(uri: str) -> str:
    """The UI's address: the server's, or the local UI's for a local store."""
    return shown(uri).rstrip("/") if uri.startswith(("http://", "https://")) else LOCAL_UI


def runs_url(uri: str, experiment_id: str) -> str:
    """The experiment's runs table, opened on the saved view (columns and sort) and in the
    Model training mode."""
    page = f"{ui_base(uri)}/#/experiments/{experiment_id}/runs"
    return f"{page}?viewStateShareKey={VIEW_KEY}&{ML_MODE}"


def run_link(experiment_id: str, run_id: str) -> str:
    """A run's page in Model training mode, relative to the UI (as descriptions link it)."""
    return f"#/experiments/{experiment_id}/runs/{run_id}?{ML_MODE}"


def run_url(uri: str, experiment_id: str, run_id: str) -> str:
    """A run's page (the search's: its description is the leaderboard) in Model training mode."""
    return f"{ui_base(uri)}/{run_link(experiment_id, run_id)}"


def _download(client, run_id: str, artifact: str, path: Path) -> bool:
    """Download one artifact of a run to ``path`` (atomically); False when it does not exist."""
    import shutil
    import tempfile

    from mlflow.exceptions import MlflowException

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        try:
            local = Path(client.download_artifacts(run_id, artifact, tmp))
        except (MlflowException, OSError):
            return False
        if not local.is_file():
            return False
        shutil.move(local, path)
    return True


def _stringify(value: Any) -> str:
    return "none" if value is None else str(value)


class RunRecorder:
    """One MLflow run, written with ``log_batch`` in as few calls as the limits allow."""

    def __init__(
        self,
        client,
        experiment: str,
        *,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_id: str | None = None,
    ) -> None:
        self.client = client
        if run_id is not None:
            self.run_id = run_id
            return
        all_tags = {k: _stringify(v) for k, v in (tags or {}).items()}
        if parent_run_id:
            all_tags[PARENT] = parent_run_id
        run = client.create_run(experiment_id(client, experiment), run_name=run_name, tags=all_tags)
        self.run_id = run.info.run_id

    def log(
        self,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        step: int = 0,
    ) -> None:
        """Log metrics (at ``step``), params and tags, 100 of each per call."""
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        m = [
            Metric(k, float(v), now, step)
            for k, v in (metrics or {}).items()
            if v is not None and isinstance(v, (int, float))
        ]
        p = [Param(k, _stringify(v)[:6000]) for k, v in (params or {}).items()]
        t = [RunTag(k, _stringify(v)[:6000]) for k, v in (tags or {}).items()]
        for i in range(0, max(len(m), len(p), len(t), 1), 100):
            chunk_m, chunk_p, chunk_t = m[i : i + 100], p[i : i + 100], t[i : i + 100]
            if chunk_m or chunk_p or chunk_t:
                self.client.log_batch(self.run_id, metrics=chunk_m, params=chunk_p, tags=chunk_t)

    def log_dict(self, value: Any, name: str) -> None:
        """Store a JSON/YAML artifact."""
        self.client.log_dict(self.run_id, value, name)

    def log_artifact(self, path: str | Path, folder: str | None = None) -> None:
        """Store a file as an artifact."""
        self.client.log_artifact(self.run_id, str(path), folder)

    def finish(self, status: str = "FINISHED") -> None:
        """End the run as FINISHED, FAILED or KILLED."""
        self.client.set_terminated(self.run_id, status)


class MlflowTrialRecorder:
    """Records one trial as an MLflow run (the ``jobsearch.trial.Recorder`` protocol)."""

    def __init__(
        self,
        tracking_uri: str | None,
        experiment: str,
        *,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        client=None,
    ) -> None:
        self.client = client or get_client(tracking_uri)
        self.experiment, self.run_name, self.parent_run_id = experiment, run_name, parent_run_id
        self.run: RunRecorder | None = None
        self.run_id: str | None = None
        self.objective = "accuracy"

    def start(self, params: dict[str, Any], data: Dataset, objective: str) -> None:
        from ..device import library_versions

        self.run = RunRecorder(
            self.client,
            self.experiment,
            run_name=self.run_name,
            parent_run_id=self.parent_run_id,
            tags={
                KIND: "trial",
                FINGERPRINT: data.fingerprint,
                **{f"version.{k}": v for k, v in library_versions().items()},
            },
        )
        self.run_id, self.objective = self.run.run_id, objective
        self.run.log(
            params={
                **flatten_params(params),
                "objective": objective,
                "data.source": data.summary.get("source"),
                "data.n_classes": len(data.classes),
                "data.n_train": len(data.labels["train"]),
            }
        )

    def log_epoch(self, step: int, metrics: dict[str, float]) -> None:
        """One epoch's figures as ``epoch/val_accuracy`` (the UI charts them as one section):
        the plain names hold the kept weights' figures, which the runs table shows."""
        self.run.log(metrics={f"epoch/{k}": v for k, v in metrics.items()}, step=step)

    def kill(self) -> None:
        self.run.log(tags={STATUS: "killed"})
        self.run.finish("KILLED")

    def finish(self, result: TrialResult, data: Dataset) -> None:
        """Final metrics, tags and the dataset summary; FAILED for a failed trial."""
        numeric = result.numbers()
        if result.loss is not None:  # the objective as people read it (not minus accuracy)
            numeric["score"] = score(self.objective, result.loss)
        tags = {
            STATUS: "pruned" if result.pruned else result.status,
            "device": result.device,
            "device_type": result.device_type,
            "backend": result.backend,
            "cudnn": result.cudnn,
            "mixed_precision": result.mixed_precision,
        }
        if not result.ok:
            tags["error"] = result.error
        self.run.log(metrics=numeric, tags={k: v for k, v in tags.items() if v is not None})
        fault_point("trial-logging")
        self.run.log_dict(data.summary, "dataset_summary.json")
        self.run.finish("FINISHED" if result.ok else "FAILED")


# owner tag, last heartbeat (unix seconds), run status
Lease = tuple["str | None", float, str]


def _lease(run) -> Lease:
    tags = run.data.tags
    return tags.get(OWNER), float(tags.get(HEARTBEAT) or 0), run.info.status


class SearchRun:
    """The parent run of one search: settings, progress, trials table, plots, the outcome."""

    def __init__(self, client, experiment: str, run_id: str) -> None:
        self.client, self.experiment = client, experiment
        self.run = RunRecorder(client, experiment, run_id=run_id)
        self.run_id = run_id

    @classmethod
    def create(
        cls,
        client,
        experiment: str,
        *,
        algo: str,
        params: Mapping[str, Any],
        space_file: Path,
        data: Dataset,
        key: str,
        owner: str,
    ) -> SearchRun:
        """Open a new parent run with the search's settings, space file and dataset summary;
        ``key`` (a hash of what must match to resume) lets any machine find it again; the run
        is born leased to ``owner``."""
        run = RunRecorder(
            client,
            experiment,
            run_name=f"{algo}-search",
            tags={
                KIND: "search",
                FINGERPRINT: data.fingerprint,
                SEARCH_KEY: key,
                OWNER: owner,
                HEARTBEAT: f"{time.time():.3f}",
            },
        )
        run.log(params=params)
        run.log_artifact(space_file, "search_space")
        run.log_dict(data.summary, "dataset_summary.json")
        return cls(client, experiment, run.run_id)

    def reopen(self, kept: set[str]) -> None:
        """Mark the parent RUNNING again. Trial runs the saved state does not hold (``kept``
        are the run ids it does) were cut off by a crash: they become KILLED, so each finished
        trial appears once even when the crash came after its run was closed."""
        self.client.update_run(self.run_id, status="RUNNING")
        for run in self.children():
            if run.info.run_id not in kept and run.info.status != "KILLED":
                self.client.set_tag(run.info.run_id, STATUS, "killed")
                self.client.set_terminated(run.info.run_id, "KILLED")

    @classmethod
    def find(cls, client, experiment: str, key: str) -> SearchRun | None:
        """The newest search with this key in ``experiment`` on the tracking server, if any."""
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return None
        runs = client.search_runs(
            [found.experiment_id],
            filter_string=f"tags.`{KIND}` = 'search' and tags.`{SEARCH_KEY}` = '{key}'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        return cls(client, experiment, runs[0].info.run_id) if runs else None

    @classmethod
    def running(cls, client, experiment: str, key: str) -> list[tuple[str, Lease]]:
        """The RUNNING searches with this key and their leases, oldest first (ties by id)."""
        found = client.get_experiment_by_name(experiment)
        runs = client.search_runs(
            [found.experiment_id],
            filter_string=f"tags.`{KIND}` = 'search' and tags.`{SEARCH_KEY}` = '{key}' "
            "and attributes.status = 'RUNNING'",
        )
        runs = sorted(runs, key=lambda r: (r.info.start_time, r.info.run_id))
        return [(r.info.run_id, _lease(r)) for r in runs]

    def lease(self) -> Lease:
        """The owner tag, last heartbeat (unix seconds) and status of this search's run."""
        return _lease(self.client.get_run(self.run_id))

    def beat(self, owner: str) -> None:
        """Renew (or take) the lease: owner and heartbeat in one call."""
        self.run.log(tags={OWNER: owner, HEARTBEAT: f"{time.time():.3f}"})

    def release(self) -> None:
        """Drop the lease's tags (the search has stopped)."""
        for key in (OWNER, HEARTBEAT):
            self.client.delete_tag(self.run_id, key)

    def delete(self) -> None:
        """Remove this run (a search that lost the race to start)."""
        self.client.delete_run(self.run_id)

    def save_state(self, path: Path) -> None:
        """Keep the search's saved state with the parent run (resumable from any machine)."""
        self.run.log_artifact(path, STATE_FOLDER)

    def fetch_state(self, path: Path) -> bool:
        """Download the state saved with the parent run to ``path``; False if there is none."""
        return _download(self.client, self.run_id, f"{STATE_FOLDER}/{path.name}", path)

    def save_trial_files(self, trial_run_id: str, paths: list[Path]) -> None:
        """Keep a trial's weights and predictions with its own run."""
        for path in paths:
            self.client.log_artifact(trial_run_id, str(path), TRIAL_FILES)

    def fetch_trial_file(self, trial_run_id: str, path: Path) -> bool:
        """Download one of a trial's kept files to ``path``; False if the run has none."""
        return _download(self.client, trial_run_id, f"{TRIAL_FILES}/{path.name}", path)

    @property
    def experiment_id(self) -> str:
        return self.client.get_run(self.run_id).info.experiment_id

    def children(self) -> list:
        """The trial runs nested under this search, oldest first."""
        return self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.{PARENT} = '{self.run_id}'",
            order_by=["attributes.start_time ASC"],
        )

    def trial_recorder(self, tracking_uri: str, run_name: str) -> MlflowTrialRecorder:
        """A recorder for one trial nested under this search."""
        return MlflowTrialRecorder(
            tracking_uri,
            self.experiment,
            run_name=run_name,
            parent_run_id=self.run_id,
            client=self.client,
        )

    def log_best(self, best: Mapping[str, Any], n_done: int, objective: str) -> None:
        """Best-so-far metrics, stepped by trials done (``best_score`` is the validation
        objective as people read it), and which trial is best."""
        self.run.log(
            metrics={
                "best_score": score(objective, best["loss"]),
                "best_val_accuracy": best["val_accuracy"],
                "best_val_macro_f1": best["val_macro_f1"],
                "best_test_accuracy": best["test_accuracy"],
                "best_test_macro_f1": best["test_macro_f1"],
                "trials_done": n_done,
            },
            tags={"best_trial": best["tid"] + 1},
            step=n_done,
        )

    def log(self, metrics: Mapping[str, float], tags: Mapping[str, Any]) -> None:
        self.run.log(metrics=metrics, tags=tags)

    def log_file(self, path: Path, folder: str | None = None) -> None:
        self.run.log_artifact(path, folder)

    def log_json(self, value: Any, name: str) -> None:
        self.run.log_dict(value, name)

    def latest_baselines(self, fingerprint: str) -> dict[str, dict[str, float]]:
        """Metrics (and ``run_id``) of the newest baseline run of each model on the same data,
        by model."""
        exp = self.client.get_experiment_by_name(self.experiment)
        runs = self.client.search_runs(
            [exp.experiment_id],
            filter_string=f"tags.`{KIND}` = 'baseline' and tags.`{FINGERPRINT}` = '{fingerprint}'",
            order_by=["attributes.start_time DESC"],
        )
        found: dict[str, dict[str, float]] = {}
        for run in runs:
            model = run.data.tags.get(BASELINE_MODEL)
            if model and model not in found:
                found[model] = {**run.data.metrics, "run_id": run.info.run_id}
        return found

    def fetch_baseline_model(self, baseline_run_id: str, path: Path) -> bool:
        """Download a baseline run's fitted model (the artifact named as ``path``) to ``path``;
        False if it has none."""
        return _download(self.client, baseline_run_id, path.name, path)

    def finish(self, wall_seconds: float, stop_reason: str) -> None:
        self.run.log(metrics={"wall_seconds": wall_seconds}, tags={"stop_reason": stop_reason})
        self.run.finish("FINISHED")

    def kill(self) -> None:
        """Mark the search KILLED, with the trial runs it cut off (in flight on Spark executors,
        whose tasks were cancelled before they could close their runs)."""
        for run in self.children():
            if run.info.status == "RUNNING":
                self.client.set_tag(run.info.run_id, STATUS, "killed")
                self.client.set_terminated(run.info.run_id, "KILLED")
        self.client.set_terminated(self.run_id, "KILLED")


def log_baseline_run(
    client,
    experiment: str,
    data: Dataset,
    model: str,
    metrics: Mapping[str, float],
    settings: Mapping,
    model_file: Path | None = None,
) -> str:
    """Record a fitted baseline as a run (same metric names as the trials), with its pickled
    model when given (an artifact of the same name); return the run's id."""
    run = RunRecorder(
        client,
        experiment,
        run_name=f"tfidf-{model.replace('_', '-')}-baseline",
        tags={KIND: "baseline", BASELINE_MODEL: model, FINGERPRINT: data.fingerprint},
    )
    numbers = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
    run.log(metrics=numbers, params={**settings, "data.source": data.summary.get("source")})
    if model_file is not None:
        run.log_artifact(model_file)
    run.finish()
    return run.run_id
