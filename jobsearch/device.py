"""What a trial runs on: GPU name or CPU model, and the library versions."""

from __future__ import annotations

import contextlib
import platform
from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def backend() -> str:
    """The Keras backend trials run on: ``KERAS_BACKEND`` (tensorflow, jax or torch), as
    Keras reads it."""
    import keras

    return keras.backend.backend()


def _gpu_name(name: str) -> str | None:
    """The first GPU the backend ``name`` sees, or None."""
    if name == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return tf.config.experimental.get_device_details(gpus[0]).get(
                "device_name", gpus[0].name
            )
    elif name == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if gpus:
            return gpus[0].device_kind
    elif name == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    return None


@lru_cache(maxsize=1)
def device_info() -> dict[str, str]:
    """``{"device": name, "device_type": "GPU" | "CPU", "backend": name}`` for where the Keras
    backend will train."""
    name = backend()
    gpu = _gpu_name(name)
    if gpu:
        return {"device": gpu, "device_type": "GPU", "backend": name}
    return {"device": cpu_model(), "device_type": "CPU", "backend": name}


def limit_threads(threads: int) -> None:
    """Run this process's backend ops on ``threads`` threads (N trials sharing one machine's
    cores). TensorFlow and PyTorch take it at run time; JAX only from ``XLA_FLAGS`` before it
    starts, so under JAX this does nothing."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with contextlib.suppress(RuntimeError):  # TensorFlow already running in this process
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif name == "torch":
        import torch

        torch.set_num_threads(threads)


STACK = ("tensorflow", "keras", "mlflow", "hyperopt", "numpy", "pandas", "scikit-learn", "pyyaml")
# Distributions that install the same package under another name (the GPU machine's wheelhouse
# brings MLflow's client as mlflow-skinny).
ALSO_DISTRIBUTED_AS = {"mlflow": ("mlflow-skinny",)}


def package_version(name: str) -> str | None:
    """The installed version of a distribution (or of its other distributions), or None."""
    for dist in (name, *ALSO_DISTRIBUTED_AS.get(name, ())):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return None


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Versions of Python and the stack, for run tags."""
    versions = {"python": platform.python_version()}
    for name in (*STACK, *({"jax", "torch"} & {backend()})):
        versions[name] = package_version(name) or "missing"
    return versions
