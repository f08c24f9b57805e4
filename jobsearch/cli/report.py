"""``python -m jobsearch.report``: a search's leaderboard, read from the tracking store."""

from __future__ import annotations

from .common import HelpFormatter, OneLineParser, experiment_problem, fail, positive_int


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = OneLineParser(
        prog="python -m jobsearch.report",
        description="Print what a search found, from the tracking store: the served model and "
        "the rows it learned from, its validation and test figures beside the TF-IDF baselines "
        "and the best LSTM, then the best trials with the parameters that differ between them. "
        "The same leaderboard is the search run's description in the MLflow UI.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "experiment",
        nargs="?",
        default="demo-random",
        help="MLflow experiment of the search (a search prints it at its end)",
    )
    parser.add_argument(
        "--run", default=None, metavar="RUN_ID", help="a search run (default: the newest)"
    )
    parser.add_argument(
        "--top", type=positive_int, default=10, metavar="N", help="how many trials to list"
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the Markdown the MLflow UI shows instead of the terminal table",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking URI; default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db",
    )
    args = parser.parse_args(argv)
    if problem := experiment_problem(args.experiment):
        return fail(problem.replace("--experiment", "experiment"))

    from ..report.leaderboard import markdown, text
    from ..tracking.mlflow import (
        TrackingError,
        check_tracking_uri,
        get_client,
        resolve_tracking_uri,
        shown,
        sqlite_path,
    )
    from ..tracking.outcome import OutcomeError, links, read

    uri = resolve_tracking_uri(args.tracking_uri)
    db = sqlite_path(uri)
    if db is not None and not db.is_file():  # reading creates nothing
        return fail(
            f"no MLflow store at {db} (run a search in this folder first, or pass --tracking-uri)"
        )
    try:
        check_tracking_uri(uri)
        board = read(get_client(uri), args.experiment, args.run)
    except (TrackingError, OutcomeError) as exc:
        return fail(f"{exc} ({shown(uri)})" if isinstance(exc, OutcomeError) else str(exc))
    print(markdown(board, links(board), args.top) if args.markdown else text(board, args.top))
    return 0
