"""The refit: the served model learns from every labelled row, with nothing chosen anew."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from conftest import SMOKE, run_cli, search_args
from mlflow import MlflowClient

from jobsearch.baseline import LinearModel
from jobsearch.model.build import build_model, compile_model
from jobsearch.model.train import fit
from jobsearch.params import resolve_params
from jobsearch.search.refit import refit_epochs

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


@pytest.mark.parametrize(
    ("kept", "share", "epochs"),
    [(5, 0.7, 4), (3, 0.7, 2), (6, 0.7, 4), (1, 0.7, 1), (4, 1.0, 4), (3, 0.7 / 0.85, 2)],
)
def test_an_lstm_refit_makes_as_many_updates_as_its_trial(kept, share, epochs):
    # share: the trial's training rows over the refit's (0.7 refit on all of a 70/15/15 split)
    assert refit_epochs(kept, share) == epochs


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


def test_no_test_row_influences_a_choice(tiny_data, tmp_path):
    """The same search on the same rows, but with other texts and other labels in the test
    split, chooses the same: each trial's epochs and validation figures, the baselines' C and
    temperature, the ensemble's members and weights. Only the test figures move."""
    from jobsearch.data.load import Split
    from jobsearch.data.tokens import vectorize
    from jobsearch.search.run import SearchConfig, execute
    from jobsearch.search.space import load_space

    split, n = tiny_data.split, len(tiny_data.labels["test"])
    texts = {**split.texts, "test": split.texts["train"][::-1][:n]}
    labels = {**split.labels, "test": (split.labels["test"] + 1) % len(split.classes)}
    other = vectorize(Split(texts, labels, split.classes, split.summary), cache_dir=tmp_path)

    def search(data, name: str) -> dict:
        cfg = SearchConfig(
            algo="random",
            space=load_space(SMOKE),
            trials=3,
            experiment="leak",
            tracking_uri=f"sqlite:///{tmp_path / name / 'mlflow.db'}",
            state_dir=tmp_path / name,
            register=False,
            show_progress=False,
        )
        return execute(cfg, data)

    def chosen(summary: dict) -> tuple:
        best, ensemble = summary["best"], summary["ensemble"] or {}
        baselines = {
            name: {k: v for k, v in b.items() if k.startswith("val_")}
            for name, b in summary["baselines"].items()
        }
        val = {k: v for k, v in best.items() if k.startswith("val_")}
        return best["tid"], best["best_epoch"], val, baselines, ensemble.get("members")

    a, b = search(tiny_data, "a"), search(other, "b")
    assert a["ensemble"] is not None  # weights were chosen, so they can be compared
    assert chosen(a) == chosen(b)
    assert a["best"]["test_accuracy"] != b["best"]["test_accuracy"]
