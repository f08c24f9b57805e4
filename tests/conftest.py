"""Shared fixtures: a tiny postings file, a private token cache and throwaway MLflow stores."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "search_spaces" / "smoke.yaml"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Keep the token cache out of the user's home."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["JOBSEARCH_CACHE_DIR"] = str(path)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    return path


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory) -> Path:
    """About 600 demo postings as a CSV with title/description/industry columns."""
    from jobsearch.data.demo import generate_demo

    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    generate_demo(n_rows=600, seed=1).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_data(tiny_csv, private_cache):
    from jobsearch import prepare_dataset

    return prepare_dataset(tiny_csv, ["title", "description"], "industry")


@pytest.fixture
def store(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"


def cli_env(**extra: str) -> dict[str, str]:
    """A user's environment: no tracking URI left over from other tests (mlflow sets one)."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", **extra}


def run_cli(
    module: str, *args: str, cwd: Path, timeout: float = 600, env: dict | None = None, **kw
):
    """Run ``python -m module args`` as a user would (``env``: extra variables)."""
    return run_python("-m", module, *args, cwd=cwd, timeout=timeout, env=env, **kw)


def run_python(*args: str, cwd: Path, timeout: float = 600, env: dict | None = None, **kw):
    """Run ``python args`` in a new interpreter with the CLI's environment (``env``: extra
    variables), capturing its output."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=cli_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


DATA_ARGS = ["--text-col", "title", "--text-col", "description"]


def search_args(tiny_csv: Path, *extra: str) -> list[str]:
    return ["--data", str(tiny_csv), *DATA_ARGS, "--space", str(SMOKE), *extra]


def missing_service(reason: str):
    """Skip a test whose service (PostgreSQL, Java) is missing; in CI (``CI=true``) fail."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop a server started with ``start_new_session=True`` and every process it started
    (MLflow's server leaves job consumers behind when only its first process is stopped)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_http(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    """Poll ``url`` until it answers; fail if the server exits or time runs out."""
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            assert server.poll() is None, f"server exited with {server.returncode}"
            assert time.time() < deadline, f"{url} did not answer in {timeout}s"
            time.sleep(0.5)
