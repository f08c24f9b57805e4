"""Samplers by name. A new one is a module with a ``Sampler`` subclass plus one line here."""

from __future__ import annotations

import importlib
from typing import Any

from ..space import SearchSpace
from .base import Proposal, Sampler

SAMPLERS: dict[str, str] = {
    "random": "jobsearch.search.samplers.rand:RandomSampler",
    "tpe": "jobsearch.search.samplers.tpe:TPESampler",
}


def make_sampler(name: str, space: SearchSpace, seed: int = 0, **options: Any) -> Sampler:
    """The sampler registered as ``name``; ``options`` go to its constructor."""
    if name not in SAMPLERS:
        raise ValueError(f"algo={name!r} is invalid: must be one of {', '.join(SAMPLERS)}")
    module, cls = SAMPLERS[name].split(":")
    return getattr(importlib.import_module(module), cls)(space, seed, **options)


__all__ = ["SAMPLERS", "Proposal", "Sampler", "make_sampler"]
