"""Figures for a search: best-so-far, objective against parameters, importance, confusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path, dpi: int) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def best_so_far(table: pd.DataFrame, path: Path, objective: str) -> Path:
    """Each trial's objective and the running best, by trial number."""
    plt = _pyplot()
    ok = table[table["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(ok["trial"], ok["objective"], s=14, alpha=0.6, label="trial")
    pruned = ok[ok["pruned"]]
    ax.scatter(pruned["trial"], pruned["objective"], s=14, marker="x", label="pruned")
    ax.step(ok["trial"], ok["objective"].cummin(), where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"objective ({objective}; lower is better)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(plt, fig, path, 110)


def param_effects(table: pd.DataFrame, params: list[str], path: Path) -> Path | None:
    """Objective against each searched parameter (scatter for numbers, strip for categories)."""
    ok = table[table["status"] == "ok"]
    params = [p for p in params if p in ok and ok[p].nunique() > 1]
    if ok.empty or not params:
        return None
    plt = _pyplot()
    cols = min(3, len(params))
    rows = int(np.ceil(len(params) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), params):
        values = ok[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            ax.scatter(values, ok["objective"], s=12, alpha=0.7)
            if values.min() > 0 and (name == "learning_rate" or values.max() / values.min() > 100):
                ax.set_xscale("log")
        else:
            cats = sorted(values.astype(str).unique())
            pos = values.astype(str).map({c: i for i, c in enumerate(cats)})
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(pos))
            ax.scatter(pos + jitter, ok["objective"], s=12, alpha=0.7)
            ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(params) :]:
        ax.axis("off")
    fig.supylabel("objective (lower is better)")
    return _save(plt, fig, path, 100)


def importance(table: pd.DataFrame, params: list[str], path: Path) -> Path | None:
    """Random-forest importance of each searched parameter for the objective."""
    from sklearn.ensemble import RandomForestRegressor

    ok = table[table["status"] == "ok"]
    params = [p for p in params if p in ok and ok[p].nunique() > 1]
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
    forest = RandomForestRegressor(n_estimators=200, random_state=0).fit(x, ok["objective"])
    order = np.argsort(forest.feature_importances_)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(params) + 1.2))
    ax.barh(np.array(params)[order], forest.feature_importances_[order])
    ax.set_xlabel("importance for the objective (random forest)")
    return _save(plt, fig, path, 110)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str], path: Path) -> Path:
    """Row-normalised confusion matrix on the test split."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_true, y_pred, labels=range(len(classes)), normalize="true")
    plt = _pyplot()
    size = max(6, 0.28 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=90, fontsize=6)
    ax.set_yticks(range(len(classes)), classes, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, fraction=0.04)
    return _save(plt, fig, path, 110)
