"""What a search saves after every trial: plain JSON, written atomically.

JSON (not pickle) so loading a state file can never run code, whoever wrote it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..util import atomic_write, safe_name, to_native

STATE_FILE = "state.json"
FORMAT = 1


@dataclass
class TrialRecord:
    """One finished trial: its id, params, the sampler's encoding of them, and its result."""

    tid: int
    params: dict[str, Any]
    vals: dict[str, Any]
    result: dict[str, Any]

    @property
    def loss(self) -> float | None:
        return self.result.get("loss") if self.result.get("status") == "ok" else None


@dataclass
class SearchState:
    """A search's progress: its parent run, identity, finished trials and best trial."""

    parent_run_id: str
    identity: dict[str, Any]
    trials: list[TrialRecord] = field(default_factory=list)
    best: dict[str, Any] | None = None
    wall_seconds: float = 0.0
    registered_trial: int | None = None


def state_path(state_dir: Path, experiment: str) -> Path:
    """Where the search of ``experiment`` is saved."""
    return Path(state_dir) / safe_name(experiment) / STATE_FILE


def save_state(path: Path, state: SearchState) -> None:
    """Write atomically: a crash mid-write leaves the previous state intact."""
    doc = {"format": FORMAT, **to_native(dataclasses.asdict(state))}
    text = json.dumps(doc, allow_nan=True)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_state(path: Path) -> SearchState | None:
    """The saved state at ``path``, or None when there is none."""
    if not Path(path).is_file():
        return None
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    doc.pop("format", None)
    doc["trials"] = [TrialRecord(**t) for t in doc["trials"]]
    return SearchState(**doc)
