"""Whole searches through the command line, read back from MLflow."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_ARGS, ROOT, SMOKE, cli_env, run_cli, search_args
from mlflow import MlflowClient

from jobsearch.report.summary import searched_columns
from jobsearch.search.space import load_space
from jobsearch.search.state import load_state


def _children(client, parent_id):
    exp = client.get_run(parent_id).info.experiment_id
    return client.search_runs(
        [exp],
        filter_string=f"tags.mlflow.parentRunId = '{parent_id}'",
        order_by=["attributes.start_time ASC"],
    )


def _state(cwd, experiment):
    return load_state(cwd / "mlruns" / "searches" / experiment / "state.json")


@pytest.fixture
def search_here(tmp_path, monkeypatch, capsys):
    """The command's entry function in this process (a new interpreter costs seconds a search):
    ``search_here("random", *args)`` runs in ``tmp_path``, must exit 0, and returns its
    stdout. Resuming on another machine, and signals, keep a process of their own."""
    import importlib

    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)

    def search(algo: str, *args: str) -> str:
        code = importlib.import_module(f"jobsearch.{algo}").main(list(args))
        out = capsys.readouterr()
        assert code == 0, out.err[-3000:]
        return out.out

    yield search
    mlflow.set_tracking_uri(None)  # registering sets it for the whole process


def test_search_end_to_end(tiny_csv, tmp_path):
    """The random sampler's search, whole (TPE's own path: test_same_seed_same_params)."""
    args = search_args(
        tiny_csv, "--trials", "5", "--max-epochs", "1", "--experiment", "e", "--no-register"
    )
    done = run_cli("jobsearch.random", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trial 5/5" in done.stdout and "best params" in done.stdout
    assert "mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db" in done.stdout
    # stderr holds the progress bar, not TensorFlow's native start-up lines or warnings
    noise = re.compile(r"^(WARNING: All log messages|[IWEF]\d{4} |.*Warning:)", re.M)
    assert not noise.search(done.stderr.replace("\r", "\n")), done.stderr[-2000:]
    assert "TF-IDF + LinearSVC" in done.stdout and "TF-IDF + logistic regression" in done.stdout
    client = MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    state = _state(tmp_path, "e")
    parent = client.get_run(state.parent_run_id)
    assert parent.info.status == "FINISHED" and parent.data.params["algo"] == "random"
    children = _children(client, state.parent_run_id)
    assert [c.info.run_name for c in children] == [f"trial-00{i}" for i in range(1, 6)]
    assert len({frozenset(c.data.params) for c in children}) == 1  # same keys: compare view
    # the headline figure reads as accuracy, not as a negative loss
    assert parent.data.metrics["best_score"] == max(
        c.data.metrics["val_accuracy"] for c in children
    )
    # every score a person reads is positive and named; the lease is gone with the search
    assert all(c.data.metrics["score"] == c.data.metrics["val_accuracy"] > 0 for c in children)
    assert "objective" not in children[0].data.metrics
    assert not {"jobsearch.owner", "jobsearch.heartbeat"} & set(parent.data.tags)
    assert not [k for k in parent.data.tags if k.startswith("best.")]  # in the description
    # the search run's description is the leaderboard in brief (the UI folds more than 100
    # pixels): a column each for the served model (the parent's own figures), the baselines
    # and the 3 best trials, best first, linked in Model training mode
    note = parent.data.tags["mlflow.note.content"].replace("&emsp;", "")
    head, _, *rows = note.splitlines()
    assert len(rows) == 4 and rows[0].startswith("| val accuracy | ")
    assert head.startswith("| | **served model** | [TF-IDF + LinearSVC](#/experiments/")
    assert rows[0].split(" | ")[1] == f"{parent.data.metrics['val_accuracy']:.3f}"
    ranked = sorted(children, key=lambda c: -c.data.metrics["val_accuracy"])[:3]
    assert [head.index(c.info.run_id) for c in ranked] == sorted(
        head.index(c.info.run_id) for c in ranked
    )
    assert head.count("?workflowType=machine_learning") == 2 + 3
    # the UI opens the experiment on its runs table, on the saved view: best first, the
    # figures and the searched params as columns; the summary's last line links there
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    view = json.loads(experiment.tags["mlflow.sharedViewState.jobsearch"])
    saved = json.loads(view["state"])
    assert saved["orderByKey"] == "metrics.`val_accuracy`" and saved["orderByAsc"] is False
    columns = saved["selectedColumns"]
    assert all(f"params.`{p}`" in columns for p in searched_columns(load_space(SMOKE)))
    assert {c[len("metrics.`") : -1] for c in columns if c.startswith("metrics.")} <= set(
        children[0].data.metrics
    )
    last = done.stdout.strip().splitlines()
    assert last[-1].endswith(
        f"/#/experiments/{experiment.experiment_id}/runs"
        "?viewStateShareKey=jobsearch&workflowType=machine_learning"
    )
    assert last[-2].endswith(f"/runs/{parent.info.run_id}?workflowType=machine_learning")
    table = pd.read_csv(client.download_artifacts(parent.info.run_id, "trials.csv", tmp_path))
    assert (table["score"] == table["val_accuracy"]).all() and (table["score"] > 0).all()
    assert table["epochs"].dtype == "int64" and set(table["status"]) <= {"ok", "pruned"}
    files = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"trials.csv", "plots", "search_space", "best_params.json"} <= files
    assert [a.path for a in client.list_artifacts(parent.info.run_id, "search_space")] == [
        "search_space/smoke.yaml"
    ]
    # the served model per industry, on the test split: its figures, weakest first
    per_class = pd.read_csv(
        client.download_artifacts(parent.info.run_id, "per_class.csv", tmp_path)
    )
    dataset = client.download_artifacts(children[0].info.run_id, "dataset_summary.json", tmp_path)
    assert per_class["rows"].sum() == json.loads(Path(dataset).read_text())["splits"]["test"]
    assert per_class["f1"].is_monotonic_increasing
    assert per_class["f1"].mean() == pytest.approx(parent.data.metrics["test_macro_f1"], abs=1e-3)
    weakest = per_class[per_class["rows"] > 0].iloc[0]
    assert f"weakest industries (served model, test F1): {weakest['industry']} " in done.stdout
    assert parent.data.tags["weakest_industries"].startswith(f"{weakest['industry']} ")
    # the advice for LSTMs far behind a baseline, said or not, is kept for the leaderboard
    said = [line for line in done.stdout.splitlines() if line.startswith("the LSTM trials trail")]
    assert parent.data.tags["trailing_hint"] == "".join(said)
    plots = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    expected = {"best_so_far", "confusion_matrix", "score_vs_params", "param_importance"}
    assert {f"plots/{name}.png" for name in expected} <= plots
    # a second run of the same command has nothing left to do
    again = run_cli("jobsearch.random", *args, cwd=tmp_path)
    assert again.returncode == 0 and not re.search(r"^trial \d+/", again.stdout, re.M)
    assert len(_children(client, state.parent_run_id)) == 5


# every figure a trial learns, to the last digit (timings aside)
SAME_EACH_RUN = ("train_loss", "val_loss", "test_loss", "curve", "best_epoch")


def test_same_seed_same_search(tiny_csv, tmp_path, search_here):
    """TPE with one random start-up trial: the seed fixes the random draw, what TPE proposes
    from it, and what each trial learns (training is repeatable on one machine)."""
    sampled, learned = [], []
    for name in ("a", "b"):
        args = search_args(
            tiny_csv, "--trials", "2", "--startup-trials", "1", "--max-epochs", "1",
            "--no-register", "--seed", "5", "--experiment", name,
        )  # fmt: skip
        out = search_here("tpe", *args)
        assert "trial 2/2" in out and "best params" in out
        state = _state(tmp_path, name)
        sampled.append([t.params for t in state.trials])
        learned.append([[t.result[k] for k in SAME_EACH_RUN] for t in state.trials])
    client = MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    parent = client.get_run(state.parent_run_id).data.params
    assert parent["algo"] == "tpe" and parent["startup_trials"] == "1"
    assert sampled[0] == sampled[1]
    assert sampled[0][0] != sampled[0][1]
    assert learned[0] == learned[1]


def test_help_is_fast_and_explains_every_flag(tmp_path):
    started = time.time()
    out = run_cli("jobsearch.tpe", "--help", cwd=tmp_path)
    assert out.returncode == 0
    for flag in (
        "--trials",
        "--space",
        "--data",
        "--text-col",
        "--label-col",
        "--experiment",
        "--tracking-uri",
        "--seed",
        "--max-epochs",
        "--timeout",
        "--objective",
        "--stop-after",
        "--resume",
        "--no-prune",
        "--startup-trials",
    ):
        assert flag in out.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, jobsearch.random, jobsearch.cli.search;"
            "jobsearch.cli.search.search_parser('random');"
            "print('tensorflow' in sys.modules, 'mlflow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert probe.stdout.strip() == "False False"
    assert time.time() - started < 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trials", "0"], "--trials: must be a whole number >= 1"),
        (["--objective", "f1"], "invalid choice: 'f1'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--space", "nope.yaml"], "error: nope.yaml: no such space file"),
        (["--data", "missing.csv"], "error: missing.csv: no such file"),
        (["--resume", "--experiment", "never"], "--resume: no saved search for experiment 'never'"),
    ],
)
def test_bad_flags_one_line_exit_2(tmp_path, args, message):
    out = run_cli("jobsearch.random", *args, cwd=tmp_path)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "mlruns" / "searches").exists()


def test_timeout_stops_starting_new_trials(tiny_csv, tmp_path, search_here):
    args = search_args(
        tiny_csv, "--trials", "5", "--max-epochs", "1", "--experiment", "t", "--no-register"
    )
    out = search_here("random", *args, "--timeout", "0.5")
    assert "Search finished (--timeout 0.5s reached)" in out
    assert len(_state(tmp_path, "t").trials) == 1
    # the same command without the timeout continues the same search up to 5 trials
    search_here("random", *args)
    assert len(_state(tmp_path, "t").trials) == 5


def test_one_search_command_with_algo(tmp_path):
    out = run_cli("jobsearch.cli.search", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "--algo {random,tpe}" in out.stdout
    assert "--startup-trials" in out.stdout and "default: 10," in out.stdout
    assert "(default: 7)" in out.stdout  # --min-class-size: defaults are shown
    bad = run_cli("jobsearch.cli.search", "--algo", "grid", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice: 'grid'" in bad.stderr
    objective = tmp_path / "objective.yaml"
    objective.write_text("lstm_units: 8\nobjective: {choice: [accuracy, loss]}\n")
    refused = run_cli("jobsearch.cli.search", "--space", str(objective), cwd=tmp_path)
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode == 2 and len(lines) == 1, refused.stderr
    assert "objective: is a search setting" in lines[0]
    assert not (tmp_path / "mlruns").exists()


PRUNING_SPACE = """
embedding_dim: 16
lstm_units: 8
batch_size: 32
max_len: 32
max_epochs: 3
patience: 3
learning_rate: {choice: [0.01, 0.000001]}
seed_points:
""" + "".join(f"  - {{learning_rate: {lr}}}\n" for lr in ["0.01"] * 5 + ["0.000001"] * 2)


def test_default_pruning_rule_in_a_real_search(tiny_csv, tmp_path, search_here):
    """Five good trials, then a learning rate too small to learn: the median rule stops it at
    epoch 2; after a resume the restored curves stop the next one the same way."""
    space = tmp_path / "pruning.yaml"
    space.write_text(PRUNING_SPACE, encoding="utf-8")
    args = [
        "--data", str(tiny_csv), *DATA_ARGS, "--space", str(space), "--objective", "loss",
        "--experiment", "p", "--no-register",
    ]  # fmt: skip
    first = search_here("random", *args, "--trials", "6")
    assert "trials: 5 ok, 1 pruned, 0 failed" in first
    assert re.search(r"^trial 6/6 .* epochs  2 .* pruned", first, re.M)
    resumed = search_here("random", *args, "--trials", "7")
    assert "trials: 5 ok, 2 pruned, 0 failed" in resumed
    client = MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    state = _state(tmp_path, "p")
    children = {c.info.run_name: c for c in _children(client, state.parent_run_id)}
    for name in ("trial-006", "trial-007"):
        run = children[name]
        assert run.info.status == "FINISHED" and run.data.tags["jobsearch.status"] == "pruned"
        assert run.data.metrics["epochs"] == 2
        # the reported objective is the validation loss of the weights the trial kept
        assert run.data.metrics["score"] == pytest.approx(run.data.metrics["val_loss"])
    assert children["trial-001"].data.tags["jobsearch.status"] == "ok"
    table = pd.read_csv(client.download_artifacts(state.parent_run_id, "trials.csv", tmp_path))
    assert table["status"].tolist() == ["ok"] * 5 + ["pruned"] * 2
    assert state.trials[6].result["pruned"] and len(state.trials[6].result["curve"]) == 2


def test_resume_from_another_folder_through_the_tracking_store(tiny_csv, tmp_path):
    """The state and the kept trials' files live with the runs: a second machine (here a
    second folder with its own mlruns/) continues the same parent and registers what it serves
    now (the third trial joins the mix; the best trial stays)."""
    store = f"sqlite:///{tmp_path / 'shared' / 'mlflow.db'}"
    args = search_args(
        tiny_csv, "--experiment", "moved", "--tracking-uri", store, "--refit", "none"
    )
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    out = run_cli("jobsearch.random", *args, "--trials", "2", cwd=first)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "models:/moved/1 (now @champion)" in out.stdout
    out = run_cli("jobsearch.random", *args, "--trials", "3", "--resume", cwd=second)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.findall(r"^trial (\d)/3", out.stdout, re.M) == ["3"]
    assert "registered model: models:/moved/2 " in out.stdout
    here, there = _state(first, "moved"), _state(second, "moved")
    assert here.parent_run_id == there.parent_run_id and len(there.trials) == 3
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("moved").experiment_id
    assert len(client.search_runs([exp], "tags.`jobsearch.kind` = 'search'")) == 1
    children = _children(client, there.parent_run_id)
    assert sorted(c.info.run_name for c in children if c.info.status == "FINISHED") == [
        "trial-001",
        "trial-002",
        "trial-003",
    ]
    served = client.get_run(there.parent_run_id).data.tags["served_model"]
    assert client.get_model_version("moved", "2").tags["served_model"] == served
    assert "trials 3 " in served or ", 3 " in served
    version = client.get_model_version_by_alias("moved", "champion")
    assert version.tags["best_trial_run_id"] == there.best["run_id"]


def test_identical_searches_started_at_once_have_one_owner(tiny_csv, tmp_path):
    """Four copies of one command at once, two in each of two folders sharing one fresh store:
    one runs (the folder lock and the parent run's lease decide), three are refused in one
    line naming it; one parent run, every trial recorded once."""
    store = f"sqlite:///{tmp_path / 'shared' / 'mlflow.db'}"
    args = search_args(tiny_csv, "--trials", "2", "--max-epochs", "1", "--experiment", "same",
                       "--no-register", "--tracking-uri", store)  # fmt: skip
    folders = [tmp_path / name for name in ("a", "a", "b", "b")]
    for folder in folders:
        folder.mkdir(exist_ok=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "jobsearch.random", *args],
            cwd=folder,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    outs = [(p.returncode, out, err) for p in procs for out, err in [p.communicate(timeout=600)]]
    assert sorted(rc for rc, _, _ in outs) == [0, 2, 2, 2], [err[-500:] for _, _, err in outs]
    for rc, _, err in outs:
        if rc == 2:
            assert err.strip().splitlines() == [err.strip()], err[-1000:]
            assert "this search is running in process" in err and "Traceback" not in err
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("same").experiment_id
    parents = client.search_runs([exp], "tags.`jobsearch.kind` = 'search'")
    assert [p.info.status for p in parents] == ["FINISHED"]
    children = _children(client, parents[0].info.run_id)
    assert sorted((c.info.run_name, c.info.status) for c in children) == [
        ("trial-001", "FINISHED"),
        ("trial-002", "FINISHED"),
    ]


def test_baselines_logged_without_a_model_are_fitted_again(
    tiny_csv, tiny_data, tmp_path, search_here
):
    """Baseline runs logged by an older jobsearch hold no fitted model: the search fits and
    logs them again, so the ensemble can use them, and keeps their models beside its trials."""
    from jobsearch.baseline import fit_baselines, model_file
    from jobsearch.tracking.mlflow import get_client, log_baseline_run

    store = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    for b in fit_baselines(tiny_data):
        log_baseline_run(get_client(store), "old", tiny_data, b.model, b.metrics, b.settings)
    args = search_args(tiny_csv, "--trials", "2", "--max-epochs", "1", "--experiment", "old")
    search_here("random", *args)
    client = MlflowClient(store)
    runs = client.search_runs(
        [client.get_experiment_by_name("old").experiment_id],
        filter_string="tags.`jobsearch.kind` = 'baseline'",
    )
    with_model = [r for r in runs if client.list_artifacts(r.info.run_id)]
    assert len(runs) == 4 and len(with_model) == 2
    workdir = tmp_path / "mlruns" / "searches" / "old"
    assert {p.name for p in workdir.glob("baseline-*.pkl")} == {
        model_file("linear_svc"),
        model_file("logistic_regression"),
    }


def test_a_search_whose_every_trial_fails_exits_1_naming_the_failure(
    tiny_csv, tmp_path, monkeypatch, capsys
):
    """Word vectors of the wrong width pass the preflight (the width may be searched) and fail
    every trial: the search says so in its last line and exits 1, not 0."""
    from jobsearch.random import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "v.txt").write_text("nurse 0.1 0.2 0.3\nwelder 0.3 0.2 0.1\n")
    (tmp_path / "s.yaml").write_text(
        "embedding_init: v.txt\nembedding_dim: 4\nlstm_units: {choice: [4, 8]}\n"
    )
    args = ["--data", str(tiny_csv), *DATA_ARGS, "--space", "s.yaml", "--trials", "2",
            "--max-epochs", "1", "--no-register"]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: every trial failed; most often: ParamError: embedding_init=")
    assert err.endswith("(2 of 2 trials)")


def test_successive_halving_in_a_real_search_and_after_a_resume(tiny_csv, tmp_path, search_here):
    """--pruner asha: the trial too slow to learn stops at the first rung (epoch 1), and after
    a resume the rungs restored from the saved curves stop the next one there too."""
    space = tmp_path / "pruning.yaml"
    space.write_text(PRUNING_SPACE, encoding="utf-8")
    args = [
        "--data", str(tiny_csv), *DATA_ARGS, "--space", str(space), "--objective", "loss",
        "--experiment", "h", "--no-register", "--pruner", "asha", "--min-epochs", "1",
    ]  # fmt: skip
    for trials in (6, 7):
        out = search_here("random", *args, "--trials", str(trials))
        assert re.search(rf"^trial {trials}/{trials} .* epochs  1 .* pruned", out, re.M)
    state = _state(tmp_path, "h")
    assert [t.result["epochs"] for t in state.trials[5:]] == [1, 1]
    parent = MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db").get_run(state.parent_run_id)
    assert (parent.data.params["pruner"], parent.data.params["eta"]) == ("asha", "3")
