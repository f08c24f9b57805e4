"""Keras process state around one in-process trial: seed, precision policy, memory."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_FROZEN = False


def quiet_tensorflow() -> None:
    """TensorFlow's Python warnings (e.g. retracing notices when models are rebuilt) hidden."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def freeze_imports() -> None:
    """Move the objects of already-imported libraries out of the collector's view, once.

    TensorFlow and Keras leave hundreds of thousands of long-lived objects; with them frozen, the
    collection after each trial takes a few milliseconds instead of half a second.
    """
    global _FROZEN
    if not _FROZEN:
        import keras  # noqa: F401  (imported here so its objects are frozen too)

        quiet_tensorflow()

        gc.collect()
        gc.freeze()
        _FROZEN = True


@contextmanager
def keras_session(seed: int, mixed_precision: bool) -> Iterator[None]:
    """Seed everything and set the precision policy; afterwards reset it and free the graph."""
    import keras

    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")
        # Young generations only: the trial's garbage is young, and a full collection (which
        # Python still runs on its own schedule) costs a quarter second per trial.
        keras.backend.clear_session(free_memory=False)
        gc.collect(1)
