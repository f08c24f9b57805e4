"""The refit: the served model learns from every labelled row, with nothing chosen anew."""

from __future__ import annotations

import mlflow
import numpy as np
from conftest import run_cli, search_args
from mlflow import MlflowClient

from jobsearch.baseline import LinearModel
from jobsearch.model.build import build_model, compile_model
from jobsearch.model.train import fit
from jobsearch.params import resolve_params

PARTS = ("train", "val", "test")


def test_without_validation_fit_trains_the_epochs_asked_and_keeps_the_last(tiny_data):
    params = tiny_data.resolve_lengths(
        resolve_params(
            {
                "embedding_dim": 8,
                "lstm_units": 8,
                "max_len": 16,
                "max_epochs": 5,
                "ngrams": 0,
                "char_ngrams": False,
            }
        )
    )
    model = build_model(params, len(tiny_data.vocabulary), len(tiny_data.classes))
    compile_model(model, params, 10)
    inputs = {"train": tiny_data.inputs("train", params)}
    outcome = fit(model, inputs, tiny_data.labels, params, epochs=2)
    assert outcome.epochs == 2 and outcome.best_epoch == 2 and not outcome.pruned
    assert all(set(epoch) == {"train_loss", "train_accuracy"} for epoch in outcome.history)


def test_a_linear_member_refits_with_its_settings_on_the_rows_given(tiny_data):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts, labels = tiny_data.split.texts, tiny_data.labels
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2)
    x = vectorizer.fit_transform(texts["train"])
    n = len(tiny_data.classes)
    fitted = LinearModel([vectorizer], LinearSVC(C=0.3).fit(x, labels["train"]), n)
    fitted.temperature = 5.0
    every = [t for p in PARTS for t in texts[p]]
    refit = fitted.refit(every, np.concatenate([labels[p] for p in PARTS]))
    assert refit.estimator.C == 0.3 and refit.temperature == 5.0 and refit.n_classes == n
    assert refit.vectorizers[0].get_params() == vectorizer.get_params()
    # its vocabulary follows the rows it was fitted on; the original is untouched
    assert set(vectorizer.vocabulary_) < set(refit.vectorizers[0].vocabulary_)
    assert (
        refit.vectorizers[0].vocabulary_
        == TfidfVectorizer(**vectorizer.get_params()).fit(every).vocabulary_
    )
    assert fitted.predict_proba(every).shape == refit.predict_proba(every).shape


def test_the_served_model_learns_from_every_labelled_row(tiny_csv, tiny_data, tmp_path):
    args = search_args(tiny_csv, "--trials", "2", "--max-epochs", "1", "--experiment", "r")
    out = run_cli("jobsearch.random", *args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = sum(len(tiny_data.labels[p]) for p in PARTS)
    learned = f"train+val+test ({rows:,} rows)"
    assert f"it learned from {learned}" in out.stdout
    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    client = MlflowClient(uri)
    version = client.get_model_version_by_alias("r", "champion")
    assert version.tags["learned_from"] == learned
    assert "before the refit" in version.tags["test_figures"]
    parent = client.get_run(version.tags["search_run_id"])
    assert parent.data.metrics["refit_seconds"] > 0 and parent.data.params["refit"] == "all"
    # tokenisation was fitted on every row: words seen only in validation or test are known
    mlflow.set_tracking_uri(uri)
    try:
        served = mlflow.pyfunc.load_model("models:/r@champion").unwrap_python_model()
    finally:
        mlflow.set_tracking_uri(None)
    assert served.vocabulary == tiny_data.merged(PARTS).vocabulary
    assert set(tiny_data.vocabulary) < set(served.vocabulary)
