"""What a trial runs on: GPU name or CPU model, and the library versions."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def device_info() -> dict[str, str]:
    """``{"device": name, "device_type": "GPU" | "CPU"}`` for where TensorFlow will train."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return {"device": details.get("device_name", gpus[0].name), "device_type": "GPU"}
    return {"device": cpu_model(), "device_type": "CPU"}


STACK = ("tensorflow", "keras", "mlflow", "hyperopt", "numpy", "pandas", "scikit-learn", "pyyaml")


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Versions of Python and the stack, for run tags."""
    versions = {"python": platform.python_version()}
    for name in STACK:
        versions[name] = package_version(name) or "missing"
    return versions
