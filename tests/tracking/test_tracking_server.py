"""The docker-compose services, run as they run (commands, environment and basic auth as
written): the tracking server on the real PostgreSQL, a search through it with a teammate's
credentials, and a Spark master and worker (pyspark's own launcher) running a search's trials
two at a time."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from conftest import (
    ROOT,
    cli_env,
    free_port,
    missing_service,
    run_cli,
    search_args,
    stop_group,
    wait_for_http,
)

PG = {"host": "127.0.0.1", "port": 5432, "user": "root", "dbname": "postgres"}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
SPARK_MASTER = ["spark-class", "org.apache.spark.deploy.master.Master"]
SPARK_WORKER = ["spark-class", "org.apache.spark.deploy.worker.Worker"]
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(text: str, values: dict[str, str]) -> str:
    """docker compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""

    def one(match: re.Match) -> str:
        name, kind, arg = match.groups()
        if values.get(name):
            return values[name]
        assert kind != "?", f"compose needs {name}: {arg}"
        return arg if kind == "-" else ""

    return VARIABLE.sub(one, str(text))


@pytest.fixture
def database():
    try:
        import psycopg2
    except ImportError:
        missing_service("psycopg2 is not installed (pip install -e '.[dev]')")
    try:
        admin = psycopg2.connect(**PG, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        missing_service(f"no PostgreSQL on 127.0.0.1:5432 ({exc})")
    admin.autocommit = True
    name = f"jobsearch_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def _server(database: str, port: int, tmp_path) -> tuple[list[str], dict[str, str]]:
    """The mlflow service's command and environment from docker-compose.yml (values from
    .env.example), pointed at this machine: the test database, a local artifact folder, a
    local copy of the image's auth settings with its user store in tmp_path."""
    service = COMPOSE["services"]["mlflow"]
    command = [interpolate(part, ENV_EXAMPLE) for part in service["command"]]
    replace = {
        "--backend-store-uri": f"postgresql+psycopg2://root@127.0.0.1:5432/{database}",
        "--artifacts-destination": str(tmp_path / "artifacts"),
        "--host": "127.0.0.1",
        "--port": str(port),
        "--workers": "1",
    }
    args = []
    for part in command[1:]:
        flag = part.split("=", 1)[0]
        args.append(f"{flag}={replace[flag]}" if flag in replace else part)
    assert command[0] == "mlflow"
    env = {k: interpolate(v, ENV_EXAMPLE) for k, v in service["environment"].items()}
    ini = (ROOT / "docker" / "basic_auth.ini").read_text()
    ini = re.sub(r"(?m)^database_uri = .*$", f"database_uri = sqlite:///{tmp_path}/auth.db", ini)
    (tmp_path / "basic_auth.ini").write_text(ini)
    env["MLFLOW_AUTH_CONFIG_PATH"] = str(tmp_path / "basic_auth.ini")
    return [sys.executable, "-m", "mlflow", *args], env


def _launch(command: list[str], env: dict[str, str], cwd, uri: str) -> subprocess.Popen:
    """Start the server and wait until it answers on /health."""
    server = subprocess.Popen(
        command,
        cwd=cwd,
        env={**cli_env(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(f"{uri}/health", server)
    except BaseException:
        stop_group(server, signal.SIGKILL)
        raise
    return server


def _call(uri: str, path: str, body: dict | None = None, user: tuple[str, str] | None = None):
    """One REST call; (HTTP status, JSON answer)."""
    request = urllib.request.Request(
        uri + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    if user:
        token = base64.b64encode(":".join(user).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def test_compose_file_is_what_the_tests_run():
    services = COMPOSE["services"]
    assert set(services) == {"db", "mlflow", "spark-master", "spark-worker", "search"}
    assert re.fullmatch(r"postgres:\d+\.\d+", services["db"]["image"])  # pinned
    # one image, the project's, for every other service
    for name in ("mlflow", "spark-master", "spark-worker", "search"):
        assert services[name]["image"] == "jobsearch:0.1.0", name
        assert services[name]["build"] == {"context": ".", "dockerfile": "docker/Dockerfile"}
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    from importlib.metadata import version

    for package in ("mlflow[auth]", "pyspark", "psycopg2-binary", "httptools"):
        assert re.search(rf'"{re.escape(package)}==[\d.]+"', dockerfile), package
    assert f'"mlflow[auth]=={version("mlflow")}"' in dockerfile
    assert f'"pyspark=={version("pyspark")}"' in dockerfile
    assert "openjdk-17" in dockerfile and '-e ".[spark,server]"' in dockerfile
    assert "COPY docker/basic_auth.ini /etc/mlflow/basic_auth.ini" in dockerfile
    mlflow = services["mlflow"]
    assert mlflow["environment"]["MLFLOW_AUTH_CONFIG_PATH"] == "/etc/mlflow/basic_auth.ini"
    assert "--app-name=basic-auth" in mlflow["command"]
    # the commands the Spark test runs
    assert services["spark-master"]["command"][:2] == SPARK_MASTER
    assert services["spark-worker"]["command"][:2] == SPARK_WORKER
    assert services["search"]["entrypoint"][:3] == ["python", "-m", "jobsearch.tpe"]
    # published only on this machine unless the user opts in; no secret in the repository
    assert [interpolate(p, {}) for p in mlflow["ports"]] == ["127.0.0.1:5000:5000"]
    assert [interpolate(p, {}) for p in services["spark-master"]["ports"]] == [
        "127.0.0.1:8080:8080"
    ]
    referenced = set(VARIABLE.findall((ROOT / "docker-compose.yml").read_text()))
    assert {name for name, _, _ in referenced} <= set(ENV_EXAMPLE)
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def test_search_through_the_authenticated_compose_server(database, tiny_csv, tmp_path):
    port = free_port()
    command, env = _server(database, port, tmp_path)
    uri = f"http://127.0.0.1:{port}"
    server = _launch(command, env, tmp_path, uri)
    admin = ("admin", ENV_EXAMPLE["MLFLOW_AUTH_ADMIN_PASSWORD"])
    alice = ("alice", "alice-password-1")
    try:
        # anonymous writes (and reads) are refused
        assert _call(uri, "/api/2.0/mlflow/experiments/create", {"name": "x"})[0] == 401
        assert _call(uri, "/api/2.0/mlflow/experiments/search", {"max_results": 1})[0] == 401
        # a command without credentials stops before any work, in one line
        refused = run_cli("jobsearch.baseline", "--tracking-uri", uri, cwd=tmp_path, timeout=60)
        assert refused.returncode == 2 and "MLFLOW_TRACKING_USERNAME" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        # the admin creates a teammate, who searches with MLflow's standard variables
        user = {"username": alice[0], "password": alice[1]}
        assert _call(uri, "/api/2.0/mlflow/users/create", user, admin)[0] == 200
        # the same search from two folders at once: alice's variables in one, her password in
        # the URI in the other; one runs, the other is refused, and no output shows it
        args = search_args(tiny_csv, "--trials", "2", "--max-epochs", "1", "--experiment", "team")
        in_uri = uri.replace("://", f"://{alice[0]}:{alice[1]}@")
        creds = {"MLFLOW_TRACKING_USERNAME": alice[0], "MLFLOW_TRACKING_PASSWORD": alice[1]}
        starts = [(tmp_path / "a", uri, creds), (tmp_path / "b", in_uri, {})]
        procs = []
        for folder, where, extra in starts:
            folder.mkdir()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "jobsearch.random", *args, "--tracking-uri", where],
                    cwd=folder,
                    env=cli_env(**extra),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outs = [(p.returncode, o, e) for p in procs for o, e in [p.communicate(timeout=600)]]
        assert sorted(rc for rc, _, _ in outs) == [0, 2], [e[-1500:] for _, _, e in outs]
        refused = next(e for rc, _, e in outs if rc == 2).strip()
        assert "this search is running in process" in refused and "\n" not in refused
        assert all(alice[1] not in o + e for _, o, e in outs)
        # read back through the REST API with credentials
        name = urllib.parse.quote("team")
        by_name = f"/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"
        status, found = _call(uri, by_name, user=alice)
        assert status == 200
        exp = found["experiment"]["experiment_id"]

        def runs(filter_string: str) -> list[dict]:
            body = {"experiment_ids": [exp], "filter": filter_string, "max_results": 100}
            return _call(uri, "/api/2.0/mlflow/runs/search", body, alice)[1].get("runs", [])

        parents = runs("tags.`jobsearch.kind` = 'search'")
        assert len(parents) == 1 and parents[0]["info"]["status"] == "FINISHED"
        parent = parents[0]["info"]["run_id"]
        assert sorted(
            r["info"]["run_name"] for r in runs(f"tags.mlflow.parentRunId = '{parent}'")
        ) == [
            "trial-001",
            "trial-002",
        ]
        champion = "/api/2.0/mlflow/registered-models/alias?name=team&alias=champion"
        status, alias = _call(uri, champion, user=alice)
        assert status == 200
        tags = {t["key"]: t["value"] for t in alias["model_version"]["tags"]}
        assert tags["search_run_id"] == parent
        # the leaderboard, read from the server (its description there is the same)
        board = run_cli("jobsearch.report", "team", "--tracking-uri", uri, cwd=tmp_path, env=creds)
        assert board.returncode == 0, board.stderr[-2000:]
        assert f"search run {parent} (FINISHED)" in board.stdout
        assert f"served model: {tags['served_model']}" in board.stdout
        assert "TF-IDF + LinearSVC" in board.stdout and "best trials (2 of 2):" in board.stdout
        assert alias["model_version"]["description"].startswith("| model | val accuracy")
        # anonymous users cannot move the champion
        move = {"name": "team", "alias": "champion", "version": "1"}
        assert _call(uri, "/api/2.0/mlflow/registered-models/alias", move)[0] == 401
    finally:
        stop_group(server)
    import psycopg2

    with psycopg2.connect(**{**PG, "dbname": database}) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_uuid = %s", (parent,))
        assert cur.fetchone() == ("FINISHED",)


def test_search_rides_out_a_server_restart(database, tiny_csv, tmp_path):
    """The server is killed after trial 1 and back some seconds later: MLflow's bounded
    retries carry the search through, and every trial is recorded once."""
    port = free_port()
    command, env = _server(database, port, tmp_path)
    uri = f"http://127.0.0.1:{port}"
    server = _launch(command, env, tmp_path, uri)
    admin = ("admin", ENV_EXAMPLE["MLFLOW_AUTH_ADMIN_PASSWORD"])
    args = search_args(tiny_csv, "--trials", "3", "--max-epochs", "1", "--experiment", "r")
    search = subprocess.Popen(
        [sys.executable, "-m", "jobsearch.random", *args, "--no-register", "--tracking-uri", uri],
        cwd=tmp_path,
        env=cli_env(MLFLOW_TRACKING_USERNAME=admin[0], MLFLOW_TRACKING_PASSWORD=admin[1]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in search.stdout:
            if line.startswith("trial 1/3"):
                break
        stop_group(server, signal.SIGKILL)
        server = _launch(command, env, tmp_path, uri)
        out, err = search.communicate(timeout=600)
        assert search.returncode == 0, err[-3000:]
        assert "trial 3/3" in out
        by_name = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=r"
        found = _call(uri, by_name, user=admin)[1]
        body = {"experiment_ids": [found["experiment"]["experiment_id"]], "max_results": 100}
        runs = _call(uri, "/api/2.0/mlflow/runs/search", body, admin)[1]["runs"]
        finished = [
            r["info"]["run_name"]
            for r in runs
            if r["info"]["status"] == "FINISHED" and r["info"]["run_name"].startswith("trial-")
        ]
        assert sorted(finished) == ["trial-001", "trial-002", "trial-003"]
    finally:
        search.kill()
        stop_group(server)


def _with_values(command: list[str], values: dict[str, str]) -> list[str]:
    """``command`` with the value after each flag in ``values`` (or ``--flag=value``) replaced,
    and any other part equal to a key replaced by its value."""
    out, skip = [], False
    for i, part in enumerate(command):
        if skip:
            skip = False
            continue
        flag = part.split("=", 1)[0]
        if flag in values and flag.startswith("--"):
            out += [f"{flag}={values[flag]}"] if "=" in part else [flag, values[flag]]
            skip = "=" not in part and i + 1 < len(command)
        else:
            out.append(values.get(part, part))
    return out


def _spark(service: str, values: dict[str, str], tmp_path) -> tuple[subprocess.Popen, object]:
    """Start a compose Spark service's command with pyspark's own launcher; its log file."""
    import pyspark

    home = Path(pyspark.__file__).parent
    command = [interpolate(p, ENV_EXAMPLE) for p in COMPOSE["services"][service]["command"]]
    command = _with_values(command, values)
    log = open(tmp_path / f"{service}.log", "w")  # noqa: SIM115 (closed with the process)
    env = cli_env(SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1", SPARK_NO_DAEMONIZE="1")
    process = subprocess.Popen(
        [str(home / "bin" / command[0]), *command[1:]],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def _wait_for_log(path: Path, text: str, process: subprocess.Popen, timeout: float = 120):
    deadline = time.time() + timeout
    while text not in path.read_text(errors="replace"):
        assert process.poll() is None, path.read_text(errors="replace")[-3000:]
        assert time.time() < deadline, f"no {text!r} in {path} after {timeout}s"
        time.sleep(0.5)


def test_search_on_the_compose_spark_cluster_two_trials_at_once(database, tiny_csv, tmp_path):
    """Master and worker as compose runs them; the search service's command with
    ``--parallelism 2`` through them, tracked on the authenticated server on PostgreSQL."""
    if shutil.which("java") is None:
        missing_service("Java is not installed (Spark needs Java 17+)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing_service("pyspark is not installed (pip install -e '.[dev]')")
    port, spark_port = free_port(), free_port()
    command, env = _server(database, port, tmp_path)
    uri = f"http://127.0.0.1:{port}"
    master_url = f"spark://127.0.0.1:{spark_port}"
    processes = [_launch(command, env, tmp_path, uri)]
    logs = []
    try:
        master, log = _spark(
            "spark-master",
            {"--host": "127.0.0.1", "--port": str(spark_port), "--webui-port": "0"},
            tmp_path,
        )
        processes.append(master)
        logs.append(log)
        _wait_for_log(tmp_path / "spark-master.log", "I have been elected leader", master)
        worker, log = _spark(
            "spark-worker", {"--webui-port": "0", "spark://spark-master:7077": master_url}, tmp_path
        )
        processes.append(worker)
        logs.append(log)
        _wait_for_log(tmp_path / "spark-worker.log", "Successfully registered with master", worker)

        service = COMPOSE["services"]["search"]
        search = [interpolate(p, ENV_EXAMPLE) for p in service["entrypoint"] + service["command"]]
        search = _with_values(
            search, {"--tracking-uri": uri, "--spark-master": master_url, "--trials": "2"}
        )
        assert search[:3] == ["python", "-m", "jobsearch.tpe"]
        assert "--parallelism=2" in search
        credentials = {k: interpolate(v, ENV_EXAMPLE) for k, v in service["environment"].items()}
        args = search_args(
            tiny_csv, "--max-epochs", "2", "--no-prune", "--refit", "none",
            "--experiment", "cluster",
        )  # fmt: skip
        out = run_cli(
            "jobsearch.tpe",
            *search[3:],
            *args,
            cwd=tmp_path,
            env={**credentials, "SPARK_LOCAL_IP": "127.0.0.1"},
        )
        assert out.returncode == 0, out.stderr[-3000:]
        admin = ("admin", ENV_EXAMPLE["MLFLOW_AUTH_ADMIN_PASSWORD"])
        by_name = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=cluster"
        exp = _call(uri, by_name, user=admin)[1]["experiment"]["experiment_id"]
        body = {"experiment_ids": [exp], "max_results": 100}
        runs = _call(uri, "/api/2.0/mlflow/runs/search", body, admin)[1]["runs"]
        tags = [{t["key"]: t["value"] for t in r["data"].get("tags", [])} for r in runs]
        parents = [r for r, t in zip(runs, tags) if t.get("jobsearch.kind") == "search"]
        assert len(parents) == 1 and parents[0]["info"]["status"] == "FINISHED"
        parent = parents[0]["info"]["run_id"]
        params = {p["key"]: p["value"] for p in parents[0]["data"]["params"]}
        assert params["parallelism"] == "2" and params["startup_trials"] == "10"
        trials = [r["info"] for r, t in zip(runs, tags) if t.get("mlflow.parentRunId") == parent]
        assert sorted(t["run_name"] for t in trials) == ["trial-001", "trial-002"]
        assert all(t["status"] == "FINISHED" for t in trials)
        spans = sorted((int(t["start_time"]), int(t["end_time"])) for t in trials)
        assert any(b[0] < a[1] for a, b in itertools.pairwise(spans))  # two at once
        # the executors logged to the server; the driver fetched the best weights and registered
        champion = "/api/2.0/mlflow/registered-models/alias?name=cluster&alias=champion"
        status, alias = _call(uri, champion, user=admin)
        assert status == 200
        version_tags = {t["key"]: t["value"] for t in alias["model_version"]["tags"]}
        assert version_tags["search_run_id"] == parent
        # the worker, not the driver, ran the trials
        assert "Asked to launch executor" in (tmp_path / "spark-worker.log").read_text()
    finally:
        stop_group(processes[0])
        for spark in processes[1:]:  # spark-class's JVM runs in the launcher's session
            with contextlib.suppress(ProcessLookupError):
                os.killpg(spark.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        for log in logs:
            log.close()
