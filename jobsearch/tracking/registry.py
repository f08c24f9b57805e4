"""Log a search's best model as a raw-text pyfunc, register it, and move ``@champion`` fairly."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..device import STACK, package_version
from ..model.metrics import classification_metrics, objective_value, score
from ..util import fault_point
from .mlflow import FINGERPRINT

CHAMPION = "champion"
_SERVED_NEEDS = [n for n in STACK if n != "hyperopt"]


class RegistryError(ValueError):
    """A registered-model name MLflow would refuse (one line for the user)."""


def check_model_name(name: str) -> None:
    """MLflow's rule for registered-model names, checked before any training."""
    if not name.strip() or any(c in name for c in "/:"):
        raise RegistryError(
            f"model name {name!r} is invalid: it must be non-empty and contain neither '/' "
            "nor ':' (pass --model-name)"
        )


def _requirements() -> list[str]:
    """Pinned requirements of the served model (this environment's versions)."""
    return [f"{n}=={package_version(n)}" if package_version(n) else n for n in _SERVED_NEEDS]


# params (None for a pickled TF-IDF baseline), weight in the average, weights or model file
Member = tuple[dict[str, Any] | None, float, Path]


def describe(members: list[Member], data) -> dict[str, Any]:
    """The served model's ``meta.json``: each member (its params and n-gram table size, or
    LINEAR for a pickled baseline), its weight and artifact name (``weights_<i>``), and the
    classes and vocabulary of ``data``, the rows it learned from."""
    from ..data.tokens import has_bag
    from .serving import LINEAR

    described = [
        {"kind": LINEAR, "weight": float(weight), "artifact": f"weights_{i}"}
        if params is None
        else {
            "params": params,
            "weight": float(weight),
            "artifact": f"weights_{i}",
            "ngram_rows": data.ngram_table(params).size if has_bag(params) else None,
        }
        for i, (params, weight, _) in enumerate(members)
    ]
    return {"members": described, "classes": data.classes, "vocabulary": data.vocabulary}


def log_pyfunc(run_id: str, members: list[Member], data, tracking_uri: str):
    """Log the raw-text pyfunc (one model, or the weighted average of several: trained LSTMs and
    pickled TF-IDF baselines) under ``run_id``; return its model info."""
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    from .serving import IndustryClassifier, top_industries

    mlflow.set_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("mlflow.pyfunc").setLevel(logging.ERROR)
        meta = Path(tmp) / "meta.json"
        meta.write_text(json.dumps(describe(members, data)), encoding="utf-8")
        artifacts = {"meta": str(meta)}
        artifacts.update({f"weights_{i}": str(m[2]) for i, m in enumerate(members)})
        example = list(data.split.texts["train"][:2])
        probs = np.full((2, len(data.classes)), 1.0 / len(data.classes), dtype=np.float32)
        # Written out, not inferred: MLflow's inference probes for a Spark DataFrame, and that
        # import of pyspark's connect module exits the process where __main__ has no file
        # (``python -c``). Input: an unnamed string column (a text column or a list of strings).
        output = top_industries(probs, data.classes)
        signature = ModelSignature(
            inputs=Schema([ColSpec("string")]),
            outputs=Schema(
                [
                    ColSpec("double" if kind.kind == "f" else "string", name)
                    for name, kind in output.dtypes.items()
                ]
            ),
        )
        with mlflow.start_run(run_id=run_id):
            return mlflow.pyfunc.log_model(
                name="model",
                python_model=IndustryClassifier(),
                artifacts=artifacts,
                signature=signature,
                input_example=example,
                pip_requirements=_requirements(),
            )


def _champion_objective(client, name: str, objective: str, data) -> float | None:
    """The current champion's objective on ``data``'s validation split (None if no champion)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    tags = version.tags
    same_data = tags.get(FINGERPRINT) == data.fingerprint
    if same_data and tags.get("objective") == objective and "val_score" in tags:
        return score(objective, float(tags["val_score"]))  # a score reads back as its loss
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
    except ValueError:  # logged by an older jobsearch that this one cannot rebuild: it cannot
        return None  # serve here either, so the newcomer takes the alias
    probs = model.unwrap_python_model().predict_proba(data.split.texts["val"])
    champion_classes = model.unwrap_python_model().classes
    index = {c: i for i, c in enumerate(champion_classes)}
    # Map our labels into the champion's label space; unknown labels can never be right.
    y = np.array([index.get(c, -1) for c in np.asarray(data.classes)[data.labels["val"]]])
    return objective_value(objective, classification_metrics(y, probs))


def register(
    client, name: str, model_uri: str, objective: str, value: float, data, tags: dict[str, Any]
) -> tuple[str, bool]:
    """Register ``model_uri`` as a new version of ``name``; make it champion only if better."""
    import mlflow

    current = _champion_objective(client, name, objective, data)
    with contextlib.redirect_stderr(io.StringIO()):  # MLflow prints what our line says
        version = mlflow.register_model(
            model_uri,
            name,
            tags={
                **{k: str(v) for k, v in tags.items()},
                "objective": objective,
                "val_score": repr(score(objective, value)),
                FINGERPRINT: data.fingerprint,
            },
        )
    promoted = current is None or value < current
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    client.set_model_version_tag(name, version.version, "champion_at_registration", promoted)
    return version.version, promoted


def log_and_register(
    client,
    tracking_uri: str,
    name: str,
    parent_run_id: str,
    members: list[Member],
    objective: str,
    value: float,
    data,
    tags: dict[str, Any],
    learned_from=None,
) -> str:
    """Log the model to the search's parent run and register it; a line for the user.
    ``learned_from`` is the data the members were trained on (their vocabulary and classes),
    when not ``data`` (the search's, which the champion is compared on)."""
    info = log_pyfunc(parent_run_id, members, learned_from or data, tracking_uri)
    fault_point("register")
    version, promoted = register(client, name, info.model_uri, objective, value, data, tags)
    state = "now @champion" if promoted else "champion unchanged (not better)"
    return f"models:/{name}/{version} ({state}); use models:/{name}@{CHAMPION}"


class ModelLoadError(RuntimeError):
    """A model URI that does not resolve to a loadable model (one line for the user)."""


def load_model(uri: str, tracking_uri: str | None = None):
    """Load a logged or registered pyfunc model; ModelLoadError names the URI on failure."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from ..util import first_line, redact
    from .mlflow import quiet_logs, resolve_tracking_uri, sqlite_path

    quiet_logs()
    tracking_uri = resolve_tracking_uri(tracking_uri)
    db = sqlite_path(tracking_uri)
    if db is not None and not db.is_file():
        raise ModelLoadError(
            f"cannot load model {uri!r}: no MLflow store at {db} (run a search in this folder "
            "first, or pass --tracking-uri)"
        )
    mlflow.set_tracking_uri(tracking_uri)
    try:
        return mlflow.pyfunc.load_model(uri)
    except ImportError as exc:  # e.g. s3:// without boto3
        raise ModelLoadError(
            f"cannot load model {redact(uri)!r}: {first_line(exc)} (a package this URI's "
            "scheme needs; install it)"
        ) from None
    except (MlflowException, OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load model {redact(uri)!r}: {first_line(exc)}") from None
