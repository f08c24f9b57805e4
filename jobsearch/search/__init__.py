"""Searching: spaces (``space``), samplers (``samplers``), pruners (``pruners``), the loop
(``loop``), its callbacks (``callbacks``), saved state (``state``), one whole search (``run``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data import Dataset
    from .space import SearchSpace

_PACKAGE = Path(__file__).resolve().parents[1]
# beside the package in a checkout (an editable install), inside it once installed (setup.py)
SPACES = next(
    (d for d in (_PACKAGE.parent / "search_spaces", _PACKAGE / "search_spaces") if d.is_dir()),
    _PACKAGE.parent / "search_spaces",
)
DEFAULT_SPACE = SPACES / "default.yaml"


def run_search(
    space: str | Path | SearchSpace = DEFAULT_SPACE,
    data: Dataset | None = None,
    *,
    algo: str = "tpe",
    trials: int = 20,
    objective: str = "accuracy",
    experiment: str | None = None,
    tracking_uri: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Search ``space`` (a YAML file or a loaded space) on ``data`` (default: the demo set);
    return the summary.

    ``algo`` is a sampler name ("random", "tpe"); ``options`` are further
    :class:`jobsearch.search.run.SearchConfig` fields (``seed``, ``timeout``, ``prune``,
    ``register``...). The summary holds the best trial, the baseline and the registered model.
    """
    from ..data import prepare_dataset
    from .run import SearchConfig, execute
    from .samplers import SAMPLERS
    from .space import SearchSpace, load_space

    if algo not in SAMPLERS:
        raise ValueError(f"algo={algo!r} is invalid: must be one of {', '.join(SAMPLERS)}")
    cfg = SearchConfig(
        algo=algo,
        space=space if isinstance(space, SearchSpace) else load_space(space),
        trials=trials,
        objective=objective,
        experiment=experiment or f"jobsearch-{algo}",
        tracking_uri=tracking_uri,
        **options,
    )
    return execute(cfg, data if data is not None else prepare_dataset())
