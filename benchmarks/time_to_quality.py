"""Time to quality: the best validation score against wall time, per pruner, on one set.

    python benchmarks/time_to_quality.py --set demo -- --trials 200      # the README's search
    python benchmarks/time_to_quality.py --set reed --algo tpe -- --trials 60
    python benchmarks/time_to_quality.py --set demo --pruners none -- --trials 60
    python benchmarks/time_to_quality.py --replay benchmarks/results/time-to-quality-demo.json
    python benchmarks/time_to_quality.py --bound benchmarks/results/time-to-quality-demo-200.json

Each search is the real command (``python -m jobsearch.<algo> --pruner P``, registration and
refit included unless you pass flags after ``--``) in a fresh folder with its own store, the
same seed for every pruner, one after the other. The script stamps and echoes each trial's line
as it arrives and reads the saved search state, so every run gives the best validation score
(the objective) reached by each moment: equal wall-time budgets read off these curves, equal
trial counts off the trial numbers. The reference is median pruning's best score after
``--reference-trials`` trials and the time it took; for each pruner the report gives the time
it first reached that score. The served model's figures are the parent run's. Writes
benchmarks/results/time-to-quality-<set><label>.json and .png.

``--replay FILE`` replays the trials of an earlier run made with ``--pruners none`` (full
curves, each epoch's time) under other pruner settings (Hyperband-style brackets among them),
without training, and plots them to FILE's name + ``-replay.png``: valid for the random
sampler, whose trials do not depend on earlier scores. It also prints how well each epoch
ranks the trials: the Spearman correlation between a trial's best score after epoch k and its
final score, over all trials and within each value of ``--by PARAM`` (the params regenerated
from the run's sampler seed; a continuous PARAM such as learning_rate is correlated with the
scores instead).

``--bound FILE`` asks of an earlier run's median-pruning (or unpruned) trials how fast any
pruner that ranks trials on their score at a first rung (epoch k) could have been while
keeping that run's best trial: every trial trains k epochs, those whose best score after k
epochs is at least the best trial's go on to epoch k + 1 (a rule that ranks on the score
cannot stop them and keep it), the best trial trains until its best epoch; each trial keeps
its fixed cost. The least time, as a share of the run's search time, for k = 1, 2, 3.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from machine import commit, description, matmul_gflops

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = ROOT.parent / "shared" / "data"
SETS = {
    "demo": [],
    "reed": ["--data", str(SHARED / "reed_uk_titles" / "reed_uk_titles.csv.gz")],
    "adzuna": ["--data", str(SHARED / "adzuna_uk_sample" / "adzuna_uk_sample.csv.gz")],
}
TRIAL_LINE = re.compile(r"^trial +(\d+)/")
EXPERIMENT = "ttq"


def search(name: str, algo: str, pruner: str, seed: int, extra: list[str]) -> dict:
    """Run one search in a fresh folder; its trials with the moment each ended."""
    import mlflow

    from jobsearch.search.state import load_state

    folder = Path(tempfile.mkdtemp(prefix=f"ttq-{name}-{pruner}-"))
    command = [
        sys.executable, "-m", f"jobsearch.{algo}", *SETS[name], "--experiment", EXPERIMENT,
        "--seed", str(seed), "--pruner", pruner, *extra,
    ]  # fmt: skip
    print(f"{pruner}: {' '.join(command[1:])} (in {folder})", flush=True)
    start, stamps, log = time.perf_counter(), [], folder / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        for line in process.stdout:
            if TRIAL_LINE.match(line):
                stamps.append(time.perf_counter() - start)
                print(f"  {pruner} {stamps[-1]:6.0f} s  {line.rstrip()}", flush=True)
    if process.wait() != 0:
        sys.exit(f"{pruner}: the search failed (exit {process.returncode}); its errors: {log}")
    wall = time.perf_counter() - start
    state = load_state(folder / "mlruns" / "searches" / EXPERIMENT / "state.json")
    client = mlflow.MlflowClient(f"sqlite:///{folder}/mlruns/mlflow.db")
    served = client.get_run(state.parent_run_id).data
    trials = []
    for stamp, trial in zip(stamps, state.trials, strict=True):
        r = trial.result
        trials.append({
            "ended": stamp, "score": -r["loss"] if r["status"] == "ok" else None,
            "pruned": bool(r.get("pruned")), "epochs": r.get("epochs", 0),
            "curve": r.get("curve", []), "curve_seconds": r.get("curve_seconds", []),
        })  # fmt: skip
    return {
        "pruner": pruner,
        "command": "python -m " + " ".join(command[2:]),
        "wall_seconds": wall,
        "served": {
            key: served.metrics.get(key)
            for key in ("val_accuracy", "test_accuracy", "test_macro_f1", "score")
        }
        | {"model": served.tags.get("served_model")},
        "trials": trials,
    }


def best_by(trials: list[dict]) -> list[tuple[float, float]]:
    """(moment, best score so far) at each trial's end."""
    best, points = -float("inf"), []
    for t in trials:
        if t["score"] is not None:
            best = max(best, t["score"])
        points.append((t["ended"], best))
    return points


def summarise(run: dict, reference: tuple[float, float] | None) -> dict:
    """Trials, pruned, the best score and when it came, and when the reference was reached."""
    points = best_by(run["trials"])
    best = points[-1][1]
    first = next(i for i, (_, score) in enumerate(points) if score == best)
    figures = {
        "trials": len(points),
        "pruned": sum(t["pruned"] for t in run["trials"]),
        "epochs": sum(t["epochs"] for t in run["trials"]),
        "search_seconds": points[-1][0],
        "wall_seconds": run.get("wall_seconds"),
        "best_score": best,
        "best_trial": first + 1,
        "best_at_seconds": points[first][0],
    }
    if reference is not None:
        reached = next((when for when, score in points if score >= reference[0] - 1e-12), None)
        figures["reaches_reference_at_seconds"] = reached
        figures["reaches_reference_fraction"] = None if reached is None else reached / reference[1]
    return figures


def replay(trials: list[dict], pruner, max_epochs: int) -> dict:
    """The trials of a run without pruning, as ``pruner`` would have cut them: each trial
    takes what it took, less the epochs the pruner would have saved."""
    clock, ended, out = 0.0, 0.0, []
    for t in trials:
        curve, seconds = t["curve"], t["curve_seconds"]
        stop, pruned = len(curve), False
        for epoch in range(1, len(curve) + 1):
            by_patience = epoch == len(curve) and len(curve) < max_epochs
            if not by_patience and pruner.should_prune(epoch, curve[epoch - 1]):
                stop, pruned = epoch, True
                break
        pruner.add_curve(curve[:stop], pruned)
        clock += t["ended"] - ended - seconds[-1] + seconds[stop - 1]
        ended = t["ended"]
        out.append({"ended": clock, "score": -curve[stop - 1], "pruned": pruned, "epochs": stop})
    return {"trials": out}


def plot(runs: list[dict], reference: tuple[float, float] | None, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    many = len(runs) > 4  # a replay: colours that do not repeat, the legend beside the plot
    fig, ax = plt.subplots(figsize=(10 if many else 7, 4.2), layout="constrained")
    if many:
        ax.set_prop_cycle(color=plt.cm.tab20.colors)
    for run in runs:
        points = best_by(run["trials"])
        when, best = [p[0] / 60 for p in points], [p[1] for p in points]
        ax.step(when, best, where="post", label=f"{run['pruner']} ({len(points)} trials)")
    if reference is not None:
        ax.axhline(reference[0], color="grey", lw=0.8, ls=":")
        ax.axvline(reference[1] / 60, color="grey", lw=0.8, ls=":")
        ax.axvline(reference[1] / 120, color="grey", lw=0.8, ls="--", label="half of it")
    ax.set_xlabel("wall time (minutes)")
    ax.set_ylabel("best validation score so far")
    ax.set_title(title)
    if many:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    else:
        ax.legend(loc="lower right")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def table(rows: dict[str, dict]) -> None:
    print("\n| pruner | trials | pruned | epochs | search time | wall | best score (trial, at) "
          "| reaches the reference at |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, f in rows.items():
        reached, share = f.get("reaches_reference_at_seconds"), f.get("reaches_reference_fraction")
        at = "-" if "reaches_reference_at_seconds" not in f else "never"
        if reached is not None:
            at = f"{reached:.0f} s ({share:.2f})"
        print(
            f"| {name} | {f['trials']} | {f['pruned']} | {f['epochs']} | "
            f"{f['search_seconds']:.0f} s | {f.get('wall_seconds') or 0:.0f} s | "
            f"{f['best_score']:.4f} ({f['best_trial']}, {f['best_at_seconds']:.0f} s) | {at} |"
        )


def reference_of(runs: list[dict], trials: int) -> tuple[float, float] | None:
    """Median pruning's best score after ``trials`` trials, and when that trial ended."""
    median = next((r for r in runs if r["pruner"] == "median"), None)
    if median is None:
        return None
    points = best_by(median["trials"][:trials])
    return points[-1][1], points[-1][0]


def sampled_params(command: str, trials: int) -> list[dict]:
    """The params the random sampler drew for each trial of ``command`` (its seed and space)."""
    from jobsearch.cli.common import default_space
    from jobsearch.search.samplers import make_sampler
    from jobsearch.search.space import load_space

    words = command.split()
    seed = int(words[words.index("--seed") + 1]) if "--seed" in words else 0
    space = load_space(words[words.index("--space") + 1] if "--space" in words else default_space())
    sampler = make_sampler("random", space, seed)
    return [sampler.ask(tid, []).params for tid in range(trials)]


def best_after(trial: dict, epoch: int) -> float:
    """A trial's best validation score over its first ``epoch`` epochs."""
    return max(-x for x in trial["curve"][:epoch])


def rank_table(trials: list[dict], groups: dict[str, list[int]], epochs: int = 3) -> None:
    """Spearman correlation of the best score after epoch k with the final score, per group,
    and (in brackets) the rank after epoch k of the trial that ends best."""
    from scipy.stats import spearmanr

    print(f"\n| trials | n | {' | '.join(f'after epoch {k}' for k in range(1, epochs + 1))} |")
    print("|---|---|" + "---|" * epochs)
    for name, idx in groups.items():
        final = [trials[i]["score"] for i in idx]
        winner = idx[max(range(len(idx)), key=final.__getitem__)]
        cells = []
        for k in range(1, epochs + 1):
            after = [best_after(trials[i], k) for i in idx]
            rank = 1 + sum(a > after[idx.index(winner)] for a in after)
            cells.append(f"{spearmanr(after, final).statistic:.2f} (rank {rank})")
        print(f"| {name} | {len(idx)} | {' | '.join(cells)} |")


def param_correlation(trials: list[dict], name: str, values: list) -> None:
    """Spearman correlation of a continuous param with the scores after epochs 1, 2 and last."""
    from scipy.stats import spearmanr

    scores = {f"after epoch {k}": [best_after(t, k) for t in trials] for k in (1, 2)}
    scores["final"] = [t["score"] for t in trials]
    for when, score in scores.items():
        print(f"Spearman({name}, score {when}) = {spearmanr(values, score).statistic:.2f}")


class Brackets:
    """Hyperband-style brackets for a replay: trials go round-robin to successive-halving
    pruners with different first rungs, each ranking only its own trials (a first rung past
    the last epoch is a bracket without pruning)."""

    def __init__(self, first_rungs: Sequence[int], eta: int) -> None:
        from jobsearch.search.pruners import SuccessiveHalvingPruner

        self.brackets = [SuccessiveHalvingPruner(rung, eta) for rung in first_rungs]
        self.trials = 0

    def should_prune(self, epoch: int, best_so_far: float) -> bool:
        return self.brackets[self.trials % len(self.brackets)].should_prune(epoch, best_so_far)

    def add_curve(self, curve: Sequence[float], pruned: bool = False) -> None:
        self.brackets[self.trials % len(self.brackets)].add_curve(curve, pruned)
        self.trials += 1


def main_replay(path: Path, reference_trials: int, by: str | None) -> None:
    from jobsearch.search.pruners import MedianPruner, SuccessiveHalvingPruner

    saved = json.loads(path.read_text())
    base = next(r for r in saved["runs"] if r["pruner"] == "none")
    max_epochs = max(t["epochs"] for t in base["trials"])
    settings = {"median": MedianPruner()}
    for min_epochs in (1, 2, 3):
        for eta in (2, 3, 4):
            settings[f"asha min {min_epochs} eta {eta}"] = SuccessiveHalvingPruner(min_epochs, eta)
    settings["hyperband 1,3,9 eta 3"] = Brackets((1, 3, 9), 3)
    settings["hyperband 1,2,4 eta 2"] = Brackets((1, 2, 4), 2)
    runs = [{"pruner": "none", "trials": base["trials"]}]
    runs += [
        {"pruner": name, **replay(base["trials"], pruner, max_epochs)}
        for name, pruner in settings.items()
    ]
    reference = reference_of(runs, reference_trials)
    table({run["pruner"]: summarise(run, reference) for run in runs})
    title = f"replay of {path.name} ({saved['commit']})"
    plot(runs, reference, title, path.with_name(path.stem + "-replay.png"))
    trials = base["trials"]
    groups = {"all": list(range(len(trials)))}
    values = [p[by] for p in sampled_params(base["command"], len(trials))] if by else []
    if len({repr(v) for v in values}) > 6:  # a continuous param: correlate instead of grouping
        param_correlation(trials, by, values)
    else:
        for value in sorted({repr(v) for v in values}):
            groups[f"{by} = {value}"] = [i for i, v in enumerate(values) if repr(v) == value]
    rank_table(trials, groups)


def least_time(trials: list[dict], rung: int) -> tuple[int, float, float]:
    """The best trial's rank after ``rung`` epochs, and the least search time of a pruner
    ranking on the score at that rung that keeps a best trial (see ``--bound``), in all and
    until that trial ends."""
    final = [t["score"] if t["score"] is not None else -float("inf") for t in trials]
    winners = [i for i, score in enumerate(final) if score == max(final)]
    return min(_least_time(trials, rung, winner) for winner in winners)


def _least_time(trials: list[dict], rung: int, winner: int) -> tuple[int, float, float]:
    mark = best_after(trials[winner], rung)
    rank, total, ended, reached = 0, 0.0, 0.0, 0.0
    for i, t in enumerate(trials):
        curve, seconds = t["curve"], t["curve_seconds"]
        if not curve:  # a trial that failed before its first epoch costs what it cost
            total, ended = total + t["ended"] - ended, t["ended"]
            continue
        fixed = t["ended"] - ended - seconds[-1]
        ended = t["ended"]
        if i == winner:
            epochs = 1 + max(range(len(curve)), key=lambda e: -curve[e])
        elif best_after(t, rung) >= mark:
            rank, epochs = rank + 1, rung + 1
        else:
            epochs = rung
        total += fixed + seconds[min(epochs, len(seconds)) - 1]
        reached = total if i == winner else reached
    return rank + 1, total, reached


def main_bound(path: Path) -> None:
    saved = json.loads(path.read_text())
    run = next(r for r in saved["runs"] if r["pruner"] in ("median", "none"))
    trials = run["trials"]
    search_seconds = trials[-1]["ended"]
    print(f"{path.name}: {run['pruner']}, {len(trials)} trials, {search_seconds:.0f} s of search")
    print("\n| first rung (epoch) | best trial's rank there | least search time (share) "
          "| the best trial ends at (share) |")  # fmt: skip
    print("|---|---|---|---|")
    for rung in (1, 2, 3):
        rank, total, reached = least_time(trials, rung)
        print(
            f"| {rung} | {rank} of {len(trials)} | {total:.0f} s ({total / search_seconds:.2f}) "
            f"| {reached:.0f} s ({reached / search_seconds:.2f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="demo")
    parser.add_argument("--algo", choices=("random", "tpe"), default="random")
    parser.add_argument("--pruners", default="median,asha", help="comma-separated, run in order")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-trials", type=int, default=60)
    parser.add_argument("--label", default="", help="appended to the output files' names")
    parser.add_argument("--replay", type=Path, help="replay a --pruners none run's trials")
    parser.add_argument(
        "--bound",
        type=Path,
        metavar="FILE",
        help="the least time a pruner ranking on the score could take and keep FILE's best trial",
    )
    parser.add_argument(
        "--by",
        metavar="PARAM",
        help="with --replay: rank correlations within each value of PARAM (or with it)",
    )
    parser.add_argument("search_args", nargs=argparse.REMAINDER, help="after --: search flags")
    args = parser.parse_args()
    if args.bound:
        main_bound(args.bound)
        return
    if args.replay:
        main_replay(args.replay, args.reference_trials, args.by)
        return
    extra = [a for a in args.search_args if a != "--"]
    speed = [matmul_gflops()]
    started, measured_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit()
    runs = [search(args.set, args.algo, p, args.seed, extra) for p in args.pruners.split(",")]
    speed.append(matmul_gflops())
    reference = reference_of(runs, args.reference_trials)
    figures = {run["pruner"]: summarise(run, reference) for run in runs}
    report = {
        "set": args.set, "algo": args.algo, "machine": description(), "started": started,
        "ended": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": measured_at,
        "matmul_gflops_start_end": speed, "reference_trials": args.reference_trials,
        "reference": reference, "figures": figures, "runs": runs,
    }  # fmt: skip
    stem = f"time-to-quality-{args.set}{args.label}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    matmul = f"matmul {speed[0]:.0f}/{speed[1]:.0f}"
    print(f"{report['machine']}, {started}, commit {measured_at}, {matmul}")
    table(figures)
    for run in runs:
        print(f"{run['pruner']}: served {run['served']}")
    title = f"{args.set}, {args.algo}, seed {args.seed} ({measured_at}, {report['machine']})"
    plot(runs, reference, title, RESULTS / f"{stem}.png")


if __name__ == "__main__":
    main()
