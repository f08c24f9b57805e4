"""``python -m jobsearch.baseline``: TF-IDF + logistic regression on the same split, in MLflow.

It logs the same metric names as the LSTM trials, so the MLflow UI shows it beside them.
"""

from __future__ import annotations

import sys
import time
from typing import Any

BASELINE_KIND = "baseline"


def run_baseline(data, tracking_uri: str | None = None, experiment: str = "jobsearch") -> dict:
    """Fit TF-IDF (word 1-2 grams) + logistic regression; log and return its metrics."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from .tracking import RunRecorder, get_client
    from .training import classification_metrics

    start = time.perf_counter()
    settings = {"ngram_range": "1-2", "min_df": 2, "sublinear_tf": True, "C": 10.0}
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
    x_train = vectorizer.fit_transform(data.split.texts["train"])
    model = LogisticRegression(C=settings["C"], max_iter=3000)
    model.fit(x_train, data.labels["train"])
    fit_seconds = time.perf_counter() - start
    metrics: dict[str, Any] = {"fit_seconds": fit_seconds}
    n_classes = len(data.classes)
    for part in ("train", "val", "test"):
        probs = model.predict_proba(vectorizer.transform(data.split.texts[part]))
        full = _full_probs(probs, model.classes_, n_classes)
        for key, value in classification_metrics(data.labels[part], full).items():
            metrics[f"{part}_{key}"] = value
    recorder = RunRecorder(
        get_client(tracking_uri),
        experiment,
        run_name="tfidf-logreg-baseline",
        tags={"jobsearch.kind": BASELINE_KIND, "data.fingerprint": data.fingerprint},
    )
    recorder.log(
        metrics=metrics,
        params={
            "model": "tfidf+logistic_regression",
            **settings,
            "data.source": data.summary.get("source"),
        },
    )
    recorder.finish()
    return {**metrics, "run_id": recorder.run_id}


def _full_probs(probs, seen, n_classes: int):
    """Probabilities over all classes (a class absent from training gets 0)."""
    import numpy as np

    full = np.zeros((len(probs), n_classes), dtype=np.float32)
    full[:, seen] = probs
    return full


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from .cli import HelpFormatter, OneLineParser, add_data_flags, load_data

    parser = OneLineParser(
        prog="python -m jobsearch.baseline",
        description="Train TF-IDF + logistic regression on the same train/validation/test split "
        "as the LSTM searches and log it as a run (same metric names) in the experiment.",
        formatter_class=HelpFormatter,
    )
    add_data_flags(parser)
    parser.add_argument("--seed", type=int, default=0, help="split seed (match the search's)")
    parser.add_argument("--experiment", default="demo-random", help="MLflow experiment")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI")
    args = parser.parse_args(argv)

    from .data import DataError

    try:
        data = load_data(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = run_baseline(data, args.tracking_uri, args.experiment)
    print(
        f"TF-IDF baseline  val acc {result['val_accuracy']:.4f}"
        f"  val F1 {result['val_macro_f1']:.4f}"
        f"  test acc {result['test_accuracy']:.4f}  test F1 {result['test_macro_f1']:.4f}"
        f"  (run {result['run_id']}, experiment {args.experiment})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
