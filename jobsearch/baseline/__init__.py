"""The linear baselines every search is compared with, fitted as a careful user would:
TF-IDF features, LinearSVC (C chosen by cross-validation on the training split) and logistic
regression (C chosen on the validation split).

Library only; ``python -m jobsearch.baseline`` runs :mod:`jobsearch.cli.baseline`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Dataset
from ..model.metrics import classification_metrics, full_probs

# The candidates: (model, features) -> values of C.
GRID: dict[tuple[str, str], tuple[float, ...]] = {
    ("linear_svc", "word+char"): (0.1, 0.3, 1.0, 3.0),
    ("logistic_regression", "word"): (3.0, 30.0),
}
# LinearSVC's C is chosen on out-of-fold accuracy over the training split (stratified, this many
# folds): every training row votes, not only the few hundred validation rows, whose choice
# swung between C=0.3 and C=3 from one demo sample to another (benchmarks/RESULTS.md). The
# validation rows stay unseen by the choice, for the ensemble's weights. Logistic regression,
# ten times slower to fit, keeps the validation split.
CV_FOLDS = 3
NAMES = {"linear_svc": "TF-IDF + LinearSVC", "logistic_regression": "TF-IDF + logistic regression"}


def model_file(model: str) -> str:
    """The file name of a fitted baseline's pickled :class:`LinearModel` (also its artifact)."""
    return f"baseline-{model}.pkl"


# Each vectorizer keeps at most this many terms, the most frequent. A term seen once in training
# counts (no min_df): on 1,275 job titles, dropping such terms cost the tuned LinearSVC 1.8
# points of held-out accuracy and 4.7 of macro-F1 (benchmarks/RESULTS.md).
MAX_FEATURES = 2**18

# Softmax temperatures tried on LinearSVC's margins (the one chosen minimises validation loss).
TEMPERATURES = (1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)


class LinearModel:
    """A fitted TF-IDF model that maps cleaned texts to probabilities over every class
    (LinearSVC's margins are softmaxed after scaling by ``temperature``). Picklable, so it can
    be logged with the baseline run and served inside an ensemble."""

    def __init__(self, vectorizers: list, estimator: Any, n_classes: int) -> None:
        self.vectorizers, self.estimator, self.n_classes = vectorizers, estimator, n_classes
        self.temperature = 1.0

    def probs_of(self, x) -> np.ndarray:
        """Probabilities from already-built features ``x``."""
        if hasattr(self.estimator, "predict_proba"):
            probs = self.estimator.predict_proba(x)
        else:
            margins = self.estimator.decision_function(x) * self.temperature
            margins = margins.reshape(len(margins), -1)
            e = np.exp(margins - margins.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        return full_probs(probs, self.estimator.classes_, self.n_classes)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities for cleaned texts."""
        return self.probs_of(_transform(self.vectorizers, texts))

    def refit(self, texts: list[str], y: np.ndarray) -> LinearModel:
        """The same model (features, C and softmax temperature as chosen) fitted afresh on
        ``texts``: the vectorizers' vocabulary and idf follow those rows."""
        from scipy.sparse import hstack
        from sklearn.base import clone

        vectorizers = [clone(v) for v in self.vectorizers]
        x = hstack([_fit(v, {"train": texts})["train"] for v in vectorizers]).tocsr()
        fitted = LinearModel(vectorizers, clone(self.estimator).fit(x, y), self.n_classes)
        fitted.temperature = self.temperature
        return fitted

    def calibrate(self, x, y: np.ndarray) -> None:
        """Choose LinearSVC's softmax temperature on held-out features ``x`` (log-loss)."""
        if hasattr(self.estimator, "predict_proba"):
            return
        losses = {}
        for t in TEMPERATURES:
            self.temperature = t
            losses[t] = classification_metrics(y, self.probs_of(x))["loss"]
        self.temperature = min(losses, key=lambda t: (losses[t], t))


@dataclass
class Baseline:
    """One fitted baseline: its model kind, the settings chosen on validation, its metrics and
    the fitted model."""

    model: str
    settings: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    fitted: LinearModel | None = None

    @property
    def name(self) -> str:
        return NAMES[self.model]


def _features(texts: dict[str, list[str]], kinds: set[str]) -> dict[str, tuple[list, dict]]:
    """The TF-IDF vectorizers (fitted on the training texts) and every split's features of
    "word" and of the other ``kinds``. Each text is analysed once per vectorizer: the word
    features are shared."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), max_features=MAX_FEATURES)
    word_x = _fit(word, texts)
    features = {"word": ([word], word_x)}
    if "word+char" in kinds:
        char = TfidfVectorizer(
            sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), max_features=MAX_FEATURES
        )
        char_x = _fit(char, texts)
        both = {p: hstack([word_x[p], char_x[p]]).tocsr() for p in texts}
        features["word+char"] = ([word, char], both)
    return features


def _fit(vectorizer, texts: dict[str, list[str]]) -> dict:
    """Fit on the training texts; the features of every split."""
    from ..data import DataError

    try:
        train = vectorizer.fit_transform(texts["train"])
    except ValueError:
        raise DataError("the training texts hold no terms for the TF-IDF baseline") from None
    return {p: train if p == "train" else vectorizer.transform(t) for p, t in texts.items()}


def _transform(vectorizers: list, texts: list[str]):
    """The texts' features: the vectorizers' outputs side by side."""
    from scipy.sparse import hstack

    return hstack([v.transform(texts) for v in vectorizers]).tocsr()


def _fit_one(model: str, x, y: np.ndarray, c: float) -> tuple[Any, float]:
    """One candidate of :data:`GRID` fitted on features ``x``, and its fit seconds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    if model == "linear_svc":
        estimator = LinearSVC(C=c, random_state=0).fit(x, y)
    else:
        # Newton-CG: 2-3x faster than lbfgs on TF-IDF features and nearer the optimum
        # (benchmarks/RESULTS.md, "The baselines' logistic regression")
        estimator = LogisticRegression(C=c, solver="newton-cg", max_iter=3000).fit(x, y)
    return estimator, time.perf_counter() - start


def _cross_validated(pool, model: str, x, y: np.ndarray, values: tuple[float, ...]) -> float:
    """The C of ``values`` with the best out-of-fold accuracy over ``x`` (the first if tied)."""
    import warnings

    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():  # a class with fewer rows than folds is left out of some
        warnings.simplefilter("ignore", UserWarning)
        folds = list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0).split(x, y))
    jobs = {(c, i): pool.submit(_fit_one, model, x[a], y[a], c)
            for c in values for i, (a, _) in enumerate(folds)}  # fmt: skip
    right = {c: sum(int((jobs[c, i].result()[0].predict(x[b]) == y[b]).sum())
                    for i, (_, b) in enumerate(folds)) for c in values}  # fmt: skip
    return max(values, key=right.get)


def fit_baselines(data: Dataset) -> list[Baseline]:
    """LinearSVC and logistic regression, each with its C chosen as :data:`CV_FOLDS` says.
    Fits run in threads, one per core (liblinear releases the GIL; benchmarks/RESULTS.md)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = {p: data.split.texts[p] for p in ("train", "val", "test")}
    y, n_classes = data.labels, len(data.classes)
    features = _features(texts, {f for _, f in GRID})
    results = []
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for (model, kind), values in GRID.items():
            vectorizers, x = features[kind]
            if model == "linear_svc":
                c = _cross_validated(pool, model, x["train"], y["train"], values)
                estimator, seconds = _fit_one(model, x["train"], y["train"], c)
            else:
                jobs = {c: pool.submit(_fit_one, model, x["train"], y["train"], c) for c in values}
                val = {c: (job.result()[0].predict(x["val"]) == y["val"]).mean()
                       for c, job in jobs.items()}  # fmt: skip
                c = max(values, key=val.get)
                estimator, seconds = jobs[c].result()
            settings = {"features": kind, "ngram_range": "1-2", "C": c, "sublinear_tf": True}
            fitted = LinearModel(vectorizers, estimator, n_classes)
            fitted.calibrate(x["val"], y["val"])
            chosen = Baseline(model, settings, {"fit_seconds": seconds}, fitted)
            for part in ("train", "val", "test"):
                probs = fitted.probs_of(x[part])
                for key, value in classification_metrics(y[part], probs).items():
                    chosen.metrics[f"{part}_{key}"] = value
            results.append(chosen)
    return results


def run_baselines(
    data: Dataset,
    tracking_uri: str | None = None,
    experiment: str = "jobsearch",
    folder: Path | None = None,
) -> list[Baseline]:
    """Fit the baselines and record each as a run (same metric names as the trials), with its
    fitted model, pickled to ``folder`` (kept there when given) as :func:`model_file`."""
    import pickle
    import tempfile

    from ..tracking.mlflow import get_client, log_baseline_run

    baselines = fit_baselines(data)
    client = get_client(tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        for b in baselines:
            path = Path(folder or tmp) / model_file(b.model)
            path.write_bytes(pickle.dumps(b.fitted))
            b.metrics["run_id"] = log_baseline_run(
                client, experiment, data, b.model, b.metrics, {"model": b.model, **b.settings}, path
            )
    return baselines
