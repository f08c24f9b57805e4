"""The served model learns from every labelled row: a refit of what the search chose.

Once the search has chosen what to serve (its best trial, or an ensemble whose weights were
fixed on validation), each member is trained again, from scratch, on the rows ``--refit``
names, with nothing chosen anew: an LSTM keeps its trial's params and makes as many updates
as its trial made up to its kept weights (:func:`refit_epochs`; each batch drawn from more
rows), on its trial's learning-rate schedule; a linear member keeps its features, C and
softmax temperature. Tokenisation, the n-gram tables and idf, and the
linear members' vectorizers are fitted on those rows. The test figures reported are those of
the same recipe before the refit (test rows chose nothing): the honest estimate.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..data import Dataset
from ..tracking.registry import Member
from ..trial import refit as refit_lstm

# --refit choice -> the splits the served model learns from
REFIT_ROWS = {"all": ("train", "val", "test"), "train-val": ("train", "val"), "none": ("train",)}


@dataclass
class Refitted:
    """The refit members, the data they learned from and what it took."""

    members: list[Member]
    data: Dataset
    parts: tuple[str, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return len(self.data.labels["train"])

    @property
    def learned_from(self) -> str:
        """``train+val+test (3,200 rows)``."""
        return f"{'+'.join(self.parts)} ({self.rows:,} rows)"


def refit_epochs(kept: int, share: float) -> int:
    """The epochs an LSTM's refit trains: its trial's ``kept`` epochs times ``share`` (the
    trial's training rows over the refit's rows), rounded (half to even), at least 1: as many
    updates as the trial made, each batch drawn from more rows. Refit on every row of a
    70/15/15 split, 5 kept epochs become 4 and 3 become 2. The same passes instead (1.4x the
    updates) were level on held-out macro-F1 and a little behind on accuracy over five
    searches (benchmarks/refit_variants.py, RESULTS.md)."""
    return max(1, round(kept * share))


def refit(
    members: list[Member],
    epochs: list[int],
    data: Dataset,
    which: str,
    folder: Path,
    on_member: Callable[[], None] | None = None,
) -> Refitted:
    """Train every member again on the splits ``which`` names (see :data:`REFIT_ROWS`), each
    LSTM for as many updates as its trial's ``epochs`` made; the new weights and models are
    written under ``folder``."""
    start = time.perf_counter()
    parts = REFIT_ROWS[which]
    rows = data.merged(parts)
    texts, labels = rows.split.texts["train"], rows.labels["train"]
    share = len(data.labels["train"]) / len(labels)
    refitted = []
    for (params, weight, path), n in zip(members, epochs, strict=True):
        target = folder / f"refit-{path.name}"
        if params is None:
            fitted = pickle.loads(path.read_bytes()).refit(texts, labels)
            target.write_bytes(pickle.dumps(fitted))
        else:
            refit_lstm(params, rows, refit_epochs(n, share), target)
        refitted.append((params, weight, target))
        if on_member is not None:
            on_member()
    return Refitted(refitted, rows, parts, time.perf_counter() - start)
