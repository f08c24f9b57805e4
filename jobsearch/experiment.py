"""``run_experiment(params)``: build, train and evaluate one classifier, recorded in MLflow."""

from __future__ import annotations

import gc
import time
import traceback
from pathlib import Path
from typing import Any, Protocol

from .params import flatten_params, resolve_params
from .vectorize import Dataset, prepare_dataset

DEFAULT_EXPERIMENT = "jobsearch"


class Pruner(Protocol):
    def should_prune(self, epoch: int, best_so_far: float) -> bool: ...


def _train_and_evaluate(
    params: dict[str, Any],
    data: Dataset,
    recorder,
    pruner: Pruner | None,
    weights_path: Path | None,
) -> dict[str, Any]:
    import keras

    from .device import device_info
    from .embeddings import initial_vectors
    from .model import build_model, compile_model, cudnn_compatible
    from .training import classification_metrics, fit, objective_value, predict_proba

    timings: dict[str, float] = {}
    on_gpu = device_info()["device_type"] == "GPU"
    mixed = params["mixed_precision"] == "on" or (params["mixed_precision"] == "auto" and on_gpu)
    keras.utils.set_random_seed(params["seed"])
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    try:
        t = time.perf_counter()
        vectors = initial_vectors(
            data, params["embedding_init"], params["embedding_dim"], params["seed"]
        )
        model = build_model(params, len(data.vocabulary), len(data.classes), vectors)
        compile_model(model, params)
        timings["build_seconds"] = time.perf_counter() - t

        timings["epoch_logging_seconds"] = 0.0

        def on_epoch(step: int, metrics: dict[str, float]) -> None:
            if recorder is not None:
                t = time.perf_counter()
                recorder.log(metrics=metrics, step=step)
                timings["epoch_logging_seconds"] += time.perf_counter() - t

        prune = pruner.should_prune if pruner is not None else None
        outcome = fit(model, data, params, on_epoch, prune)
        timings["fit_seconds"] = outcome.fit_seconds

        t = time.perf_counter()
        scores: dict[str, float] = {}
        test_pred = None
        for part in ("train", "val", "test"):
            probs = predict_proba(model, data.padded(part, params["max_len"], params["padding"]))
            for key, value in classification_metrics(data.labels[part], probs).items():
                scores[f"{part}_{key}"] = value
            if part == "test":
                test_pred = probs.argmax(axis=1).astype(int).tolist()
        if weights_path is not None:
            Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
            model.save_weights(str(weights_path))
        timings["evaluate_seconds"] = time.perf_counter() - t
    finally:
        keras.mixed_precision.set_global_policy("float32")
    n_train = len(data.labels["train"])
    val = {k[4:]: v for k, v in scores.items() if k.startswith("val_")}
    return {
        "loss": objective_value(params["objective"], val),
        **scores,
        "epochs": outcome.epochs,
        "best_epoch": outcome.best_epoch,
        "pruned": outcome.pruned,
        "curve": outcome.curve,
        "seconds_per_epoch": outcome.fit_seconds / max(outcome.epochs, 1),
        "examples_per_second": n_train * outcome.epochs / max(outcome.fit_seconds, 1e-9),
        **timings,
        "cudnn": bool(on_gpu and cudnn_compatible(params)),
        "mixed_precision": mixed,
        "n_params": int(model.count_params()),
        "test_predictions": test_pred,
    }


def _freeze_imports() -> None:
    """Move the objects of already-imported libraries out of the collector's view, once.

    TensorFlow and Keras leave hundreds of thousands of long-lived objects; with them frozen, the
    collection after each trial takes a few milliseconds instead of half a second.
    """
    global _FROZEN
    if not _FROZEN:
        import keras  # noqa: F401  (imported here so its objects are frozen too)

        gc.collect()
        gc.freeze()
        _FROZEN = True


_FROZEN = False


def run_experiment(
    params: dict[str, Any] | None = None,
    *,
    data: Dataset | None = None,
    tracking_uri: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
    parent_run_id: str | None = None,
    run_name: str | None = None,
    pruner: Pruner | None = None,
    weights_path: str | Path | None = None,
    track: bool = True,
) -> dict[str, Any]:
    """Build, train and evaluate one LSTM classifier; return a hyperopt result dict.

    ``params`` are merged over the defaults in :mod:`jobsearch.params` (unknown names raise
    ParamError). Without ``data`` the bundled demo set is used; without ``tracking_uri`` the
    default store (``MLFLOW_TRACKING_URI`` or ``./mlruns``). ``loss`` is the objective to
    minimise and ``status`` is ``"ok"`` or ``"fail"``; a failing trial never raises.
    """
    from .device import device_info, library_versions
    from .tracking import RunRecorder, get_client

    params = resolve_params(params)
    _freeze_imports()
    started = time.perf_counter()
    if data is None:
        data = prepare_dataset()
    recorder = None
    if track:
        recorder = RunRecorder(
            get_client(tracking_uri),
            experiment,
            run_name=run_name,
            parent_run_id=parent_run_id,
            tags={
                "jobsearch.kind": "trial",
                "data.fingerprint": data.fingerprint,
                **{f"version.{k}": v for k, v in library_versions().items()},
            },
        )
        recorder.log(
            params={
                **flatten_params(params),
                "data.source": data.summary.get("source"),
                "data.n_classes": len(data.classes),
                "data.n_train": len(data.labels["train"]),
            }
        )
    result: dict[str, Any] = {
        "params": params,
        "run_id": recorder.run_id if recorder else None,
        **device_info(),
    }
    try:
        result.update(_train_and_evaluate(params, data, recorder, pruner, weights_path))
        result["status"] = "ok"
    except KeyboardInterrupt:
        if recorder is not None:
            recorder.log(tags={"jobsearch.status": "killed"})
            recorder.finish("KILLED")
        raise
    except Exception as exc:  # a failed trial must never take the search down
        reason = (
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        )
        result.update(status="fail", loss=None, error=reason, traceback=traceback.format_exc())
    finally:
        import keras

        # Young generations only: the trial's garbage is young, and a full collection (which
        # Python still runs on its own schedule) costs a quarter second per trial.
        keras.backend.clear_session(free_memory=False)
        gc.collect(1)
    result["data_prep_seconds"] = data.prep_seconds
    result["total_seconds"] = time.perf_counter() - started
    if recorder is not None:
        _record(recorder, result, data)
    return result


def _record(recorder, result: dict[str, Any], data: Dataset) -> None:
    """Final metrics, tags and the dataset summary; FAILED for a failed trial."""
    numeric = {
        k: v
        for k, v in result.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "loss"
    }
    if result.get("loss") is not None:
        numeric["objective"] = result["loss"]
    tags = {
        "jobsearch.status": "pruned" if result.get("pruned") else result["status"],
        "device": result.get("device"),
        "device_type": result.get("device_type"),
        "cudnn": result.get("cudnn"),
        "mixed_precision": result.get("mixed_precision"),
    }
    if result["status"] == "fail":
        tags["error"] = result["error"]
    recorder.log(metrics=numeric, tags={k: v for k, v in tags.items() if v is not None})
    recorder.log_dict(data.summary, "dataset_summary.json")
    recorder.finish("FINISHED" if result["status"] == "ok" else "FAILED")
