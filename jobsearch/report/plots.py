"""Figures for a search: best-so-far, objective against parameters, importance, confusion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.metrics import score_label


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path, dpi: int) -> Path:
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _finished(table: pd.DataFrame) -> pd.DataFrame:
    """Trials with a score (finished or pruned, not failed)."""
    return table[table["status"].isin(["ok", "pruned"]) & table["score"].notna()]


def _best_row(done: pd.DataFrame, objective: str) -> pd.Series:
    return done.loc[done["score"].idxmin() if objective == "loss" else done["score"].idxmax()]


def best_so_far(table: pd.DataFrame, path: Path, objective: str) -> Path | None:
    """Each trial's score and the running best, by trial number; the best trial marked."""
    done = _finished(table)
    if done.empty:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    kept = done[~done["pruned"]]
    pruned = done[done["pruned"]]
    ax.scatter(kept["trial"], kept["score"], s=14, alpha=0.6, label="trial")
    ax.scatter(pruned["trial"], pruned["score"], s=14, marker="x", label="pruned")
    running = done["score"].cummin() if objective == "loss" else done["score"].cummax()
    ax.step(done["trial"], running, where="post", color="C3", label="best so far")
    best = _best_row(done, objective)
    ax.scatter([best["trial"]], [best["score"]], s=90, marker="*", color="C3", zorder=3)
    ax.annotate(
        f"best: trial {best['trial']}",
        (best["trial"], best["score"]),
        fontsize=8,
        xytext=(6, 6),
        textcoords="offset points",
    )
    ax.set_xlabel("trial")
    ax.set_ylabel(score_label(objective))
    ax.set_title(f"Validation score of each trial and the best so far ({len(done)} trials)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(plt, fig, path, 110)


def param_effects(table: pd.DataFrame, params: list[str], path: Path, objective: str):
    """Score against each searched parameter (scatter for numbers, strip for categories, where
    an unset value is its own category "none"); the best trial is a red star in every panel."""
    done = _finished(table)
    params = [p for p in params if p in done and done[p].astype(str).nunique() > 1]
    if done.empty or not params:
        return None
    plt = _pyplot()
    from matplotlib.ticker import NullFormatter

    best = _best_row(done, objective)
    cols = min(3, len(params))
    rows = int(np.ceil(len(params) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4 * cols, 3 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for ax, name in zip(axes.ravel(), params):
        values = done[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.notna().all():
            x, best_x = values.astype(float), float(best[name])
            if values.min() > 0 and (name == "learning_rate" or values.max() / values.min() > 100):
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # no overlapping 3x10^-3 labels
        else:
            labels = values.map(lambda v: "none" if pd.isna(v) else str(v))
            cats = sorted(labels.unique(), key=lambda c: (c != "none", _number_or_text(c)))
            index = {c: i for i, c in enumerate(cats)}
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(labels))
            x = labels.map(index).to_numpy() + jitter
            best_x = x[done.index.get_loc(best.name)]
            ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=7)
        ax.scatter(x, done["score"], s=12, alpha=0.7)
        ax.scatter([best_x], [best["score"]], s=80, marker="*", color="C3", zorder=3)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(params) :]:
        ax.axis("off")
    fig.supylabel(score_label(objective))
    fig.suptitle(
        f"Validation score against each searched parameter (best trial {best['trial']}: star)"
    )
    return _save(plt, fig, path, 100)


def _number_or_text(label: str) -> tuple[float, str]:
    """Sort key: categories that are numbers in numeric order, then the rest by name."""
    try:
        return float(label), ""
    except ValueError:
        return float("inf"), label


def importance(table: pd.DataFrame, params: list[str], path: Path) -> Path | None:
    """Random-forest importance of each searched parameter for the objective."""
    from sklearn.ensemble import RandomForestRegressor

    ok = _finished(table)
    params = [p for p in params if p in ok and ok[p].astype(str).nunique() > 1]
    if len(ok) < 5 or not params:
        return None
    x = pd.DataFrame(
        {
            p: ok[p].astype(float)
            if pd.api.types.is_numeric_dtype(ok[p]) and not pd.api.types.is_bool_dtype(ok[p])
            else ok[p].astype(str).astype("category").cat.codes
            for p in params
        }
    ).fillna(-1)
    forest = RandomForestRegressor(n_estimators=200, random_state=0).fit(x, ok["score"])
    order = np.argsort(forest.feature_importances_)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(params) + 1.6), layout="constrained")
    ax.barh(np.array(params)[order], forest.feature_importances_[order])
    ax.set_xlabel("share of the validation score's variation explained (random forest)")
    ax.set_title(f"Which searched parameters mattered ({len(ok)} trials)")
    return _save(plt, fig, path, 110)


def confusion(
    y_true: np.ndarray, y_pred: np.ndarray, classes: list[str], path: Path, title: str
) -> Path:
    """Row-normalised confusion matrix on the test split, titled (e.g. with the trial): 0.3
    inch and a 9-point label per class, so 40 industries stay readable; each true class
    shows its number of rows and, in its diagonal cell, the share found."""
    from sklearn.metrics import confusion_matrix

    labels = range(len(classes))
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    matrix = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    plt = _pyplot()
    size = max(6.0, 0.3 * len(classes) + 3)
    fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    rows = [f"{name} ({n})" for name, n in zip(classes, counts.sum(axis=1))]
    ax.set_xticks(labels, classes, rotation=90, fontsize=9)
    ax.set_yticks(labels, rows, fontsize=9)
    for i in labels:
        ax.text(
            i,
            i,
            f"{matrix[i, i]:.0%}"[:-1],
            ha="center",
            va="center",
            fontsize=7,
            color="white" if matrix[i, i] > 0.5 else "black",
        )
    ax.set_xlabel("predicted industry")
    ax.set_ylabel("true industry (test rows)")
    wrapped = textwrap.fill(f"{title}; diagonal: % of the class found", int(size * 11))
    ax.set_title(wrapped, fontsize=12)
    fig.colorbar(image, ax=ax, fraction=0.03, label="share of the true class's rows")
    return _save(plt, fig, path, 100)
