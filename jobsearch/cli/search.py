"""``python -m jobsearch.cli.search --algo tpe``: one search command for every sampler.

``python -m jobsearch.random`` and ``python -m jobsearch.tpe`` are the same command with the
algorithm fixed.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from ..search.pruners import PRUNERS
from .common import (
    HelpFormatter,
    OneLineParser,
    add_data_flags,
    add_seed_flag,
    at_least_two,
    default_space,
    experiment_problem,
    fail,
    hide_native_logs,
    load_data,
    positive_float,
    positive_int,
)

ALGOS = ("random", "tpe")
NAMES = {"random": "random search", "tpe": "TPE (Bayesian) search"}


def search_parser(algo: str | None = None) -> OneLineParser:
    """The parser for one search driver (``algo`` fixed) or the general one (``--algo``)."""
    from ..search.samplers.tpe import DEFAULT_STARTUP_TRIALS

    name = NAMES[algo] if algo else "random or TPE (Bayesian) search"
    parser = OneLineParser(
        prog=f"python -m jobsearch.{algo}" if algo else "python -m jobsearch.cli.search",
        description=(
            f"Run a {name} over LSTM industry classifiers. Each trial trains and evaluates "
            "one model with run_experiment and is logged as a child MLflow run under one parent "
            "run per search. With no data flags it uses the bundled demo postings. A search "
            "is saved after every trial: run the same command again (or add --resume) to "
            "continue it."
        ),
        formatter_class=HelpFormatter,
    )
    if algo is None:
        parser.add_argument(
            "--algo", choices=ALGOS, default="tpe", help="how the next params are chosen"
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
        help="YAML search space file (see search_spaces/README.md), or the name of a bundled "
        "one: default, seed (the question's models first), smoke; default: "
        "search_spaces/default.yaml",
    )
    add_data_flags(parser)
    parser.add_argument(
        "--experiment",
        default=None,
        help="MLflow experiment; default: demo-ALGO, or <data file stem>-ALGO",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking URI; default: $MLFLOW_TRACKING_URI, else the local "
        "store sqlite:///mlruns/mlflow.db",
    )
    add_seed_flag(parser, "seed for sampling params, the split and initialising weights")
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
        default="accuracy",
        help="what to optimise on the validation split",
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
        help="continue the saved search of --experiment (error if none exists), from this "
        "folder's mlruns/ or from the tracking server, so any machine can continue it",
    )
    parser.add_argument(
        "--pruner",
        choices=PRUNERS,
        default="median",
        help="how hopeless trials are stopped early: median (worse than the median of earlier "
        "trials at the same epoch, from epoch 2 after 5 trials), asha (asynchronous successive "
        "halving: at epochs MIN-EPOCHS x ETA^k only the best 1/ETA of the trials that got there "
        "go on), or none",
    )
    parser.add_argument(
        "--min-epochs",
        type=positive_int,
        default=1,
        help="with --pruner asha: the first rung's epoch",
    )
    parser.add_argument(
        "--eta",
        type=at_least_two,
        default=3,
        help="with --pruner asha: 1/ETA of the trials at a rung go on, rungs ETA times apart",
    )
    parser.add_argument("--no-prune", action="store_true", help="the same as --pruner none")
    parser.add_argument(
        "--model-name",
        default=None,
        help="registered model name for the best model; default: the experiment",
    )
    parser.add_argument(
        "--no-register", action="store_true", help="do not log and register the best model"
    )
    parser.add_argument(
        "--refit",
        choices=("all", "train-val", "none"),
        default="all",
        help="the rows the registered model learns from once the search has chosen it: all "
        "labelled rows (train+val+test), train+val, or none (the training split only, as the "
        "trials learned); its reported test figures are those of the same recipe before the refit",
    )
    parser.add_argument(
        "--parallelism",
        type=positive_int,
        default=1,
        metavar="N",
        help="run up to N trials at once as Spark tasks (hyperopt's SparkTrials; needs "
        "pip install 'jobsearch[spark]' and Java 17+); on local[N] unless --spark-master",
    )
    parser.add_argument(
        "--spark-master",
        default=None,
        metavar="URL",
        help="run the trials on this Spark cluster, e.g. spark://HOST:7077 (implies Spark "
        "even with --parallelism 1); its workers need jobsearch installed",
    )
    parser.add_argument(
        "--gpus-per-trial",
        type=positive_float,
        default=None,
        metavar="N",
        help="with --spark-master: each trial's Spark task asks for N GPUs (stage-level "
        "scheduling; workers must announce their GPUs); each trial logs the device it used",
    )
    if algo in (None, "tpe"):
        parser.add_argument(
            "--startup-trials",
            type=positive_int,
            default=None,
            help="random trials before TPE starts modelling (TPE only); default: "
            f"{DEFAULT_STARTUP_TRIALS}, or 2 x --parallelism if larger, since N trials in "
            "flight are proposed without each other's results",
        )
    return parser


def _again(command: str, argv: list[str], experiment: str) -> str:
    """The command that resumes this search (a password in it masked)."""
    from ..util import redact

    again = [*argv, *([] if "--resume" in argv else ["--resume"])]
    if "--experiment" not in argv:
        again += ["--experiment", experiment]
    return redact(f"python -m {command} {shlex.join(again)}")


def main(argv: list[str] | None = None, algo: str | None = None) -> int:
    """Parse flags, run the search, and turn bad input into one line with exit code 2."""
    from_command = argv is None
    argv = sys.argv[1:] if argv is None else argv
    args = search_parser(algo).parse_args(argv)
    if from_command:
        hide_native_logs()
    command = f"jobsearch.{algo}" if algo else "jobsearch.cli.search"
    algo = algo or args.algo

    from ..data import DataError
    from ..params import ParamError
    from ..report.summary import format_summary
    from ..search.owner import SearchBusy
    from ..search.run import DEFAULT_STATE_DIR, SearchConfig, SearchError, check_config, execute
    from ..search.samplers.tpe import startup_trials_for
    from ..search.space import SpaceError, load_space
    from ..search.state import StateError, state_path
    from ..tracking.mlflow import (
        TrackingError,
        check_tracking_uri,
        resolve_tracking_uri,
        sqlite_path,
        tracking_failure,
    )
    from ..tracking.registry import RegistryError, check_model_name
    from ..util import first_line, redact

    overrides = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    stem = args.data.name.split(".")[0] if args.data else "demo"
    experiment = args.experiment or f"{stem}-{algo}"
    saved = state_path(DEFAULT_STATE_DIR, experiment)
    try:
        # Everything the user gave is checked here, before anything is written or trained.
        if problem := experiment_problem(experiment):
            raise SearchError(problem)
        space = load_space(args.space or default_space(), overrides)
        if not args.no_register:
            check_model_name(args.model_name or experiment)
        uri = resolve_tracking_uri(args.tracking_uri)
        store = sqlite_path(uri)
        if args.resume and not saved.is_file() and store is not None and not store.is_file():
            raise SearchError(f"--resume: no saved search for experiment {experiment!r}")
        check_tracking_uri(uri)
        cfg = SearchConfig(
            algo=algo,
            space=space,
            trials=args.trials,
            objective=args.objective,
            experiment=experiment,
            tracking_uri=args.tracking_uri,
            seed=args.seed,
            timeout=args.timeout,
            stop_after=args.stop_after,
            resume=args.resume,
            pruner="none" if args.no_prune else args.pruner,
            min_epochs=args.min_epochs,
            eta=args.eta,
            sampler_options=(
                {"startup_trials": args.startup_trials or startup_trials_for(args.parallelism)}
                if algo == "tpe"
                else {}
            ),
            model_name=args.model_name or experiment,
            register=not args.no_register,
            data_source=str(args.data) if args.data else "demo",
            overrides=overrides,
            parallelism=args.parallelism,
            spark_master=args.spark_master,
            gpus_per_trial=args.gpus_per_trial,
            refit=args.refit,
        )
        check_config(cfg)
        summary = execute(cfg, load_data(args))
        print(format_summary(summary))
    except (
        SpaceError,
        DataError,
        ParamError,
        SearchBusy,
        SearchError,
        StateError,
        TrackingError,
        RegistryError,
    ) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        if not saved.is_file():
            print("\ninterrupted before the search started; nothing was saved", file=sys.stderr)
            return 130
        print(
            "\ninterrupted: finished trials are saved and the trial in flight is marked KILLED.\n"
            f"resume with: {_again(command, argv, experiment)}",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        if not tracking_failure(exc):
            raise
        print(
            f"error: the tracking store stopped answering: {redact(first_line(exc))}\n"
            f"finished trials are saved; resume with: {_again(command, argv, experiment)}",
            file=sys.stderr,
        )
        return 1
    if summary["best"] is None and summary["most_common_failure"]:
        print(
            f"error: every trial failed; most often: {summary['most_common_failure']}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
