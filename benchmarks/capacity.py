"""How many trials per minute one tracking server on PostgreSQL absorbs, and whether concurrent
searches against it lose or double any trial.

    python benchmarks/capacity.py                  # 1, 4 and 16 clients, 60 s each
    python benchmarks/capacity.py --searches 4     # also 4 real searches at once, counted

Starts the team server as docker-compose.yml runs it (``mlflow server --app-name basic-auth``
with the image's ``basic_auth.ini``, PostgreSQL backend, 2 workers) on a fresh database on
127.0.0.1:5432. Each client process logs
trials exactly as a search does (``MlflowTrialRecorder``: the run with its tags and a real
trial's params, one ``log_batch`` per epoch for 8 epochs, the final metrics and tags, the
dataset summary artifact) under one parent run, as fast as it can, for the given time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psycopg2
from machine import description

ADMIN = ("admin", "capacity-admin-password")
EPOCHS = 8


def start_server(database: str, port: int, folder: Path) -> subprocess.Popen:
    """The compose service's command on this machine."""
    ini = folder / "basic_auth.ini"
    shipped = (Path(__file__).parents[1] / "docker" / "mlflow" / "basic_auth.ini").read_text()
    ini.write_text(
        re.sub(r"(?m)^database_uri = .*$", f"database_uri = sqlite:///{folder}/auth.db", shipped)
    )
    env = {
        **os.environ,
        "MLFLOW_AUTH_CONFIG_PATH": str(ini),
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
        "MLFLOW_FLASK_SERVER_SECRET_KEY": uuid.uuid4().hex,
    }
    command = [
        sys.executable, "-m", "mlflow", "server", "--app-name=basic-auth",
        f"--backend-store-uri=postgresql+psycopg2://root@127.0.0.1:5432/{database}",
        f"--artifacts-destination={folder / 'artifacts'}", "--serve-artifacts",
        "--host=127.0.0.1", f"--port={port}", "--workers=2",
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # stopped as a group: the server starts job consumers
    )
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the tracking server did not start") from None
            time.sleep(0.5)


def _client(uri: str, parent: str, seconds: float) -> int:
    """Log trials as a search does until ``seconds`` have passed; return how many."""
    os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = ADMIN
    from types import SimpleNamespace

    from jobsearch.data import load_split
    from jobsearch.params import resolve_params
    from jobsearch.tracking.mlflow import MlflowTrialRecorder, get_client
    from jobsearch.trial import TrialResult

    split = load_split()  # the demo postings; what a recorder reads of a Dataset, without TF
    data = SimpleNamespace(
        fingerprint="capacity", summary=split.summary, classes=split.classes, labels=split.labels
    )
    client = get_client(uri)
    params = resolve_params({})
    done, end = 0, time.time() + seconds
    while time.time() < end:
        recorder = MlflowTrialRecorder(
            uri, "capacity", run_name=f"trial-{done + 1:03d}", parent_run_id=parent, client=client
        )
        recorder.start(params, data, "accuracy")
        for epoch in range(EPOCHS):
            recorder.log_epoch(
                epoch,
                {
                    "train_loss": 1.0 / (epoch + 1),
                    "train_accuracy": 0.1 * epoch,
                    "val_loss": 1.1 / (epoch + 1),
                    "val_accuracy": 0.09 * epoch,
                    "val_macro_f1": 0.08 * epoch,
                    "learning_rate": 0.003,
                    "epoch_seconds": 2.0,
                },
            )
        result = TrialResult(params=params, objective="accuracy", run_id=recorder.run_id)
        result.loss, result.val_accuracy, result.epochs = -0.7, 0.7, EPOCHS
        recorder.finish(result, data)
        done += 1
    return done


def absorb(uri: str, clients: int, seconds: float) -> dict:
    """Trials per minute with ``clients`` logging processes at once."""
    from jobsearch.tracking.mlflow import RunRecorder, get_client

    parent = RunRecorder(get_client(uri), "capacity", run_name=f"{clients}-clients").run_id
    started = time.perf_counter()
    with ProcessPoolExecutor(clients) as pool:
        counts = list(pool.map(_client, [uri] * clients, [parent] * clients, [seconds] * clients))
    elapsed = time.perf_counter() - started
    logged = len(
        get_client(uri).search_runs(
            [get_client(uri).get_experiment_by_name("capacity").experiment_id],
            f"tags.mlflow.parentRunId = '{parent}'",
            max_results=50000,
        )
    )
    return {
        "clients": clients,
        "trials": sum(counts),
        "recorded": logged,
        "trials_per_minute": sum(counts) / seconds * 60,
        "seconds": elapsed,
    }


def concurrent_searches(uri: str, n: int, trials: int, folder: Path) -> dict:
    """``n`` real searches at once; each parent's finished children counted."""
    from jobsearch.tracking.mlflow import get_client

    env = {**os.environ, "MLFLOW_TRACKING_USERNAME": ADMIN[0], "MLFLOW_TRACKING_PASSWORD": ADMIN[1]}
    runs = []
    for i in range(n):
        cwd = folder / f"search-{i}"
        cwd.mkdir()
        command = [
            sys.executable, "-m", "jobsearch.random", "--trials", str(trials), "--max-epochs",
            "1", "--experiment", "shared", "--no-register", "--tracking-uri", uri, "--seed", str(i),
        ]  # fmt: skip
        runs.append(
            subprocess.Popen(
                command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    codes = [p.wait() for p in runs]
    client = get_client(uri)
    exp = client.get_experiment_by_name("shared").experiment_id
    out = []
    for parent in client.search_runs([exp], "tags.`jobsearch.kind` = 'search'"):
        children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
        names = [c.info.run_name for c in children if c.info.status == "FINISHED"]
        out.append(
            {
                "parent_status": parent.info.status,
                "finished_children": len(names),
                "distinct_names": len(set(names)),
            }
        )
    return {"exit_codes": codes, "parents": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--searches", type=int, default=0, help="real searches at once")
    parser.add_argument("--search-trials", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database = f"capacity_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", user="root", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    folder = Path(tempfile.mkdtemp(prefix="jobsearch-capacity-"))
    port = 5123
    server = start_server(database, port, folder)
    uri = f"http://127.0.0.1:{port}"
    os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = ADMIN
    report = {
        "machine": description(),
        "date": time.strftime("%Y-%m-%d"),
        "server": "mlflow server --app-name basic-auth --workers 2, PostgreSQL 127.0.0.1",
        "absorb": [],
    }
    try:
        for n in args.clients:
            row = absorb(uri, n, args.seconds)
            report["absorb"].append(row)
            print(json.dumps(row), flush=True)
        if args.searches:
            report["searches"] = concurrent_searches(uri, args.searches, args.search_trials, folder)
            print(json.dumps(report["searches"]), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
