"""Which rule chooses the served mix best when validation is small: offline, on kept searches.

    python benchmarks/blackbox.py --set reed1500 --keep /tmp/bb/reed1500   # a search to study
    python benchmarks/ensemble_rules.py /tmp/bb/reed1500 /tmp/bb/demo ...
    python benchmarks/ensemble_rules.py --held-out /tmp/bb/reed1500 ...  # as the user scores it

For each kept search folder (its data `postings.csv`, its store and saved state), the kept
trials' and the two baselines' validation and test probabilities are loaded and every rule
chooses a mix on validation alone; the table shows each rule's validation and test accuracy /
macro-F1 (the search's own test split, which no rule sees) and its members. Rules: the greedy
selection the search uses (Caruana et al. 2004), the same on 20 bags of half the candidates
(Caruana et al. 2006), on 20 bootstrap samples of the validation rows, the best trial with
LinearSVC in equal parts, and the best trial and LinearSVC alone.
Writes benchmarks/results/ensemble-rules.json.

``--held-out``: each folder is named after its blackbox set (demo, reed, reed1500, adzuna);
every candidate is refit on all the rows the search had (as ``--refit all`` refits the served
members) and each rule's mix of the refit candidates is scored on that set's held-out rows,
as blackbox.py scores the served model. Writes benchmarks/results/ensemble-rules-held-out.json.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
from blackbox import HOLDOUT, load_rows, scores
from machine import commit, description

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
BAGS, SEED = 20, 0


def _search(folder: Path):
    """The kept search's data, saved state and folder."""
    from jobsearch.data import prepare_dataset
    from jobsearch.search.state import load_state

    searches = folder / "mlruns" / "searches"
    (workdir,) = [p for p in searches.iterdir() if (p / "state.json").is_file()]
    state = load_state(workdir / "state.json")
    data = prepare_dataset(
        folder / "postings.csv", ["text"], "industry", seed=state.identity["seed"]
    )
    assert data.fingerprint == state.identity["data"], "the folder's data is not the search's"
    return data, state, workdir


def candidates(data, state, workdir: Path):
    """Validation and test probabilities by candidate id, the labels, and the best trial's id."""
    from jobsearch.search.callbacks import kept_trials, trial_probs
    from jobsearch.search.run import _baseline_candidates

    val, test = {}, {}
    for tid in kept_trials(state.trials):
        with np.load(trial_probs(workdir, tid)) as z:
            val[tid], test[tid] = z["val"], z["test"]
    for cid, (v, t) in _baseline_candidates(data, workdir).items():
        val[cid], test[cid] = v, t
    return val, test, data.labels, state.best["tid"]


def _normalised(members: dict[int, float]) -> dict[int, float]:
    total = sum(members.values())
    return {k: v / total for k, v in members.items()}


def rules(val, y_val, best: int) -> dict[str, dict[int, float]]:
    """Each rule's mix (candidate id -> weight), chosen on validation only."""
    from jobsearch.search.ensemble import select

    rng = np.random.default_rng(SEED)
    ids = sorted(val)
    greedy = _normalised(select(val, y_val)[0])
    by_models: Counter = Counter()
    for _ in range(BAGS):
        bag = rng.choice(ids, size=max(2, len(ids) // 2), replace=False)
        for tid, w in _normalised(select({t: val[t] for t in bag}, y_val)[0]).items():
            by_models[tid] += w / BAGS
    by_rows: Counter = Counter()
    for _ in range(BAGS):
        rows = rng.choice(len(y_val), size=len(y_val), replace=True)
        chosen = select({t: p[rows] for t, p in val.items()}, y_val[rows])[0]
        for tid, w in _normalised(chosen).items():
            by_rows[tid] += w / BAGS
    from jobsearch.search.ensemble import select_bagged

    return {
        "bagged rows, members under 5% dropped": select_bagged(val, y_val)[0],
        "bagged rows, members under 10% dropped": select_bagged(val, y_val, min_weight=0.1)[0],
        "bagged rows, chosen by log-loss": select_bagged(val, y_val, "loss")[0],
        "bagged rows, chosen by macro-F1": select_bagged(val, y_val, "macro_f1")[0],
        "greedy (the search's rule)": greedy,
        "greedy, 20 bags of half the candidates": dict(by_models),
        "greedy, 20 bootstrap samples of the validation rows": dict(by_rows),
        "best trial + LinearSVC, equal": {best: 0.5, -1: 0.5},
        "best trial alone": {best: 1.0},
        "LinearSVC alone": {-1: 1.0},
        "every candidate, equal": {t: 1 / len(ids) for t in ids},
    }


def held_out_rows(name: str) -> tuple[list[str], list[str]]:
    """The texts and labels of blackbox set ``name``'s held-out rows."""
    from sklearn.model_selection import train_test_split

    frame = load_rows(name)
    _, rows = train_test_split(frame, test_size=HOLDOUT, stratify=frame["industry"], random_state=0)
    return rows["text"].tolist(), rows["industry"].tolist()


def refit_and_serve(members: list, epochs: list[int], data, texts: list[str]) -> list[np.ndarray]:
    """``members`` (params or None, weight, weights or model file) refit on all the search's
    rows, each for its ``epochs``, and served one by one on ``texts`` as the registered model
    serves them: each member's probabilities."""
    import tempfile
    from types import SimpleNamespace

    from jobsearch.search.refit import refit
    from jobsearch.tracking.registry import describe
    from jobsearch.tracking.serving import IndustryClassifier

    probs = []
    with tempfile.TemporaryDirectory() as tmp:
        done = refit(members, epochs, data, "all", Path(tmp))
        for i, member in enumerate(done.members):
            meta = Path(tmp) / f"meta{i}.json"
            meta.write_text(json.dumps(describe([member], done.data)))
            served = IndustryClassifier()
            served.load_context(
                SimpleNamespace(artifacts={"meta": str(meta), "weights_0": str(member[2])})
            )
            probs.append(served.predict_proba(texts))
    return probs


def held_out(
    name: str, data, state, workdir: Path, ids: list[int]
) -> tuple[dict[int, np.ndarray], list[str], list[str]]:
    """Candidates ``ids`` refit on all the search's rows: their probabilities on the held-out
    rows of blackbox set ``name``, served one by one as the registered model serves them; the
    held-out labels and the classes."""
    from jobsearch.search.run import chosen_members

    texts, truth = held_out_rows(name)
    members, epochs = chosen_members(state, workdir, dict.fromkeys(ids, 1.0))
    probs = refit_and_serve(members, epochs, data, texts)
    return dict(zip(ids, probs, strict=True)), truth, data.classes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="search folders kept by blackbox.py")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="refit every candidate and score the rules on the set's held-out rows too",
    )
    args = parser.parse_args()
    from jobsearch.model.metrics import classification_metrics
    from jobsearch.search.ensemble import blend

    report: dict = {"machine": description(), "commit": commit(), "date": date.today().isoformat()}
    for folder in args.folders:
        search = _search(folder)
        val, test, labels, best = candidates(*search)
        held = held_out(folder.name, *search, sorted(val)) if args.held_out else None
        rows = {}
        print(f"\n{folder.name}: {len(labels['val'])} validation rows, {len(val)} candidates")
        for name, mix in rules(val, labels["val"], best).items():
            figures = {
                part: classification_metrics(labels[part], blend(probs, mix))
                for part, probs in (("val", val), ("test", test))
            }
            rows[name] = {
                "members": {str(k): round(v, 3) for k, v in sorted(mix.items())},
                **{f"{p}_{k}": f[k] for p, f in figures.items() for k in ("accuracy", "macro_f1")},
            }
            if held is not None:
                probs, truth, classes = held
                predicted = [classes[i] for i in blend(probs, mix).argmax(1)]
                rows[name].update({f"held_{k}": v for k, v in scores(truth, predicted).items()})
            r = rows[name]
            print(
                f"  {name:<55} val {r['val_accuracy']:.3f} / {r['val_macro_f1']:.3f}  "
                f"test {r['test_accuracy']:.3f} / {r['test_macro_f1']:.3f}  "
                f"({len(mix)} members)"
                + (
                    f"  held-out {r['held_accuracy']:.3f} / {r['held_macro_f1']:.3f}"
                    if held
                    else ""
                )
            )
        report[folder.name] = {"val_rows": len(labels["val"]), "rules": rows}
    name = "ensemble-rules-held-out.json" if args.held_out else "ensemble-rules.json"
    out = ROOT / "benchmarks" / "results" / name
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
