"""``python -m jobsearch.predict``: industries for raw postings from a registered model."""

from __future__ import annotations

import sys
from pathlib import Path

BATCH = 512


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from .common import HelpFormatter, OneLineParser, fail

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
        "--output", type=Path, help="write predictions here (.csv) instead of stdout"
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking/registry URI; default: $MLFLOW_TRACKING_URI or ./mlruns",
    )
    args = parser.parse_args(argv)
    if not args.texts and args.input is None:
        parser.error("give job descriptions as arguments or --input FILE")

    import pandas as pd
    from tqdm import tqdm

    from ..data.load import DataError, read_table, select_columns
    from ..tracking.registry import ModelLoadError, load_model
    from ..util import atomic_write

    try:
        if args.input is not None:
            frame = read_table(args.input)
            cols = args.text_cols or ["text"]
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise DataError(
                    f"{args.input}: missing column {missing[0]!r}; columns present: "
                    f"{', '.join(map(str, frame.columns))}"
                )
            texts = select_columns(frame.assign(_label=""), cols, "_label", str(args.input))[
                "text"
            ].tolist()
            if not texts:
                raise DataError(f"{args.input}: no rows to predict")
        else:
            texts = list(args.texts)
        model = load_model(args.model, args.tracking_uri)
    except (DataError, ModelLoadError) as exc:
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
    if args.output is not None:
        result.insert(0, "text", texts)
        atomic_write(args.output, lambda tmp: result.to_csv(tmp, index=False))
        print(f"wrote {len(result)} predictions to {args.output}")
    else:
        for text, row in zip(texts, result.itertuples(index=False)):
            short = text if len(text) <= 60 else text[:57] + "..."
            print(f"{row.industry}\t{row.probability:.3f}\t{short}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
