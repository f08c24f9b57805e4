"""The leaderboard as people read it: the brief table the UI shows unfolded, the whole
Markdown within what every MLflow store keeps, the terminal text."""

from __future__ import annotations

from jobsearch.report.leaderboard import (
    MARKDOWN_LIMIT,
    Leaderboard,
    Links,
    Row,
    brief,
    markdown,
    text,
)

LINKS = Links(run=lambda run_id: f"#/r/{run_id}", artifact=lambda path: f"#/a/{path}")
FIGS = {"val_accuracy": 0.8, "val_macro_f1": 0.7, "test_accuracy": 0.79, "test_macro_f1": 0.69}


def _board(n_trials: int, param_chars: int) -> Leaderboard:
    trials = [
        Row(f"trial {i}", FIGS, run_id=f"t{i}", score=0.9 - i / 100, epochs=3,
            params={"lstm_units": "64", "note": "x" * param_chars})
        for i in range(1, n_trials + 1)
    ]  # fmt: skip
    return Leaderboard(
        experiment="e", experiment_id="1", search_run_id="p", algo="tpe",
        objective="accuracy", status="FINISHED", trials=trials, failed=0,
        baselines=[Row("TF-IDF + LinearSVC", FIGS, run_id="b1")],
        served=Row("ensemble of trials 1 60% + LinearSVC 40%", FIGS, run_id="p"),
        learned_from="train+val+test (100 rows)", model="models:/e/1",
        plots=["plots/best_so_far.png"],
    )  # fmt: skip


def test_the_brief_is_one_column_per_model_and_one_row_per_figure():
    lines = brief(_board(20, 10), LINKS).replace("&emsp;", "").splitlines()
    assert len(lines) == 2 + 4  # five table rows: 100 pixels in the UI, shown unfolded
    assert lines[0] == (
        "| | **served model** | [TF-IDF + LinearSVC](#/r/b1) | [trial 1](#/r/t1) | "
        "[trial 2](#/r/t2) | [trial 3](#/r/t3) |"
    )


def test_the_whole_markdown_lists_fewer_trials_rather_than_pass_the_store_limit():
    short = markdown(_board(12, 10), LINKS)
    assert "#### Best trials (10 of 12)" in short and len(short) <= MARKDOWN_LIMIT
    long = markdown(_board(12, 700), LINKS)
    assert len(long) <= MARKDOWN_LIMIT and "[best so far](#/a/plots/best_so_far.png)" in long
    listed = int(long.split("#### Best trials (")[1].split(" ")[0])
    assert 1 <= listed < 10 and f"[trial\u00a0{listed}]" in long
    assert f"[trial\u00a0{listed + 1}]" not in long


def test_the_served_models_weakest_industries_are_named_with_a_link_to_all_of_them():
    board = _board(3, 10)
    assert "weakest" not in markdown(board, LINKS) and "weakest" not in text(board)
    board.weakest = "Internet 0.33 (5 rows), Insurance 0.50 (5 rows)"
    assert (
        "The weakest industries (served model, test F1): Internet 0.33 (5 rows), Insurance 0.50 "
        "(5 rows); all of them: [per_class.csv](#/a/per_class.csv)."
    ) in markdown(board, LINKS)
    assert "weakest industries (served model, test F1): Internet 0.33 (5 rows)," in text(board)


def test_the_advice_for_trailing_lstms_is_read_where_the_search_said_it():
    board = _board(3, 10)
    board.hint = "the LSTM trials trail TF-IDF + LinearSVC on validation (accuracy 0.677 ...)"
    assert "\nThe LSTM trials trail TF-IDF + LinearSVC on validation (accuracy 0.677 ...)." in (
        markdown(board, LINKS)
    )
    assert board.hint in text(board).splitlines()
