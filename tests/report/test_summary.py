"""The end-of-search summary's words (pure functions on a search's figures)."""

from __future__ import annotations

from jobsearch.report.summary import format_summary, trailing_hint


def test_a_search_whose_lstms_trail_a_baseline_says_what_to_give_them():
    best = {"tid": 1, "val_accuracy": 0.677, "val_macro_f1": 0.431, "params": {"max_epochs": 1}}
    svc = {"val_accuracy": 0.846, "val_macro_f1": 0.779}
    lr = {"val_accuracy": 0.817, "val_macro_f1": 0.728}
    baselines = {"TF-IDF + logistic regression": lr, "TF-IDF + LinearSVC": svc}
    hint = trailing_hint(best, baselines, 480)
    assert hint.startswith("the LSTM trials trail TF-IDF + LinearSVC on validation")
    assert "0.677 against 0.846" in hint and "the best trial had 1)" in hint
    summary = {
        "stop_reason": "all trials done", "wall_seconds": 22, "trials_ok": 2, "trials_pruned": 0,
        "trials_failed": 0, "best": best, "baselines": {"TF-IDF + LinearSVC": svc},
        "experiment": "e", "parent_run_id": "p", "ui_command": "mlflow ui", "search_url": "u",
        "runs_url": "r", "hint": hint,
    }  # fmt: skip
    assert hint in format_summary(summary).splitlines()
    # ahead on macro-F1: no hint (a baseline more accurate, less balanced is no lead)
    assert trailing_hint({**best, "val_macro_f1": 0.78}, baselines, 480) is None
    # behind by three validation rows of 480 (as the demo's own search can be): noise
    level = {**best, "val_accuracy": 0.840, "val_macro_f1": 0.775}
    assert trailing_hint(level, baselines, 480) is None
    # the same gap on 40,000 rows is more than noise
    assert trailing_hint(level, baselines, 40_000) is not None
    assert trailing_hint(best, {}, 480) is None
