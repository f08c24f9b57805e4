"""The linear baselines every search is compared with, fitted as a careful user would:
TF-IDF features, LinearSVC and logistic regression, C chosen on the validation split.

Library only; ``python -m jobsearch.baseline`` runs :mod:`jobsearch.cli.baseline`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import Dataset
from ..model.metrics import classification_metrics, full_probs

# Candidates tried on the validation split: (model, features) -> values of C.
GRID: dict[tuple[str, str], tuple[float, ...]] = {
    ("linear_svc", "word"): (0.1, 0.3, 1.0, 3.0),
    ("linear_svc", "word+char"): (0.1, 0.3, 1.0, 3.0),
    ("logistic_regression", "word"): (3.0, 30.0),
}
NAMES = {"linear_svc": "TF-IDF + LinearSVC", "logistic_regression": "TF-IDF + logistic regression"}


@dataclass
class Baseline:
    """One fitted baseline: its model kind, the settings chosen on validation, its metrics."""

    model: str
    settings: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return NAMES[self.model]


def _features(kind: str, texts: dict[str, list[str]]):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizers = [TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)]
    if kind == "word+char":
        vectorizers.append(
            TfidfVectorizer(
                sublinear_tf=True,
                analyzer="char_wb",
                ngram_range=(2, 5),
                min_df=2,
                max_features=2**18,
            )
        )
    fitted = [_fit(v, texts["train"]) for v in vectorizers]
    return {part: hstack([v.transform(t) for v in fitted]).tocsr() for part, t in texts.items()}


def _fit(vectorizer, train: list[str]):
    """Fit on the training texts; keep terms seen once when no term is seen twice."""
    from ..data import DataError

    try:
        return vectorizer.fit(train)
    except ValueError:
        try:
            return vectorizer.set_params(min_df=1).fit(train)
        except ValueError:
            raise DataError("the training texts hold no terms for the TF-IDF baseline") from None


def _scores(model, x) -> np.ndarray:
    """Class probabilities (logistic regression) or softmaxed margins (LinearSVC)."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(x)
    margins = model.decision_function(x)
    margins = margins.reshape(len(margins), -1)
    e = np.exp(margins - margins.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def fit_baselines(data: Dataset) -> list[Baseline]:
    """LinearSVC and logistic regression, each with the features and C best on validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    texts = {p: data.split.texts[p] for p in ("train", "val", "test")}
    features = {kind: _features(kind, texts) for kind in sorted({f for _, f in GRID})}
    y = data.labels
    best: dict[str, tuple[float, Baseline, Any]] = {}
    for (model, kind), values in GRID.items():
        x = features[kind]
        for c in values:
            start = time.perf_counter()
            if model == "linear_svc":
                fitted = LinearSVC(C=c).fit(x["train"], y["train"])
            else:
                fitted = LogisticRegression(C=c, max_iter=3000).fit(x["train"], y["train"])
            seconds = time.perf_counter() - start
            val = float((fitted.predict(x["val"]) == y["val"]).mean())
            if model not in best or val > best[model][0]:
                settings = {"features": kind, "ngram_range": "1-2", "C": c, "sublinear_tf": True}
                chosen = Baseline(model, settings, {"fit_seconds": seconds})
                best[model] = (val, chosen, (fitted, x))
    results = []
    for model in ("linear_svc", "logistic_regression"):
        _, chosen, (fitted, x) = best[model]
        for part in ("train", "val", "test"):
            probs = full_probs(_scores(fitted, x[part]), fitted.classes_, len(data.classes))
            for key, value in classification_metrics(y[part], probs).items():
                chosen.metrics[f"{part}_{key}"] = value
        results.append(chosen)
    return results


def run_baselines(
    data: Dataset, tracking_uri: str | None = None, experiment: str = "jobsearch"
) -> list[Baseline]:
    """Fit the baselines and record each as a run (same metric names as the trials)."""
    from ..tracking.mlflow import get_client, log_baseline_run

    baselines = fit_baselines(data)
    client = get_client(tracking_uri)
    for b in baselines:
        b.metrics["run_id"] = log_baseline_run(
            client, experiment, data, b.model, b.metrics, {"model": b.model, **b.settings}
        )
    return baselines
