"""What a search shows its user: one line per trial, the trials table, plots and the summary."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from .params import flatten_params


def trial_line(tid: int, total: int, result: dict[str, Any], improved: bool) -> str:
    """``trial  3/20  objective -0.7521  val_acc 0.752  9.8s  best`` style line."""
    width = len(str(total))
    head = f"trial {tid + 1:>{width}}/{total}"
    seconds = f"{result.get('total_seconds', 0):6.1f}s"
    if result["status"] != "ok":
        return f"{head}  FAILED  {seconds}  {result.get('error', '')}"
    flags = " pruned" if result.get("pruned") else ""
    flags += "  *best*" if improved else ""
    return (
        f"{head}  objective {result['loss']:+.4f}  val_acc {result['val_accuracy']:.3f}  "
        f"val_f1 {result['val_macro_f1']:.3f}  epochs {result['epochs']:>2}  {seconds}{flags}"
    )


def trials_table(trials) -> pd.DataFrame:
    """One row per finished trial with its figures and flattened params."""
    rows = []
    for doc in trials.trials:
        r = doc["result"]
        rows.append(
            {
                "trial": doc["tid"] + 1,
                "run_id": r.get("run_id"),
                "status": r.get("status"),
                "pruned": bool(r.get("pruned", False)),
                "objective": r.get("loss"),
                "val_accuracy": r.get("val_accuracy"),
                "val_macro_f1": r.get("val_macro_f1"),
                "test_accuracy": r.get("test_accuracy"),
                "test_macro_f1": r.get("test_macro_f1"),
                "epochs": r.get("epochs"),
                "seconds": r.get("total_seconds"),
                "error": r.get("error"),
                **{
                    k: v for k, v in flatten_params(r.get("params", {})).items() if k != "objective"
                },
            }
        )
    return pd.DataFrame(rows)


def log_trials_table(search, parent) -> pd.DataFrame:
    """Write the trials table to the parent run as ``trials.csv``; return it."""
    table = trials_table(search.state.trials)
    path = search.workdir / "trials.csv"
    table.to_csv(path, index=False)
    parent.log_artifact(path)
    return table


def _baseline(search) -> dict[str, Any] | None:
    """The newest TF-IDF baseline run on the same data in this experiment, if any."""
    exp = search.client.get_experiment_by_name(search.cfg.experiment)
    runs = search.client.search_runs(
        [exp.experiment_id],
        filter_string=(
            "tags.`jobsearch.kind` = 'baseline' and "
            f"tags.`data.fingerprint` = '{search.data.fingerprint}'"
        ),
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return dict(runs[0].data.metrics) if runs else None


def _run_baseline(search) -> dict[str, Any]:
    from .baseline import run_baseline

    return run_baseline(search.data, search.uri, search.cfg.experiment)


def finalize(search, stop_reason: str) -> dict[str, Any]:
    """Log the table, plots and best model to the parent run; print and return the summary."""
    from . import plots
    from .tracking import RunRecorder, ui_command

    cfg, state = search.cfg, search.state
    parent = RunRecorder(search.client, cfg.experiment, run_id=state.parent_run_id)
    table = log_trials_table(search, parent)
    out = search.workdir
    objective = cfg.settings.get("objective", "accuracy")
    searched = [p for p in cfg.space.searched if p != "dense_layers"]
    if "dense_layers" in cfg.space.searched:
        searched.append("n_dense_layers")
    figures = [
        plots.best_so_far(table, out / "best_so_far.png", objective) if len(table) else None,
        plots.param_effects(table, searched, out / "objective_vs_params.png"),
        plots.importance(table, searched, out / "param_importance.png"),
    ]
    best = state.best
    if best is not None and best.get("test_predictions") is not None:
        figures.append(
            plots.confusion(
                search.data.labels["test"],
                np.asarray(best["test_predictions"]),
                search.data.classes,
                out / "confusion_matrix.png",
            )
        )
    for fig in figures:
        if fig is not None:
            parent.log_artifact(fig, "plots")
    counts = table["status"].value_counts() if len(table) else pd.Series(dtype=int)
    pruned = int(table["pruned"].sum()) if len(table) else 0
    summary: dict[str, Any] = {
        "experiment": cfg.experiment,
        "parent_run_id": state.parent_run_id,
        "stop_reason": stop_reason,
        "trials_ok": int(counts.get("ok", 0)) - pruned,
        "trials_pruned": pruned,
        "trials_failed": int(counts.get("fail", 0)),
        "wall_seconds": state.wall_seconds,
        "tracking_uri": search.uri,
        "ui_command": ui_command(search.uri),
        "best": best and {k: v for k, v in best.items() if k != "test_predictions"},
        "baseline": _baseline(search) or _run_baseline(search),
        "model_version": None,
    }
    if best is not None:
        parent.log_dict(best["params"], "best_params.json")
        weights = out / "best.weights.h5"
        if cfg.register and weights.is_file() and state.registered_trial != best["tid"]:
            from .registry import log_and_register
            from .search import save_state

            summary["model_version"] = log_and_register(search, parent)
            state.registered_trial = best["tid"]
            save_state(search.path, state)
    parent.log(metrics={"wall_seconds": state.wall_seconds}, tags={"stop_reason": stop_reason})
    parent.finish("FINISHED")
    print(format_summary(summary))
    return summary


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4f}"
    return "-" if value is None else str(value)


def format_summary(s: dict[str, Any]) -> str:
    """The end-of-search table a person reads."""
    lines = ["", f"Search finished ({s['stop_reason']}) in {s['wall_seconds']:.0f}s"]
    lines.append(
        f"trials: {s['trials_ok']} ok, {s['trials_pruned']} pruned, {s['trials_failed']} failed"
    )
    best, base = s["best"], s["baseline"] or {}
    if best is None:
        lines.append("no trial succeeded")
    else:
        lines += [
            "",
            f"{'':<22}{'val acc':>10}{'val F1':>10}{'test acc':>10}{'test F1':>10}",
            f"{'best LSTM (trial ' + str(best['tid'] + 1) + ')':<22}"
            + "".join(
                f"{_fmt(best[k]):>10}"
                for k in ("val_accuracy", "val_macro_f1", "test_accuracy", "test_macro_f1")
            ),
        ]
        if base:
            lines.append(
                f"{'TF-IDF baseline':<22}"
                + "".join(
                    f"{_fmt(base.get(k)):>10}"
                    for k in ("val_accuracy", "val_macro_f1", "test_accuracy", "test_macro_f1")
                )
            )
        lines += ["", "best params:", json.dumps(best["params"], indent=2)]
    if s.get("model_version"):
        lines.append(f"\nregistered model: {s['model_version']}")
    lines += [
        "",
        f"experiment: {s['experiment']}  (parent run {s['parent_run_id']})",
        f"open the MLflow UI: {s['ui_command']}",
    ]
    return "\n".join(lines)
