"""``python -m jobsearch.baseline``: the TF-IDF baseline on the same split, logged to MLflow."""

from __future__ import annotations

import sys

from .common import HelpFormatter, OneLineParser, add_data_flags, load_data


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = OneLineParser(
        prog="python -m jobsearch.baseline",
        description="Fit the TF-IDF baselines (LinearSVC and logistic regression, features and C "
        "chosen on the validation split) on the same train/validation/test split as the LSTM "
        "searches, and log each as a run (same metric names) in the experiment.",
        formatter_class=HelpFormatter,
    )
    add_data_flags(parser)
    parser.add_argument("--seed", type=int, default=0, help="split seed (match the search's)")
    parser.add_argument("--experiment", default="demo-random", help="MLflow experiment")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI")
    args = parser.parse_args(argv)

    from ..baseline import run_baselines
    from ..data import DataError

    try:
        data = load_data(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for b in run_baselines(data, args.tracking_uri, args.experiment):
        m = b.metrics
        print(
            f"{b.name:<30} val acc {m['val_accuracy']:.4f}  val F1 {m['val_macro_f1']:.4f}"
            f"  test acc {m['test_accuracy']:.4f}  test F1 {m['test_macro_f1']:.4f}"
            f"  ({b.settings['features']}, C={b.settings['C']:g}; run {m['run_id']})"
        )
    print(f"experiment {args.experiment}")
    return 0
