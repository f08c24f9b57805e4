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
    registered: str | None = None  # the served model last registered, in words


def state_path(state_dir: Path, experiment: str) -> Path:
    """Where the search of ``experiment`` is saved."""
    return Path(state_dir) / safe_name(experiment) / STATE_FILE


def save_state(path: Path, state: SearchState) -> None:
    """Write atomically: a crash mid-write leaves the previous state intact."""
    doc = {"format": FORMAT, **to_native(dataclasses.asdict(state))}
    text = json.dumps(doc, allow_nan=True)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class StateError(ValueError):
    """A saved state that cannot be read (one line for the user)."""


def load_state(path: Path) -> SearchState | None:
    """The saved state at ``path``, or None when there is none; StateError when the file is
    damaged or is not a saved search (checked against the dataclasses' schema)."""
    from pydantic import TypeAdapter, ValidationError

    path = Path(path)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.pop("format", None) != FORMAT:
            raise ValueError(f"not a saved search of format {FORMAT}")
        return TypeAdapter(SearchState).validate_python(doc)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"])) or "top level"
        reason = f"{where}: {problem['msg']}"
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
    raise StateError(
        f"{path}: damaged or not a saved search ({reason}); delete the folder {path.parent} to "
        "start this search afresh"
    )
