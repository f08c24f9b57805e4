"""Flags shared by ``python -m jobsearch.random`` and ``python -m jobsearch.tpe``.

Only argparse is imported until the flags have been read, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

REPO_SPACES = Path(__file__).resolve().parent.parent / "search_spaces"


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a flag's default only when it has a meaningful one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False) or action.help is None:
            return action.help or ""
        return super()._get_help_string(action)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (exit code 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def default_space() -> Path:
    """``search_spaces/default.yaml`` in the current folder, else beside the package."""
    local = Path("search_spaces") / "default.yaml"
    return local if local.is_file() else REPO_SPACES / "default.yaml"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """--data, --text-col, --label-col, --min-class-size, --merge-small (shared by the CLIs)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="postings file (.csv, .tsv, .parquet, .jsonl, optionally .gz); "
        "default: the bundled demo set",
    )
    parser.add_argument(
        "--text-col",
        action="append",
        dest="text_cols",
        metavar="COL",
        help="text column; repeat to join several (e.g. title and description). Default: text",
    )
    parser.add_argument("--label-col", default="industry", help="label (industry) column")
    parser.add_argument(
        "--min-class-size",
        type=positive_int,
        default=10,
        help="classes with fewer rows are dropped (or merged, see --merge-small)",
    )
    parser.add_argument(
        "--merge-small",
        action="store_true",
        help="merge small classes into one 'Other' class instead of dropping them",
    )


def load_data(args: argparse.Namespace):
    """The prepared dataset the data flags describe (the demo set without --data)."""
    from .vectorize import prepare_dataset

    return prepare_dataset(
        args.data,
        text_cols=args.text_cols or ["text"],
        label_col=args.label_col,
        min_class_size=args.min_class_size,
        small_classes="merge" if args.merge_small else "drop",
        seed=args.seed,
    )


def search_parser(algo: str) -> OneLineParser:
    """The parser for one search driver."""
    name = "random search" if algo == "random" else "TPE (Bayesian) search"
    parser = OneLineParser(
        prog=f"python -m jobsearch.{algo}",
        description=(
            f"Run a {name} over LSTM industry classifiers. Each trial trains and evaluates "
            "one model with run_experiment and is logged as a child MLflow run under one parent "
            "run per search. With no data flags it uses the bundled demo postings. A search "
            "is saved after every trial: run the same command again (or add --resume) to "
            "continue it."
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--trials",
        type=positive_int,
        default=20,
        help="total number of trials, counting those of an earlier run of this search",
    )
    parser.add_argument(
        "--space",
        type=Path,
        default=None,
        help="YAML search space (see search_spaces/README.md); default: search_spaces/default.yaml",
    )
    add_data_flags(parser)
    parser.add_argument(
        "--experiment",
        default=None,
        help=f"MLflow experiment; default: demo-{algo}, or <data file stem>-{algo}",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking URI; default: $MLFLOW_TRACKING_URI, else the local "
        "store sqlite:///mlruns/mlflow.db",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for sampling params and initialising weights"
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=None,
        help="fix max_epochs for every trial (overrides the space)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="stop starting new trials after this many seconds",
    )
    parser.add_argument(
        "--objective",
        choices=("accuracy", "macro_f1", "loss"),
        default=None,
        help="what to optimise on the validation split; default: the space's, else accuracy",
    )
    parser.add_argument(
        "--stop-after",
        type=positive_int,
        default=None,
        metavar="N",
        help="stop when N trials in a row bring no improvement",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the saved search of --experiment (error if none exists)",
    )
    parser.add_argument(
        "--no-prune", action="store_true", help="turn off median pruning of hopeless trials"
    )
    parser.add_argument(
        "--model-name",
        default=None,
        help="registered model name for the best model; default: the experiment",
    )
    parser.add_argument(
        "--no-register", action="store_true", help="do not log and register the best model"
    )
    if algo == "tpe":
        parser.add_argument(
            "--startup-trials",
            type=positive_int,
            default=10,
            help="random trials before TPE starts modelling",
        )
    return parser


def run_search_cli(algo: str, argv: list[str] | None = None) -> int:
    """Parse flags, run the search, and turn bad input into one line with exit code 2."""
    argv = sys.argv[1:] if argv is None else argv
    args = search_parser(algo).parse_args(argv)

    from .data import DataError
    from .params import ParamError
    from .search import SearchConfig, SearchError, run_search, state_path
    from .spaces import SpaceError, load_space

    overrides = {}
    if args.max_epochs is not None:
        overrides["max_epochs"] = args.max_epochs
    if args.objective is not None:
        overrides["objective"] = args.objective
    experiment = (
        args.experiment or f"{args.data.name.split('.')[0] if args.data else 'demo'}-{algo}"
    )
    try:
        space = load_space(args.space or default_space(), overrides)
        if args.resume and not state_path(Path("mlruns") / "searches", experiment).is_file():
            raise SearchError(f"--resume: no saved search for experiment {experiment!r}")
        data = load_data(args)
        cfg = SearchConfig(
            algo=algo,
            space=space,
            trials=args.trials,
            experiment=experiment,
            tracking_uri=args.tracking_uri,
            seed=args.seed,
            timeout=args.timeout,
            stop_after=args.stop_after,
            resume=args.resume,
            prune=not args.no_prune,
            startup_trials=getattr(args, "startup_trials", 10),
            model_name=args.model_name or experiment,
            register=not args.no_register,
            settings={
                "objective": space.raw.get("objective", "accuracy"),
                "data": str(args.data) if args.data else "demo",
                "overrides": overrides,
            },
        )
        run_search(cfg, data)
    except (SpaceError, DataError, ParamError, SearchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = [*argv, *([] if "--resume" in argv else ["--resume"])]
        if "--experiment" not in argv:
            again += ["--experiment", experiment]
        print(
            "\ninterrupted: finished trials are saved and the trial in flight is marked KILLED.\n"
            f"resume with: python -m jobsearch.{algo} {shlex.join(again)}",
            file=sys.stderr,
        )
        return 130
    return 0
