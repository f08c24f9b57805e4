"""MLflow glue: where runs go, and one run per trial logged in a few batched calls."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MLRUNS_DIR = "mlruns"


def default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, else a SQLite store in ``./mlruns/mlflow.db``."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    path = Path(MLRUNS_DIR).resolve()
    return f"sqlite:///{path / 'mlflow.db'}"


def resolve_tracking_uri(uri: str | None = None) -> str:
    """An explicit URI wins over the environment and the local default."""
    return uri or default_tracking_uri()


def _artifact_root(uri: str) -> str | None:
    """Artifacts beside a local SQLite file (``.../artifacts``); the server decides otherwise."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///") :]).parent / "artifacts").resolve().as_uri()


def quiet_logs() -> None:
    """Silence MLflow's and alembic's INFO chatter and download progress bars."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)


def get_client(uri: str | None = None):
    """An MlflowClient on ``uri`` (default store if None), creating a local store's folder."""
    from mlflow import MlflowClient

    quiet_logs()

    uri = resolve_tracking_uri(uri)
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri)


def experiment_id(client, name: str) -> str:
    """The id of experiment ``name``, created (with local artifacts) if needed."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        return found.experiment_id
    root = _artifact_root(client.tracking_uri)
    location = f"{root}/{name}" if root else None
    return client.create_experiment(name, artifact_location=location)


def _stringify(value: Any) -> str:
    return "none" if value is None else str(value)


class RunRecorder:
    """One MLflow run, written with ``log_batch`` (one call per epoch, not per value)."""

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
            all_tags["mlflow.parentRunId"] = parent_run_id
        run = client.create_run(experiment_id(client, experiment), run_name=run_name, tags=all_tags)
        self.run_id = run.info.run_id

    def log(
        self,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        step: int = 0,
    ) -> None:
        """Log metrics (at ``step``), params and tags in as few calls as the limits allow."""
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


def ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on this store."""
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        try:
            shown = db.relative_to(Path.cwd())
        except ValueError:
            shown = db
        return f"mlflow ui --backend-store-uri sqlite:///{shown}"
    return f"open {uri} in a browser (tracking server)"
