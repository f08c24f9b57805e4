"""Quality benchmark: does the search beat the linear baselines and the question's models?

One command per set, on this machine, under the set's documented budget:

    python benchmarks/quality.py --set demo     # the bundled demo postings
    python benchmarks/quality.py --set reed     # ../shared/data/reed_uk_titles (job titles)
    python benchmarks/quality.py --set adzuna   # ../shared/data/adzuna_uk_sample (full ads)

Every model uses the same stratified 70/15/15 split (seed 0). Selection (C of the baselines,
the search's best trial, the registered model) uses the validation split only; test figures
are reported, never used. The search runs as `run_search` in a private MLflow store; its
registered `@champion` is loaded back as the served pyfunc and scored on the raw test texts.
Prints a markdown row per model and writes benchmarks/results/quality-<set>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import description, matmul_gflops

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "demo": {"path": None, "min_class_size": 10},
    "reed": {"path": SHARED / "reed_uk_titles" / "reed_uk_titles.csv.gz", "min_class_size": 10},
    "adzuna": {
        "path": SHARED / "adzuna_uk_sample" / "adzuna_uk_sample.csv.gz",
        "min_class_size": 20,
    },
}
# The documented budget per set: sampler, trials, epochs per trial.
BUDGETS = {
    "demo": {"algo": "random", "trials": 20, "max_epochs": 6},
    "reed": {"algo": "tpe", "trials": 20, "max_epochs": 8},
    "adzuna": {"algo": "tpe", "trials": 20, "max_epochs": 8},
}


def _scores(y, pred) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {
        "test_accuracy": float((pred == y).mean()),
        "test_macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), required=True)
    parser.add_argument("--trials", type=int, default=None, help="override the budget's trials")
    parser.add_argument("--max-epochs", type=int, default=None, help="override epochs per trial")
    parser.add_argument("--algo", choices=("random", "tpe"), default=None)
    parser.add_argument("--space", default=None, help="search space (default: the default space)")
    parser.add_argument("--skip-question-models", action="store_true")
    parser.add_argument(
        "--seed", type=int, default=0, help="the search's sampler seed (the split stays seed 0)"
    )
    args = parser.parse_args()

    import numpy as np

    from jobsearch import prepare_dataset, run_experiment, run_search
    from jobsearch.baseline import fit_baselines
    from jobsearch.presets import MODEL_1, MODEL_2, MODEL_3
    from jobsearch.search import DEFAULT_SPACE
    from jobsearch.search.space import load_space
    from jobsearch.search.state import load_state, state_path

    speed = [matmul_gflops()]
    spec = SETS[args.set]
    budget = dict(BUDGETS[args.set])
    for key in ("trials", "max_epochs", "algo"):
        if getattr(args, key) is not None:
            budget[key] = getattr(args, key)
    data = prepare_dataset(
        spec["path"], ["text"], "industry", min_class_size=spec["min_class_size"]
    )
    y_test, y_val = data.labels["test"], data.labels["val"]
    majority = float(np.bincount(y_val).max() / len(y_val))
    rows: dict[str, dict] = {}
    print(f"set {args.set}: {data.summary['splits']}, {len(data.classes)} classes, budget {budget}")

    start = time.perf_counter()
    for b in fit_baselines(data):
        rows[f"{b.name} (C={b.settings['C']:g}, {b.settings['features']})"] = {
            **b.metrics,
            "seconds": time.perf_counter() - start,
        }
        start = time.perf_counter()
    best_linear_val = max(r["val_accuracy"] for r in rows.values())

    # The question's models: architectures as written; the sequence length is the data's 95th
    # percentile instead of 3000 tokens, epochs capped at the budget (early stopping, patience 2).
    models = (
        {}
        if args.skip_question_models
        else {"Model_1": MODEL_1, "Model_2": MODEL_2, "Model_3": MODEL_3}
    )
    models["default model"] = {}
    for name, preset in models.items():
        params = {**preset, "max_epochs": budget["max_epochs"], "patience": 2}
        if preset:
            params["max_len"] = "p95"
        r = run_experiment(params, data, track=False)
        rows[name] = {
            "val_accuracy": r.val_accuracy,
            "val_macro_f1": r.val_macro_f1,
            "test_accuracy": r.test_accuracy,
            "test_macro_f1": r.test_macro_f1,
            "seconds": r.total_seconds,
        }
        print(name, rows[name], flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            experiment = f"quality-{args.set}"
            space = load_space(args.space or DEFAULT_SPACE, {"max_epochs": budget["max_epochs"]})
            started = time.perf_counter()
            summary = run_search(
                space,
                data,
                algo=budget["algo"],
                trials=budget["trials"],
                experiment=experiment,
                tracking_uri=f"sqlite:///{tmp}/mlruns/mlflow.db",
                seed=args.seed,
                show_progress=False,
            )
            wall = time.perf_counter() - started
            import mlflow

            mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlruns/mlflow.db")
            model = mlflow.pyfunc.load_model(f"models:/{experiment}@champion")
            predicted = model.predict(data.split.texts["test"])["industry"].to_numpy()
            index = {c: i for i, c in enumerate(data.classes)}
            pred = np.array([index[c] for c in predicted])
            best, ensemble = summary["best"], summary.get("ensemble")
            rows[f"search: best trial ({best['tid'] + 1})"] = {
                **{k: best[k] for k in ("val_accuracy", "val_macro_f1")},
                **{k: best[k] for k in ("test_accuracy", "test_macro_f1")},
                "seconds": wall,
            }
            chosen = ensemble or best
            served = f"ensemble of trials {ensemble['label']}" if ensemble else "best trial"
            rows[f"search: registered model, served ({served})"] = {
                "val_accuracy": chosen["val_accuracy"],
                "val_macro_f1": chosen["val_macro_f1"],
                **_scores(y_test, pred),
                "seconds": wall,
            }
            state = load_state(state_path(Path("mlruns") / "searches", experiment))
        finally:
            os.chdir(cwd)
    trials = [t.result for t in state.trials]
    collapsed = sum(
        1
        for r in trials
        if r.get("status") != "ok" or (r.get("val_accuracy") or 0) <= majority + 1e-9
    )
    elapsed, to_quality = 0.0, None
    for r in trials:
        elapsed += r.get("trial_seconds", 0.0)
        if to_quality is None and (r.get("val_accuracy") or 0) > best_linear_val:
            to_quality = elapsed
    speed.append(matmul_gflops())
    report = {
        "set": args.set,
        "date": date.today().isoformat(),
        "machine": description(),
        "matmul_gflops_start_end": speed,
        "splits": data.summary["splits"],
        "classes": len(data.classes),
        "budget": budget,
        "search_seed": args.seed,
        "search_wall_seconds": wall,
        "trials": len(trials),
        "collapsed_trials": collapsed,
        "majority_val_accuracy": majority,
        "seconds_to_beat_best_linear_on_val": to_quality,
        "best_params": best["params"],
        "rows": rows,
        "per_trial": [
            {k: r.get(k) for k in ("trial_seconds", "epochs", "pruned", "val_accuracy", "params")}
            for r in trials
        ],
    }
    print(
        "\n| model | val acc | val F1 | test acc | test F1 | seconds |\n|---|---|---|---|---|---|"
    )
    for name, r in rows.items():
        print(
            f"| {name} | {r['val_accuracy']:.3f} | {r['val_macro_f1']:.3f} | "
            f"{r['test_accuracy']:.3f} | {r['test_macro_f1']:.3f} | {r['seconds']:.0f} |"
        )
    print(
        f"\ncollapsed trials (val acc <= majority {majority:.3f}, or failed): "
        f"{collapsed}/{len(trials)}"
        f"; search wall time {wall:.0f}s; time until a trial beat the best linear model on "
        f"validation: {'not reached' if to_quality is None else f'{to_quality:.0f}s'}"
        f"; float32 matmul {speed[0]:.0f} GFLOP/s at the start, {speed[1]:.0f} at the end"
    )
    out = Path(__file__).resolve().parent / "results" / f"quality-{args.set}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
