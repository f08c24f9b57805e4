"""What the command lines share: the one-line parser, the data flags, errors for the user.

Only argparse is imported until the flags have been read, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import re
import sys
import threading
from pathlib import Path

from ..search import DEFAULT_SPACE


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
    return local if local.is_file() else DEFAULT_SPACE


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 2, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


SEED_LIMIT = 2**32  # numpy and scikit-learn take seeds in [0, 2**32)


def seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {SEED_LIMIT - 1}")
    return value


def add_seed_flag(parser: argparse.ArgumentParser, help: str) -> None:
    """--seed, checked against the range numpy and scikit-learn accept."""
    parser.add_argument("--seed", type=seed, default=0, help=help)


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
        default=7,  # data.load.MIN_CLASS_SIZE, without importing pandas for --help
        help="classes with fewer rows are dropped (or merged, see --merge-small); the default is "
        "the fewest that puts a row of each class in validation and test",
    )
    parser.add_argument(
        "--merge-small",
        action="store_true",
        help="merge small classes into one 'Other' class instead of dropping them",
    )


def load_data(args: argparse.Namespace):
    """The prepared dataset the data flags describe (the demo set without --data)."""
    from ..data import prepare_dataset

    return prepare_dataset(
        args.data,
        text_cols=args.text_cols or ["text"],
        label_col=args.label_col,
        min_class_size=args.min_class_size,
        small_classes="merge" if args.merge_small else "drop",
        seed=args.seed,
    )


def experiment_problem(name: str) -> str | None:
    """What is wrong with an --experiment name, or None."""
    if not name.strip():
        return "--experiment: the name is empty"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "--experiment: the name holds a control character (a newline, a tab...)"
    if len(name) > 250:
        return f"--experiment: the name is {len(name)} characters long; 250 at most"
    return None


def fail(message: str) -> int:
    """Print ``error: message`` as one line on stderr (passwords in URIs masked); return 2."""
    from ..util import redact

    print(f"error: {redact(message)}", file=sys.stderr)
    return 2


# TensorFlow's native libraries log through absl before anything can configure it, so
# TF_CPP_MIN_LOG_LEVEL cannot silence these lines (oneDNN notices, "could not find cuda
# drivers", cuInit errors), nor Spark's JVM its start-up banner and log4j warnings; the command
# lines drop them from stderr and keep everything else.
_NATIVE_LINE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\]"
    rb"|WARNING: Using incubator modules|Using Spark's default log4j profile"
    rb"|Setting default log level to|To adjust logging level use sc\.setLogLevel"
    rb"|\d\d/\d\d/\d\d \d\d:\d\d:\d\d (WARN|INFO) )"
)
_NATIVE_START = re.compile(rb"^([IWEF]\d|WARNING: |Using Spark|Setting default|To adjust|\d\d/)")
SHOW_NATIVE_LOGS = "JOBSEARCH_NATIVE_LOGS"


def _pump(read_fd: int, out_fd: int) -> None:
    """Copy the pipe to the real stderr, dropping native log lines; partial lines that cannot
    be one (progress bars) pass at once."""
    pending = b""
    while chunk := os.read(read_fd, 65536):
        *lines, pending = (pending + chunk).split(b"\n")
        out = b"".join(line + b"\n" for line in lines if not _NATIVE_LINE.match(line))
        if pending and not (_NATIVE_START.match(pending) and len(pending) < 400):
            out, pending = out + pending, b""
        if out:
            os.write(out_fd, out)
    if pending and not _NATIVE_LINE.match(pending):
        os.write(out_fd, pending)
    os.close(read_fd)


def hide_native_logs() -> None:
    """Filter this process's stderr (file descriptor 2) through :func:`_pump` until exit.

    ``JOBSEARCH_NATIVE_LOGS=1`` shows the native lines again, for debugging."""
    if os.environ.get(SHOW_NATIVE_LOGS) == "1":
        return
    read_fd, write_fd = os.pipe()
    real_stderr = os.dup(2)
    sys.stderr.flush()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(target=_pump, args=(read_fd, real_stderr), daemon=True)
    pump.start()

    def restore() -> None:
        sys.stderr.flush()
        os.dup2(real_stderr, 2)  # closes the pipe's last write end: the pump sees EOF
        pump.join(timeout=5)

    atexit.register(restore)
