"""What a search shows its user: one line per trial, the trials table, the summary (pure)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..model.metrics import score
from ..params import flatten_params

if TYPE_CHECKING:
    from ..search.state import TrialRecord
    from ..trial import TrialResult


def trial_line(tid: int, total: int, result: TrialResult, improved: bool) -> str:
    """``trial  3/20  val_acc 0.752  val_f1 0.701  epochs  6    9.8s  *best*`` style line."""
    width = len(str(total))
    head = f"trial {tid + 1:>{width}}/{total}"
    seconds = f"{result.total_seconds:6.1f}s"
    if not result.ok:
        return f"{head}  FAILED  {seconds}  {result.error or ''}"
    flags = "  pruned" if result.pruned else ""
    flags += "  *best*" if improved else ""
    loss = f"val_loss {result.val_loss:.3f}  " if result.objective == "loss" else ""
    return (
        f"{head}  {loss}val_acc {result.val_accuracy:.3f}  val_f1 {result.val_macro_f1:.3f}  "
        f"epochs {result.epochs:>2}  {seconds}{flags}"
    )


def trials_table(records: Sequence[TrialRecord], objective: str) -> pd.DataFrame:
    """One row per finished trial with its figures and flattened params.

    ``status`` is ok, pruned or fail; ``score`` is the objective as people read it (validation
    accuracy, macro-F1 or loss); whole-number columns stay whole numbers."""
    rows = []
    for record in records:
        r = record.result
        pruned = bool(r.get("pruned", False))
        loss = r.get("loss") if r.get("status") == "ok" else None
        rows.append(
            {
                "trial": record.tid + 1,
                "run_id": r.get("run_id"),
                "status": "pruned" if pruned and r.get("status") == "ok" else r.get("status"),
                "pruned": pruned,
                "score": None if loss is None else score(objective, loss),
                "val_accuracy": r.get("val_accuracy"),
                "val_macro_f1": r.get("val_macro_f1"),
                "test_accuracy": r.get("test_accuracy"),
                "test_macro_f1": r.get("test_macro_f1"),
                "epochs": r.get("epochs"),
                "seconds": r.get("total_seconds"),
                "error": r.get("error"),
                **flatten_params(record.params),
            }
        )
    table = pd.DataFrame(rows)
    for column in table.columns:
        values = [v for v in table[column] if not pd.isna(v)]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            table[column] = table[column].astype("Int64")
    return table


def searched_columns(space) -> list[str]:
    """The trials-table columns of the parameters a space varies (the dense stack by depth)."""
    searched = [p for p in space.searched if p != "dense_layers"]
    if "dense_layers" in space.searched:
        searched.append("n_dense_layers")
    return searched


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4f}"
    return "-" if value is None else str(value)


COLUMNS = ("val_accuracy", "val_macro_f1", "test_accuracy", "test_macro_f1")


def trailing_hint(
    best: dict[str, Any], baselines: dict[str, dict[str, Any]], val_rows: int
) -> str | None:
    """A line for a search whose best LSTM trails a baseline on validation macro-F1 and on
    accuracy by more than two standard errors of that baseline's accuracy on ``val_rows`` rows
    (a first search of a few short trials, not a row or two of noise): what to give the LSTMs;
    else None."""
    if best.get("val_accuracy") is None or best.get("val_macro_f1") is None:
        return None

    def far_ahead(row: dict[str, Any]) -> bool:
        acc, f1 = row.get("val_accuracy"), row.get("val_macro_f1")
        if acc is None or f1 is None:
            return False
        noise = 2 * math.sqrt(acc * (1 - acc) / max(val_rows, 1))
        return acc - best["val_accuracy"] > noise and f1 > best["val_macro_f1"]

    ahead = {name: row for name, row in baselines.items() if far_ahead(row)}
    if not ahead:
        return None
    name, row = max(ahead.items(), key=lambda item: item[1]["val_accuracy"])
    return (
        f"the LSTM trials trail {name} on validation (accuracy {best['val_accuracy']:.3f} "
        f"against {row['val_accuracy']:.3f}): more trials (--trials) or epochs (--max-epochs; "
        f"the best trial had {best['params']['max_epochs']}) give them their chance"
    )


def weakest(table: list[dict[str, Any]], n: int = 3) -> str:
    """``Internet 0.33 (5 rows), ...``: the ``n`` weakest industries with test rows, from
    ``table`` (per class, weakest first, as :func:`jobsearch.model.metrics.per_class` gives)."""
    weak = [r for r in table if r["rows"]][:n]
    return ", ".join(f"{r['industry']} {r['f1']:.2f} ({r['rows']} rows)" for r in weak)


WEAKEST = "weakest industries (served model, test F1)"


def format_summary(s: dict[str, Any]) -> str:
    """The end-of-search table a person reads."""
    lines = ["", f"Search finished ({s['stop_reason']}) in {s['wall_seconds']:.0f}s"]
    lines.append(
        f"trials: {s['trials_ok']} ok, {s['trials_pruned']} pruned, {s['trials_failed']} failed"
    )
    best = s["best"]
    if best is None:
        lines.append("no trial succeeded")
    else:
        rows = {f"best LSTM (trial {best['tid'] + 1})": best}
        if s.get("ensemble"):
            rows[f"ensemble (trials {s['ensemble']['label']})"] = s["ensemble"]
        rows.update(s.get("baselines") or {})
        width = max(len(name) for name in rows) + 2
        head = f"{'':<{width}}{'val acc':>10}{'val F1':>10}{'test acc':>10}{'test F1':>10}"
        lines += ["", head]
        lines += [
            f"{name:<{width}}" + "".join(f"{_fmt(row.get(k)):>10}" for k in COLUMNS)
            for name, row in rows.items()
        ]
        lines += [s["hint"]] if s.get("hint") else []
        if s.get("per_class"):
            lines.append(
                f"{WEAKEST}: {weakest(s['per_class'])}; all of them: per_class.csv in the "
                "search run"
            )
        lines += ["", "best params:", json.dumps(best["params"], indent=2)]
    if s.get("model_version"):
        lines.append(f"\nregistered model: {s['model_version']}")
        if s.get("refit"):
            refit = s["refit"]
            lines.append(
                f"it learned from {refit['learned_from']} (refit in {refit['seconds']:.0f}s); "
                "every row above learned from the training split alone, and the served "
                "model's row is its estimate (the test split chose nothing)"
            )
    lines += [
        "",
        f"experiment: {s['experiment']}  (parent run {s['parent_run_id']})",
        f"open the MLflow UI: {s['ui_command']}",
        f"the leaderboard (served model, best trials, baselines): {s['search_url']}",
        f"the trials, side by side: {s['runs_url']}",
    ]
    return "\n".join(lines)
