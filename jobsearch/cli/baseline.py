"""``python -m jobsearch.baseline``: the TF-IDF baseline on the same split, logged to MLflow."""

from __future__ import annotations

import sys

from .common import HelpFormatter, OneLineParser, add_data_flags, load_data


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
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

    from ..baseline import run_baseline
    from ..data import DataError

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
