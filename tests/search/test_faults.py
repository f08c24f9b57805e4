"""Searches stopped at named points (``JOBSEARCH_FAULT``), then resumed: nothing lost or doubled.

The process stops itself at an exact place (see ``jobsearch.util.fault_point``), so these tests
never race the search they interrupt.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import subprocess
import sys

from conftest import cli_env, search_args
from mlflow import MlflowClient

from jobsearch.search.state import load_state
from jobsearch.util import FAULT_ENV

TRIALS = 3


def _search(args: list[str], cwd, fault: str | None = None) -> subprocess.CompletedProcess:
    env = cli_env(**({FAULT_ENV: fault} if fault else {}))
    return subprocess.run(
        [sys.executable, "-m", "jobsearch.random", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@contextlib.contextmanager
def _sigint_delivered():
    """Children start with SIGINT as a terminal gives it. A child inherits an ignored SIGINT
    (a script's background job, ``cmd &``, runs so) and Python then leaves it ignored, so the
    search ran on past its Ctrl-C whenever the test run itself was started that way."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_complete(cwd, experiment: str, model: str | None) -> None:
    """One finished parent; each trial finished once, with the run the state names; a trial
    cut off reran with the same params; the champion is this search's best."""
    client = MlflowClient(f"sqlite:///{cwd}/mlruns/mlflow.db")
    state = load_state(cwd / "mlruns" / "searches" / experiment / "state.json")
    assert [t.tid for t in state.trials] == list(range(TRIALS))
    exp = client.get_experiment_by_name(experiment).experiment_id
    parents = client.search_runs([exp], "tags.`jobsearch.kind` = 'search'")
    assert [p.info.run_id for p in parents] == [state.parent_run_id]
    assert parents[0].info.status == "FINISHED"
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{state.parent_run_id}'")
    finished = {c.info.run_name: c for c in children if c.info.status == "FINISHED"}
    assert sorted(finished) == [f"trial-{i:03d}" for i in range(1, TRIALS + 1)]
    assert len([c for c in children if c.info.status == "FINISHED"]) == TRIALS
    assert {c.info.run_id for c in finished.values()} == {t.result["run_id"] for t in state.trials}
    for cut in (c for c in children if c.info.status != "FINISHED"):
        assert cut.info.status == "KILLED"
        assert cut.data.params == finished[cut.info.run_name].data.params
    if model is not None:
        version = client.get_model_version_by_alias(model, "champion")
        assert version.tags["search_run_id"] == state.parent_run_id
        assert version.tags["best_trial_run_id"] == state.best["run_id"]


# Each step stops the search of the step before; the counts are per process: "epoch:2" is
# trial 2's first epoch (each trial has one), later steps rerun trial 2 from its start.
KILLS = [
    ("prepare", 0),  # while the data is prepared, before the search exists
    ("epoch:2", 1),  # mid-fit
    ("trial-logging:1", 1),  # trial 2's MLflow run half written
    ("checkpoint:1", 1),  # trial 2's weights saved, the state that names it not yet
    ("register", TRIALS),  # all trials done, the model logged, not yet registered
]


def test_sigkill_at_each_point_then_the_same_command_finishes_exactly(tiny_csv, tmp_path):
    args = search_args(
        tiny_csv, "--trials", str(TRIALS), "--max-epochs", "1", "--experiment", "f",
        "--model-name", "m",
    )  # fmt: skip
    state_file = tmp_path / "mlruns" / "searches" / "f" / "state.json"
    for fault, saved in KILLS:
        killed = _search(args, tmp_path, fault)
        assert killed.returncode == -signal.SIGKILL, (fault, killed.stderr[-2000:])
        assert (len(load_state(state_file).trials) if state_file.exists() else 0) == saved, fault
    again = _search(args, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    _check_complete(tmp_path, "f", "m")


def test_ctrl_c_and_sigterm_exit_130_and_resume_the_trial_in_flight(tiny_csv, tmp_path):
    args = search_args(
        tiny_csv, "--trials", str(TRIALS), "--max-epochs", "1", "--experiment", "t",
        "--no-register",
    )  # fmt: skip
    state_file = tmp_path / "mlruns" / "searches" / "t" / "state.json"
    command = args
    for fault in ("epoch:2:INT", "epoch:1:TERM"):  # trial 2, then trial 2 again after resuming
        with _sigint_delivered():
            stopped = _search(command, tmp_path, fault)
        assert stopped.returncode == 130, stopped.stderr[-2000:]
        assert "Traceback" not in stopped.stderr
        hint = stopped.stderr.strip().splitlines()[-1]
        assert hint.startswith("resume with: python -m jobsearch.random") and "--resume" in hint
        assert len(load_state(state_file).trials) == 1
        command = shlex.split(hint.removeprefix("resume with: python -m jobsearch.random"))
    resumed = _search(command, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _check_complete(tmp_path, "t", None)
