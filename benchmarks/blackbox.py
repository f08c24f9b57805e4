"""The user's comparison: the served ``@champion`` as a black box against scikit-learn on rows
the search never saw.

    python benchmarks/blackbox.py --set demo      # the bundled demo, ./dev.sh demo's budget
    python benchmarks/blackbox.py --set reed      # ../shared/data/reed_uk_titles (job titles)
    python benchmarks/blackbox.py --set reed1500  # a stratified 1,500-row Reed sample
    python benchmarks/blackbox.py --set adzuna --seed 1   # ../shared/data/adzuna_uk_sample
    python benchmarks/blackbox.py --set demo --sample 850  # a stratified 850-row demo sample
    python benchmarks/blackbox.py --data postings.csv --text-col description  # your postings

Per set: classes under 10 rows are dropped (then, with ``--sample N``, a stratified sample of N
rows is drawn, seed 0, and named ``<set><N>``: ``--set reed --sample 1500`` is reed1500); 15% of
the rows are held out (stratified, seed 0)
and never shown to the search; the real command (`python -m jobsearch.<algo>`, its defaults
otherwise) runs on the other 85%, written as a CSV in a fresh folder with its own store; the
registered `models:/blackbox@champion` is loaded through `mlflow.pyfunc` and scored on the
held-out texts beside three scikit-learn models trained on the same 85%: TF-IDF + LinearSVC
(defaults), TF-IDF + logistic regression, and the tuned LinearSVC a careful user fits in
minutes (word 1-2-gram + char_wb 2-5-gram TF-IDF, C in {0.1, 0.3, 1, 3} picked on a 15%
stratified cut of the 85%, then refit on all of it). Macro-F1 is over the held-out rows'
classes. Writes benchmarks/results/blackbox-<set>-seed<N>.json and prints one table row. The
scikit-learn rows depend on the set alone and are kept in blackbox-<set>-sklearn.json;
``--keep DIR`` runs the search in DIR and keeps it. ``--data FILE`` (with ``--text-col`` and
``--label-col``, as the search takes them) makes the same comparison on your own postings, a
text repeated in the file kept once, with the standard budget (20 TPE trials x 8 epochs), named
after the file, the JSON written to the current folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import commit, description

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SETS = {
    "demo": None,
    "reed": SHARED / "reed_uk_titles" / "reed_uk_titles.csv.gz",
    "reed1500": SHARED / "reed_uk_titles" / "reed_uk_titles.csv.gz",
    "adzuna": SHARED / "adzuna_uk_sample" / "adzuna_uk_sample.csv.gz",
}
STANDARD = {"algo": "tpe", "trials": 20, "max_epochs": 8}  # the budget; --data's too
BUDGETS = {  # the demo's is ./dev.sh demo's
    "demo": {"algo": "random", "trials": 20, "max_epochs": 6},
    "reed": STANDARD,
    "reed1500": STANDARD,
    "adzuna": STANDARD,
}
MIN_ROWS, HOLDOUT, SAMPLE = 10, 0.15, 1500


def load_rows(name: str, sample: int | None = None, data: tuple | None = None):
    """Texts and labels of a set (or of ``data``: path, text columns, label column), classes
    under MIN_ROWS dropped, then ``sample`` rows drawn (stratified; Reed-1500: 1,500 of
    Reed's)."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    if data is not None:
        from jobsearch.data.load import clean_postings, read_table, select_columns

        path, text_cols, label_col = data
        frame = select_columns(read_table(path), text_cols, label_col, str(path))
        frame, _ = clean_postings(frame, MIN_ROWS, source=str(path))  # as the search cleans
        frame = frame.rename(columns={"label": "industry"})
    elif SETS[name] is None:
        from jobsearch.data.demo import generate_demo

        demo = generate_demo()
        frame = pd.DataFrame(
            {"text": demo["title"] + "\n" + demo["description"], "industry": demo["industry"]}
        )
    else:
        frame = pd.read_csv(SETS[name], dtype=str, keep_default_na=False)[["text", "industry"]]
    counts = frame["industry"].value_counts()
    frame = frame[frame["industry"].isin(counts[counts >= MIN_ROWS].index)].reset_index(drop=True)
    sample = SAMPLE if name == "reed1500" else sample
    if sample is not None:
        frame, _ = train_test_split(
            frame, train_size=sample, stratify=frame["industry"], random_state=0
        )
        counts = frame["industry"].value_counts()
        frame = frame[frame["industry"].isin(counts[counts >= 2].index)]
    return frame.reset_index(drop=True)


def scores(y_true, y_pred) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(y_true))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
    }


def tuned_linear_svc(c: float):
    """The user's tuned LinearSVC at ``c``: word 1-2-gram + char_wb 2-5-gram TF-IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    return make_pipeline(features, LinearSVC(C=c))


def sklearn_rows(train, test) -> dict[str, dict]:
    """The three scikit-learn models, trained on ``train``, scored on ``test``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    x, y = train["text"].tolist(), train["industry"].tolist()
    rows = {}
    for name, model in (
        ("TF-IDF + LinearSVC (defaults)", make_pipeline(TfidfVectorizer(), LinearSVC())),
        (
            "TF-IDF + logistic regression",
            make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)),
        ),
    ):
        started = time.perf_counter()
        model.fit(x, y)
        rows[name] = {**scores(test["industry"], model.predict(test["text"].tolist())),
                      "seconds": time.perf_counter() - started}  # fmt: skip

    started = time.perf_counter()
    fit_x, cut_x, fit_y, cut_y = train_test_split(
        x, y, test_size=HOLDOUT, stratify=y, random_state=0
    )
    by_c = {c: scores(cut_y, tuned_linear_svc(c).fit(fit_x, fit_y).predict(cut_x))["accuracy"]
            for c in (0.1, 0.3, 1, 3)}  # fmt: skip
    best_c = max(by_c, key=by_c.get)
    model = tuned_linear_svc(best_c).fit(x, y)
    rows[f"tuned LinearSVC (word 1-2 + char_wb 2-5, C={best_c:g} on a 15% cut, refit)"] = {
        **scores(test["industry"], model.predict(test["text"].tolist())),
        "seconds": time.perf_counter() - started,
    }
    return rows


def served_row(train, test, budget: dict, seed: int, keep: Path | None) -> tuple[dict, dict]:
    """Run the real command on ``train`` in a fresh folder (``keep``, else a temporary one);
    score its champion on ``test``."""
    import mlflow

    if keep is not None:
        keep.mkdir(parents=True)
    with contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory() as tmp:
        train.to_csv(Path(tmp) / "postings.csv", index=False)
        command = [
            sys.executable, "-m", f"jobsearch.{budget['algo']}", "--data", "postings.csv",
            "--text-col", "text", "--label-col", "industry", "--trials", str(budget["trials"]),
            "--max-epochs", str(budget["max_epochs"]), "--seed", str(seed),
            "--experiment", "blackbox", "--model-name", "blackbox",
        ]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"the search failed ({done.returncode}): {done.stderr[-2000:]}")
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlruns/mlflow.db")
        model = mlflow.pyfunc.load_model("models:/blackbox@champion")
        predicted = model.predict(test[["text"]])["industry"].tolist()
        summary = [line for line in done.stdout.splitlines() if line.strip()]
    return (
        {**scores(test["industry"], predicted), "seconds": wall},
        {"command": " ".join(command[1:]), "summary_tail": summary[-40:]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--set", choices=sorted(SETS), help="one of the project's sets")
    source.add_argument("--data", type=Path, help="your postings (CSV, TSV, Parquet, JSON Lines)")
    parser.add_argument(
        "--text-col",
        action="append",
        dest="text_cols",
        help="--data's text column (repeatable; default: text)",
    )
    parser.add_argument(
        "--label-col", default="industry", help="--data's label column (default: industry)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the search's seed (the split: 0)")
    parser.add_argument("--trials", type=int, default=None, help="override the budget's trials")
    parser.add_argument("--max-epochs", type=int, default=None, help="override epochs per trial")
    parser.add_argument(
        "--sample", type=int, default=None, help="search on a stratified sample of this many rows"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="run the search in this new folder and keep it"
    )
    args = parser.parse_args()
    from jobsearch.cli.common import hide_native_logs

    hide_native_logs()  # TensorFlow's start-up lines, as the commands hide them
    measured_at = commit()
    from sklearn.model_selection import train_test_split

    budget = dict(BUDGETS[args.set] if args.set else STANDARD)
    for key in ("trials", "max_epochs"):
        if getattr(args, key) is not None:
            budget[key] = getattr(args, key)
    if args.data is not None:
        from jobsearch.data.load import DataError

        try:
            data = (args.data, args.text_cols or ["text"], args.label_col)
            frame = load_rows("", args.sample, data)
        except DataError as exc:
            parser.error(str(exc))
    else:
        frame = load_rows(args.set, args.sample)
    base = args.set or args.data.name.split(".")[0]
    label = base if args.sample is None else f"{base}{args.sample}"
    train, test = train_test_split(
        frame, test_size=HOLDOUT, stratify=frame["industry"], random_state=0
    )
    print(f"{label}: {len(train)} rows to search on, {len(test)} held out, "
          f"{frame['industry'].nunique()} classes; budget {budget}", flush=True)  # fmt: skip
    # the scikit-learn rows depend on the set alone (the split is fixed): computed once (a file
    # of yours may change under its name: computed every time, results in the current folder)
    results = ROOT / "benchmarks" / "results" if args.data is None else Path.cwd()
    cached = results / f"blackbox-{label}-sklearn.json"
    if cached.is_file() and args.data is None:
        rows = json.loads(cached.read_text())
    else:
        rows = sklearn_rows(train, test)
        if args.data is None:
            cached.write_text(json.dumps(rows, indent=2) + "\n")
    for name, row in rows.items():
        print(f"{name}: {row}", flush=True)
    served, run = served_row(train, test, budget, args.seed, args.keep)
    rows = {"served @champion": served, **rows}
    report = {
        "set": label, "date": date.today().isoformat(), "machine": description(),
        "commit": measured_at, "search_seed": args.seed, "budget": budget,
        "rows_searched": len(train), "rows_held_out": len(test),
        "classes": int(frame["industry"].nunique()), "rows": rows, **run,
    }  # fmt: skip
    out = results / f"blackbox-{label}-seed{args.seed}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    tuned = next(r for name, r in rows.items() if name.startswith("tuned"))
    print("\n| set | served acc / F1 | tuned LinearSVC | LinearSVC | LR | search wall | commit |")
    print(
        f"| {label} (seed {args.seed}) | {served['accuracy']:.3f} / {served['macro_f1']:.3f} "
        f"| {tuned['accuracy']:.3f} / {tuned['macro_f1']:.3f} "
        + "".join(
            f"| {r['accuracy']:.3f} / {r['macro_f1']:.3f} "
            for name, r in rows.items()
            if name.startswith("TF-IDF")
        )
        + f"| {served['seconds']:.0f} s | {measured_at} |"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
