"""Where runs and searches are stored: names cannot climb out of ``mlruns/``."""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient

from jobsearch.search.state import state_path
from jobsearch.tracking.mlflow import experiment_id


def test_experiment_names_stay_inside_the_store(tmp_path):
    store = tmp_path / "work" / "mlruns"
    store.mkdir(parents=True)
    client = MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    for name in ("../../x", "/etc/passwd", "a/b", "..", "demo-random"):
        exp = client.get_experiment(experiment_id(client, name))
        location = Path(exp.artifact_location.removeprefix("file://")).resolve()
        assert location.parent == (store / "artifacts").resolve(), name
        saved = state_path(store / "searches", name).resolve()
        assert saved.parent.parent == (store / "searches").resolve(), name
    # names that differ keep different folders even when sanitised alike
    assert state_path(store, "a/b") != state_path(store, "a_b")
    assert state_path(store, "demo-random").parent.name == "demo-random"
