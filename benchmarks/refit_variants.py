"""How the refit trains the served LSTMs, scored on the user's held-out rows, offline.

    python benchmarks/blackbox.py --set reed1500 --keep /tmp/bb/reed1500   # a search to study
    python benchmarks/refit_variants.py /tmp/bb/reed1500 /tmp/bb/demo ...

Each folder is named after its blackbox set. The served mix is chosen as the search chooses
it (bagged selection on validation); its members are refit on all the search's rows as
``--refit all`` refits them (an LSTM for as many updates as its trial made), and then the
LSTM members again in other ways, the linear members as they are: the same passes over the
data as the trial instead (its kept epochs, so 1.4x the updates on a 70/15/15 split), and
other seeds (two). Each variant's mix, and the mean of two and of three seeds, is scored on
the set's held-out rows as blackbox.py scores the served model. Writes
benchmarks/results/refit-variants.json.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

from blackbox import scores
from ensemble_rules import _search, candidates, held_out_rows, refit_and_serve
from machine import commit, description

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SEED_STEP = 7919


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="search folders kept by blackbox.py")
    args = parser.parse_args()
    from jobsearch.search.ensemble import blend, select_bagged
    from jobsearch.search.run import chosen_members

    report: dict = {"machine": description(), "commit": commit(), "date": date.today().isoformat()}
    for folder in args.folders:
        data, state, workdir = _search(folder)
        val, _, labels, _ = candidates(data, state, workdir)
        mix, _ = select_bagged(val, labels["val"])
        texts, truth = held_out_rows(folder.name)
        share = len(labels["train"]) / sum(len(labels[p]) for p in ("train", "val", "test"))
        ids = sorted(mix)
        as_saved, kept_at = chosen_members(state, workdir, dict.fromkeys(ids, 1.0))
        saved = dict(zip(ids, zip(as_saved, kept_at, strict=True), strict=True))
        lstms = [t for t in ids if t >= 0]
        served = {}
        for how, seed in (
            ("as served", 0),
            ("another seed", 1),
            ("a third seed", 2),
            ("the same passes", 0),
        ):
            todo = ids if how == "as served" else lstms
            members, counts = [], []
            for t in todo:
                (params, weight, path), kept = saved[t]
                if params is not None:
                    params = {**params, "seed": params["seed"] + seed * SEED_STEP}
                members.append((params, weight, path))
                # refit() trains an LSTM for round(epochs x share): kept / share gives back kept
                passes = how == "the same passes" and params is not None
                counts.append(kept / share if passes else kept)
            probs = dict(zip(todo, refit_and_serve(members, counts, data, texts), strict=True))
            served[how] = {**served.get("as served", {}), **probs}
        seeds = ("as served", "another seed", "a third seed")
        served["mean of two seeds"] = {
            t: (served[seeds[0]][t] + served[seeds[1]][t]) / 2 for t in ids
        }
        served["mean of three seeds"] = {t: sum(served[s][t] for s in seeds) / 3 for t in ids}
        rows = {}
        print(f"\n{folder.name}: mix {mix}")
        for how, probs in served.items():
            predicted = [data.classes[i] for i in blend(probs, mix).argmax(1)]
            rows[how] = scores(truth, predicted)
            print(f"  {how:<22} {rows[how]['accuracy']:.3f} / {rows[how]['macro_f1']:.3f}")
        report[folder.name] = {
            "mix": {str(k): round(v, 3) for k, v in mix.items()},
            "train_share": share,
            "variants": rows,
        }
    out = ROOT / "benchmarks" / "results" / "refit-variants.json"
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
