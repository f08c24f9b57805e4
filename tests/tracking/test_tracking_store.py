"""Where runs and searches are stored: names cannot climb out of ``mlruns/``; an experiment
created by several processes at once is one experiment."""

from __future__ import annotations

import threading
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


def test_an_experiment_created_by_several_clients_at_once_is_one_experiment(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(uri).search_experiments()  # the store exists; the race is on the experiment
    clients = [MlflowClient(uri) for _ in range(6)]
    start, ids, errors = threading.Barrier(len(clients)), [], []

    def create(client):
        start.wait()
        try:
            ids.append(experiment_id(client, "team"))
        except Exception as exc:  # the failure is what the test reports
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(ids) == len(clients) and len(set(ids)) == 1, errors
