"""Random search: every trial drawn independently from the space (hyperopt's ``rand``)."""

from __future__ import annotations

from .base import HyperoptSampler


class RandomSampler(HyperoptSampler):
    def suggest(self):
        from hyperopt import rand

        return rand.suggest
