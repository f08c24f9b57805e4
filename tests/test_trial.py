"""run_experiment end to end on tiny data with a real MLflow store."""

from __future__ import annotations

import gc
import os
import resource
import sys
from collections import Counter
from pathlib import Path

import pytest
from mlflow import MlflowClient

from jobsearch import run_experiment

TINY = {"embedding_dim": 8, "lstm_units": 8, "max_len": 24, "max_epochs": 2, "batch_size": 64}


def test_result_fields_and_mlflow_run(tiny_data, store):
    result = run_experiment(
        {**TINY, "top_k": 16, "dense_layers": [{"units": 8}]},
        data=tiny_data,
        tracking_uri=store,
        experiment="t",
    )
    assert result.status == "ok"
    for key in (
        "val_accuracy",
        "val_macro_f1",
        "test_accuracy",
        "test_macro_f1",
        "epochs",
        "fit_seconds",
        "seconds_per_epoch",
        "examples_per_second",
        "device",
        "run_id",
    ):
        assert getattr(result, key) not in (None, ""), key
    assert result.loss == pytest.approx(-result.val_accuracy)
    assert 0 <= result.val_accuracy <= 1 and result.epochs >= 1
    # each epoch's end is timed inside the fit (what benchmarks/time_to_quality.py replays)
    seconds = result.curve_seconds
    assert len(seconds) == len(result.curve) == result.epochs
    assert seconds[0] > 0 and seconds == sorted(seconds) and seconds[-1] <= result.fit_seconds
    client = MlflowClient(store)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["top_k"] == "16" and run.data.params["dense_layers.0.units"] == "8"
    assert run.data.params["dense_layers.2.units"] == "none"
    assert run.data.tags["device_type"] in ("CPU", "GPU")
    assert run.data.tags["version.tensorflow"].startswith("2.")
    history = client.get_metric_history(result.run_id, "epoch/val_accuracy")
    assert [m.step for m in history] == list(range(1, result.epochs + 1))
    # the runs table's val_accuracy is the kept weights' (the best epoch), not the last epoch's
    assert run.data.metrics["val_accuracy"] == pytest.approx(result.val_accuracy)
    assert result.val_accuracy == pytest.approx(max(m.value for m in history))
    # the logged training loss is the ordinary cross-entropy, not the top-k figure
    assert "train_loss" in run.data.metrics and "top_16_loss" not in run.data.metrics
    assert run.data.metrics["test_accuracy"] == pytest.approx(result.test_accuracy)
    artifacts = [a.path for a in client.list_artifacts(result.run_id)]
    assert "dataset_summary.json" in artifacts


def test_other_objectives(tiny_data):
    f1 = run_experiment(
        {**TINY, "max_epochs": 1}, data=tiny_data, objective="macro_f1", track=False
    )
    assert f1.loss == pytest.approx(-f1.val_macro_f1)
    loss = run_experiment({**TINY, "max_epochs": 1}, data=tiny_data, objective="loss", track=False)
    assert loss.loss == pytest.approx(loss.val_loss)
    hyperopt = loss.as_hyperopt()
    assert hyperopt["status"] == "ok" and hyperopt["loss"] == loss.loss


def test_objective_is_a_search_setting_not_a_param(tiny_data):
    from jobsearch import ParamError

    with pytest.raises(ParamError, match="unknown param 'objective'"):
        run_experiment({"objective": "loss"}, data=tiny_data, track=False)
    with pytest.raises(ParamError, match="objective='f1' is invalid: must be one of accuracy"):
        run_experiment({}, data=tiny_data, objective="f1", track=False)


def test_failing_trial_is_reported_not_raised(tiny_data, store, tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("nurse 0.1 0.2 0.3\n")
    result = run_experiment(
        {**TINY, "embedding_init": str(vectors)}, data=tiny_data, tracking_uri=store, experiment="t"
    )
    assert result.status == "fail"
    assert "embedding_dim=8" in result.error
    run = MlflowClient(store).get_run(result.run_id)
    assert run.info.status == "FAILED" and "embedding_dim=8" in run.data.tags["error"]


def test_ppmi_and_vector_file_initialisation(tiny_data, tmp_path):
    vectors = tmp_path / "glove.txt"
    vectors.write_text(
        "".join(f"{w} " + " ".join(["0.5"] * 8) + "\n" for w in tiny_data.vocabulary[2:20])
    )
    for init in ("ppmi", str(vectors)):
        result = run_experiment(
            {**TINY, "max_epochs": 1, "embedding_init": init, "embedding_trainable": False},
            data=tiny_data,
            track=False,
        )
        assert result.status == "ok", result.error
    assert list(tiny_data.cache_dir.glob(f"ppmi-{tiny_data.fingerprint}-8.npy"))


def test_unknown_param_raises_before_training(tiny_data):
    from jobsearch import ParamError

    with pytest.raises(ParamError, match="known params"):
        run_experiment({"units": 3}, data=tiny_data, track=False)


def test_twenty_trials_in_one_process_do_not_leak(tiny_data):
    def rss_mb() -> float:
        """Resident memory now, after a collection: what a leak grows. (The peak, ru_maxrss,
        also moves with one large passing allocation, and this process runs in-process
        searches of other tests before.)"""
        gc.collect()
        statm = Path("/proc/self/statm")
        if statm.exists():
            return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, else KiB
        return peak / (2**20 if sys.platform == "darwin" else 2**10)

    for i in range(20):
        result = run_experiment(
            {**TINY, "max_epochs": 1, "seed": i, "lstm_units": 4 + i % 3},
            data=tiny_data,
            track=False,
        )
        assert result.status == "ok"
        if i == 4:
            after_warmup = rss_mb()
    assert rss_mb() - after_warmup < 200


def test_quality_levers_train_log_and_serve(tiny_data, store, tmp_path):
    """Every model lever of the quality work, in one trial: trained, logged and served."""
    import mlflow
    import numpy as np

    from jobsearch.tracking.registry import log_pyfunc

    params = {
        **TINY,
        "max_len": "p90",
        "truncate": "head_tail",
        "ngrams": 2,
        "ngram_dim": 8,
        "ngram_buckets": 1000,
        "class_weight": "balanced",
        "top_k": 32,
        "top_k_weight": 0.5,
        "top_k_warmup": 1,
        "lr_schedule": "cosine",
        "clipnorm": 1.0,
    }
    weights = tmp_path / "w.weights.h5"
    result = run_experiment(
        params, tiny_data, tracking_uri=store, experiment="levers", weights_path=weights
    )
    assert result.ok, result.error
    assert result.params["max_len"] == tiny_data.length_at("p90")
    logged = MlflowClient(store).get_run(result.run_id).data.params
    for key in ("ngrams", "truncate", "class_weight", "top_k_weight", "lr_schedule", "clipnorm"):
        assert logged[key] == str(result.params[key]), key
    assert logged["max_len"] == str(tiny_data.length_at("p90"))
    info = log_pyfunc(result.run_id, [(result.params, 1.0, weights)], tiny_data, store)
    mlflow.set_tracking_uri(store)
    served = mlflow.pyfunc.load_model(info.model_uri)
    predicted = served.predict(tiny_data.split.texts["val"])["industry"].to_numpy()
    truth = np.asarray(tiny_data.classes)[tiny_data.labels["val"]]
    assert float((predicted == truth).mean()) == pytest.approx(result.val_accuracy, abs=1e-6)


def test_served_ensemble_is_the_weighted_average_of_its_members(tiny_data, store, tmp_path):
    """Two LSTMs and a pickled TF-IDF LinearSVC, weighted 2:1:1, served on raw text."""
    import pickle

    import mlflow
    import numpy as np

    from jobsearch.baseline import fit_baselines
    from jobsearch.tracking.registry import log_pyfunc

    members = []
    for seed, (extra, weight) in enumerate([({"ngrams": 0}, 2.0), ({"ngrams": 2}, 1.0)]):
        path = tmp_path / f"m{seed}.weights.h5"
        result = run_experiment(
            {**TINY, **extra, "max_epochs": 1, "seed": seed},
            tiny_data,
            track=False,
            weights_path=path,
        )
        assert result.ok, result.error
        members.append((result.params, weight, path, result.probabilities["val"]))
    svc = next(b for b in fit_baselines(tiny_data) if b.model == "linear_svc").fitted
    # a word seen in one training text only is a feature (no min_df: rare words are signal)
    analyse = svc.vectorizers[0].build_analyzer()
    seen = Counter(w for t in tiny_data.split.texts["train"] for w in set(analyse(t)))
    once = [w for w, n in seen.items() if n == 1]
    assert once and set(once) <= set(svc.vectorizers[0].vocabulary_)
    path = tmp_path / "svc.pkl"
    path.write_bytes(pickle.dumps(svc))
    svc_val = svc.predict_proba(tiny_data.split.texts["val"])
    members.append((None, 1.0, path, svc_val))
    run = MlflowClient(store).create_run(
        MlflowClient(store).create_experiment("ens", artifact_location=(tmp_path / "a").as_uri())
    )
    info = log_pyfunc(run.info.run_id, [m[:3] for m in members], tiny_data, store)
    mlflow.set_tracking_uri(store)
    served = mlflow.pyfunc.load_model(info.model_uri).unwrap_python_model()
    expected = (2 * members[0][3] + members[1][3] + svc_val) / 4
    got = served.predict_proba(tiny_data.split.texts["val"])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, (2 * members[0][3] + members[1][3]) / 3, atol=1e-3)
