"""One Keras code path for every backend: under JAX (on the CPU) a trial trains, a search runs
and registers its model, and the model serves; the model JAX trained serves under TensorFlow."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
from conftest import cli_env, missing_service, search_args
from mlflow import MlflowClient

TEXTS = ["Senior nurse for a busy hospital ward", "Java developer, Spring Boot, microservices"]

# one interpreter for all of it: the backend is fixed when Keras is first imported
UNDER_JAX = """
import json, sys
import keras, mlflow
from jobsearch import prepare_dataset, run_experiment
from jobsearch.random import main

data_path, uri, texts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
data = prepare_dataset(data_path, ["title", "description"])
small = {"lstm_units": 8, "embedding_dim": 8, "max_epochs": 2, "ngrams": 2, "char_ngrams": True}
trial = run_experiment(small, data, track=False)
code = main(sys.argv[4:])
model = mlflow.pyfunc.load_model("models:/jx@champion").unwrap_python_model()
print(json.dumps({
    "backend": keras.backend.backend(), "trial": [trial.status, trial.val_accuracy, trial.backend],
    "search_exit": code, "probabilities": model.predict_proba(texts).tolist(),
}))
"""


def test_jax_trains_searches_registers_and_serves_and_tensorflow_serves_its_model(
    tiny_csv, tmp_path
):
    if importlib.util.find_spec("jax") is None:
        missing_service("JAX (pip install -e '.[jax]')")
    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    args = search_args(tiny_csv, "--trials", "2", "--max-epochs", "1", "--experiment", "jx")
    script = tmp_path / "under_jax.py"  # a file: under ``-c`` pyspark takes itself for doctests
    script.write_text(UNDER_JAX)
    done = subprocess.run(
        [sys.executable, str(script), str(tiny_csv), uri, json.dumps(TEXTS), *args],
        cwd=tmp_path,
        env=cli_env(KERAS_BACKEND="jax", MLFLOW_TRACKING_URI=uri),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == "jax" and out["search_exit"] == 0
    status, val_accuracy, backend = out["trial"]
    assert status == "ok" and val_accuracy > 0.1 and backend == "jax"  # 28 classes
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("jx")
    trials = client.search_runs([experiment.experiment_id], "tags.`jobsearch.kind` = 'trial'")
    assert len(trials) == 2
    tags = {(t.data.tags["backend"], t.data.tags["device_type"]) for t in trials}
    assert tags == {("jax", "CPU")}
    # this process runs TensorFlow: the JAX-trained ensemble gives the same probabilities here
    import mlflow

    mlflow.set_tracking_uri(uri)
    served = mlflow.pyfunc.load_model("models:/jx@champion").unwrap_python_model()
    probabilities = served.predict_proba(TEXTS)
    assert probabilities.shape == (2, 28)
    np.testing.assert_allclose(probabilities, out["probabilities"], rtol=1e-4, atol=1e-5)
    assert any(params is not None for params, _, _ in served.members)  # an LSTM among them
