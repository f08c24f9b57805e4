"""Small helpers several stages share: atomic file writes, one-line errors, plain values."""

from __future__ import annotations

import hashlib
import os
import re
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


MAX_NAME = 100  # folder names stay well under the file systems' 255 bytes


def safe_name(name: str) -> str:
    """``name`` as one folder name: other characters become ``_`` and ``.``/``..`` cannot
    climb, a long name is cut; a name that had to change gets a short hash, so two names never
    share a folder."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"
    if slug == name and len(slug) <= MAX_NAME:
        return slug
    return f"{slug[:MAX_NAME]}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    A crash mid-write leaves the previous file (or none) intact. The temporary name keeps the
    final suffix, so writers that pick a format from it (numpy, pandas) behave the same. A link
    is followed (the file it names is replaced, not the link), and a special file (a device such
    as /dev/stdout, a FIFO) is written in place, never replaced by a regular file.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if path.exists() and not path.is_file() and not path.is_dir():
        write(path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# scheme://user:password@host: the password part, wherever a URI is shown
_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:)[^\s/@]*@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it shown as ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def to_native(value: Any) -> Any:
    """numpy scalars and tuples inside nested values become plain Python values."""
    if isinstance(value, dict):
        return {k: to_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_native(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


FAULT_ENV = "JOBSEARCH_FAULT"
_reached: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """A named place where crash tests stop the process, deterministically.

    With ``JOBSEARCH_FAULT=NAME[:N[:SIGNAL]]`` the process sends itself SIGNAL (default KILL;
    TERM or INT for a polite stop) the Nth time (default 1) it reaches ``NAME``. Without the
    variable this does nothing. Names: prepare, epoch, trial-logging, checkpoint, register.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec or spec.split(":")[0] != name:
        return
    parts = spec.split(":")
    nth = int(parts[1]) if len(parts) > 1 else 1
    sig = parts[2] if len(parts) > 2 else "KILL"
    _reached[name] += 1
    if _reached[name] == nth:
        os.kill(os.getpid(), getattr(signal, f"SIG{sig}"))
