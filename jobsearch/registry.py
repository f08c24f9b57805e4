"""Log a search's best model as a raw-text pyfunc, register it, and move ``@champion`` fairly."""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

CHAMPION = "champion"


def _requirements() -> list[str]:
    names = ("tensorflow", "keras", "mlflow", "numpy", "pandas", "scikit-learn", "pyyaml")
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def log_pyfunc(run_id: str, params: dict, data, weights: Path, tracking_uri: str):
    """Log the pyfunc model (weights, vocabulary, labels) under ``run_id``; return its info."""
    import mlflow
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    from .serving import IndustryClassifier, top_industries

    mlflow.set_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("mlflow.pyfunc").setLevel(logging.ERROR)
        meta = Path(tmp) / "meta.json"
        meta.write_text(
            json.dumps({"params": params, "classes": data.classes, "vocabulary": data.vocabulary}),
            encoding="utf-8",
        )
        example = list(data.split.texts["val"][:2])
        probs = np.full((2, len(data.classes)), 1.0 / len(data.classes), dtype=np.float32)
        # An unnamed string column: a DataFrame with one text column or a list of strings.
        signature = ModelSignature(
            inputs=Schema([ColSpec("string")]),
            outputs=infer_signature(example, top_industries(probs, data.classes)).outputs,
        )
        with mlflow.start_run(run_id=run_id):
            return mlflow.pyfunc.log_model(
                name="model",
                python_model=IndustryClassifier(),
                artifacts={"weights": str(weights), "meta": str(meta)},
                signature=signature,
                input_example=example,
                pip_requirements=_requirements(),
            )


def _champion_objective(client, name: str, objective: str, data) -> float | None:
    """The current champion's objective on ``data``'s validation split (None if no champion)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from .training import objective_value

    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    tags = version.tags
    if tags.get("data.fingerprint") == data.fingerprint and "val_objective" in tags:
        return float(tags["val_objective"])
    model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
    probs = model.unwrap_python_model().predict_proba(data.split.texts["val"])
    champion_classes = model.unwrap_python_model().classes
    index = {c: i for i, c in enumerate(champion_classes)}
    # Map our labels into the champion's label space; unknown labels can never be right.
    y = np.array([index.get(c, -1) for c in np.asarray(data.classes)[data.labels["val"]]])
    pred = probs.argmax(axis=1)
    from sklearn.metrics import f1_score

    metrics = {
        "accuracy": float((pred == y).mean()),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "loss": float(-np.log(np.clip(probs[np.arange(len(y)), np.maximum(y, 0)], 1e-7, 1)).mean()),
    }
    return objective_value(objective, metrics)


def register(
    client, name: str, model_uri: str, objective: str, value: float, data, tags: dict[str, Any]
) -> tuple[str, bool]:
    """Register ``model_uri`` as a new version of ``name``; make it champion only if better."""
    import mlflow

    current = _champion_objective(client, name, objective, data)
    version = mlflow.register_model(
        model_uri,
        name,
        tags={
            **{k: str(v) for k, v in tags.items()},
            "objective": objective,
            "val_objective": repr(value),
            "data.fingerprint": data.fingerprint,
        },
    )
    promoted = current is None or value < current
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    client.set_model_version_tag(name, version.version, "champion_at_registration", promoted)
    return version.version, promoted


def log_and_register(search, parent) -> str:
    """Log the best trial's model to the search's parent run and register it."""
    cfg, best = search.cfg, search.state.best
    info = log_pyfunc(
        parent.run_id, best["params"], search.data, search.workdir / "best.weights.h5", search.uri
    )
    objective = best["params"]["objective"]
    version, promoted = register(
        search.client,
        cfg.model_name or cfg.experiment,
        info.model_uri,
        objective,
        best["loss"],
        search.data,
        {
            "search_run_id": parent.run_id,
            "trial_run_id": best["run_id"],
            "trial": best["tid"] + 1,
            "val_accuracy": best["val_accuracy"],
            "val_macro_f1": best["val_macro_f1"],
            "test_accuracy": best["test_accuracy"],
            "test_macro_f1": best["test_macro_f1"],
        },
    )
    name = cfg.model_name or cfg.experiment
    state = "now @champion" if promoted else "champion unchanged (not better)"
    return f"models:/{name}/{version} ({state}); use models:/{name}@{CHAMPION}"
