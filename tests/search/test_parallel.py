"""``--parallelism 2``: trials as Spark tasks through hyperopt's SparkTrials, on ``local[2]``.

Real Spark (pyspark's JVM, Java 17), real TensorFlow, a real MLflow store. A search whose driver
is SIGKILLed with a trial in flight is finished by the same command, every trial once, two at a
time. (Registration from a parallel search, the best trial's weights fetched by the driver:
``tests/tracking/test_tracking_server.py``, on the compose Spark cluster.)
"""

from __future__ import annotations

import itertools
import shutil
import signal

import pytest
from conftest import missing_service, run_cli, search_args
from mlflow import MlflowClient

from jobsearch.search.state import load_state
from jobsearch.util import FAULT_ENV

TRIALS = 4


@pytest.fixture(scope="module", autouse=True)
def spark_available():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing_service("pyspark is not installed (pip install -e '.[dev]')")
    if shutil.which("java") is None:
        missing_service("Java is not installed (Spark needs Java 17+)")


def _runs(cwd, experiment: str):
    client = MlflowClient(f"sqlite:///{cwd}/mlruns/mlflow.db")
    state = load_state(cwd / "mlruns" / "searches" / experiment / "state.json")
    exp = client.get_experiment_by_name(experiment).experiment_id
    parents = client.search_runs([exp], "tags.`jobsearch.kind` = 'search'")
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{state.parent_run_id}'")
    return client, state, parents, children


def test_driver_sigkilled_with_a_trial_in_flight_then_resumed(tiny_csv, tmp_path):
    args = search_args(
        tiny_csv, "--trials", str(TRIALS), "--max-epochs", "1", "--experiment", "k",
        "--parallelism", "2", "--no-register",
    )  # fmt: skip
    # the driver kills itself while saving the state after its first finished trial
    killed = run_cli("jobsearch.random", *args, cwd=tmp_path, env={FAULT_ENV: "checkpoint:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    again = run_cli("jobsearch.random", *args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Traceback" not in again.stderr
    assert not [line for line in again.stderr.splitlines() if "WARN" in line or "Warning" in line]
    _, state, parents, children = _runs(tmp_path, "k")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert parents[0].data.params["parallelism"] == "2"
    assert sorted(t.tid for t in state.trials) == list(range(TRIALS))  # --trials is the total
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert sorted(c.info.run_name for c in finished) == [f"trial-{i:03d}" for i in range(1, 5)]
    assert {c.info.run_id for c in finished} == {t.result["run_id"] for t in state.trials}
    cut = [c for c in children if c.info.status != "FINISHED"]
    assert cut and all(c.info.status == "KILLED" for c in cut)
    # same param keys as a one-at-a-time trial, and the device each trial ran on
    assert {"lstm_units", "batch_size", "top_k", "objective"} <= set(finished[0].data.params)
    assert finished[0].data.tags["device_type"] == "CPU"
    # two trials of the resumed search really overlapped in time
    spans = sorted((c.info.start_time, c.info.end_time) for c in finished)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def test_spark_that_cannot_start_is_one_line_and_writes_nothing(tiny_csv, tmp_path):
    args = search_args(tiny_csv, "--trials", "2", "--parallelism", "2")
    out = run_cli(
        "jobsearch.random", *args, cwd=tmp_path, env={"JAVA_HOME": str(tmp_path / "no-java")}
    )
    assert out.returncode == 2, out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "Spark did not start on local[2]" in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "mlruns" / "searches").exists()


def test_gpus_per_trial_is_a_stage_level_request_for_each_task():
    from jobsearch.search.parallel import gpu_profile

    profile = gpu_profile(1)
    assert profile.taskResources["gpu"].amount == 1
    assert profile.taskResources["cpus"].amount == 1
