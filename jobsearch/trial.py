"""``run_experiment(params)``: build, train and evaluate one classifier; a typed result.

Tracking is a recorder passed in (MLflow by default, see ``jobsearch.tracking``); nothing here
calls MLflow or hyperopt directly.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .data import Dataset, prepare_dataset
from .data.tokens import has_bag
from .model.metrics import OBJECTIVES, objective_value
from .params import ParamError, resolve_params
from .util import fault_point, first_line

DEFAULT_EXPERIMENT = "jobsearch"
SPLITS = ("train", "val", "test")


class Pruner(Protocol):
    def should_prune(self, epoch: int, best_so_far: float) -> bool: ...


@dataclass
class TrialResult:
    """What one trial did. ``loss`` is the objective to minimise; ``status`` "ok" or "fail"."""

    params: dict[str, Any]
    objective: str = "accuracy"
    status: str = "ok"
    loss: float | None = None
    error: str | None = None
    traceback: str | None = None
    run_id: str | None = None
    train_loss: float | None = None
    train_accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    val_macro_f1: float | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    epochs: int = 0
    best_epoch: int = 0
    pruned: bool = False
    curve: list[float] = field(default_factory=list)
    curve_seconds: list[float] = field(default_factory=list)
    n_params: int = 0
    device: str = ""
    device_type: str = ""
    backend: str = ""
    cudnn: bool = False
    mixed_precision: bool = False
    data_prep_seconds: float = 0.0
    build_seconds: float = 0.0
    fit_seconds: float = 0.0
    evaluate_seconds: float = 0.0
    epoch_logging_seconds: float = 0.0
    save_seconds: float = 0.0
    total_seconds: float = 0.0
    seconds_per_epoch: float = 0.0
    examples_per_second: float = 0.0
    probabilities: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def test_predictions(self) -> list[int] | None:
        """The predicted class of each test posting (None for a failed trial)."""
        if not self.probabilities:
            return None
        return self.probabilities["test"].argmax(axis=1).astype(int).tolist()

    def numbers(self) -> dict[str, float]:
        """Every numeric field (the run's final metrics), without ``loss``."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.type in ("float", "int", "float | None")
            and f.name != "loss"
            and getattr(self, f.name) is not None
        }

    def as_hyperopt(self) -> dict[str, Any]:
        """The dict an ``fmin`` objective returns: ``loss``, ``status`` and the rest."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "probabilities"
        }


class Recorder(Protocol):
    """Where a trial is recorded (an MLflow run, see ``jobsearch.tracking.mlflow``)."""

    run_id: str | None

    def start(self, params: dict[str, Any], data: Dataset, objective: str) -> None: ...

    def log_epoch(self, step: int, metrics: dict[str, float]) -> None: ...

    def finish(self, result: TrialResult, data: Dataset) -> None: ...

    def kill(self) -> None: ...


def _mixed_precision(params: dict[str, Any]) -> bool:
    """'on', or 'auto' on a GPU under TensorFlow (JAX's LSTM fails in float16 and PyTorch's
    is slower in it, measured on an H200 with Keras 3.15)."""
    from .device import device_info

    device = device_info()
    auto = device["device_type"] == "GPU" and device["backend"] == "tensorflow"
    return params["mixed_precision"] == "on" or (params["mixed_precision"] == "auto" and auto)


def _compiled(params: dict[str, Any], data: Dataset):
    """The model ``params`` describe for ``data``, compiled for its training split, and the
    top-k switch (see ``compile_model``)."""
    from .model.build import build_model, compile_model
    from .model.embeddings import initial_vectors
    from .model.losses import balanced_class_weights

    vectors = initial_vectors(
        data, params["embedding_init"], params["embedding_dim"], params["seed"]
    )
    table = data.ngram_table(params) if has_bag(params) else None
    model = build_model(params, len(data.vocabulary), len(data.classes), vectors, table)
    labels = data.labels["train"]
    weights = None
    if params["class_weight"] == "balanced":
        weights = balanced_class_weights(labels, len(data.classes))
    steps = -(-len(labels) // params["batch_size"])
    return model, compile_model(model, params, steps, weights)


def refit(params: dict[str, Any], data: Dataset, epochs: int, weights_path: Path) -> float:
    """Train the recipe ``params`` on all of ``data``'s training split for ``epochs`` epochs,
    judging none, and save the weights; the seconds it took. The learning-rate schedule is the
    trial's (``max_epochs`` epochs of this split's steps), stopped where the trial's kept
    weights were."""
    from .model.session import keras_session
    from .model.train import fit

    start = time.perf_counter()
    with keras_session(params["seed"], _mixed_precision(params)):
        model, switch = _compiled(params, data)
        inputs = {"train": data.inputs("train", params)}
        fit(model, inputs, data.labels, params, top_k_switch=switch, epochs=epochs)
        Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(str(weights_path))
    return time.perf_counter() - start


def _train_and_evaluate(
    result: TrialResult,
    data: Dataset,
    recorder: Recorder | None,
    pruner: Pruner | None,
    weights_path: Path | None,
) -> None:
    from .device import device_info
    from .model.build import cudnn_compatible
    from .model.metrics import classification_metrics
    from .model.session import keras_session
    from .model.train import fit, predict_proba

    params = result.params
    on_gpu = device_info()["device_type"] == "GPU"
    mixed = _mixed_precision(params)
    result.mixed_precision = mixed
    result.cudnn = bool(on_gpu and cudnn_compatible(params))
    with keras_session(params["seed"], mixed):
        t = time.perf_counter()
        model, switch = _compiled(params, data)
        result.build_seconds = time.perf_counter() - t
        result.n_params = int(model.count_params())

        def on_epoch(step: int, metrics: dict[str, float]) -> None:
            if recorder is not None:
                t = time.perf_counter()
                recorder.log_epoch(step, metrics)
                result.epoch_logging_seconds += time.perf_counter() - t
            fault_point("epoch")

        prune = pruner.should_prune if pruner is not None else None
        inputs = {part: data.inputs(part, params) for part in SPLITS}
        outcome = fit(model, inputs, data.labels, params, result.objective, on_epoch, prune, switch)
        result.fit_seconds = outcome.fit_seconds
        result.epochs, result.best_epoch = outcome.epochs, outcome.best_epoch
        result.pruned, result.curve = outcome.pruned, outcome.curve
        result.curve_seconds = outcome.curve_seconds

        t = time.perf_counter()
        best = outcome.history[outcome.best_epoch - 1]
        result.train_loss, result.train_accuracy = best["train_loss"], best["train_accuracy"]
        result.probabilities = {
            "val": outcome.val_probabilities,
            "test": predict_proba(model, inputs["test"], params),
        }
        scores = {}
        for part, probs in result.probabilities.items():
            scores[part] = classification_metrics(data.labels[part], probs)
            for key, value in scores[part].items():
                setattr(result, f"{part}_{key}", value)
        result.evaluate_seconds = time.perf_counter() - t
        if weights_path is not None:
            t = time.perf_counter()
            Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
            model.save_weights(str(weights_path))
            result.save_seconds = time.perf_counter() - t
    result.loss = objective_value(result.objective, scores["val"])
    result.seconds_per_epoch = outcome.fit_seconds / max(outcome.epochs, 1)
    n_train = len(data.labels["train"])
    result.examples_per_second = n_train * outcome.epochs / max(outcome.fit_seconds, 1e-9)


def run_experiment(
    params: dict[str, Any] | None = None,
    data: Dataset | None = None,
    *,
    objective: str = "accuracy",
    recorder: Recorder | None = None,
    track: bool = True,
    tracking_uri: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
    pruner: Pruner | None = None,
    weights_path: str | Path | None = None,
) -> TrialResult:
    """Build, train and evaluate one LSTM classifier; a failing trial never raises.

    ``params`` are merged over the defaults in :mod:`jobsearch.params` (unknown names raise
    ParamError). Without ``data`` the bundled demo set is used. ``objective`` (accuracy,
    macro_f1 or loss, on the validation split) sets ``result.loss``. The trial is recorded by
    ``recorder``; without one (and with ``track``) it becomes an MLflow run in ``experiment``
    on ``tracking_uri`` (default: ``MLFLOW_TRACKING_URI`` or ``./mlruns``).
    """
    from .device import device_info
    from .model.session import freeze_imports

    if objective not in OBJECTIVES:
        raise ParamError(
            f"objective={objective!r} is invalid: must be one of {', '.join(OBJECTIVES)}"
        )
    params = resolve_params(params)
    freeze_imports()
    started = time.perf_counter()
    if data is None:
        data = prepare_dataset()
    params = data.resolve_lengths(params)
    if recorder is None and track:
        from .tracking.mlflow import MlflowTrialRecorder

        recorder = MlflowTrialRecorder(tracking_uri, experiment)
    if recorder is not None:
        recorder.start(params, data, objective)
    result = TrialResult(
        params=params,
        objective=objective,
        run_id=recorder.run_id if recorder else None,
        **device_info(),
    )
    try:
        _train_and_evaluate(result, data, recorder, pruner, weights_path)
    except KeyboardInterrupt:
        if recorder is not None:
            recorder.kill()
        raise
    except Exception as exc:  # a failed trial must never take the search down
        result.status, result.loss = "fail", None
        result.error = f"{type(exc).__name__}: {first_line(exc)}"
        result.traceback = traceback.format_exc()
    result.data_prep_seconds = data.prep_seconds
    result.total_seconds = time.perf_counter() - started
    if recorder is not None:
        recorder.finish(result, data)
    return result
