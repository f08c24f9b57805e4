"""``python -m jobsearch.baseline``: the TF-IDF baseline on the same split, logged to MLflow."""

from __future__ import annotations

from .common import (
    HelpFormatter,
    OneLineParser,
    add_data_flags,
    add_seed_flag,
    experiment_problem,
    fail,
    hide_native_logs,
    load_data,
)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = OneLineParser(
        prog="python -m jobsearch.baseline",
        description="Fit the TF-IDF baselines (LinearSVC on word and character n-grams, C chosen "
        "by cross-validation on the training split; logistic regression on word n-grams, C chosen "
        "on the validation split) on the same train/validation/test split as the LSTM "
        "searches, and log each as a run (same metric names) in the experiment.",
        formatter_class=HelpFormatter,
    )
    add_data_flags(parser)
    add_seed_flag(parser, "split seed (match the search's)")
    parser.add_argument("--experiment", default="demo-random", help="MLflow experiment")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI")
    args = parser.parse_args(argv)
    if argv is None:  # run as a command, not called from Python
        hide_native_logs()

    from ..baseline import run_baselines
    from ..data import DataError
    from ..tracking.mlflow import TrackingError, check_tracking_uri, resolve_tracking_uri

    try:
        if problem := experiment_problem(args.experiment):
            raise DataError(problem)
        check_tracking_uri(resolve_tracking_uri(args.tracking_uri))
        data = load_data(args)
        baselines = run_baselines(data, args.tracking_uri, args.experiment)
    except (DataError, TrackingError) as exc:
        return fail(str(exc))
    for b in baselines:
        m = b.metrics
        print(
            f"{b.name:<30} val acc {m['val_accuracy']:.4f}  val F1 {m['val_macro_f1']:.4f}"
            f"  test acc {m['test_accuracy']:.4f}  test F1 {m['test_macro_f1']:.4f}"
            f"  ({b.settings['features']}, C={b.settings['C']:g}; run {m['run_id']})"
        )
    print(f"experiment {args.experiment}")
    return 0
