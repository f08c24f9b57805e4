"""Who owns a search: the lease rules on synthetic owners, and the folder lock in-process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from jobsearch.search import owner


def _owner(host: str, pid: int) -> str:
    return json.dumps({"host": host, "pid": pid, "folder": "/somewhere"})


def test_a_lease_holds_while_its_owner_beats_and_lives():
    now = time.time()
    here = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = _owner(here, sleeper.pid)
        assert owner.holds(alive, now - 5, "RUNNING", now)
        assert not owner.holds(alive, now - 5, "FINISHED", now)  # ended searches own nothing
        assert not owner.holds(alive, now - owner.LEASE_SECONDS - 1, "RUNNING", now)
    finally:
        sleeper.kill()
        sleeper.wait()
    # the same process, dead (SIGKILL leaves RUNNING behind): free at once on its own host
    assert not owner.holds(alive, now - 5, "RUNNING", now)
    # another host's process cannot be asked: only its heartbeat counts
    far = _owner("another-host", sleeper.pid)
    assert owner.holds(far, now - owner.LEASE_SECONDS + 1, "RUNNING", now)
    assert not owner.holds(far, now - owner.LEASE_SECONDS - 1, "RUNNING", now)
    assert not owner.holds(owner.me(), now, "RUNNING", now)  # this process: its own
    assert not owner.holds(None, now, "RUNNING", now)  # a run from before leases
    assert not owner.holds("not json", now, "RUNNING", now)


def test_the_folder_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    code = (
        "import sys, time; from pathlib import Path; from jobsearch.search.owner import "
        "folder_lock\nwith folder_lock(Path(sys.argv[1])):\n print('held', flush=True)\n "
        "time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = pytest.raises(owner.SearchBusy, match=f"process {holder.pid} on")
        with busy, owner.folder_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with owner.folder_lock(tmp_path):  # the kernel released the killed holder's lock
        assert json.loads((tmp_path / owner.OWNER_FILE).read_text())["pid"] == os.getpid()
