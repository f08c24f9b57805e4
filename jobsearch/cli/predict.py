"""``python -m jobsearch.predict``: industries for raw postings from a registered model."""

from __future__ import annotations

import sys
from pathlib import Path

BATCH = 512
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet will not run as a formula: a leading ``= + - @`` (or tab,
    carriage return) gets a ``'`` in front, as OWASP advises for CSV exports."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def output_format(path: Path, source: Path | None) -> str:
    """The format --output is written in (its suffix's, as --input reads them; CSV for a name
    without one, such as /dev/stdout), refusing before any model is loaded an --output that
    cannot be written or that is the --input file (it would be lost)."""
    import os

    from ..data.load import COMPRESSIONS, DataError, table_format

    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise DataError(f"--output {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise DataError(f"--output {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DataError(f"--output {path}: not writable")
    if source is not None and path.exists() and source.exists() and path.samefile(source):
        raise DataError(f"--output {path}: is the --input file; write the predictions elsewhere")
    fmt = table_format(path, "--output ") if path.suffix else "csv"
    if fmt == "parquet" and path.suffix.lower() in COMPRESSIONS:
        raise DataError(f"--output {path}: Parquet is compressed inside; drop {path.suffix!r}")
    return fmt


def write_predictions(frame, path: Path, fmt: str) -> None:
    """``frame`` written to ``path`` as ``fmt``; in CSV and TSV, which spreadsheets open, every
    cell passes :func:`spreadsheet_safe`."""
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.map(spreadsheet_safe).to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")


def beside_input(frame, predictions):
    """The --input rows, every column as read, then the predictions' columns; those get a
    ``predicted_`` prefix when a name is taken (an ``industry`` label column, say)."""
    import pandas as pd

    while set(predictions.columns) & set(map(str, frame.columns)):
        predictions = predictions.add_prefix("predicted_")
    return pd.concat([frame.reset_index(drop=True), predictions], axis=1)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from .common import HelpFormatter, OneLineParser, fail, hide_native_logs

    parser = OneLineParser(
        prog="python -m jobsearch.predict",
        description="Predict industries for job descriptions with a logged or registered model, "
        "e.g. --model models:/demo-random@champion.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("texts", nargs="*", help="job descriptions to classify")
    parser.add_argument(
        "--model",
        required=True,
        help="model URI: models:/NAME@champion, models:/NAME/VERSION, runs:/ID/model",
    )
    parser.add_argument(
        "--input", type=Path, help="file of postings (.csv, .tsv, .parquet, .jsonl)"
    )
    parser.add_argument(
        "--text-col",
        action="append",
        dest="text_cols",
        metavar="COL",
        help="text column(s) of --input (repeatable); default: text",
    )
    parser.add_argument(
        "--label-col",
        metavar="COL",
        help="a column of --input that holds the right industry: the predictions are scored "
        "against it (accuracy and macro-F1 on its non-empty rows); default: industry, when "
        "--input has it",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="write predictions here instead of stdout: CSV, TSV, Parquet or JSON Lines by the "
        "suffix (CSV without one); with --input, every input column comes first",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking/registry URI; default: $MLFLOW_TRACKING_URI or ./mlruns",
    )
    args = parser.parse_args(argv)
    if argv is None:  # run as a command, not called from Python
        hide_native_logs()
    if not args.texts and args.input is None:
        parser.error("give job descriptions as arguments or --input FILE")

    import pandas as pd
    from tqdm import tqdm

    from ..data.load import DataError, clean_text, read_table, select_columns
    from ..tracking.mlflow import TrackingError, check_tracking_uri, resolve_tracking_uri
    from ..tracking.registry import ModelLoadError, load_model
    from ..util import atomic_write, first_line

    frame, fmt = None, "csv"
    try:
        if args.output is not None:
            fmt = output_format(args.output, args.input)
        if args.input is not None:
            frame = read_table(args.input)
            cols = args.text_cols or ["text"]
            known = "industry" in frame.columns and "industry" not in cols
            label_col = args.label_col or ("industry" if known else None)
            selected = select_columns(frame, cols, label_col, str(args.input))
            texts = selected["text"].tolist()
            labels = selected["label"].tolist() if label_col else None
            if not texts:
                raise DataError(f"{args.input}: no rows to predict")
            where = f"{args.input}: row"
        elif args.label_col:
            raise DataError("--label-col scores the predictions of an --input file; give one")
        else:
            texts, where, labels = list(args.texts), "argument", None
        blank = [i + 1 for i, text in enumerate(texts) if not clean_text(text)]
        if blank:
            raise DataError(
                f"{where} {blank[0]} is an empty text ({len(blank)} in all); "
                "there is nothing to classify"
            )
        check_tracking_uri(resolve_tracking_uri(args.tracking_uri))
        model = load_model(args.model, args.tracking_uri)
    except (DataError, ModelLoadError, TrackingError) as exc:
        return fail(str(exc))
    parts = []
    for start in tqdm(
        range(0, len(texts), BATCH),
        desc="predicting",
        unit="batch",
        disable=len(texts) <= BATCH,
        file=sys.stderr,
    ):
        parts.append(model.predict(pd.DataFrame({"text": texts[start : start + BATCH]})))
    result = pd.concat(parts, ignore_index=True)
    predicted = result["industry"].tolist()
    if args.output is not None:
        if frame is None:
            result.insert(0, "text", texts)
        else:
            result = beside_input(frame, result)
        try:
            atomic_write(args.output, lambda tmp: write_predictions(result, tmp, fmt))
        except (OSError, ValueError, TypeError) as exc:  # Parquet refuses mixed-type columns
            return fail(
                f"--output {args.output}: {getattr(exc, 'strerror', None) or first_line(exc)}"
            )
        print(f"wrote {len(result)} predictions to {args.output}")
    else:
        for text, row in zip(texts, result.itertuples(index=False)):
            short = text if len(text) <= 60 else text[:57] + "..."
            print(f"{row.industry}\t{row.probability:.3f}\t{short}")
    if labels is not None:  # beside the predictions' own stream, away from piped rows
        line = score_line(labels, predicted, label_col)
        print(line, file=sys.stdout if args.output is not None else sys.stderr)
    return 0


def score_line(labels: list[str], predicted: list[str], label_col: str) -> str:
    """Accuracy and macro-F1 of ``predicted`` against the non-empty ``labels``, in words."""
    import numpy as np

    from ..model.metrics import macro_f1

    pairs = [(label, guess) for label, guess in zip(labels, predicted) if label]
    if not pairs:
        return f"--label-col {label_col!r} is empty on every row: nothing to score"
    truth, guess = np.array(pairs).T
    accuracy = float((truth == guess).mean())
    f1 = macro_f1(truth, guess)
    unknown = sorted(set(truth) - set(predicted))
    never = f"; never predicted: {', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}"
    return (
        f"against {label_col!r}: accuracy {accuracy:.3f}, macro-F1 {f1:.3f} on {len(pairs):,} "
        f"labelled rows{never if unknown else ''}"
    )


if __name__ == "__main__":
    sys.exit(main())
