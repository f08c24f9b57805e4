"""The sampler interface, and the hyperopt plumbing its random and TPE samplers share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...util import to_native
from ..space import SearchSpace, encode_point
from ..state import TrialRecord


@dataclass
class Proposal:
    """Params to try, and the sampler's own encoding of them (kept in the search state)."""

    params: dict[str, Any]
    vals: dict[str, Any]


class Sampler(ABC):
    """Proposes the next params from the trials so far. Deterministic for a given seed."""

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space, self.seed = space, seed

    @abstractmethod
    def ask(self, tid: int, history: Sequence[TrialRecord]) -> Proposal:
        """The params of trial ``tid`` (0-based), given every finished trial."""


class HyperoptSampler(Sampler):
    """A hyperopt ``suggest`` algorithm over the space; the space's seed points come first."""

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        from hyperopt import Domain

        super().__init__(space, seed)
        self.domain = Domain(lambda _: None, space.expr)

    @abstractmethod
    def suggest(self) -> Callable[..., list[dict[str, Any]]]:
        """hyperopt's ``suggest(new_ids, domain, trials, seed)`` for this algorithm."""

    def _doc(self, trials, tid: int, vals: dict[str, Any], result: dict[str, Any]):
        labels = self.domain.params
        misc = {
            "tid": tid,
            "cmd": self.domain.cmd,
            "workdir": None,
            "idxs": {label: ([tid] if label in vals else []) for label in labels},
            "vals": {label: ([vals[label]] if label in vals else []) for label in labels},
        }
        return trials.new_trial_docs([tid], [None], [result], [misc])[0]

    def _trials(self, history: Sequence[TrialRecord]):
        from hyperopt import JOB_STATE_DONE, Trials

        trials = Trials()
        docs = []
        for record in history:
            result = {"status": record.result.get("status"), "loss": record.loss}
            doc = self._doc(trials, record.tid, record.vals, result)
            doc["state"] = JOB_STATE_DONE
            docs.append(doc)
        if docs:
            trials.insert_trial_docs(docs)
        trials.refresh()
        return trials

    def ask(self, tid: int, history: Sequence[TrialRecord]) -> Proposal:
        from hyperopt import space_eval

        points = self.space.seed_points
        if tid < len(points):
            vals = encode_point(self.space.raw, points[tid], str(self.space.path))
        else:
            seed = int(np.random.default_rng([self.seed, tid]).integers(2**31 - 1))
            doc = self.suggest()([tid], self.domain, self._trials(history), seed)[0]
            vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        vals = to_native(vals)
        params = to_native(space_eval(self.space.expr, vals))
        params.setdefault("seed", self.seed)
        return Proposal(params, vals)
