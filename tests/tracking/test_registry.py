"""The best model: registered, champion alias, raw-text predictions, CLI, REST serving, baseline."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import urllib.request

import mlflow
import pandas as pd
import pytest
from conftest import (
    DATA_ARGS,
    cli_env,
    free_port,
    run_cli,
    run_python,
    search_args,
    stop_group,
    wait_for_http,
)
from mlflow import MlflowClient

from jobsearch.baseline import model_file
from jobsearch.data.demo import industries
from jobsearch.data.load import read_table


@pytest.fixture(scope="module")
def registered(tiny_csv, tmp_path_factory):
    """A search run from ``python -c`` (the Python API, as from a script or a scheduler): where
    ``__main__`` has no file, importing pyspark's connect module exits the process, and MLflow's
    signature inference did, so the search stopped before registering and exited 0."""
    cwd = tmp_path_factory.mktemp("search")
    args = search_args(
        tiny_csv,
        *("--trials", "3", "--experiment", "jobs", "--model-name", "industry"),
        *("--refit", "none"),  # served as the trials learned: its validation figures hold
    )
    code = "import sys; from jobsearch.random import main; sys.exit(main(sys.argv[1:]))"
    out = run_python("-c", code, *args, cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "models:/industry/1 (now @champion)" in out.stdout, out.stderr[-3000:]
    uri = f"sqlite:///{cwd}/mlruns/mlflow.db"
    return cwd, uri


def test_champion_predicts_raw_text(registered, tiny_data):
    _, uri = registered
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/industry@champion")
    texts = ["Staff nurse for acute wards, NMC registration", "Python backend developer, APIs"]
    for given in (pd.DataFrame({"text": texts}), texts):
        out = model.predict(given)
        assert list(out.columns) == [
            "industry",
            "probability",
            "industry_2",
            "probability_2",
            "industry_3",
            "probability_3",
        ]
        assert len(out) == 2 and (out["probability"] >= out["probability_2"]).all()
        assert (out["probability"] <= 1).all() and out["industry"].map(type).eq(str).all()
    version = MlflowClient(uri).get_model_version_by_alias("industry", "champion")
    tags = version.tags
    assert {"search_run_id", "best_trial_run_id", "val_accuracy", "data.fingerprint"} <= set(tags)
    assert float(tags["val_score"]) == pytest.approx(float(tags["val_accuracy"]))  # not -0.8
    runs = tags["trial_run_ids"].split(",")
    assert tags["served_model"].startswith("ensemble of trials" if len(runs) > 1 else "trial ")
    assert tags["learned_from"] == f"train ({len(tiny_data.labels['train']):,} rows)"
    assert model.unwrap_python_model().vocabulary == tiny_data.vocabulary


def test_the_leaderboard_is_described_in_the_ui_and_printed_by_report(registered, capsys):
    """The model version's description and the search run's are the leaderboard;
    ``python -m jobsearch.report`` prints it from the same store."""
    from jobsearch.cli.report import main

    _, uri = registered
    client = MlflowClient(uri)
    version = client.get_model_version_by_alias("industry", "champion")
    parent = client.get_run(version.tags["search_run_id"])
    served = version.tags["served_model"]
    assert (
        f"**Served model: {served}**, registered as `models:/industry/1`, learned from train"
        in (version.description)
    )
    assert "#### Best trials (3 of 3)" in version.description and "Plots: [" in version.description
    assert parent.data.tags["mlflow.note.content"].startswith("| | **served model**")
    assert main(["jobs", "--tracking-uri", uri, "--top", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"experiment jobs, search run {parent.info.run_id} (FINISHED)"
    assert f"served model: {version.tags['served_model']}" in out
    assert "registered as models:/industry/1, learned from train (" in out[3]
    rows = {line[:30].strip(): line.split()[-4:] for line in out if line[:1] in "sTb"}
    served = [f"{float(version.tags[k]):.3f}" for k in ("val_accuracy", "val_macro_f1")]
    assert rows["served model"][:2] == served
    assert {"TF-IDF + LinearSVC", "TF-IDF + logistic regression"} <= set(rows)
    trials = out[out.index("best trials (2 of 3):") + 2 :]
    assert len(trials) == 2 and float(trials[0].split()[2]) >= float(trials[1].split()[2])


def test_served_model_reproduces_validation_accuracy(registered, tiny_data):
    """Raw text through the pyfunc (cleaning, tokenizing, padding) scores as in training."""
    _, uri = registered
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/industry@champion")
    predicted = model.predict(tiny_data.split.texts["val"])["industry"]
    truth = [tiny_data.classes[i] for i in tiny_data.labels["val"]]
    accuracy = float((predicted == pd.Series(truth)).mean())
    tags = MlflowClient(uri).get_model_version_by_alias("industry", "champion").tags
    assert accuracy == pytest.approx(float(tags["val_accuracy"]), abs=1e-6)


def test_alias_does_not_move_to_a_worse_model(registered, tiny_data):
    from jobsearch.tracking.registry import register

    _, uri = registered
    client = MlflowClient(uri)
    champion = client.get_model_version_by_alias("industry", "champion")
    # the same model, re-registered claiming a worse objective on different data: the
    # champion is re-scored on this data and keeps the alias
    worse = -float(champion.tags["val_score"]) + 2.0
    version, promoted = register(
        client, "industry", champion.source, "accuracy", worse, tiny_data, {"note": "worse"}
    )
    assert not promoted
    assert client.get_model_version_by_alias("industry", "champion").version == champion.version
    version, promoted = register(
        client, "industry", champion.source, "accuracy", -2.0, tiny_data, {"note": "better"}
    )
    assert promoted
    assert client.get_model_version_by_alias("industry", "champion").version == version


def _alias(client, name):
    return client.get_model_version_by_alias(name, "champion").version


def test_champion_is_compared_on_the_same_objective(registered, tiny_data):
    """An accuracy champion against a loss search and back: the champion is re-scored on the
    newcomer's objective, never compared as -accuracy against a loss."""
    from jobsearch.model.metrics import classification_metrics
    from jobsearch.tracking.registry import register

    _, uri = registered
    client = MlflowClient(uri)
    source = client.get_model_version_by_alias("industry", "champion").source
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(source).unwrap_python_model()
    real = classification_metrics(
        tiny_data.labels["val"], model.predict_proba(tiny_data.split.texts["val"])
    )
    first, _ = register(client, "cross", source, "accuracy", -real["accuracy"], tiny_data, {})
    # a loss search claiming a little worse than the champion's real loss loses, better wins
    _, promoted = register(client, "cross", source, "loss", real["loss"] + 0.1, tiny_data, {})
    assert not promoted and _alias(client, "cross") == first
    by_loss, promoted = register(client, "cross", source, "loss", real["loss"] - 0.1, tiny_data, {})
    assert promoted and _alias(client, "cross") == by_loss
    # after a loss champion, an accuracy search must still beat its accuracy
    _, promoted = register(client, "cross", source, "accuracy", -0.01, tiny_data, {})
    assert not promoted and _alias(client, "cross") == by_loss


def test_champion_from_other_data_is_rescored(registered, tiny_data, tiny_csv, tmp_path):
    """A champion trained on data with other labels scores near zero on the newcomer's
    validation split; its stored objective (from its own data) must not be used."""
    from jobsearch import prepare_dataset
    from jobsearch.tracking.registry import register

    _, uri = registered
    client = MlflowClient(uri)
    champion = client.get_model_version_by_alias("industry", "champion")
    frame = pd.read_csv(tiny_csv)
    names = sorted(frame["industry"].unique())
    rotate = dict(zip(names, names[1:] + names[:1]))  # every posting gets another industry
    relabelled = tmp_path / "relabelled.csv"
    frame.assign(industry=frame["industry"].map(rotate)).to_csv(relabelled, index=False)
    other = prepare_dataset(relabelled, ["title", "description"], "industry")
    stored = -float(champion.tags["val_score"])
    assert stored < -0.3  # the champion is good on its own data
    first, _ = register(client, "moved", champion.source, "accuracy", stored, tiny_data, {})
    # claims only half as good as the stored figure: still better than the re-scored champion
    newer, promoted = register(client, "moved", champion.source, "accuracy", stored / 2, other, {})
    assert promoted and _alias(client, "moved") == newer != first


def test_predict_cli_text_file_and_errors(registered, tmp_path):
    cwd, _ = registered
    out = run_cli(
        "jobsearch.predict",
        "--model",
        "models:/industry@champion",
        "Chef de partie for a busy restaurant kitchen",
        cwd=cwd,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    industry, prob, text = out.stdout.strip().splitlines()[-1].split("\t")
    assert industry in industries() and 0 < float(prob) <= 1 and text.startswith("Chef")
    # nothing but the answer: no TensorFlow start-up lines, no MLflow type-hint advice
    assert out.stderr.strip() == "", out.stderr[-2000:]
    postings = tmp_path / "postings.csv"
    formulas = ['=HYPERLINK("http://x")', "+1 Solicitor", "-2 nurse", "@SUM(A1) chef"]
    pd.DataFrame(
        {
            "id": ["007", "8", "9", "10", "11", "12"],
            "body": ["Solicitor, litigation", "Warehouse operative, forklift", *formulas],
            "industry": ["Legal", "Logistics", "", "", "", ""],
        }
    ).to_csv(postings, index=False)
    result = tmp_path / "pred.csv"
    out = run_cli(
        "jobsearch.predict",
        "--model",
        "models:/industry@champion",
        "--input",
        str(postings),
        "--text-col",
        "body",
        "--output",
        str(result),
        cwd=cwd,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    table = pd.read_csv(result, dtype=str, keep_default_na=False)
    # the input's rows and columns as read (ids to join on), then the predictions, whose names
    # step aside for the label column the input already has
    named = ["id", "body", "industry", "predicted_industry", "predicted_probability"]
    assert table.columns.tolist()[:5] == named
    assert table["id"].tolist() == ["007", "8", "9", "10", "11", "12"]
    assert table["industry"].tolist()[:2] == ["Legal", "Logistics"]
    assert set(table["predicted_industry"]) <= set(industries())
    # the input's labels score the predictions (rows without one are left out)
    labelled = table[table["industry"] != ""]
    hits = (labelled["industry"] == labelled["predicted_industry"]).mean()
    assert f"against 'industry': accuracy {hits:.3f}, macro-F1 " in out.stdout
    assert "on 2 labelled rows; never predicted: Legal, Logistics" in out.stdout
    # a spreadsheet opening the file shows these texts instead of running them
    assert table["body"].tolist()[2:] == [f"'{text}" for text in formulas]
    assert not table["body"].str.match(r"[=+\-@]").any()
    empty = tmp_path / "empty.csv"
    empty.write_text("body\n")
    for args, message in [
        (["--model", "models:/nope@champion", "x"], "cannot load model 'models:/nope@champion'"),
        (
            ["--model", "models:/industry@champion", "--input", str(postings), "--text-col", "txt"],
            "missing column 'txt'; columns present: id, body, industry",
        ),
        (
            ["--model", "models:/industry@champion", "--input", str(empty), "--text-col", "body"],
            "no rows to predict",
        ),
    ]:
        bad = run_cli("jobsearch.predict", *args, cwd=cwd)
        lines = [line for line in bad.stderr.splitlines() if line.startswith("error")]
        assert bad.returncode == 2 and len(lines) == 1 and message in lines[0], bad.stderr
        assert "Traceback" not in bad.stderr


def test_predict_output_writes_special_files_in_place_and_follows_links(
    registered, tmp_path, monkeypatch, capsys
):
    """A device or FIFO given as --output is written in place, never replaced by a regular
    file; a link keeps pointing at the file it names, which gets the predictions."""
    import stat
    import threading

    from jobsearch.cli.predict import main

    cwd, uri = registered
    monkeypatch.chdir(cwd)
    base = ["--model", "models:/industry@champion", "--tracking-uri", uri]
    # /dev/full takes nothing: one line, exit 2, and the device is still a device
    assert main([*base, "--output", "/dev/full", "a nurse"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --output /dev/full:") and "\n" not in err, err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    # a FIFO: the reader on the other end gets the CSV
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert main([*base, "--output", str(fifo), "a nurse"]) == 0
    reader.join(timeout=30)
    assert got and got[0].startswith("text,industry,probability"), got
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    # a link: still a link, its target written
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("old\n")
    link.symlink_to(target)
    assert main([*base, "--output", str(link), "a welder"]) == 0
    assert link.is_symlink() and target.read_text().startswith("text,industry")
    mlflow.set_tracking_uri(None)  # load_model set it (and the variable) for this process


def test_predict_output_format_follows_the_suffix(registered, tmp_path, monkeypatch, capsys):
    """Parquet and compressed JSON Lines by the --output suffix, the input's values kept exactly
    as read (no spreadsheet escaping outside CSV); what Parquet cannot hold is refused."""
    from jobsearch.cli.predict import main

    cwd, uri = registered
    monkeypatch.chdir(cwd)
    base = ["--model", "models:/industry@champion", "--tracking-uri", uri]
    postings = tmp_path / "p.jsonl"
    postings.write_text('{"ref": 1, "text": "=a nurse"}\n{"ref": 2, "text": "a welder"}\n')
    for name in ("out.parquet", "out.jsonl.gz"):
        assert main([*base, "--input", str(postings), "--output", str(tmp_path / name)]) == 0
        table = read_table(tmp_path / name)
        assert table["ref"].tolist() == [1, 2] and table["text"].tolist()[0] == "=a nurse"
        assert set(table["industry"]) <= set(industries())
    # a column Parquet cannot hold (numbers and text mixed): one line, exit 2, no file
    postings.write_text('{"ref": 1, "text": "a nurse"}\n{"ref": "x", "text": "a welder"}\n')
    capsys.readouterr()
    assert main([*base, "--input", str(postings), "--output", str(tmp_path / "m.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --output") and "\n" not in err, err
    assert not (tmp_path / "m.parquet").exists() and not list(tmp_path.glob(".m.*"))
    mlflow.set_tracking_uri(None)  # load_model set it (and the variable) for this process


def test_mlflow_models_serve_answers_raw_text(registered):
    cwd, uri = registered
    port = free_port()
    # as after `source .venv/bin/activate`: mlflow starts uvicorn from PATH
    path = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    env = cli_env(MLFLOW_TRACKING_URI=uri, PATH=path)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "serve",
            "-m",
            "models:/industry@champion",
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/ping", server)
        body = json.dumps(
            {
                "dataframe_split": {
                    "columns": ["text"],
                    "data": [
                        ["Staff nurse on an acute medical ward"],
                        ["Recruitment consultant, candidates"],
                    ],
                }
            }
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = json.load(urllib.request.urlopen(request, timeout=60))
        rows = answer["predictions"]
        assert len(rows) == 2 and isinstance(rows[0]["industry"], str)
        assert 0 < rows[0]["probability"] <= 1
    finally:
        stop_group(server)


def test_baseline_logs_same_metric_names_and_its_model(tiny_csv, tiny_data, tmp_path, store):
    out = run_cli(
        "jobsearch.baseline",
        "--data",
        str(tiny_csv),
        *DATA_ARGS,
        "--experiment",
        "b",
        "--tracking-uri",
        store,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "TF-IDF + LinearSVC" in out.stdout and "TF-IDF + logistic regression" in out.stdout
    client = MlflowClient(store)
    exp = client.get_experiment_by_name("b")
    run = client.search_runs([exp.experiment_id])[0]
    lstm_names = {
        "val_accuracy",
        "val_macro_f1",
        "val_loss",
        "test_accuracy",
        "test_macro_f1",
        "test_loss",
        "train_accuracy",
        "train_loss",
    }
    assert lstm_names <= set(run.data.metrics)
    # each run holds its fitted model, which reproduces the logged validation accuracy
    for run in client.search_runs([exp.experiment_id]):
        name = model_file(run.data.params["model"])
        local = client.download_artifacts(run.info.run_id, name, str(tmp_path))
        with open(local, "rb") as fh:
            fitted = pickle.load(fh)
        probs = fitted.predict_proba(tiny_data.split.texts["val"])
        accuracy = float((probs.argmax(1) == tiny_data.labels["val"]).mean())
        assert accuracy == pytest.approx(run.data.metrics["val_accuracy"])
    assert 0.2 < run.data.metrics["test_accuracy"] <= 1


def test_models_logged_by_older_versions_load_or_are_refused_clearly():
    from jobsearch.tracking.serving import member_params

    old_plain = {"params": {"ngrams": 0, "max_len": 40, "lstm_units": 8}}
    assert member_params(old_plain)["char_ngrams"] is False  # what it ran with
    with pytest.raises(ValueError, match="older jobsearch"):  # averaged n-gram branch
        member_params({"params": {"ngrams": 2, "max_len": 40}})
    with pytest.raises(ValueError, match="older jobsearch"):  # tables over the hash space
        member_params({"params": {"ngrams": 2, "ngram_width": 30, "max_len": 40}})
    params = {"ngrams": 2, "ngram_width": 30, "max_len": 40, "unknown_old": 1}
    new = member_params({"params": params, "ngram_rows": 500})
    assert new["char_ngrams"] is True and new["ngram_width"] == 30
