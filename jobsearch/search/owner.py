"""One owner per search: a file lock in the search's folder and a lease on its parent run.

Two commands for the same experiment in one folder meet at the lock (``filelock``; the
operating system releases it when its process dies, even by SIGKILL). Two folders or machines
sharing a tracking server meet at the parent run: its owner renews a heartbeat tag every
``BEAT_SECONDS``, and a search whose owner's heartbeat is younger than ``LEASE_SECONDS`` (and
whose process still lives, when it ran on this host) is refused to anyone else, as Optuna's
heartbeats do. Searches that start at the same moment each create a parent run; the oldest
running one wins and the others delete theirs and are refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOCK_FILE = ".lock"
OWNER_FILE = "owner.json"
BEAT_SECONDS = 20.0
LEASE_SECONDS = 90.0
SETTLE_SECONDS = 1.0  # after taking over a lease, how long to wait before checking it held


class SearchBusy(RuntimeError):
    """Another process owns this search (one line for the user, naming it)."""


def me() -> str:
    """This process as an owner: host, pid and folder (JSON, the lease tag's value)."""
    return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "folder": os.getcwd()})


def describe(owner: str | None) -> str:
    """An owner as a person reads it."""
    try:
        o = json.loads(owner or "")
        return f"process {o['pid']} on {o['host']} in {o['folder']}"
    except (ValueError, TypeError, KeyError):
        return "another process"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holds(owner: str | None, heartbeat: float, status: str, now: float | None = None) -> bool:
    """Whether ``owner`` (not this process) still owns a search whose run has ``status`` and
    last heartbeat ``heartbeat``."""
    if status != "RUNNING" or owner is None or owner == me():
        return False
    try:
        o: dict[str, Any] = json.loads(owner)
        local = o["host"] == socket.gethostname()
        if local and (o["pid"] == os.getpid() or not _pid_alive(int(o["pid"]))):
            return False
    except (ValueError, TypeError, KeyError):
        return False
    return (now or time.time()) - heartbeat < LEASE_SECONDS


def busy(owner: str | None, heartbeat: float) -> SearchBusy:
    ago = max(0.0, time.time() - heartbeat)
    return SearchBusy(
        f"this search is running in {describe(owner)} (heartbeat {ago:.0f}s ago); wait for it "
        f"to finish or stop it, or pass another --experiment (a lease left by a process that "
        f"died on another machine expires {LEASE_SECONDS:.0f}s after its last heartbeat)"
    )


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the search folder's lock, or raise SearchBusy naming its holder."""
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        owner = folder / OWNER_FILE
        text = owner.read_text(encoding="utf-8") if owner.is_file() else None
        raise busy(text, time.time()) from None
    try:
        (folder / OWNER_FILE).write_text(me(), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            (folder / OWNER_FILE).unlink()
        lock.release()


def claim(run) -> None:
    """Take the lease of an existing search's run (a resume), or raise SearchBusy."""
    owner, heartbeat, status = run.lease()
    if holds(owner, heartbeat, status):
        raise busy(owner, heartbeat)
    run.beat(me())
    time.sleep(SETTLE_SECONDS)  # two takers at once: the later write wins, the other sees it
    owner, heartbeat, _ = run.lease()
    if owner != me():
        raise busy(owner, heartbeat)


def settle_race(run, rivals: list[tuple[str, tuple[str | None, float, str]]]) -> None:
    """After creating ``run``: if an older RUNNING search with the same key (``rivals``: run
    ids and leases, oldest first) is alive, delete ours and raise SearchBusy naming it."""
    for run_id, (owner, heartbeat, status) in rivals:
        if run_id == run.run_id:
            return
        if holds(owner, heartbeat, status):
            run.delete()
            raise busy(owner, heartbeat)


class Heartbeat:
    """Renews the lease every ``BEAT_SECONDS`` from a daemon thread until stopped; a tracking
    store that does not answer for one beat is tried again at the next."""

    def __init__(self, run) -> None:
        self.run, self.owner = run, me()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="jobsearch-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            with contextlib.suppress(Exception):
                self.run.beat(self.owner)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop beating and release the lease if it is still ours (a process that took over a
        search it thought dead keeps its own)."""
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            if self.run.lease()[0] == self.owner:
                self.run.release()
