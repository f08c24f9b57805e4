"""A finished search as people read it: the served model, the best trials and the baselines,
as terminal text (``python -m jobsearch.report``) or as Markdown for the MLflow UI (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .summary import WEAKEST

FIGURES = ("val_accuracy", "val_macro_f1", "test_accuracy", "test_macro_f1")
HEADERS = ("val accuracy", "val macro-F1", "test accuracy", "test macro-F1")
NBSP = "\u00a0"  # "trial 7" kept on one line in a narrow table cell
GAP = "&emsp;"  # space after each cell (the UI pads no cell and drops Unicode spaces)
MARKDOWN_LIMIT = 5000  # characters a model version's description holds on every MLflow store


@dataclass
class Row:
    """One model on the board: a trial, the served model or a baseline."""

    name: str
    figures: dict[str, float]
    run_id: str | None = None
    score: float | None = None
    status: str = "ok"
    epochs: int | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Leaderboard:
    """What one search found, read back from the tracking store."""

    experiment: str
    experiment_id: str
    search_run_id: str
    algo: str
    objective: str
    status: str
    trials: list[Row]  # finished trials, best first
    failed: int
    baselines: list[Row]
    served: Row | None = None
    learned_from: str | None = None
    model: str | None = None  # models:/NAME/VERSION
    plots: list[str] = field(default_factory=list)  # artifact paths of the search run
    weakest: str | None = None  # the served model's weakest industries, as summary.weakest
    hint: str | None = None  # summary.trailing_hint's advice, when the LSTMs trail a baseline

    @property
    def better(self) -> str:
        return "lower" if self.objective == "loss" else "higher"

    @property
    def score_name(self) -> str:
        return f"val {self.objective.replace('_', '-')}"


def _number(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def _param(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return value if number.is_integer() or "e" in value else f"{number:.3g}"


def _params(row: Row) -> str:
    return ", ".join(f"{k}={_param(v)}" for k, v in row.params.items())


def _models(board: Leaderboard, best: bool = True) -> list[Row]:
    """The served model, the baselines it is compared with, then the best trial."""
    rows = [Row("served model", board.served.figures)] if board.served else []
    rows += board.baselines
    if board.trials and best:
        best = board.trials[0]
        rows.append(Row(f"best LSTM ({best.name})", best.figures, best.run_id))
    return rows


def _headline(board: Leaderboard) -> str:
    counts = f"{len(board.trials)} trials finished"
    pruned = sum(r.status == "pruned" for r in board.trials)
    counts += f" ({pruned} pruned)" if pruned else ""
    counts += f", {board.failed} failed" if board.failed else ""
    return f"{board.algo} search, {counts}; chosen on {board.score_name} ({board.better} is better)"


def text(board: Leaderboard, top: int = 10) -> str:
    """The leaderboard for a terminal."""
    lines = [f"experiment {board.experiment}, search run {board.search_run_id} ({board.status})"]
    lines.append(_headline(board))
    if board.served:
        lines.append(f"served model: {board.served.name}")
        if board.model:
            lines.append(f"registered as {board.model}, learned from {board.learned_from}")
    models = _models(board)
    if models:
        width = max(len(r.name) for r in models) + 2
        lines += ["", f"{'':<{width}}" + "".join(f"{h:>15}" for h in HEADERS)]
        lines += [
            f"{r.name:<{width}}" + "".join(f"{_number(r.figures.get(k)):>15}" for k in FIGURES)
            for r in models
        ]
    if board.weakest:
        lines.append(f"{WEAKEST}: {board.weakest}")
    if board.hint:
        lines.append(board.hint)
    if board.trials:
        shown = board.trials[:top]
        lines += ["", f"best trials ({len(shown)} of {len(board.trials)}):"]
        head = f"{'trial':<10}{board.score_name:>14}{'test acc':>10}{'epochs':>8}  "
        lines.append(head + f"{'status':<8}params")
        lines += [
            f"{r.name:<10}{_number(r.score):>14}{_number(r.figures.get('test_accuracy')):>10}"
            f"{r.epochs or '-':>8}  {r.status:<8}{_params(r)}"
            for r in shown
        ]
    return "\n".join(lines)


@dataclass
class Links:
    """Where the UI shows a run and an artifact (relative links, so any host serves them)."""

    run: Callable[[str], str]
    artifact: Callable[[str], str]


def brief(board: Leaderboard, links: Links, top: int = 3) -> str:
    """The leaderboard in the 100 pixels the MLflow UI shows of a run's description before it
    folds the rest behind "Show more" and fades it: one column per model (the served one, the
    baselines, the best ``top`` trials), one row per figure."""
    models = [Row("**served model**", board.served.figures)] if board.served else []
    models += board.baselines + board.trials[:top]
    head = [f"[{r.name}]({links.run(r.run_id)})" if r.run_id else r.name for r in models]
    lines = ["| | " + " | ".join(h + GAP for h in head) + " |", "|---" * (len(models) + 1) + "|"]
    lines += [
        f"| {label}{GAP} | " + " | ".join(_number(r.figures.get(k)) + GAP for r in models) + " |"
        for k, label in zip(FIGURES, HEADERS)
    ]
    return "\n".join(lines)


def _plot_name(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".png").replace("_", " ")


def markdown(board: Leaderboard, links: Links, top: int = 10) -> str:
    """The leaderboard as the MLflow UI renders it in a description (at most
    MARKDOWN_LIMIT characters: fewer trials are listed when more would not fit)."""
    for n in range(min(top, len(board.trials)), -1, -1):
        note = _markdown(board, links, n)
        if len(note) <= MARKDOWN_LIMIT:
            return note
    return note[:MARKDOWN_LIMIT]


def _markdown(board: Leaderboard, links: Links, top: int) -> str:
    served = board.served
    lines = ["| model | " + " | ".join(HEADERS) + " |"]
    lines.append("|---" * (len(HEADERS) + 1) + "|")
    for r in _models(board):
        name = f"[{r.name}]({links.run(r.run_id)})" if r.run_id else r.name
        name = f"**{name}**" if r.name == "served model" else name
        lines.append(f"| {name} | " + " | ".join(_number(r.figures.get(k)) for k in FIGURES) + " |")
    head = f"**Served model: {served.name}**" if served else "**No model served yet**"
    if board.model:
        head += f", registered as `{board.model}`, learned from {board.learned_from}"
    lines += ["", head + ".", "", _headline(board) + "."]
    if served and board.learned_from and "test" in board.learned_from:
        lines += [
            "",
            "Every row learned from the training split; the served model was then refit on "
            "every labelled row, and its test figures are the estimate for it (the test split "
            "chose nothing).",
        ]
    if board.weakest:
        csv = f"[per_class.csv]({links.artifact('per_class.csv')})"
        lines += ["", f"The {WEAKEST}: {board.weakest}; all of them: {csv}."]
    if board.hint:
        lines += ["", board.hint[0].upper() + board.hint[1:] + "."]
    if top:
        lines += ["", f"#### Best trials ({top} of {len(board.trials)})", ""]
        lines.append(f"| trial | {board.score_name} | test accuracy | epochs | params |")
        lines.append("|---|---|---|---|---|")
        for r in board.trials[:top]:
            pruned = " (pruned)" if r.status == "pruned" else ""
            lines.append(
                f"| [{r.name.replace(' ', NBSP)}]({links.run(r.run_id)}){pruned} | "
                f"{_number(r.score)} | "
                f"{_number(r.figures.get('test_accuracy'))} | {r.epochs or '-'} | {_params(r)} |"
            )
    if board.plots:
        named = [f"[{_plot_name(p)}]({links.artifact(p)})" for p in board.plots]
        lines += ["", "Plots: " + " · ".join(named)]
    return "\n".join(lines)
