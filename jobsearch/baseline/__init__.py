"""The linear baseline every search is compared with: TF-IDF + logistic regression.

Library only; ``python -m jobsearch.baseline`` runs :mod:`jobsearch.cli.baseline`.
"""

from __future__ import annotations

import time
from typing import Any

from ..data import Dataset
from ..model.metrics import classification_metrics, full_probs

SETTINGS = {
    "model": "tfidf+logistic_regression",
    "ngram_range": "1-2",
    "min_df": 2,
    "sublinear_tf": True,
    "C": 10.0,
}


def fit_baseline(data: Dataset) -> dict[str, float]:
    """Fit TF-IDF (word 1-2 grams) + logistic regression on train; metrics on every split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
    x_train = vectorizer.fit_transform(data.split.texts["train"])
    model = LogisticRegression(C=SETTINGS["C"], max_iter=3000)
    model.fit(x_train, data.labels["train"])
    metrics: dict[str, Any] = {"fit_seconds": time.perf_counter() - start}
    for part in ("train", "val", "test"):
        probs = model.predict_proba(vectorizer.transform(data.split.texts[part]))
        full = full_probs(probs, model.classes_, len(data.classes))
        for key, value in classification_metrics(data.labels[part], full).items():
            metrics[f"{part}_{key}"] = value
    return metrics


def run_baseline(data: Dataset, tracking_uri: str | None = None, experiment: str = "jobsearch"):
    """Fit the baseline and record it as a run; its metrics plus ``run_id``."""
    from ..tracking.mlflow import get_client, log_baseline_run

    metrics = fit_baseline(data)
    run_id = log_baseline_run(get_client(tracking_uri), experiment, data, metrics, SETTINGS)
    return {**metrics, "run_id": run_id}
