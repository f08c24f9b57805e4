"""The docker-compose tracking server, run as its service runs, on the real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import yaml
from conftest import ROOT, cli_env, free_port, wait_for_http
from mlflow import MlflowClient

psycopg2 = pytest.importorskip("psycopg2")
PG = {"host": "127.0.0.1", "port": 5432, "user": "root", "dbname": "postgres"}


@pytest.fixture
def database():
    try:
        admin = psycopg2.connect(**PG, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({exc})")
    admin.autocommit = True
    name = f"jobsearch_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def _compose_command(database: str, port: int, artifacts: str) -> list[str]:
    """The mlflow service's command from docker-compose.yml, pointed at this machine."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["mlflow"]["command"]
    replace = {
        "--backend-store-uri": f"postgresql+psycopg2://root@127.0.0.1:5432/{database}",
        "--artifacts-destination": artifacts,
        "--host": "127.0.0.1",
        "--port": str(port),
        "--workers": "1",
    }
    out = []
    for part in command[1:]:
        flag = part.split("=", 1)[0]
        out.append(f"{flag}={replace[flag]}" if flag in replace else part)
    assert command[0] == "mlflow"
    return [sys.executable, "-m", "mlflow", *out]


def test_trials_logged_through_the_compose_server(database, tiny_data, tmp_path):
    from jobsearch import run_experiment

    port = free_port()
    server = subprocess.Popen(
        _compose_command(database, port, str(tmp_path / "artifacts")),
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{uri}/health", server)
        result = run_experiment(
            {"embedding_dim": 8, "lstm_units": 4, "max_len": 16, "max_epochs": 1},
            data=tiny_data,
            tracking_uri=uri,
            experiment="team",
        )
        assert result.status == "ok"
        run = MlflowClient(uri).get_run(result.run_id)
        assert run.data.metrics["val_accuracy"] == pytest.approx(result.val_accuracy)
        assert [a.path for a in MlflowClient(uri).list_artifacts(result.run_id)] == [
            "dataset_summary.json"
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg2.connect(**{**PG, "dbname": database}) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_uuid = %s", (result.run_id,))
        assert cur.fetchone() == ("FINISHED",)
