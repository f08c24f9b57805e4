"""A search read back from the tracking store as a leaderboard, and written where the MLflow UI
shows it: the search run's description, the model version's description, a saved runs view."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from ..report.leaderboard import FIGURES, Leaderboard, Links, Row, brief, markdown
from .mlflow import FINGERPRINT, KIND, ML_MODE, PARENT, STATUS, VIEW_KEY, SearchRun, run_link

NOTE = "mlflow.note.content"  # the description MLflow renders (Markdown) on a run's page
SERVED = "served_model"  # parent-run tag: what the search serves, in words
WEAKEST_TAG = "weakest_industries"  # parent-run tag: the served model's weakest, test F1
HINT_TAG = "trailing_hint"  # parent-run tag: what to give LSTMs that trail a baseline, or ""
VIEW_TAG = f"mlflow.sharedViewState.{VIEW_KEY}"


class OutcomeError(LookupError):
    """No search to report (one line for the user)."""


def _figures(metrics: dict[str, float]) -> dict[str, float]:
    return {k: metrics[k] for k in FIGURES if k in metrics}


def _varying(runs) -> list[str]:
    """The params that differ between these runs (the searched ones), in logged order."""
    keys = list(dict.fromkeys(k for r in runs for k in r.data.params))
    return [k for k in keys if len({r.data.params.get(k) for r in runs}) > 1]


def find_search(client, experiment: str, run_id: str | None = None):
    """The newest search run of ``experiment`` (or the search run ``run_id``)."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise OutcomeError(f"experiment {experiment!r} does not exist in this tracking store")
    if run_id is not None:
        runs = client.search_runs(
            [found.experiment_id], filter_string=f"attributes.run_id = '{run_id}'"
        )
        if not runs or runs[0].data.tags.get(KIND) != "search":
            raise OutcomeError(f"run {run_id!r} is not a search in experiment {experiment!r}")
        return runs[0]
    runs = client.search_runs(
        [found.experiment_id],
        filter_string=f"tags.`{KIND}` = 'search'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        raise OutcomeError(f"experiment {experiment!r} holds no search yet")
    return runs[0]


def _shown(key: str, value: str | None) -> bool:
    """Whether a trial's param is worth a reader's eye (not a dense layer it does not have)."""
    return value is not None and not (key.startswith("dense_layers.") and value == "none")


def _trial_name(run_name: str) -> str:
    """``trial 7`` for the run ``trial-007``."""
    number = run_name.rpartition("-")[2]
    return f"trial {int(number)}" if number.isdigit() else run_name


def read(client, experiment: str, run_id: str | None = None) -> Leaderboard:
    """The leaderboard of the newest search in ``experiment`` (or of search run ``run_id``)."""
    from ..baseline import NAMES

    parent = find_search(client, experiment, run_id)
    info, data = parent.info, parent.data
    objective = data.params.get("objective", "accuracy")
    children = client.search_runs(
        [info.experiment_id],
        filter_string=f"tags.`{PARENT}` = '{info.run_id}'",
        order_by=["attributes.start_time ASC"],
    )
    done = [r for r in children if r.data.tags.get(STATUS) in ("ok", "pruned")]
    searched = _varying(done)
    trials = [
        Row(
            name=_trial_name(r.info.run_name),
            figures=_figures(r.data.metrics),
            run_id=r.info.run_id,
            score=r.data.metrics.get("score"),
            status=r.data.tags[STATUS],
            epochs=int(r.data.metrics["epochs"]) if "epochs" in r.data.metrics else None,
            params={k: v for k in searched if _shown(k, v := r.data.params.get(k))},
        )
        for r in done
        if "score" in r.data.metrics
    ]
    sign = 1 if objective == "loss" else -1
    trials.sort(key=lambda r: sign * r.score)  # stable: ties stay in trial order
    search = SearchRun(client, experiment, info.run_id)
    fingerprint = data.tags.get(FINGERPRINT, "")
    baselines = [
        Row(NAMES.get(model, model), _figures(metrics), run_id=metrics.get("run_id"))
        for model, metrics in sorted(search.latest_baselines(fingerprint).items())
    ]
    served = None
    if SERVED in data.tags:
        served = Row(data.tags[SERVED], _figures(data.metrics))
    versions = client.search_model_versions(f"run_id = '{info.run_id}'")
    newest = max(versions, key=lambda v: int(v.creation_timestamp), default=None)
    failed = sum(r.data.tags.get(STATUS) == "fail" for r in children)
    plots = [a.path for a in client.list_artifacts(info.run_id, "plots")]
    return Leaderboard(
        experiment=experiment,
        experiment_id=info.experiment_id,
        search_run_id=info.run_id,
        algo=data.params.get("algo", "?"),
        objective=objective,
        status=info.status,
        trials=trials,
        failed=failed,
        baselines=baselines,
        served=served,
        learned_from=data.tags.get("learned_from"),
        weakest=data.tags.get(WEAKEST_TAG),
        hint=data.tags.get(HINT_TAG) or None,
        model=newest and f"models:/{newest.name}/{newest.version}",
        plots=plots,
    )


def links(board: Leaderboard) -> Links:
    """Relative links into the UI for ``board``'s runs and its search run's artifacts."""
    eid, rid = board.experiment_id, board.search_run_id
    return Links(
        run=lambda run_id: run_link(eid, run_id),
        artifact=lambda path: f"#/experiments/{eid}/runs/{rid}/artifacts/{quote(path)}?{ML_MODE}",
    )


def publish(client, experiment: str, run_id: str, objective: str, searched: list[str]) -> str:
    """Write the search's leaderboard as its run's description (brief) and as its registered
    model version's description (whole), and save the runs view; return the whole Markdown."""
    board = read(client, experiment, run_id)
    client.set_tag(run_id, NOTE, brief(board, links(board)))
    note = markdown(board, links(board))
    if board.model:
        name, version = board.model.removeprefix("models:/").rsplit("/", 1)
        client.update_model_version(name, version, description=note)
    save_view(client, board.experiment_id, objective, searched)
    return note


def view_state(objective: str, searched: list[str]) -> dict:
    """The runs table's saved state: the figures and searched params as columns, the best
    validation score first (the UI's own format for a saved view)."""
    order = "val_loss" if objective == "loss" else f"val_{objective}"
    figures = (order, *(f for f in FIGURES if f != order), "epochs")
    columns = [f"metrics.`{m}`" for m in figures] + ["attributes.`Models`"]
    columns += [f"params.`{p}`" for p in searched]
    return {
        "searchFilter": "",
        "orderByKey": f"metrics.`{order}`",
        "orderByAsc": objective == "loss",
        "selectedColumns": columns,
        "columnOrder": columns,
    }


def save_view(client, experiment_id: str, objective: str, searched: list[str]) -> None:
    """Save the runs view (MLflow's "Views" menu) that the printed runs link opens."""
    now = int(time.time() * 1000)
    envelope = {
        "name": "jobsearch: best first",
        "createdAt": now,
        "updatedAt": now,
        "state": json.dumps(view_state(objective, searched)),
    }
    client.set_experiment_tag(experiment_id, VIEW_TAG, json.dumps(envelope))
